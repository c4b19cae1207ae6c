"""Applies a deterministic stream of index changes; the crash test kills it with SIGKILL.

Run as ``python crash_writer.py FOLDER FIRST LAST``: applies batches FIRST..LAST, each
followed by ``commit(batch)``. Batch ``b`` upserts chunks ``10b..10b+9`` and rewrites
then deletes some older ones, so a replay exercises replace and delete.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from calanque.index.embedded import EmbeddedIndex
from calanque.types import IndexedChunk

DIM = 16
NAME = "test/crash"


def vector(chunk_id: int) -> np.ndarray:
    v = np.random.default_rng(chunk_id).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def chunk(chunk_id: int, version: int) -> IndexedChunk:
    text = f"token{chunk_id} version{version} commun"
    return IndexedChunk(chunk_id, chunk_id, text, "t", f"https://x.org/{chunk_id}", "", "fr",
                        "x.org", 1)  # fmt: skip


def apply_batch(index: EmbeddedIndex, batch: int) -> None:
    ids = [10 * batch + i for i in range(10)]
    if batch > 1:
        ids.append(10 * (batch - 1))  # rewrite one chunk of the previous batch
    chunks = [chunk(cid, batch) for cid in ids]
    index.upsert(chunks, np.stack([vector(c) for c in ids]))
    if batch > 2:
        index.delete([10 * (batch - 2) + 1, 10 * (batch - 2) + 1])
    index.commit(batch)


def expected_state(last: int) -> dict[int, int]:
    """chunk id → version after batches 1..last."""
    state: dict[int, int] = {}
    for batch in range(1, last + 1):
        for cid in [10 * batch + i for i in range(10)] + ([10 * (batch - 1)] if batch > 1 else []):
            state[cid] = batch
        if batch > 2:
            state.pop(10 * (batch - 2) + 1, None)
    return state


def open_index(folder: Path) -> EmbeddedIndex:
    return EmbeddedIndex(folder, embedder_name=NAME, dim=DIM)


if __name__ == "__main__":
    folder, first, last = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    index = open_index(folder)
    for b in range(first, last + 1):
        apply_batch(index, b)
    index.close()
