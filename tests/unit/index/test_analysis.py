from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calanque.index.analysis import ENGLISH, FOLDED, FRENCH, QueryAnalyzer, strip_elisions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l'école d'été", "école été"),
        ("qu'il s'en aille, j'ai n'est c'est m'a t'as", "il en aille, ai est est a as"),
        ("L’Europe", "Europe"),
        ("don't stop James's cat", "don't stop James's cat"),
    ],
)
def test_strip_elisions(text: str, expected: str) -> None:
    assert strip_elisions(text) == expected


@pytest.fixture(scope="module")
def analyzer() -> QueryAnalyzer:
    return QueryAnalyzer()


@pytest.mark.parametrize("word", ["écoles", "école", "ecole", "Écoles", "l'école"])
def test_french_forms_share_one_term(analyzer: QueryAnalyzer, word: str) -> None:
    assert analyzer.terms(word, FRENCH) == ["ecol"]


def test_french_participle_and_infinitive_meet(analyzer: QueryAnalyzer) -> None:
    assert analyzer.terms("installée", FRENCH) == analyzer.terms("installer", FRENCH)


def test_english_stemming(analyzer: QueryAnalyzer) -> None:
    assert analyzer.terms("running runs run", ENGLISH) == ["run"]


def test_folded_keeps_word_forms(analyzer: QueryAnalyzer) -> None:
    assert analyzer.terms("Sécurité sécurité", FOLDED) == ["securite"]


_TRICKY = "ab1_ -–—.…,;:!?~$%&|<>*#@^=+[]{}()‘’“”«»\"'`é²\t\n/\\"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_TRICKY, max_size=14))
def test_the_quick_check_for_operators_misses_none(text: str) -> None:
    """``symbols`` skips a text its one-regex check finds no operator in: that check must
    never skip a text whose tokens hold one (``...``, ``__`` and ``(-s)`` included)."""
    from calanque.index.analysis import _symbol, symbols

    assert symbols(text) == {s for token in text.split() if (s := _symbol(token)) is not None}
