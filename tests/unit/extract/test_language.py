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


def test_a_short_page_keeps_the_language_it_declares_when_the_detector_is_unsure() -> None:
    """Found when a French question looked for an English page about printers: the page
    ("CUPS manages printers; …", ``<html lang="en">``) had been indexed as French."""
    from calanque.extract.html import extract_html

    body = "CUPS manages printers; its web interface listens on port 631."
    for declared in ("en", "en-US"):
        page = f'<html lang="{declared}"><head><title>Printing</title></head><body><main>'
        page += f"<h1>Printing</h1><p>{body}</p></main></body></html>"
        assert extract_html(page, "https://a.org/printing.html").language == "en"
    # a sure detection still wins over a wrong declaration, short or long
    french = f'<html lang="en"><body><main><p>{FRENCH}</p></main></body></html>'
    assert extract_html(french, "https://a.org/fr.html").language == "fr"
