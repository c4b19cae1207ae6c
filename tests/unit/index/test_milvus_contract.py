"""The Milvus backend (through Milvus Lite 2.5.1) against the shared Index contract."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from tests.conftest import HashEmbedder
from tests.contract.index_contract import CHUNKS, NONE, IndexContract, vectors_for

from calanque.index.base import Index
from calanque.types import IndexedChunk, SearchFilters

milvus = pytest.importorskip("calanque.index.milvus", reason="needs calanque[milvus]")
pytest.importorskip("milvus_lite", reason="needs milvus-lite (calanque[milvus])")

pytestmark = pytest.mark.slow


class TestMilvusIndex(IndexContract):
    def open_index(self, folder: Path, embedder_name: str, dim: int) -> Index:
        return milvus.MilvusIndex(str(folder / "x.db"), embedder_name=embedder_name, dim=dim)


# -- Milvus-specific behaviour --------------------------------------------------------------

HOSTILE = 'we"ird\\site.org'
INJECTION = 'x"] or chunk_id >= 0 or site in ["'


def test_quote_escapes_quotes_backslashes_and_controls() -> None:
    assert milvus.quote('a"b\\c') == '"a\\"b\\\\c"'
    assert milvus.quote("new\nline") == '"new\\u000aline"'


def test_filter_expression_uses_domain_levels_and_no_unary_not() -> None:
    expression = milvus.filter_expression(
        SearchFilters(sites=("Debian.org",), exclude_sites=("docs.debian.org",), since="2024-01-02")
    )
    assert expression == (
        '(domain_2 in ["debian.org"]) and (domain_3 not in ["docs.debian.org"]) '
        "and (day >= 20240102 and day <= 99991231)"
    )
    assert milvus.filter_expression(NONE) == ""


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[milvus.MilvusIndex]:
    index = milvus.MilvusIndex(str(tmp_path / "m.db"), embedder_name="test/hash", dim=64)
    yield index
    index.close()


def test_hostile_site_names_filter_exactly(lite: milvus.MilvusIndex) -> None:
    embedder = HashEmbedder(64)
    chunks = [*CHUNKS, replace_site(CHUNKS[1], 9, HOSTILE)]
    lite.upsert(chunks, vectors_for(chunks, embedder))
    lite.commit(1)
    query = "rsync mirror écoles paquet kernel"
    assert {
        h.chunk_id for h in lite.search_lexical(query, 10, SearchFilters(sites=(HOSTILE,)))
    } == {9}
    excluded = lite.search_dense(
        embedder.embed_query(query), 10, SearchFilters(exclude_sites=(HOSTILE,))
    )
    assert {h.chunk_id for h in excluded} == {1, 2, 3, 4}
    assert lite.search_lexical(query, 10, SearchFilters(sites=(INJECTION,))) == []
    assert (
        lite.search_dense(embedder.embed_query(query), 10, SearchFilters(languages=(INJECTION,)))
        == []
    )


def replace_site(chunk: IndexedChunk, chunk_id: int, site: str) -> IndexedChunk:
    return replace(chunk, chunk_id=chunk_id, site=site, url=f"https://{site}/")


def test_native_hybrid_fuses_with_rrf_and_the_retriever_uses_it(lite: milvus.MilvusIndex) -> None:
    from calanque.index.retriever import RetrievalConfig, Retriever

    embedder = HashEmbedder(64)
    lite.upsert(CHUNKS, vectors_for(CHUNKS, embedder))
    lite.commit(1)
    query = "rsync mirror"
    hybrid = lite.search_hybrid(query, embedder.embed_query(query), 4, NONE, rrf_k=60)
    assert hybrid[0].chunk_id == 2
    assert hybrid[0].score == pytest.approx(1 / 61 + 1 / 61, abs=1e-4)  # first in dense and BM25
    fr_only = lite.search_hybrid(
        query, embedder.embed_query(query), 4, SearchFilters(languages=("fr",))
    )
    assert {h.chunk_id for h in fr_only} <= {1, 3}
    retriever = Retriever(lite, embedder, RetrievalConfig(mode="hybrid"))
    assert [h.chunk_id for h in retriever.search(query, k=4)] == [h.chunk_id for h in hybrid]


def test_large_commits_go_in_batches_and_one_language_corpora_work(
    lite: milvus.MilvusIndex,
) -> None:
    embedder = HashEmbedder(64)
    many = [replace(CHUNKS[1], chunk_id=100 + i, text=f"mirror number {i}") for i in range(1200)]
    lite.upsert(many, vectors_for(many, embedder))
    lite.commit(3)
    assert lite.info().count == 1200
    assert sorted(lite.chunk_ids()) == list(range(100, 1300))
    assert len(lite.search_lexical("mirrors", 5, NONE)) == 5  # no French text at all: no NaN
    lite.delete(list(range(100, 1300)))
    lite.commit(4)
    assert (lite.info().count, lite.search_lexical("mirror", 5, NONE)) == (0, [])
