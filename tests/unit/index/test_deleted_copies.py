"""Deleted chunks leave nothing behind: cached vectors, tantivy segments, usearch slots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.conftest import HashEmbedder

from calanque.answer.vectors import SentenceVectorStore, candidate_sentences
from calanque.catalog import Catalog, PageRecord
from calanque.embed.base import passage_text
from calanque.embed.cache import CachedEmbedder, content_key
from calanque.index import EmbeddedIndex, _dense
from calanque.index._dense import DenseStore
from calanque.index.sync import catch_up
from calanque.types import Chunk, ConsentDecision, Document, Scope

SECRET = "The zqxsecret4411 harbour light guides boats home every night."
SHARED = "Every page of this site ends with the same friendly footer sentence."


def _save(catalog: Catalog, source_id: int, url: str, parts: list[str]) -> None:
    text, chunks, start = "\n".join(parts), [], 0
    for ordinal, part in enumerate(parts):
        chunks.append(Chunk(0, ordinal, part, start, start + len(part)))
        start += len(part) + 1
    page = PageRecord(url=url, source_id=source_id, status=200)
    catalog.save_document(
        page, Document(url=url, text=text, title="T", language="en"), chunks, None
    )


@pytest.fixture
def synced(tmp_path: Path):
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    source = catalog.add_source("site", "http://x/", Scope()).id
    _save(catalog, source, "http://x/secret", [SECRET, SHARED])
    _save(catalog, source, "http://x/other", [SHARED, "Ferries leave the old port at nine."])
    embedder = CachedEmbedder.in_folder(HashEmbedder(), tmp_path / "index")
    index = EmbeddedIndex.for_embedder(tmp_path / "index", embedder)
    sentences = SentenceVectorStore.in_folder(tmp_path / "index")

    def precompute(chunks: list) -> None:
        sentences.vectors([s for c in chunks for s in candidate_sentences(c.text)], embedder)

    def forget(texts: list[str], keep: list[str]) -> None:
        sentences.forget(texts, keep, embedder.name)

    catch_up(catalog, index, embedder, after_batch=precompute)
    yield catalog, index, embedder, sentences, forget, tmp_path / "index"
    index.close()
    sentences.close()
    embedder.close()
    catalog.close()


def _held(cache_path_owner, keys: list[bytes]) -> int:
    return len(cache_path_owner.get_many(keys))


def test_opt_out_prunes_the_deleted_texts_vectors_and_keeps_shared_ones(synced) -> None:
    catalog, index, embedder, sentences, forget, folder = synced
    secret_chunk = next(
        c for c in index.stored_chunks(sorted(index.chunk_ids())) if "zqx" in c.text
    )
    shared_chunks = [c for c in index.stored_chunks(sorted(index.chunk_ids())) if c.text == SHARED]
    secret_key = content_key(embedder.name, passage_text(secret_chunk))
    assert _held(embedder.cache, [secret_key]) == 1 and sentences.known([SECRET], embedder.name)
    refusal = ConsentDecision("http://x/secret", False, "robots.txt", "Disallow: /secret")
    catalog.delete_document_at("http://x/secret", refusal)
    report = catch_up(catalog, index, embedder, forget=forget)
    assert report.deleted == 2
    assert _held(embedder.cache, [secret_key]) == 0
    assert not SentenceVectorStore.in_folder(folder).known([SECRET], embedder.name)
    # the footer passage of the other page has the same text and title: its vector stays
    live_shared = [c for c in shared_chunks if c.url == "http://x/other"]
    assert _held(embedder.cache, [content_key(embedder.name, passage_text(live_shared[0]))]) == 1
    assert sentences.known([SHARED], embedder.name) == 1


def test_opt_out_leaves_no_text_in_tantivy_segment_files(synced) -> None:
    catalog, index, embedder, _, forget, folder = synced
    assert _files_holding(folder / "lexical", b"zqxsecret4411")
    refusal = ConsentDecision("http://x/secret", False, "robots.txt", "Disallow: /secret")
    catalog.delete_document_at("http://x/secret", refusal)
    catch_up(catalog, index, embedder, forget=forget)
    assert _files_holding(folder / "lexical", b"zqxsecret4411") == []
    assert index.search_lexical("ferries port", 5, _filters())[0].url == "http://x/other"
    assert index.info().count == 2


def test_purge_rewrites_nothing_when_nothing_was_deleted(synced) -> None:
    _, index, *_ = synced
    assert index.purge_deleted() == 0


@pytest.mark.parametrize("removed", [3, 40])
def test_removed_vectors_leave_no_bytes_in_the_saved_graph(tmp_path, monkeypatch, removed):
    monkeypatch.setattr(_dense, "_REBUILD_FREE_SHARE", 0.5)  # 40 of 50 forces a rebuild
    monkeypatch.setattr(_dense, "_REBUILD_MIN_FREE", 10)
    path = tmp_path / "v.usearch"
    store = DenseStore(path, 8, "f16")
    vectors = np.random.default_rng(1).random((50, 8), dtype=np.float32)
    store.upsert(list(range(1, 51)), vectors)
    store.save()
    store = DenseStore(path, 8, "f16")  # removal after a restore too
    gone = list(range(5, 5 + removed))
    raw = [_stored_bytes(store, key) for key in gone]
    store.delete(gone)
    store.save()
    data = path.read_bytes()
    assert not any(vector in data for vector in raw)
    assert len(store) == 50 - removed and store.search(vectors[0], 1)[0][0] == 1
    assert _stored_bytes(store, 1) in data


def _stored_bytes(store: DenseStore, key: int) -> bytes:
    keys = np.array([key], dtype=np.uint64)
    return np.asarray(store.graph.get(keys, dtype="f16")).reshape(-1).tobytes()


def _files_holding(folder: Path, needle: bytes) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _filters():
    from calanque.types import SearchFilters

    return SearchFilters()
