"""Bring an index up to date with the catalog's chunk log.

The index records the last ``chunk_log.seq`` it applied (:meth:`Index.position`). Catching
up replays the log from there in batches: for each chunk only its last operation in the
batch counts, an upsert of a chunk that no longer exists is a delete, and the position only
moves after the batch is durably applied. Replaying a batch twice is harmless (upserts
replace, deletes of missing ids do nothing), so a ``kill -9`` at any moment converges on the
next run with no duplicate and no lost chunk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from calanque.catalog import Catalog
from calanque.embed import Embedder
from calanque.index.base import Index
from calanque.types import IndexedChunk

ProgressFn = Callable[[int, int], None]  # (applied position, catalog head)


@dataclass
class SyncReport:
    applied: int = 0  # chunks embedded and upserted
    deleted: int = 0
    position: int = 0
    head: int = 0
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "applied": self.applied,
            "deleted": self.deleted,
            "position": self.position,
            "head": self.head,
            "elapsed_s": round(self.elapsed_s, 3),
        }


def passage_text(chunk: IndexedChunk) -> str:
    """What the embedder sees for a chunk: its title and heading give the passage context."""
    context = " — ".join(part for part in (chunk.title, chunk.heading) if part)
    return f"{context}\n{chunk.text}" if context else chunk.text


def catch_up(
    catalog: Catalog,
    index: Index,
    embedder: Embedder,
    *,
    batch: int = 256,
    progress: ProgressFn | None = None,
    after_batch: Callable[[list[IndexedChunk]], None] | None = None,
) -> SyncReport:
    """Apply every catalog change after the index's position."""
    started = time.monotonic()
    report = SyncReport(position=index.position(), head=catalog.last_seq())
    while True:
        changes = catalog.changes_since(report.position, limit=batch)
        if not changes:
            break
        last_op = {change.chunk_id: change.op for change in changes}
        upserts = sorted(i for i, op in last_op.items() if op == "upsert")
        chunks = catalog.indexed_chunks(upserts)
        gone = set(upserts) - {c.chunk_id for c in chunks}
        deletes = sorted({i for i, op in last_op.items() if op == "delete"} | gone)
        if deletes:
            index.delete(deletes)
        if chunks:
            index.upsert(chunks, embedder.embed_passages([passage_text(c) for c in chunks]))
            if after_batch is not None:
                after_batch(chunks)
        report.position = changes[-1].seq
        index.commit(report.position)
        report.applied += len(chunks)
        report.deleted += len(deletes)
        if progress is not None:
            progress(report.position, report.head)
    report.head = max(report.head, report.position)
    report.elapsed_s = time.monotonic() - started
    return report


def rebuild(
    catalog: Catalog,
    index: Index,
    embedder: Embedder,
    *,
    progress: ProgressFn | None = None,
    after_batch: Callable[[list[IndexedChunk]], None] | None = None,
) -> SyncReport:
    """Start the index over from the catalog (after a change of embedder or backend)."""
    index.delete(list(_indexed_ids(index)))
    index.commit(0)
    return catch_up(catalog, index, embedder, progress=progress, after_batch=after_batch)


def _indexed_ids(index: Index) -> list[int]:
    ids = getattr(index, "chunk_ids", None)
    return list(ids()) if callable(ids) else []
