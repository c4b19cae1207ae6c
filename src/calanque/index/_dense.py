"""The usearch half of the embedded index: an HNSW graph of unit vectors keyed by chunk id."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from usearch.index import Index as UsearchIndex

from calanque.errors import IndexBackendError

# Keys of the constant vectors written over removed ones; chunk ids (SQLite rowids) stay below.
_BLANK_KEYS_FROM = 2**63
# More free slots than this (and than this share of the graph): rebuild the graph from the
# live vectors instead of overwriting the free slots one by one.
_REBUILD_MIN_FREE = 1024
_REBUILD_FREE_SHARE = 0.25
# Up to this many vectors a search compares the query with every one (usearch's exact,
# SIMD search: 0.6 ms at 10k, 3.3 ms at 50k, against 0.1-0.2 ms through the graph). HNSW
# is approximate: over the Debian Policy corpus (455 chunks) it never reached the chunk
# whose cosine ranks second for "Quels gros logiciels la Policy exclut-elle… ?", whatever
# its search width, and 0.3-0.7 % of a bench corpus's chunks are not the first hit of
# their own vector (docs/benchmarks.md, "Eighth round").
EXACT_SEARCH_UP_TO = 20_000


class DenseStore:
    """Cosine HNSW over ``dim``-d vectors, saved atomically to ``path``.

    usearch keeps a removed vector's bytes in its slot, and in the saved file, until the
    slot is reused. Before saving after a removal, every free slot is overwritten: a
    constant vector is added under a temporary key (new vectors take free slots first)
    and removed again, so nothing computed from a deleted chunk's text stays on disk.
    When free slots are more than a quarter of the graph, the graph is rebuilt from the
    live vectors instead, which keeps the cost of later saves bounded.
    """

    def __init__(self, path: Path, dim: int, dtype: str = "f16") -> None:
        self.path = path
        self.dim = dim
        self.dtype = dtype
        self.dirty = False
        self.removed = False  # a vector was removed since the last save
        self.graph = self._load()

    def _load(self) -> UsearchIndex:
        if not self.path.exists():
            return UsearchIndex(ndim=self.dim, metric="cos", dtype=self.dtype)
        try:
            graph = UsearchIndex.restore(str(self.path))
        except (RuntimeError, ValueError) as exc:
            raise IndexBackendError(
                f"cannot read the vector index {self.path}: {exc}; run `calanque reindex`"
            ) from exc
        if graph is None or graph.ndim != self.dim:
            raise IndexBackendError(
                f"the vector index {self.path} is unreadable or not {self.dim}-d; "
                "run `calanque reindex`"
            )
        return graph

    def reload(self) -> None:
        self.graph = self._load()
        self.dirty = False

    def upsert(self, chunk_ids: Sequence[int], vectors: np.ndarray) -> None:
        keys = np.asarray(chunk_ids, dtype=np.uint64)
        self.delete(keys)
        self.graph.add(keys, np.asarray(vectors, dtype=np.float32))
        self.dirty = True

    def delete(self, chunk_ids: Sequence[int] | np.ndarray) -> None:
        keys = np.asarray(chunk_ids, dtype=np.uint64)
        if len(keys) == 0 or len(self.graph) == 0:
            return
        present = keys[np.asarray(self.graph.contains(keys), dtype=bool).reshape(-1)]
        if len(present):
            self.graph.remove(present)
            self.dirty = self.removed = True

    def free_slots(self) -> int:
        """Slots of removed vectors not yet reused (usearch counts them as nodes)."""
        return max(0, int(self.graph.stats.nodes) - len(self.graph))

    def overwrite_removed(self) -> None:
        """Leave no removed vector in memory or in the next saved file (see the class)."""
        free = self.free_slots()
        if free > max(_REBUILD_MIN_FREE, _REBUILD_FREE_SHARE * len(self.graph)):
            self._rebuild()
        elif free:
            keys = np.arange(_BLANK_KEYS_FROM, _BLANK_KEYS_FROM + free, dtype=np.uint64)
            blank = np.zeros((free, self.dim), dtype=np.float32)
            blank[:, 0] = 1.0
            self.graph.add(keys, blank)
            self.graph.remove(keys)
        self.removed = False

    def _rebuild(self) -> None:
        keys = np.asarray(self.graph.keys, dtype=np.uint64)
        fresh = UsearchIndex(ndim=self.dim, metric="cos", dtype=self.dtype)
        if len(keys):
            vectors = np.asarray(self.graph.get(keys, dtype="f32"), dtype=np.float32)
            fresh.add(keys, vectors.reshape(len(keys), self.dim))
        self.graph = fresh

    def search(self, vector: np.ndarray, count: int) -> list[tuple[int, float]]:
        """(chunk id, cosine similarity) of the ``count`` nearest vectors."""
        if len(self.graph) == 0 or count <= 0:
            return []
        exact = len(self.graph) <= EXACT_SEARCH_UP_TO
        matches = self.graph.search(np.asarray(vector, dtype=np.float32), count, exact=exact)
        return [
            (int(key), 1.0 - float(dist))
            for key, dist in zip(matches.keys, matches.distances, strict=True)
        ]

    def get(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        ids = [int(c) for c in dict.fromkeys(int(c) for c in chunk_ids)]
        if not ids or len(self.graph) == 0:
            return {}
        keys = np.asarray(ids, dtype=np.uint64)
        present = keys[np.asarray(self.graph.contains(keys), dtype=bool).reshape(-1)]
        if len(present) == 0:
            return {}
        rows = np.asarray(self.graph.get(present, dtype="f32"), dtype=np.float32)
        rows = rows.reshape(len(present), self.dim)  # one batched call, not one per key
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows = np.divide(rows, norms, out=rows.copy(), where=norms > 0)
        return {int(key): rows[i] for i, key in enumerate(present)}

    def save(self) -> None:
        """Write to a temporary file, fsync it, then atomically replace the old one."""
        if not self.dirty and self.path.exists():
            return
        if self.removed:
            self.overwrite_removed()
        tmp = self.path.with_name(self.path.name + ".tmp")
        self.graph.save(str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        self.dirty = False

    def __len__(self) -> int:
        return len(self.graph)

    def chunk_count(self) -> int:
        """Chunks holding a vector (the constant vectors over removed ones left out)."""
        keys = np.asarray(self.graph.keys, dtype=np.uint64)
        return int(np.count_nonzero(keys < np.uint64(_BLANK_KEYS_FROM)))
