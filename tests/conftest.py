"""Shared test fixtures."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest

from calanque.index.fusion import normalized_text


class HashEmbedder:
    """A deterministic fake embedder for fast unit tests (never a default).

    Each word is hashed to a signed coordinate, so texts sharing words get close
    vectors: enough to test dense search, fusion and filters without a model.
    """

    def __init__(self, dim: int = 64, name: str = "test/hash") -> None:
        self.dim = dim
        self.name = name
        self.passage_calls = 0
        self.passages_embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in normalized_text(text).split() or ["<empty>"]:
            digest = hashlib.sha256(word.encode()).digest()
            index = int.from_bytes(digest[:4], "little") % self.dim
            vector[index] += 1.0 if digest[4] % 2 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0:
            vector[0] = 1.0
            return vector
        return vector / norm

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passage_calls += 1
        self.passages_embedded += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Quality gates, PostgreSQL and end-to-end tests are slow: ``-m "not slow"`` skips them.

    The fast lane (``bash scripts/test -m "not slow"``) then needs no system package, no
    corpus download and no server.
    """
    for item in items:
        if any(item.get_closest_marker(m) for m in ("quality", "postgres", "e2e")):
            item.add_marker(pytest.mark.slow)
