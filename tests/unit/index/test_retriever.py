from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.conftest import HashEmbedder

from calanque.errors import ConfigError
from calanque.index.embedded import EmbeddedIndex
from calanque.index.retriever import RetrievalConfig, Retriever
from calanque.rerank.base import rescore
from calanque.types import Hit, IndexedChunk, SearchFilters


def chunk(cid: int, text: str, **fields: object) -> IndexedChunk:
    base: dict[str, object] = dict(
        chunk_id=cid, document_id=cid, text=text, title="", url=f"https://a.org/{cid}",
        heading="", language="en", site="a.org", source_id=1,
    )  # fmt: skip
    base.update(fields)
    return IndexedChunk(**base)  # type: ignore[arg-type]


CORPUS = [
    chunk(1, "apt upgrades every installed package"),
    chunk(2, "Apt upgrades every installed package!"),  # near-identical to 1
    chunk(3, "the firewall filters network packets with nftables"),
    chunk(4, "nftables rules live in /etc/nftables.conf", site="wiki.b.org", language="fr"),
    chunk(5, "backups with rsync and cron jobs"),
]


@pytest.fixture
def retriever(tmp_path: Path, hash_embedder: HashEmbedder) -> Iterator[Retriever]:
    index = EmbeddedIndex.for_embedder(tmp_path, hash_embedder)
    index.upsert(CORPUS, hash_embedder.embed_passages([c.text for c in CORPUS]))
    index.commit(1)
    yield Retriever(index, hash_embedder)
    index.close()


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid", "hybrid+rescore"])
def test_every_mode_finds_the_answer_and_collapses_duplicates(
    retriever: Retriever, mode: str
) -> None:
    hits = retriever.search("apt upgrades installed package", k=3, mode=mode)  # type: ignore[arg-type]
    ids = [h.chunk_id for h in hits]
    assert ids[0] in (1, 2)
    assert not {1, 2} <= set(ids)
    assert len(ids) == len(set(ids))


def test_a_listing_spread_over_pages_shows_each_page_once_first(
    tmp_path: Path, hash_embedder: HashEmbedder
) -> None:
    """One long page about nftables has three chunks that outrank the other pages':
    answers' passages keep them; a listing (``per_page=1``) shows the other pages first."""
    page = [chunk(10 + n, f"nftables firewall rules part {n} of the firewall page", document_id=10)
            for n in range(3)]  # fmt: skip
    others = [chunk(20, "the nftables firewall of the kernel", document_id=20),
              chunk(21, "backups with rsync", document_id=21)]  # fmt: skip
    corpus = page + others
    index = EmbeddedIndex.for_embedder(tmp_path, hash_embedder)
    index.upsert(corpus, hash_embedder.embed_passages([c.text for c in corpus]))
    index.commit(1)
    try:
        retriever = Retriever(index, hash_embedder)
        plain = [h.document_id for h in retriever.search("nftables firewall rules page", k=3)]
        spread = retriever.search("nftables firewall rules page", k=3, per_page=1)
        assert plain == [10, 10, 10]
        assert [h.document_id for h in spread][:2] == [10, 20]
        assert len({h.chunk_id for h in spread}) == 3
    finally:
        index.close()


def test_filters_reach_both_methods(retriever: Retriever) -> None:
    filters = SearchFilters(sites=("b.org",))
    hits = retriever.search("nftables firewall", k=5, filters=filters)
    assert [h.chunk_id for h in hits] == [4]


def test_hybrid_scores_are_sorted(retriever: Retriever) -> None:
    hits = retriever.search("nftables firewall packets", k=5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].chunk_id == 3


def test_custom_reranker_is_used(tmp_path: Path, hash_embedder: HashEmbedder) -> None:
    class Reverse:
        def rerank(self, query: str, query_vector: np.ndarray, hits: Sequence[Hit]) -> list[Hit]:
            return [replace(h, score=float(i)) for i, h in enumerate(reversed(hits))]

    index = EmbeddedIndex.for_embedder(tmp_path, hash_embedder)
    index.upsert(CORPUS, hash_embedder.embed_passages([c.text for c in CORPUS]))
    plain = Retriever(index, hash_embedder, RetrievalConfig(mode="hybrid"))
    custom = Retriever(index, hash_embedder, reranker=Reverse())
    expected = list(reversed(plain.search("nftables", k=10)))
    got = custom.search("nftables", k=10)
    assert [h.chunk_id for h in got] == [h.chunk_id for h in expected]
    index.close()


def test_rescore_mixes_cosine_and_fused_score() -> None:
    hits = [
        Hit(1, 1, "u", "", "", "a", score=0.03),
        Hit(2, 2, "u", "", "", "b", score=0.015),
    ]
    q = np.array([1.0, 0.0], np.float32)
    vectors = {1: np.array([0.0, 1.0], np.float32), 2: q}
    ranked = rescore(q, hits, vectors, weight=0.7)
    assert [h.chunk_id for h in ranked] == [2, 1]
    assert ranked[0].score == pytest.approx(0.7 + 0.3 * 0.5)
    assert ranked[1].score == pytest.approx(0.3)
    assert [h.chunk_id for h in rescore(q, hits, vectors, weight=0.0)] == [1, 2]


def test_rescore_can_spread_compressed_cosines() -> None:
    # E5-like cosines 0.80 / 0.84: raw, the fused score decides; min-max spread, the cosine.
    hits = [Hit(1, 1, "u", "", "", "a", score=0.03), Hit(2, 2, "u", "", "", "b", score=0.02)]
    q = np.array([1.0, 0.0], np.float32)
    vectors = {
        1: np.array([0.80, 0.6], np.float32),
        2: np.array([0.84, np.sqrt(1 - 0.84**2)], np.float32),
    }
    assert [h.chunk_id for h in rescore(q, hits, vectors, weight=0.7)] == [1, 2]
    spread = rescore(q, hits, vectors, weight=0.7, normalise=True)
    assert [h.chunk_id for h in spread] == [2, 1]
    assert spread[0].score == pytest.approx(0.7 + 0.3 * 2 / 3)


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="mode"):
        RetrievalConfig(mode="magic")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="language_shift"):
        RetrievalConfig(language_shift=1.5)


def test_hybrid_search_embeds_the_query_while_it_searches_lexically(
    tmp_path: Path, hash_embedder: HashEmbedder
) -> None:
    """The two steps overlap: the lexical search (watched) runs while the embedding
    (slowed here) is under way, through the server's locks (LockedCalls)."""
    import threading
    import time

    from calanque.server.model_lock import LockedCalls

    index = EmbeddedIndex.for_embedder(tmp_path, hash_embedder)
    index.upsert(CORPUS, hash_embedder.embed_passages([c.text for c in CORPUS]))
    index.commit(1)
    started, finished = threading.Event(), threading.Event()
    lexical_ran_during_embedding = threading.Event()

    class SlowEmbedder:
        name, dim = hash_embedder.name, hash_embedder.dim

        def embed_query(self, text: str) -> np.ndarray:
            started.set()
            time.sleep(0.3)
            finished.set()
            return hash_embedder.embed_query(text)

    class WatchedIndex:
        def __getattr__(self, name: str) -> object:
            return getattr(index, name)

        def search_lexical(self, *args: object) -> list[Hit]:
            if started.wait(timeout=1.0) and not finished.is_set():  # both under way
                lexical_ran_during_embedding.set()
            return index.search_lexical(*args)  # type: ignore[arg-type]

    locked_index = LockedCalls(WatchedIndex(), threading.RLock())
    embedder = LockedCalls(SlowEmbedder(), threading.RLock())
    retriever = Retriever(locked_index, embedder)  # type: ignore[arg-type]
    hits = retriever.search("apt upgrades installed package", k=3, mode="hybrid")
    assert hits and hits[0].chunk_id in (1, 2)
    assert lexical_ran_during_embedding.is_set()
    index.close()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_hybrid_search_works_in_a_forked_child(retriever: Retriever) -> None:
    """The lexical search's threads are the parent's: a forked child makes its own pool
    (otherwise its first hybrid search waits forever for a thread that is not there)."""
    import multiprocessing

    retriever.search("apt upgrades installed package", k=3, mode="hybrid")  # pool made here
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child_search, args=(retriever, send))  # not pickled
    child.start()
    try:
        assert receive.poll(60), "the forked child's hybrid search did not finish"
        ids = receive.recv()
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    assert ids and ids[0] in (1, 2)


def _child_search(retriever: Retriever, send: Any) -> None:
    send.send([h.chunk_id for h in retriever.search("apt upgrades", k=3, mode="hybrid")])


class _Designed:
    """An embedder whose query vector is given: a French question about topic A."""

    name, dim = "designed", 8

    def __init__(self, query: np.ndarray) -> None:
        self.query = query / np.linalg.norm(query)

    def embed_query(self, text: str) -> np.ndarray:
        return self.query.astype(np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), self.dim), dtype=np.float32)


def _axis(*weights: tuple[int, float]) -> np.ndarray:
    v = np.zeros(8, dtype=np.float32)
    for at, w in weights:
        v[at] = w
    return v / np.linalg.norm(v)


def _bilingual_index(tmp_path: Path, french: int = 22, english: int = 22) -> EmbeddedIndex:
    """Every vector holds its language (axis 0 French, 1 English) and a topic: chunk 1 is
    English on topic A (axis 2), chunk 2 French on topic B (axis 3), and fillers of each
    language on topics 4-7."""
    index = EmbeddedIndex(tmp_path, embedder_name="designed", dim=8)
    chunks = [chunk(1, "the firewall's rules", language="en")]
    vectors = [_axis((1, 1.0), (2, 1.0))]
    chunks.append(chunk(2, "les sauvegardes", language="fr"))
    vectors.append(_axis((0, 1.0), (3, 1.0)))
    for i in range(french):
        chunks.append(chunk(100 + i, f"page {i}", language="fr"))
        vectors.append(_axis((0, 1.0), (4 + i % 2, 1.0)))
    for i in range(english):
        chunks.append(chunk(200 + i, f"page {i}", language="en"))
        vectors.append(_axis((1, 1.0), (6 + i % 2, 1.0)))
    index.upsert(chunks, np.stack(vectors))
    index.commit(1)
    return index


FRENCH_QUESTION = "Quelles sont les règles du pare-feu ?"


def test_the_query_s_language_is_taken_out_of_its_vector(tmp_path: Path) -> None:
    """Same-language pages outrank the answer in the other language while the query's
    vector holds its language; less of it, and the English page on topic A comes first."""
    index = _bilingual_index(tmp_path)
    embedder = _Designed(_axis((0, 1.0), (2, 0.8)))
    kept = Retriever(index, embedder, RetrievalConfig(language_shift=0.0))  # type: ignore[arg-type]
    assert kept.search(FRENCH_QUESTION, k=3, mode="dense")[0].chunk_id != 1
    shifted = Retriever(index, embedder)  # type: ignore[arg-type]
    assert shifted.search(FRENCH_QUESTION, k=3, mode="dense")[0].chunk_id == 1
    assert shifted.search(FRENCH_QUESTION, k=3)[0].chunk_id == 1  # hybrid and rescored too
    assert set(index.language_means()) == {"fr", "en"}
    index.close()


def test_no_shift_without_enough_pages_in_both_languages(tmp_path: Path) -> None:
    """With 4 English vectors there is no English mean to measure against: the query is
    searched as embedded (a mean of a handful of pages is the pages, not the language)."""
    index = _bilingual_index(tmp_path, english=3)
    embedder = _Designed(_axis((0, 1.0), (2, 0.8)))
    assert set(index.language_means()) == {"fr"}
    hits = Retriever(index, embedder).search(FRENCH_QUESTION, k=3, mode="dense")  # type: ignore[arg-type]
    assert hits[0].chunk_id != 1
    index.close()


def test_a_question_of_no_clear_language_is_not_shifted(tmp_path: Path) -> None:
    index = _bilingual_index(tmp_path)
    embedder = _Designed(_axis((0, 1.0), (2, 0.8)))
    hits = Retriever(index, embedder).search("nftables iptables", k=3, mode="dense")  # type: ignore[arg-type]
    assert hits[0].chunk_id != 1
    index.close()


def test_the_language_means_follow_the_index_once_it_grew_by_a_tenth(tmp_path: Path) -> None:
    index = _bilingual_index(tmp_path, english=3)
    assert "en" not in index.language_means()
    more = [chunk(300 + i, f"more {i}", language="en") for i in range(30)]
    index.upsert(more, np.stack([_axis((1, 1.0), (6, 1.0))] * 30))
    index.commit(2)
    assert set(index.language_means()) == {"fr", "en"}
    index.close()


def test_the_language_means_are_drawn_from_the_whole_index(tmp_path: Path) -> None:
    """Past the sample's size, the vectors are drawn at random from all of the index, not
    taken from the first pages indexed (which would make one source's topic the language)."""
    index = EmbeddedIndex(tmp_path, embedder_name="designed", dim=8)
    half = 2600
    chunks = [chunk(i, f"page {i}", language="fr") for i in range(2 * half)]
    vectors = [_axis((0, 1.0), (2 if i < half else 3, 1.0)) for i in range(2 * half)]
    chunks += [chunk(10_000 + i, f"page {i}", language="en") for i in range(100)]
    vectors += [_axis((1, 1.0), (4, 1.0))] * 100
    index.upsert(chunks, np.stack(vectors))
    index.commit(1)
    french = index.language_means()["fr"]
    assert abs(float(french[2]) - float(french[3])) < 0.06  # both topics, near halves
    index.close()


def test_a_rescored_search_reads_the_stored_vectors_once(retriever: Retriever) -> None:
    """The rescoring and the near-duplicate collapse share one read of the candidates'
    vectors (each read is a trip to the vector store: Milvus over the network)."""
    index = retriever.index
    calls: list[int] = []
    read = index.get_vectors

    def counted(chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        calls.append(len(chunk_ids))
        return read(chunk_ids)

    index.get_vectors = counted  # type: ignore[method-assign]
    hits = retriever.search("apt upgrades installed package", k=3, mode="hybrid+rescore")
    assert [h.chunk_id for h in hits][:1] in ([1], [2])
    assert not {1, 2} <= {h.chunk_id for h in hits}  # still collapsed
    assert len(calls) == 1
