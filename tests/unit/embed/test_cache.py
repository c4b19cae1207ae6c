from __future__ import annotations

from pathlib import Path

import numpy as np
from tests.conftest import HashEmbedder

from calanque.embed.cache import CachedEmbedder, content_key


def test_never_embeds_a_text_twice(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cached = CachedEmbedder.in_folder(inner, tmp_path)
    first = cached.embed_passages(["alpha", "beta", "alpha"])
    assert inner.passages_embedded == 2  # duplicate inside the batch embedded once
    second = cached.embed_passages(["beta", "gamma", "alpha"])
    assert inner.passages_embedded == 3  # only "gamma" is new
    np.testing.assert_allclose(second[0], first[1], atol=1e-3)
    np.testing.assert_allclose(first[0], first[2])
    assert second.dtype == np.float32 and second.shape == (3, inner.dim)
    np.testing.assert_allclose(np.linalg.norm(second, axis=1), 1.0, atol=1e-5)
    cached.close()


def test_cache_survives_reopening(tmp_path: Path) -> None:
    cached = CachedEmbedder.in_folder(HashEmbedder(), tmp_path)
    vectors = cached.embed_passages(["un texte", "another text"])
    cached.close()
    fresh = HashEmbedder()
    reopened = CachedEmbedder.in_folder(fresh, tmp_path)
    again = reopened.embed_passages(["another text", "un texte"])
    assert fresh.passages_embedded == 0
    np.testing.assert_allclose(again, vectors[::-1], atol=1e-3)
    assert len(reopened.cache) == 2
    reopened.close()


def test_key_depends_on_the_model(tmp_path: Path) -> None:
    assert content_key("a", "text") != content_key("b", "text")
    CachedEmbedder.in_folder(HashEmbedder(name="m1"), tmp_path).embed_passages(["x"])
    other = HashEmbedder(name="m2")
    CachedEmbedder.in_folder(other, tmp_path).embed_passages(["x"])
    assert other.passages_embedded == 1


def test_queries_are_not_persisted_but_memoised(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cached = CachedEmbedder.in_folder(inner, tmp_path)
    np.testing.assert_array_equal(cached.embed_query("q"), cached.embed_query("q"))
    assert len(cached.cache) == 0
    assert cached.embed_passages([]).shape == (0, inner.dim)
    cached.close()
