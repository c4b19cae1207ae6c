"""The ``Index`` protocol every search backend satisfies (embedded, scale-out).

A backend stores :class:`~calanque.types.IndexedChunk` rows with their vectors and
answers lexical and dense top-k searches under :class:`~calanque.types.SearchFilters`.
It remembers the catalog position it has applied, so a catch-up after a crash replays
from there: ``upsert`` replaces a chunk with the same id and ``delete`` of a missing id
is a no-op, which makes replays idempotent.

A backend may also be *progressive* (:class:`ProgressiveIndex`, the embedded one is):
chunks are stored for lexical search first, without vectors, and their vectors are added
later by a dense pass (:func:`calanque.index.sync.fill_dense`). Its position then says
what the lexical side has applied; the chunks still without a vector are its *dense
pending* set, derived from what is stored, so a crash loses none of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


@runtime_checkable
class ProgressiveIndex(Protocol):
    """An index whose chunks can be searchable lexically before they have a vector."""

    def upsert_lexical(self, chunks: Sequence[IndexedChunk]) -> None:
        """Add or replace ``chunks`` without vectors: they become dense pending (a chunk
        whose title, heading and text did not change keeps its vector)."""
        ...

    def add_vectors(self, chunks: Sequence[IndexedChunk], vectors: np.ndarray) -> int:
        """Store the vectors of ``chunks`` that are still held with the same content
        (others were changed or deleted meanwhile: ignored); returns how many were kept."""
        ...

    def dense_pending(self, limit: int, after: int = 0) -> list[int]:
        """Up to ``limit`` ids above ``after``, ascending, of chunks held without a vector."""
        ...

    def dense_pending_count(self) -> int: ...

    def save_dense(self) -> None:
        """Make the vectors added so far durable (the position does not move)."""
        ...


@dataclass(frozen=True)
class IndexState:
    """How much of the index is searchable each way (``calanque status``, answers' metadata)."""

    lexical: int  # chunks searchable lexically
    dense: int  # of those, with a vector
    dense_pending: int  # of those, still without a vector
    position: int  # the catalog change log position applied

    @property
    def complete(self) -> bool:
        return self.dense_pending == 0

    def to_dict(self) -> dict[str, int | bool]:
        return {
            "lexical": self.lexical,
            "dense": self.dense,
            "dense_pending": self.dense_pending,
            "complete": self.complete,
            "position": self.position,
        }


def index_state(index: Index) -> IndexState:
    """The state of ``index``; a backend that is not progressive is always complete."""
    info = index.info()
    pending = index.dense_pending_count() if isinstance(index, ProgressiveIndex) else 0
    return IndexState(
        lexical=info.count,
        dense=max(0, info.count - pending),
        dense_pending=pending,
        position=info.position,
    )


def dense_pending(index: Index) -> int:
    """Chunks of ``index`` searchable lexically but still without a vector (0 when the
    backend is not progressive: it stores both at once)."""
    return int(index.dense_pending_count()) if isinstance(index, ProgressiveIndex) else 0


# The languages whose mean vector a query's vector is shifted away from (see
# ``RetrievalConfig.language_shift``), measured on a sample of LANGUAGE_SAMPLE chunks, and
# only from LANGUAGE_MIN of a language (a mean of a handful of pages is those pages).
MEAN_LANGUAGES = ("fr", "en")
LANGUAGE_SAMPLE = 4000
LANGUAGE_MIN = 20


def mean_vectors(sampled: Mapping[str, Sequence[np.ndarray]]) -> dict[str, np.ndarray]:
    """The mean of each language's sampled vectors, for those with ``LANGUAGE_MIN``."""
    return {
        language: np.mean(np.stack(list(vectors)), axis=0)
        for language, vectors in sampled.items()
        if len(vectors) >= LANGUAGE_MIN
    }
