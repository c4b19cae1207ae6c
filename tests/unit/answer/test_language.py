"""Folding: lower case without accents, read for every candidate sentence of an answer."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from calanque.answer.language import fold


def _fold_char_by_char(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def test_fold_drops_accents_and_case() -> None:
    assert fold("Écoles ÉTÉ œuvre Ça") == "ecoles ete œuvre ca"
    assert fold("ﬁchier ²") == "fichier 2"  # compatibility forms too
    assert fold("plain ascii") == "plain ascii"


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=12))
def test_fold_is_the_character_by_character_definition(text: str) -> None:
    """The fast path (ASCII as it is, the marks dropped by one class) changes nothing."""
    assert fold(text) == _fold_char_by_char(text)
