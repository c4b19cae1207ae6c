"""The lexical query leaves out terms that most chunks hold (``common_term_share``) and the
question's function words (``drop_function_words``), and keeps a long question's rarest
terms only (``max_field_terms``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calanque.index._lexical import (
    _FIELD_ANALYZER,
    COMMON_TERM_SHARE,
    MAX_FIELD_TERMS,
    LexicalStore,
)
from calanque.types import IndexedChunk

CHUNKS = 1200  # pruning starts at 1,000 chunks: doc frequencies mean little below


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LexicalStore:
    lexical = LexicalStore(Path(tmp_path_factory.mktemp("lexical")))
    chunks = []
    for n in range(CHUNKS):
        words = ["kernel"] if n % 2 == 0 else []  # in half the chunks
        words += ["firewall"] if n % 7 == 0 else []  # in 1 chunk of 7 (14 %)
        words += ["zebra"] if n == 5 else []  # in one chunk
        words += ["which", "how", "quel", "who"] if n % 50 == 0 else []  # function words, 2 %
        # term{i} is held by i + 1 chunks: rarer the lower i
        words += [f"term{i}" for i in range(20) if n <= i]
        text = " ".join([*words, f"filler{n}", "text"])
        chunks.append(
            IndexedChunk(n, n, text, "", f"https://example.org/{n}", "", "en", "example.org", 1)
        )
    lexical.upsert(chunks)
    lexical.commit()
    lexical.reload()
    return lexical


def _terms(store: LexicalStore, text: str) -> list[str]:
    """``text``'s terms as the English text field indexes them (each held by some chunk)."""
    terms = store.analyzer.terms(text, _FIELD_ANALYZER["text_en"])
    searcher = store.index.searcher()
    assert all(searcher.doc_freq("text_en", t) > 0 for t in terms)
    return terms


def _kept(store: LexicalStore, share: float, text: str) -> list[str]:
    store.common_term_share = share
    try:
        return store._informative(store.index.searcher(), "text_en", _terms(store, text))
    finally:
        store.common_term_share = COMMON_TERM_SHARE


def test_the_shipped_share_drops_a_term_half_the_chunks_hold_and_keeps_rarer_ones(store) -> None:
    kept = _kept(store, COMMON_TERM_SHARE, "kernel firewall zebra")
    assert kept == _terms(store, "firewall zebra")


def test_a_lower_share_drops_more_terms(store) -> None:
    assert _kept(store, 0.1, "kernel firewall zebra") == _terms(store, "zebra")


def test_a_query_made_only_of_common_terms_keeps_them(store) -> None:
    assert _kept(store, 0.01, "kernel text") == _terms(store, "kernel text")


def test_a_long_query_keeps_its_rarest_terms_in_order(store) -> None:
    assert MAX_FIELD_TERMS == 16
    question = " ".join(f"term{i}" for i in reversed(range(20)))  # 20 terms, rarest last
    kept = _kept(store, COMMON_TERM_SHARE, question)
    assert kept == _terms(store, " ".join(f"term{i}" for i in reversed(range(16))))
    store.max_field_terms = None
    try:
        assert len(_kept(store, COMMON_TERM_SHARE, question)) == 20
    finally:
        store.max_field_terms = MAX_FIELD_TERMS


def test_a_short_query_keeps_every_informative_term(store) -> None:
    assert _kept(store, COMMON_TERM_SHARE, "term19 term3 zebra firewall") == _terms(
        store, "term19 term3 zebra firewall"
    )


def _query(store: LexicalStore, question: str, field: str = "text_en") -> list[str]:
    return store.query_terms(question)[field]


def test_function_words_are_left_out_however_rare(store) -> None:
    assert _query(store, "which firewall how zebra") == _terms(store, "firewall zebra")
    store.drop_function_words = False
    try:
        assert _query(store, "which firewall how") == _terms(store, "which firewall how")
    finally:
        store.drop_function_words = True


def test_a_query_of_function_words_only_keeps_them(store) -> None:
    assert _query(store, "which how") == _terms(store, "which how")


def test_words_are_matched_as_written_not_by_their_stem(store) -> None:
    """``uses`` stems to ``use``, ``moyenne`` to ``moyen``, ``utilisateur`` to ``utilis``
    (``utilise``), ``né`` folds to ``ne``: words of the subject, each kept."""
    assert "use" in _query(store, "Which tool uses the firewall?")
    french = store.query_terms("Comment calculer la moyenne d'un utilisateur né en 1990 ?")
    assert {"calcul", "moyen", "utilis"} <= set(french["text_fr"])
    assert "ne" in french["text"]  # né, folded
    assert "comment" not in french["text_fr"] + french["text_en"] + french["text"]
    assert "get" in _query(store, "Which apt-get option upgrades?")  # a compound's part


def test_the_words_of_the_question_s_language_and_of_the_field_s_are_left_out(store) -> None:
    """ "Quel est le but du projet ?": *but* (a goal) is a word of the subject in the French
    fields, and a conjunction in the English ones."""
    terms = store.query_terms("Quel est le but du pare-feu ?")
    assert "but" in terms["text_fr"] and "but" not in terms["text_en"]
    assert "quel" not in terms["text_fr"] + terms["text_en"] + terms["text"]
    assert {"which", "but"} <= store.function_words("text_en")
    assert {"quel", "comment", "son"} <= store.function_words("text_fr")
    assert "son" not in store.function_words("text_en")  # "the son of Zeus"
    assert "été" not in store.function_words("text_fr", "fr")  # l'été: data/query_keeps.json
    assert {"which", "quel"} <= store.function_words("text_en", "fr")


def test_one_word_does_not_make_a_question_french(store) -> None:
    """ "yaml comment": one French function word is no French question; in the English
    fields *comment* stays a word, in the French ones it is *how*."""
    terms = store.query_terms("yaml comment")
    assert "comment" in terms["text_en"] and "comment" not in terms["text_fr"]
    tie = store.query_terms("son of zeus")
    assert "son" in tie["text"]  # no clear language: only what both languages list goes


def test_a_function_word_in_capitals_is_a_name(store) -> None:
    """ "Who chairs the WHO?", the C language: names, looked for; the question word not."""
    assert _query(store, "which WHO firewall") == _terms(store, "who firewall")
    assert _query(store, "which who firewall") == _terms(store, "firewall")
    assert "c" in _query(store, "Quelle est la différence entre C et C++ ?", "text_fr")
    assert "a" not in _query(store, "A firewall or not?")  # a one-letter opening word
    shouted = store.query_terms("HOW DO I SET UP THE FIREWALL")["text_en"]
    assert "how" not in shouted and "firewal" in shouted  # a question typed in capitals


def test_a_small_corpus_keeps_every_term(tmp_path: Path) -> None:
    small = LexicalStore(tmp_path / "small")
    small.upsert(
        [
            IndexedChunk(n, n, f"which firewall how {n}", "", f"https://e.org/{n}", "", "en",
                         "e.org", 1)
            for n in range(20)
        ]
    )  # fmt: skip
    small.commit()
    small.reload()
    terms = small.analyzer.terms("which firewall how", _FIELD_ANALYZER["text_en"])
    assert small.query_terms("which firewall how")["text_en"] == terms
