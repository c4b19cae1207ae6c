"""The contract every :class:`calanque.index.base.Index` backend satisfies.

A backend's test module subclasses :class:`IndexContract` and implements
:meth:`IndexContract.open_index`; every test below then runs against it (a backend that
stores chunks before their vectors subclasses :class:`ProgressiveIndexContract`)::

    class TestMyIndex(IndexContract):
        def open_index(self, folder, embedder_name, dim):
            return MyIndex(folder, embedder_name=embedder_name, dim=dim)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import HashEmbedder

from calanque.errors import IndexMismatchError
from calanque.index.base import Index, ProgressiveIndex, index_state
from calanque.types import IndexedChunk, SearchFilters

OpenIndex = Callable[..., Index]
NONE = SearchFilters()

CHUNKS = [
    IndexedChunk(1, 10, "Les écoles publiques de la ville ouvrent en septembre.", "Écoles",
                 "https://www.ville.fr/ecoles", "Rentrée", "fr", "www.ville.fr", 1, "2024-09-01"),
    IndexedChunk(2, 11, "Running a Debian mirror needs rsync and disk space.", "Mirrors",
                 "https://docs.debian.org/mirror", "Setup", "en", "docs.debian.org", 2, "2023-01-15"),
    IndexedChunk(3, 12, "L'installation du paquet se fait avec apt install.", "Paquets",
                 "https://debian.org/apt", "APT", "fr", "debian.org", 2, ""),
    IndexedChunk(4, 13, "The kernel scheduler balances tasks across cores.", "Kernel",
                 "https://kernel.example.com/sched", "Scheduler", "en", "kernel.example.com", 3,
                 "2022-06-30"),
]  # fmt: skip


def vectors_for(chunks: list[IndexedChunk], embedder: HashEmbedder) -> np.ndarray:
    return embedder.embed_passages([c.text for c in chunks])


class IndexContract:
    """Behaviour shared by all backends. Subclasses implement :meth:`open_index`."""

    embedder_name = "test/hash"
    dim = 64

    def open_index(self, folder: Path, embedder_name: str, dim: int) -> Index:
        raise NotImplementedError

    @pytest.fixture
    def make_index(self, tmp_path: Path) -> Iterator[OpenIndex]:
        opened: list[Index] = []

        def make(folder: Path | None = None, embedder_name: str = "", dim: int = 0) -> Index:
            index = self.open_index(
                folder or tmp_path / "index", embedder_name or self.embedder_name, dim or self.dim
            )
            opened.append(index)
            return index

        yield make
        for index in opened:
            index.close()

    @pytest.fixture
    def embedder(self) -> HashEmbedder:
        return HashEmbedder(self.dim, self.embedder_name)

    @pytest.fixture
    def filled(self, make_index: OpenIndex, embedder: HashEmbedder) -> Index:
        index = make_index()
        index.upsert(CHUNKS, vectors_for(CHUNKS, embedder))
        index.commit(1)
        return index

    # -- upsert, replace, delete ------------------------------------------------

    def test_new_index_is_empty_at_position_zero(self, make_index: OpenIndex) -> None:
        index = make_index()
        assert index.position() == 0
        assert index.info().count == 0
        assert index.search_lexical("debian", 10, NONE) == []
        assert index.search_dense(np.ones(self.dim, np.float32) / 8, 10, NONE) == []

    def test_upserted_chunks_are_found_both_ways(
        self, filled: Index, embedder: HashEmbedder
    ) -> None:
        lexical = filled.search_lexical("rsync mirror", 10, NONE)
        assert [h.chunk_id for h in lexical][:1] == [2]
        hit = lexical[0]
        assert (hit.url, hit.title, hit.heading, hit.language) == (
            "https://docs.debian.org/mirror", "Mirrors", "Setup", "en")  # fmt: skip
        assert (hit.document_id, hit.source_id, hit.date, hit.site) == (
            11, 2, "2023-01-15", "docs.debian.org")  # fmt: skip
        dense = filled.search_dense(embedder.embed_query(CHUNKS[3].text), 2, NONE)
        assert dense[0].chunk_id == 4
        assert dense[0].score == pytest.approx(1.0, abs=0.01)
        assert filled.info().count == 4

    def test_upsert_replaces_a_chunk_with_the_same_id(
        self, filled: Index, embedder: HashEmbedder
    ) -> None:
        changed = replace(CHUNKS[1], text="Mirrors are synchronised with ftpsync nightly.")
        filled.upsert([changed, changed], vectors_for([changed, changed], embedder))
        filled.commit(2)
        assert filled.search_lexical("rsync", 10, NONE) == []
        assert [h.chunk_id for h in filled.search_lexical("ftpsync", 10, NONE)] == [2]
        dense = filled.search_dense(embedder.embed_query(changed.text), 10, NONE)
        assert [h.chunk_id for h in dense].count(2) == 1
        assert filled.info().count == 4

    def test_delete_removes_from_both_and_ignores_missing_ids(
        self, filled: Index, embedder: HashEmbedder
    ) -> None:
        filled.delete([2, 999])
        filled.commit(2)
        assert filled.search_lexical("rsync", 10, NONE) == []
        dense = filled.search_dense(embedder.embed_query(CHUNKS[1].text), 10, NONE)
        assert 2 not in [h.chunk_id for h in dense]
        assert filled.info().count == 3
        assert filled.get_vectors([2]) == {}

    def test_stored_vectors_come_back(self, filled: Index, embedder: HashEmbedder) -> None:
        vectors = filled.get_vectors([1, 3, 12345])
        assert sorted(vectors) == [1, 3]
        expected = embedder.embed_query(CHUNKS[0].text)
        assert float(vectors[1] @ expected) == pytest.approx(1.0, abs=0.01)

    def test_language_means_are_each_language_s_mean_vector(
        self, make_index: OpenIndex, embedder: HashEmbedder
    ) -> None:
        """What the retriever shifts a query away from (RetrievalConfig.language_shift):
        the mean of each language's vectors, and none for a language with too few."""
        index = make_index()
        chunks = [
            replace(CHUNKS[i % 2], chunk_id=100 + i, text=f"{CHUNKS[i % 2].text} {i}",
                    language="fr" if i < 25 else "en")
            for i in range(30)
        ]  # fmt: skip
        vectors = vectors_for(chunks, embedder)
        index.upsert(chunks, vectors)
        index.commit(1)
        means = index.language_means()  # type: ignore[attr-defined]
        assert set(means) == {"fr"}  # 5 English chunks: too few for a mean
        expected = vectors[:25].mean(axis=0)
        assert np.allclose(means["fr"], expected, atol=0.01)

    # -- French / English analysis ----------------------------------------------

    @pytest.mark.parametrize("query", ["écoles", "école", "ecole", "l'école", "Écoles"])
    def test_french_forms_match(self, filled: Index, query: str) -> None:
        assert [h.chunk_id for h in filled.search_lexical(query, 10, NONE)] == [1]

    def test_french_elision_and_stemming_in_documents(self, filled: Index) -> None:
        assert [h.chunk_id for h in filled.search_lexical("installations", 10, NONE)] == [3]

    @pytest.mark.parametrize("query", ["run", "runs", "running"])
    def test_english_stemming(self, filled: Index, query: str) -> None:
        assert [h.chunk_id for h in filled.search_lexical(query, 10, NONE)] == [2]

    def test_query_syntax_characters_are_plain_text(self, filled: Index) -> None:
        hits = filled.search_lexical('apt: install (paquet) "AND" -- *', 10, NONE)
        assert hits and hits[0].chunk_id == 3

    # -- filters ----------------------------------------------------------------

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            (SearchFilters(sites=("debian.org",)), {2, 3}),
            (SearchFilters(sites=("docs.debian.org",)), {2}),
            (SearchFilters(exclude_sites=("debian.org",)), {1, 4}),
            (SearchFilters(sites=("debian.org",), exclude_sites=("docs.debian.org",)), {3}),
            (SearchFilters(languages=("fr",)), {1, 3}),
            (SearchFilters(source_ids=(2, 3)), {2, 3, 4}),
            (SearchFilters(since="2023-01-15"), {1, 2}),
            (SearchFilters(until="2023-01-14"), {4}),
            (SearchFilters(since="2023-01-01", until="2023-12-31"), {2}),
            (SearchFilters(languages=("en",), since="2023-01-01"), {2}),
        ],
    )
    def test_filters_apply_to_both_searches(
        self, filled: Index, embedder: HashEmbedder, filters: SearchFilters, expected: set[int]
    ) -> None:
        words = "écoles rsync mirror installation paquet kernel scheduler tasks"
        lexical = {h.chunk_id for h in filled.search_lexical(words, 10, filters)}
        dense = {h.chunk_id for h in filled.search_dense(embedder.embed_query(words), 10, filters)}
        assert lexical == expected
        assert dense == expected

    def test_dense_filter_finds_rare_matches_beyond_the_first_neighbours(
        self, make_index: OpenIndex, embedder: HashEmbedder
    ) -> None:
        index = make_index()
        many = [replace(CHUNKS[1], chunk_id=100 + i, text=f"rsync mirror {i}") for i in range(60)]
        rare = replace(CHUNKS[3], chunk_id=7, language="fr")
        index.upsert([*many, rare], vectors_for([*many, rare], embedder))
        index.commit(1)
        query = embedder.embed_query("rsync mirror")
        hits = index.search_dense(query, 3, SearchFilters(languages=("fr",)))
        assert [h.chunk_id for h in hits] == [7]

    # -- position, durability, mismatch -----------------------------------------

    def test_position_is_durable_across_reopen(
        self, filled: Index, make_index: OpenIndex, embedder: HashEmbedder
    ) -> None:
        filled.commit(42)
        filled.close()
        reopened = make_index()
        assert reopened.position() == 42
        assert [h.chunk_id for h in reopened.search_lexical("rsync", 10, NONE)] == [2]
        dense = reopened.search_dense(embedder.embed_query(CHUNKS[0].text), 1, NONE)
        assert [h.chunk_id for h in dense] == [1]

    def test_uncommitted_changes_are_lost_and_replay_converges(
        self, filled: Index, make_index: OpenIndex, embedder: HashEmbedder
    ) -> None:
        extra = replace(CHUNKS[3], chunk_id=5, text="Une école de musique.")
        filled.upsert([extra], vectors_for([extra], embedder))
        filled.delete([1])
        filled.close()  # like a crash before commit
        index = make_index()
        assert index.position() == 1
        assert {h.chunk_id for h in index.search_lexical("école", 10, NONE)} == {1}
        for _ in range(2):  # replaying the same changes twice is harmless
            index.upsert([extra], vectors_for([extra], embedder))
            index.delete([1])
            index.commit(2)
        assert [h.chunk_id for h in index.search_lexical("école", 10, NONE)] == [5]
        dense = index.search_dense(embedder.embed_query(extra.text), 10, NONE)
        assert [h.chunk_id for h in dense].count(5) == 1
        assert index.info().count == 4

    def test_other_embedder_is_a_mismatch_error(self, filled: Index, make_index: OpenIndex) -> None:
        filled.close()
        with pytest.raises(IndexMismatchError, match="calanque reindex"):
            make_index(embedder_name="other/model")
        with pytest.raises(IndexMismatchError, match="calanque reindex"):
            make_index(dim=self.dim * 2)

    def test_info_names_the_embedder(self, filled: Index) -> None:
        info = filled.info()
        assert (info.embedder, info.dim, info.count, info.position) == (
            self.embedder_name, self.dim, 4, 1)  # fmt: skip


class ProgressiveIndexContract(IndexContract):
    """The contract of a backend that stores chunks before their vectors (lexical first,
    dense behind: see calanque.index.sync); the embedded backend. Milvus stores both at once
    and runs :class:`IndexContract` only."""

    def progressive(self, index: Index) -> ProgressiveIndex:
        assert isinstance(index, ProgressiveIndex), type(index).__name__
        return index

    def test_lexical_first_then_vectors(
        self, make_index: OpenIndex, embedder: HashEmbedder
    ) -> None:
        index = self.progressive(make_index())
        index.upsert_lexical(CHUNKS)
        index.commit(1)
        assert [h.chunk_id for h in index.search_lexical("rsync mirror", 10, NONE)][:1] == [2]
        assert index.search_dense(embedder.embed_query(CHUNKS[3].text), 4, NONE) == []
        assert index.dense_pending(10) == [1, 2, 3, 4]
        assert index.dense_pending(2, after=1) == [2, 3]
        assert index.dense_pending_count() == 4 and index.position() == 1
        assert index.add_vectors(CHUNKS[:2], vectors_for(CHUNKS[:2], embedder)) == 2
        assert index.dense_pending(10) == [3, 4]
        assert index_state(index).to_dict() == {
            "lexical": 4, "dense": 2, "dense_pending": 2, "complete": False, "position": 1,
        }  # fmt: skip
        index.save_dense()
        dense = index.search_dense(embedder.embed_query(CHUNKS[0].text), 4, NONE)
        assert {h.chunk_id for h in dense} == {1, 2}
        index.add_vectors(CHUNKS[2:], vectors_for(CHUNKS[2:], embedder))
        index.save_dense()
        assert index.dense_pending_count() == 0 and index_state(index).complete

    def test_changed_chunk_loses_its_vector_unchanged_keeps_it(
        self, filled: Index, embedder: HashEmbedder
    ) -> None:
        index = self.progressive(filled)
        changed = replace(CHUNKS[1], text="Mirrors are synchronised with ftpsync nightly.")
        index.upsert_lexical([CHUNKS[0], changed])
        index.commit(2)
        assert index.dense_pending(10) == [2]  # chunk 1 came again unchanged
        assert sorted(index.get_vectors([1, 2])) == [1]
        # a vector computed from the old text is refused: the chunk stays pending
        assert index.add_vectors([CHUNKS[1]], vectors_for([CHUNKS[1]], embedder)) == 0
        assert index.add_vectors([changed], vectors_for([changed], embedder)) == 1
        assert index.dense_pending_count() == 0

    def test_delete_while_pending_removes_both_and_refuses_late_vectors(
        self, make_index: OpenIndex, embedder: HashEmbedder
    ) -> None:
        index = self.progressive(make_index())
        index.upsert_lexical(CHUNKS)
        index.add_vectors(CHUNKS[:1], vectors_for(CHUNKS[:1], embedder))
        index.commit(1)
        index.delete([1, 2])
        index.commit(2)
        # the dense pass embedded chunk 2 before it was deleted: its vector is refused
        assert index.add_vectors(CHUNKS[1:2], vectors_for(CHUNKS[1:2], embedder)) == 0
        index.save_dense()
        assert index.get_vectors([1, 2]) == {}
        assert index.search_lexical("rsync", 10, NONE) == []
        dense = index.search_dense(embedder.embed_query(CHUNKS[0].text), 10, NONE)
        assert {h.chunk_id for h in dense} <= {3, 4}
        assert index.dense_pending(10) == [3, 4]

    def test_pending_survives_reopen(self, make_index: OpenIndex, embedder: HashEmbedder) -> None:
        index = self.progressive(make_index())
        index.upsert_lexical(CHUNKS)
        index.commit(3)
        index.add_vectors(CHUNKS[:3], vectors_for(CHUNKS[:3], embedder))
        index.save_dense()
        index.add_vectors(CHUNKS[3:], vectors_for(CHUNKS[3:], embedder))
        index.close()  # like a crash before the vector of chunk 4 was saved
        reopened = self.progressive(make_index())
        assert reopened.position() == 3
        assert reopened.dense_pending(10) == [4]
