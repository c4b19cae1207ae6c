"""The ``Index`` protocol every search backend satisfies (embedded, scale-out).

A backend stores :class:`~calanque.types.IndexedChunk` rows with their vectors and
answers lexical and dense top-k searches under :class:`~calanque.types.SearchFilters`.
It remembers the catalog position it has applied, so a catch-up after a crash replays
from there: ``upsert`` replaces a chunk with the same id and ``delete`` of a missing id
is a no-op, which makes replays idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from calanque.types import Hit, IndexedChunk, SearchFilters


@dataclass(frozen=True)
class IndexInfo:
    """What built an index and how much it holds."""

    backend: str
    embedder: str
    dim: int
    count: int
    position: int


@runtime_checkable
class Index(Protocol):
    def upsert(self, chunks: Sequence[IndexedChunk], vectors: np.ndarray) -> None:
        """Add or replace ``chunks`` (row ``i`` of ``vectors`` belongs to ``chunks[i]``)."""
        ...

    def delete(self, chunk_ids: Sequence[int]) -> None:
        """Remove chunks; ids that are not in the index are ignored."""
        ...

    def search_lexical(self, query: str, k: int, filters: SearchFilters) -> list[Hit]:
        """BM25 top-``k``; ``Hit.score`` is the BM25 score."""
        ...

    def search_dense(self, vector: np.ndarray, k: int, filters: SearchFilters) -> list[Hit]:
        """Nearest chunks to a unit ``vector``; ``Hit.score`` is the cosine similarity."""
        ...

    def get_vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors of the chunks that exist (used by dense rescoring)."""
        ...

    def commit(self, position: int) -> None:
        """Make every change durable, then record ``position`` as applied."""
        ...

    def position(self) -> int:
        """The catalog position whose changes are all durably applied (0 when new)."""
        ...

    def info(self) -> IndexInfo: ...

    def close(self) -> None: ...
