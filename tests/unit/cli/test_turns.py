"""What `ask` shows under an answer: its related questions under a heading in its language."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from calanque.cli import turns
from calanque.types import Answer


def shown(answer: Answer, monkeypatch: pytest.MonkeyPatch) -> str:
    buffer = io.StringIO()
    monkeypatch.setattr(turns, "out", Console(file=buffer, width=100, color_system=None))
    turns.show_sources(answer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("language", "heading"), [("fr", "Pour aller plus loin"), ("en", "Related")]
)
def test_related_questions_are_headed_in_the_answer_language(
    language: str, heading: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = Answer("q", "a", True, language, related_questions=["Où est le fichier ?"])
    text = shown(answer, monkeypatch)
    assert f"\n{heading}\n" in text and "• Où est le fichier ?" in text
