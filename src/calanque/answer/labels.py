"""The AI-generated label (EU AI Act art. 50): machine-readable and visible."""

from __future__ import annotations

from typing import Any

VISIBLE = {"fr": "Réponse générée par IA", "en": "AI-generated answer"}


def visible_label(language: str, writer: str = "", model: str = "") -> str:
    """The line shown under an answer, e.g. ``"AI-generated answer (extractive)"``."""
    text = VISIBLE.get(language, VISIBLE["en"])
    detail = " · ".join(part for part in (writer, model) if part)
    return f"{text} ({detail})" if detail else text


def machine_label(writer: str, model: str = "") -> dict[str, Any]:
    """The fields every answer carries in JSON."""
    return {"ai_generated": True, "writer": writer, "model": model}
