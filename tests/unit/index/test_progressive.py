"""Progressive indexing: chunks are searchable lexically as soon as the catalog has them,
their vectors follow (``catch_up(dense=False)`` then ``fill_dense``), deletions apply to
both sides at once, and ``kill -9`` at any moment loses nothing on restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.conftest import HashEmbedder
from tests.unit.index.progressive_writer import fill_catalog, open_all, save_page

from calanque.catalog import Catalog
from calanque.embed.base import passage_text
from calanque.embed.cache import CachedEmbedder, content_key
from calanque.index import EmbeddedIndex
from calanque.index.base import index_state
from calanque.index.drift import check
from calanque.index.retriever import RetrievalConfig, Retriever
from calanque.index.status import index_status
from calanque.index.sync import catch_up, fill_dense
from calanque.server.model_lock import LockedCalls
from calanque.types import SearchFilters

WRITER = Path(__file__).with_name("progressive_writer.py")
ROOT = Path(__file__).parents[3]
NONE = SearchFilters()


def build(tmp_path: Path, documents: int = 20) -> tuple[Catalog, EmbeddedIndex, HashEmbedder]:
    catalog, index, embedder = open_all(tmp_path)
    fill_catalog(catalog, documents)
    return catalog, index, embedder


def test_lexical_pass_embeds_nothing_and_answers_lexically(tmp_path: Path) -> None:
    catalog, index, embedder = build(tmp_path)
    report = catch_up(catalog, index, embedder, dense=False)
    assert embedder.passages_embedded == 0
    assert report.applied == 40 and report.embedded == 0 and report.dense_pending == 40
    # the pages' words are counted (the lexicon translates with them alone), none embedded
    counts = index.word_counts()
    assert counts["en"] > 0 and counts["waiting"] == counts["en"]
    retriever = Retriever(index, embedder)
    hits = retriever.search("subject7", k=3)  # hybrid+rescore with no vector at all
    assert hits and hits[0].url == "http://x.test/7"
    assert retriever.index_state() == {"dense_pending": 40, "complete": False}
    status = index_status(catalog, index)
    assert (status["chunks"], status["lexical"], status["dense"], status["dense_pending"]) == (
        40, 40, 0, 40)  # fmt: skip
    assert status["changes_pending"] == 0 and status["complete"] is False
    assert check(catalog, index, embedder).ok  # waiting is not drift


def test_a_search_embeds_its_best_candidates_ahead_of_the_dense_pass(tmp_path: Path) -> None:
    catalog, index, embedder = build(tmp_path)
    catch_up(catalog, index, embedder, dense=False)
    cached = CachedEmbedder.in_folder(embedder, tmp_path / "cache")
    words_only = Retriever(index, cached, RetrievalConfig(translate=False, embed_missing=0))
    assert words_only.search("subject7 page", k=3)[0].url == "http://x.test/7"
    assert embedder.passages_embedded == 0  # embed_missing = 0: words alone
    config = RetrievalConfig(translate=False, embed_missing=5)
    hits = Retriever(index, cached, config).search("subject7 page", k=3)
    assert hits[0].url == "http://x.test/7"
    assert embedder.passages_embedded == 5  # the five best candidates, not all 40 chunks
    assert index.dense_pending_count() == 40  # the index itself is unchanged
    report = fill_dense(catalog, index, cached)
    assert report.embedded == 40 and embedder.passages_embedded == 40  # five were cached


class _DuringEmbedding(HashEmbedder):
    """A HashEmbedder that runs ``during()`` inside each call, as another thread would."""

    def __init__(self, during: Any) -> None:
        super().__init__()
        self.during = during

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.during()
        return super().embed_passages(texts)


def test_a_chunk_deleted_while_a_search_embeds_it_leaves_no_vector(tmp_path: Path) -> None:
    catalog, index, _ = build(tmp_path)
    catch_up(catalog, index, HashEmbedder(), dense=False)
    target = index.search_lexical("subject7", 1, NONE)[0].chunk_id

    def opt_out() -> None:  # the page's withdrawal lands while the search embeds it
        if target in index.chunk_ids():
            index.delete([target])
            index.commit(index.position())

    cached = CachedEmbedder.in_folder(_DuringEmbedding(opt_out), tmp_path / "cache")
    config = RetrievalConfig(translate=False, embed_missing=5)
    Retriever(index, cached, config).search("subject7 page", k=3)
    stored = {c.chunk_id: c for c in catalog.indexed_chunks(catalog.all_chunk_ids())}
    key = content_key(cached.name, passage_text(stored[target]))
    others = [content_key(cached.name, passage_text(stored[i])) for i in stored if i != target]
    assert cached.cache.get_many([key]) == {}  # nothing of the withdrawn text stays
    assert len(cached.cache.get_many(others)) >= 1  # the other candidates' vectors do


def test_a_locked_embedder_is_not_held_while_candidates_are_embedded(tmp_path: Path) -> None:
    catalog, index, _ = build(tmp_path)
    catch_up(catalog, index, HashEmbedder(), dense=False)
    lock = threading.RLock()
    free: list[bool] = []

    def lock_is_free() -> None:  # as another question's embedding would try it
        def probe() -> None:
            got = lock.acquire(timeout=0.2)
            if got:
                lock.release()
            free.append(got)

        prober = threading.Thread(target=probe)
        prober.start()
        prober.join()

    raw = CachedEmbedder.in_folder(_DuringEmbedding(lock_is_free), tmp_path / "cache")
    locked = LockedCalls(raw, lock)  # the server's embedder
    config = RetrievalConfig(translate=False, embed_missing=5)
    hits = Retriever(index, locked, config, ahead=raw).search("subject7 page", k=3)  # type: ignore[arg-type]
    assert hits[0].url == "http://x.test/7"
    assert free and all(free)  # every model call ran without the lock
    assert raw.inner.passages_embedded == 5  # once: the locked call read the cache


def test_dense_pass_completes_with_progress(tmp_path: Path) -> None:
    catalog, index, embedder = build(tmp_path)
    catch_up(catalog, index, embedder, dense=False)
    seen: list[tuple[int, int]] = []
    report = fill_dense(
        catalog, index, embedder, batch=16, progress=lambda d, t: seen.append((d, t))
    )
    assert report.embedded == 40 and report.pending == 0
    assert seen == [(16, 40), (32, 40), (40, 40)]
    assert index_state(index).complete and index_status(catalog, index)["complete"]
    hits = index.search_dense(embedder.embed_query("page 7 about subject7"), 1, NONE)
    assert hits[0].url == "http://x.test/7"


def test_a_partial_dense_side_still_ranks_lexical_matches(tmp_path: Path) -> None:
    catalog, index, embedder = build(tmp_path)
    catch_up(catalog, index, embedder, dense=False)
    fill_dense(
        catalog, index, embedder, batch=8, should_stop=lambda: index.dense_pending_count() < 30
    )
    pending = set(index.dense_pending(100))
    assert pending and len(pending) < 40
    target = min(pending)  # a chunk still without a vector: found by its words
    text = catalog.indexed_chunks([target])[0].text
    word = next(w for w in text.split() if w.startswith("subject"))
    hits = Retriever(index, embedder).search(word, k=3)
    assert hits[0].chunk_id in {target, *catalog.all_chunk_ids()}
    assert hits[0].url == catalog.indexed_chunks([target])[0].url


def test_default_catch_up_is_lexical_then_words_then_dense(tmp_path: Path) -> None:
    catalog, index, embedder = build(tmp_path)
    events: list[str] = []
    report = catch_up(
        catalog,
        index,
        embedder,
        dense_progress=lambda done, todo: events.append("dense"),
        words_progress=lambda done, todo: events.append("words"),
    )
    assert report.applied == 40 and report.embedded == 40 and report.dense_pending == 0
    assert index_state(index).dense == 40
    # the words' vectors (seconds) before the chunks' (minutes): the bridge between the
    # languages works during the dense pass
    assert report.words > 0 and index.word_counts()["waiting"] == 0
    assert events and events.index("dense") > max(i for i, e in enumerate(events) if e == "words")


def test_deleted_and_changed_while_pending(tmp_path: Path) -> None:
    catalog, index, embedder = build(tmp_path)
    catch_up(catalog, index, embedder, dense=False)
    gone = catalog.forget_document("http://x.test/3")
    assert gone
    source_id = catalog.list_sources()[0].id
    save_page(catalog, source_id, 5, version="revised")
    catch_up(catalog, index, embedder, dense=False)
    assert index.search_lexical("subject3", 10, NONE) == []  # withdrawn at once
    assert [h.url for h in index.search_lexical("revised", 10, NONE)] == ["http://x.test/5"]
    fill_dense(catalog, index, embedder)
    assert index_state(index).complete
    live = set(catalog.all_chunk_ids())
    assert index.chunk_ids() == live and set(index.get_vectors(list(live))) == live
    hits = index.search_dense(embedder.embed_query("page 3 about subject3"), 40, NONE)
    assert "http://x.test/3" not in {h.url for h in hits}


def test_a_chunk_changed_during_its_embedding_is_embedded_again(tmp_path: Path) -> None:
    catalog, index, embedder = build(tmp_path, documents=2)
    catch_up(catalog, index, embedder, dense=False)
    source_id = catalog.list_sources()[0].id
    changed = []

    def change_once(texts: list[str]) -> None:  # runs between reading and adding a batch
        if not changed:
            changed.append(True)
            save_page(catalog, source_id, 0, version="rewritten")
            catch_up(catalog, index, embedder, dense=False)

    report = fill_dense(catalog, index, embedder, batch=2, embed=change_once)
    assert report.pending == 0 and index_state(index).complete
    live = catalog.indexed_chunks(catalog.all_chunk_ids())
    assert "rewritten" in " ".join(c.text for c in live if c.url == "http://x.test/0")
    assert set(index.get_vectors([c.chunk_id for c in live])) == {c.chunk_id for c in live}
    hits = index.search_dense(embedder.embed_query("page 0 rewritten about subject0"), 1, NONE)
    assert hits[0].url == "http://x.test/0"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("after_line", "delay_s"),
    [("start", 0.05), ("start", 0.3), ("lexical", 0.0), ("lexical", 0.2), ("lexical", 0.5)],
)
def test_sigkill_during_either_pass_then_restart_converges(
    tmp_path: Path, after_line: str, delay_s: float
) -> None:
    catalog, index, _ = open_all(tmp_path)  # the catalog is made here: the kill hits indexing
    fill_catalog(catalog, 150)
    index.close()
    catalog.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, str(WRITER), str(tmp_path), "150"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    while (line := proc.stdout.readline().strip()) != after_line:  # "start": lexical pass
        assert line, "the writer ended early"  # begins; "lexical": the dense pass begins
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    killed_after = proc.stdout.read().split()
    proc.wait()
    assert "dense" not in killed_after, "the kill came too late to interrupt anything"
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["start", "lexical", "dense"]
    catalog, index, embedder = open_all(tmp_path)
    live = set(catalog.all_chunk_ids())
    assert len(live) == 300
    assert index.position() == catalog.last_seq()
    assert index.chunk_ids() == live  # nothing lost, nothing stray
    assert set(index.get_vectors(sorted(live))) == live  # none left lexical-only
    assert index.dense_pending_count() == 0
    assert check(catalog, index, embedder).ok
