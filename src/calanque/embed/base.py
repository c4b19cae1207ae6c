"""The ``Embedder`` protocol: text in, L2-normalised float32 vectors out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

# The packaged model (multilingual-e5-small) reads 512 tokens at a time; a longer text is
# embedded window by window, each window a full pass. A query past the first window adds
# cost and hardly any meaning, so queries are cut before embedding. A token of its
# vocabulary is rarely shorter than 4 characters on average, so 512 tokens cover at most
# about this many characters.
MODEL_MAX_TOKENS = 512
MAX_QUERY_CHARS = MODEL_MAX_TOKENS * 4


class Titled(Protocol):
    """A chunk or a search hit: a text under a page title and a section heading."""

    @property
    def title(self) -> str: ...

    @property
    def heading(self) -> str: ...

    @property
    def text(self) -> str: ...


def passage_text(chunk: Titled) -> str:
    """What the embedder sees for a chunk: its title and heading give the passage context.
    The dense pass and a search that embeds a chunk ahead of it must agree on it (the
    embedding cache is keyed by this text)."""
    context = " — ".join(part for part in (chunk.title, chunk.heading) if part)
    return f"{context}\n{chunk.text}" if context else chunk.text


def clip_query(text: str) -> str:
    """``text`` cut to :data:`MAX_QUERY_CHARS`, at a word boundary when there is one."""
    if len(text) <= MAX_QUERY_CHARS:
        return text
    cut = text[:MAX_QUERY_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > MAX_QUERY_CHARS // 2 else cut


@runtime_checkable
class Embedder(Protocol):
    """Turns passages and queries into unit vectors of ``dim`` floats.

    ``name`` identifies the model (and its settings) that produced the vectors:
    an index built with one name cannot be searched with another.
    """

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape ``(len(texts), dim)``, rows L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Return a float32 vector of shape ``(dim,)``, L2-normalised."""
        ...


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Return ``vectors`` as float32 with each row scaled to unit length (zero rows kept)."""
    out = np.asarray(vectors, dtype=np.float32)
    if out.ndim == 1:
        norm = float(np.linalg.norm(out))
        return out / norm if norm > 0 else out
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (out / norms).astype(np.float32, copy=False)
