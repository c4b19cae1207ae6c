"""`calanque check`: drift between the catalog and the index is found and repaired."""

from __future__ import annotations

import sqlite3

from calanque.catalog import Catalog, PageRecord
from calanque.catalog import schema as t
from calanque.embed.base import passage_text
from calanque.index import EmbeddedIndex
from calanque.index.drift import check
from calanque.index.sync import catch_up
from calanque.types import Chunk, Document, Scope


def build(tmp_path, embedder):
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    source = catalog.add_source("site", "http://x/", Scope())
    for n in range(3):
        text = f"document {n} about topic {n} and more words {n}"
        url = f"http://x/{n}"
        half = len(text) // 2
        chunks = [Chunk(0, 0, text[:half], 0, half), Chunk(0, 1, text[half:], half, len(text))]
        catalog.save_document(
            PageRecord(url=url, source_id=source.id, status=200),
            Document(url=url, text=text, title=f"T{n}", language="en"),
            chunks,
            None,
        )
    index = EmbeddedIndex.for_embedder(tmp_path / "index", embedder)
    catch_up(catalog, index, embedder)
    return catalog, index


def test_a_synced_index_checks_ok(tmp_path, hash_embedder):
    catalog, index = build(tmp_path, hash_embedder)
    report = check(catalog, index, hash_embedder)
    assert report.ok and report.index_position == report.catalog_head


def test_drift_is_reported_then_repaired(tmp_path, hash_embedder):
    catalog, index = build(tmp_path, hash_embedder)
    live = catalog.all_chunk_ids()
    index.delete([live[0]])  # lost from the index
    stray = catalog.indexed_chunks([live[1]])[0]
    from dataclasses import replace

    ghost = replace(stray, chunk_id=999_999)
    index.upsert([ghost], hash_embedder.embed_passages([passage_text(ghost)]))
    index.commit(index.position())
    report = check(catalog, index, hash_embedder)
    assert not report.ok and report.missing_in_index == 1 and report.stray_in_index == 1
    repaired = check(catalog, index, hash_embedder, repair=True)
    assert repaired.repaired
    assert check(catalog, index, hash_embedder).ok
    assert index.chunk_ids() == set(live)


def test_catalog_corruption_is_reported(tmp_path, hash_embedder):
    catalog, index = build(tmp_path, hash_embedder)
    with catalog.engine.begin() as conn:
        conn.execute(t.chunks.update().where(t.chunks.c.id == 1).values(start=3))
    raw = sqlite3.connect(tmp_path / "c.db")  # foreign keys off: what a buggy writer could do
    with raw:
        raw.execute(
            'INSERT INTO chunks (document_id, ordinal, text, start, "end", heading_path, '
            "language, text_hash) VALUES (4242, 0, 'x', 0, 1, '[]', '', 'h')"
        )
    raw.close()
    report = check(catalog, index, hash_embedder)
    assert not report.catalog_ok
    assert any("offsets" in p for p in report.problems)
    assert any("no document" in p for p in report.problems)
