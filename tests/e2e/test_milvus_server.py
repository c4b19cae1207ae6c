"""``MilvusIndex`` against a real Milvus server process (dense path).

The PyPI package ``milvus`` (2.3.5) bundles a standalone Milvus server; the test starts it
on 127.0.0.1 with its data in a temporary folder and stops it afterwards. Milvus 2.3 has no
BM25 function, so the index must come up dense-only, say so, and refuse lexical search
with a clear error; everything else (HNSW dense search, filters, position, mismatch,
batches, deletes) is checked against the server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import HashEmbedder
from tests.contract.index_contract import CHUNKS, NONE, vectors_for

from calanque.errors import IndexBackendError, IndexMismatchError
from calanque.index.retriever import RetrievalConfig, Retriever
from calanque.types import SearchFilters

milvus_server = pytest.importorskip("milvus", reason="needs the PyPI package milvus (dev extra)")
from calanque.index.milvus import MilvusIndex  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
START_TIMEOUT_S = 120
DIM = 64


@pytest.fixture(scope="module")
def server_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("milvus-server")
    config = milvus_server.MilvusServerConfig(data_dir=str(data_dir))
    server = milvus_server.MilvusServer(config, wait_for_started=False)
    server.start()
    try:
        server.wait_started(timeout=START_TIMEOUT_S * 1000)
    except (TimeoutError, RuntimeError) as exc:
        server.stop()
        log = Path(data_dir, "logs", "milvus-stderr.log")
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
        pytest.fail(f"the Milvus server did not start in {START_TIMEOUT_S}s: {exc}\n{tail}")
    try:
        yield f"http://127.0.0.1:{server.listen_port}"
    finally:
        server.stop()


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder(DIM)


@pytest.fixture
def index(server_uri: str, request: pytest.FixtureRequest) -> Iterator[MilvusIndex]:
    name = "t_" + request.node.name.replace("[", "_").replace("]", "").replace("-", "_")[:40]
    opened = MilvusIndex(server_uri, embedder_name="test/hash", dim=DIM, collection=name)
    yield opened
    opened.close()


@pytest.fixture
def filled(index: MilvusIndex, embedder: HashEmbedder) -> MilvusIndex:
    index.upsert(CHUNKS, vectors_for(CHUNKS, embedder))
    index.commit(1)
    return index


def test_server_is_detected_as_dense_only(
    server_uri: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="calanque.index.milvus"):
        index = MilvusIndex(server_uri, embedder_name="test/hash", dim=DIM, collection="detect")
    try:
        assert index.features.lite is False
        assert index.features.version.startswith("v2.3")
        assert (index.features.lexical, index.features.dense_index) == (False, "HNSW")
        assert "no BM25" in caplog.text
        with pytest.raises(IndexBackendError, match="Milvus ≥ 2.5"):
            index.search_lexical("debian", 10, NONE)
    finally:
        index.close()


def test_dense_search_finds_and_scores_by_cosine(
    filled: MilvusIndex, embedder: HashEmbedder
) -> None:
    hits = filled.search_dense(embedder.embed_query(CHUNKS[1].text), 2, NONE)
    assert hits[0].chunk_id == 2
    assert hits[0].score == pytest.approx(1.0, abs=0.01)
    assert (hits[0].url, hits[0].site, hits[0].date) == (
        "https://docs.debian.org/mirror", "docs.debian.org", "2023-01-15")  # fmt: skip
    assert filled.info().count == 4
    vectors = filled.get_vectors([1, 999])
    assert list(vectors) == [1]
    assert float(vectors[1] @ embedder.embed_query(CHUNKS[0].text)) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(sites=("debian.org",)), {2, 3}),
        (SearchFilters(exclude_sites=("debian.org",)), {1, 4}),
        (SearchFilters(sites=("debian.org",), exclude_sites=("docs.debian.org",)), {3}),
        (SearchFilters(languages=("fr",)), {1, 3}),
        (SearchFilters(source_ids=(2, 3)), {2, 3, 4}),
        (SearchFilters(since="2023-01-01", until="2023-12-31"), {2}),
        (SearchFilters(sites=('debian.org"] or true or ["',)), set()),
    ],
)
def test_filters_become_server_expressions(
    filled: MilvusIndex, embedder: HashEmbedder, filters: SearchFilters, expected: set[int]
) -> None:
    query = embedder.embed_query("écoles rsync mirror paquet kernel")
    assert {h.chunk_id for h in filled.search_dense(query, 10, filters)} == expected


def test_hybrid_is_dense_and_the_retriever_works(
    filled: MilvusIndex, embedder: HashEmbedder
) -> None:
    query = embedder.embed_query(CHUNKS[3].text)
    hybrid = filled.search_hybrid(CHUNKS[3].text, query, 3, NONE)
    assert [h.chunk_id for h in hybrid] == [h.chunk_id for h in filled.search_dense(query, 3, NONE)]
    retriever = Retriever(filled, embedder, RetrievalConfig(mode="hybrid+rescore"))
    assert retriever.search(CHUNKS[3].text, k=2)[0].chunk_id == 4


def test_batches_deletes_position_and_mismatch(
    filled: MilvusIndex, embedder: HashEmbedder, server_uri: str
) -> None:
    many = [replace(CHUNKS[1], chunk_id=100 + i, text=f"mirror number {i}") for i in range(1200)]
    filled.upsert(many, vectors_for(many, embedder))
    filled.delete([1, 100, 12345])
    filled.commit(7)
    assert filled.info().count == 3 + 1199
    assert 100 not in filled.get_vectors([100, 101])
    filled.upsert([replace(CHUNKS[0], chunk_id=5)], vectors_for([CHUNKS[0]], embedder))
    name = filled.collection
    filled.close()  # uncommitted upsert of chunk 5 is dropped
    reopened = MilvusIndex(server_uri, embedder_name="test/hash", dim=DIM, collection=name)
    try:
        assert (reopened.position(), reopened.info().count) == (7, 1202)
        assert reopened.get_vectors([5]) == {}
        assert len(reopened.chunk_ids()) == 1202
    finally:
        reopened.close()
    with pytest.raises(IndexMismatchError, match="calanque reindex"):
        MilvusIndex(server_uri, embedder_name="other/model", dim=DIM, collection=name)
    np.testing.assert_equal(vectors_for([CHUNKS[0]], embedder).shape, (1, DIM))
