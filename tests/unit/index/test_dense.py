"""The usearch half of the embedded index: searches that miss nothing on a small corpus."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from calanque.index._dense import DenseStore


def test_every_vector_of_a_small_store_is_found_by_itself(tmp_path: Path) -> None:
    """HNSW is approximate: over 1,000 clustered vectors (embeddings of one corpus are
    close to each other), a few were not the first hit of their own vector, and over the
    Debian Policy corpus the chunk that answered a question was out of reach. A store this
    small is searched exhaustively."""
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((6, 384)).astype(np.float32)
    vectors = centres[rng.integers(0, 6, 1000)] * 3 + rng.standard_normal((1000, 384))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    store = DenseStore(tmp_path / "vectors.usearch", 384)
    for start in range(0, len(vectors), 32):  # as the dense pass adds them, batch by batch
        batch = vectors[start : start + 32]
        store.upsert(list(range(start + 1, start + 1 + len(batch))), batch)
    missed = [i + 1 for i, v in enumerate(vectors) if store.search(v, 20)[0][0] != i + 1]
    assert missed == []
