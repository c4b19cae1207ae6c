"""Language identification per document."""

from __future__ import annotations

import pytest

from calanque.extract import detect_language

FRENCH = (
    "Le système de paquets de Debian permet d'installer, de mettre à jour et de supprimer "
    "des logiciels en tenant compte des dépendances entre eux."
)
ENGLISH = (
    "The Debian package system lets you install, upgrade and remove software while "
    "taking the dependencies between packages into account."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FRENCH, "fr"),
        (ENGLISH, "en"),
        ("Das Paketsystem von Debian installiert und aktualisiert Programme zuverlässig.", "de"),
        ("El sistema de paquetes de Debian instala y actualiza programas de forma fiable.", "es"),
        ("", ""),
        ("1234 5678 -- ::", ""),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_french_page_with_untranslated_english_paragraphs_is_french() -> None:
    text = "\n".join([FRENCH, ENGLISH, FRENCH, ENGLISH, ENGLISH])  # 2 of 5 paragraphs French
    assert detect_language(text) == "fr"


def test_english_page_quoting_a_little_french_is_english() -> None:
    text = "\n".join([ENGLISH] * 6 + [FRENCH])
    assert detect_language(text) == "en"
