"""The usearch half of the embedded index: an HNSW graph of unit vectors keyed by chunk id."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from usearch.index import Index as UsearchIndex

from calanque.errors import IndexBackendError


class DenseStore:
    """Cosine HNSW over ``dim``-d vectors, saved atomically to ``path``."""

    def __init__(self, path: Path, dim: int, dtype: str = "f16") -> None:
        self.path = path
        self.dim = dim
        self.dtype = dtype
        self.dirty = False
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
            self.dirty = True

    def search(self, vector: np.ndarray, count: int) -> list[tuple[int, float]]:
        """(chunk id, cosine similarity) of the ``count`` nearest vectors."""
        if len(self.graph) == 0 or count <= 0:
            return []
        matches = self.graph.search(np.asarray(vector, dtype=np.float32), count)
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
        tmp = self.path.with_name(self.path.name + ".tmp")
        self.graph.save(str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        self.dirty = False

    def __len__(self) -> int:
        return len(self.graph)
