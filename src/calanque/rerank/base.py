"""The ``Reranker`` protocol and the default: dense rescoring of fused candidates.

No cross-encoder ships offline today, so the default "reranker" re-reads each fused
candidate's stored vector and mixes its cosine with the query into the fused score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from calanque.embed.base import passage_text
from calanque.types import Hit

if TYPE_CHECKING:
    from calanque.embed.base import Embedder
    from calanque.index.base import Index


@runtime_checkable
class Reranker(Protocol):
    def rerank(self, query: str, query_vector: np.ndarray, hits: Sequence[Hit]) -> list[Hit]:
        """Return ``hits`` reordered (best first) with new scores."""
        ...


def rescore(
    query_vector: np.ndarray,
    hits: Sequence[Hit],
    vectors: dict[int, np.ndarray],
    weight: float = 0.7,
    normalise: bool = False,
) -> list[Hit]:
    """``score = weight × cosine + (1 − weight) × fused score / best fused score``.

    With ``normalise``, the cosines are first spread over [0, 1] among the candidates
    (min-max): E5's cosines are compressed into ~0.75-0.95, so their raw differences
    are small next to the fused scores'. A hit without a stored vector (its chunk is
    still waiting for the dense pass, see calanque.index.sync) gets the median cosine of
    the hits that have one, so it ranks by its fused (lexical) score among them, neither
    first nor last; with no vector at all, the fused order stays. Stable for equal scores.
    """
    if not hits:
        return []
    best = max(hit.score for hit in hits) or 1.0
    query = np.asarray(query_vector, dtype=np.float32)
    known = {
        hit.chunk_id: float(vectors[hit.chunk_id] @ query)
        for hit in hits
        if hit.chunk_id in vectors
    }
    stand_in = float(np.median(list(known.values()))) if known else 0.0
    cosines = [known.get(hit.chunk_id, stand_in) for hit in hits]
    if normalise:
        low, high = min(cosines), max(cosines)
        cosines = [(c - low) / (high - low) if high > low else 1.0 for c in cosines]
    scored = [
        hit.with_score(weight * cosine + (1.0 - weight) * hit.score / best)
        for hit, cosine in zip(hits, cosines, strict=True)
    ]
    return sorted(scored, key=lambda hit: -hit.score)


class DenseRescorer:
    """Rescores candidates by the cosine of their stored vectors (see :func:`rescore`).

    ``embed_missing``: while the dense pass has not reached them, the best of the fused
    candidates still without a vector (among the first ``embed_missing``) are embedded now,
    as the dense pass will embed them (:func:`~calanque.embed.base.passage_text`), so that
    an index searchable by its words alone ranks its candidates by meaning too. Through the
    runtime's embedding cache, the dense pass then finds those vectors computed.
    ``ahead``: the embedder to compute them with, when ``embedder`` runs its calls under a
    lock (the server's): the cache is filled without holding it, as the dense pass does, so
    other questions' embeddings do not wait for these (``embedder`` then reads the cache).
    """

    def __init__(
        self,
        index: Index,
        weight: float = 0.7,
        embedder: Embedder | None = None,
        embed_missing: int = 0,
        ahead: Embedder | None = None,
    ) -> None:
        self.index = index
        self.weight = weight
        self.embedder = embedder
        self.embed_missing = embed_missing
        self.ahead = ahead

    def rerank(self, query: str, query_vector: np.ndarray, hits: Sequence[Hit]) -> list[Hit]:
        return self.rescored(query, query_vector, hits)[0]

    def rescored(
        self, query: str, query_vector: np.ndarray, hits: Sequence[Hit]
    ) -> tuple[list[Hit], dict[int, np.ndarray]]:
        """:meth:`rerank`, and the stored vectors it read (by chunk id), which the
        retriever's near-duplicate collapse reads in turn, so the index is asked once.
        Those computed at search time are left out of them: collapsing with them too
        changed ten answers before the dense pass and cost a held-out key fact
        (docs/benchmarks.md, "Twentieth round")."""
        stored = self.index.get_vectors([hit.chunk_id for hit in hits])
        vectors = dict(stored)
        if self.embedder is not None and self.embed_missing > 0:
            missing = [h for h in hits[: self.embed_missing] if h.chunk_id not in vectors]
            if missing:
                vectors.update(self._embed_now(self.embedder, missing))
        return rescore(query_vector, hits, vectors, self.weight), stored

    def _embed_now(self, embedder: Embedder, hits: list[Hit]) -> dict[int, np.ndarray]:
        texts = [passage_text(h) for h in hits]
        ahead = self.ahead
        if ahead is None or ahead is embedder or not hasattr(ahead, "forget_passages"):
            ahead = None  # no cache to fill first: computed once, by the embedder
        if ahead is not None:
            ahead.embed_passages(texts)  # into the cache, outside the embedder's lock
        found = embedder.embed_passages(texts)
        # A chunk deleted (an opt-out, a page gone) while it was embedded: the deletion
        # dropped its text's cached vectors before this call wrote one; drop that too.
        stored = getattr(self.index, "stored_chunks", None)
        forget = getattr(ahead or embedder, "forget_passages", None)
        if callable(stored) and callable(forget):
            held = {c.chunk_id for c in stored([h.chunk_id for h in hits])}
            gone = [t for h, t in zip(hits, texts, strict=True) if h.chunk_id not in held]
            if gone:
                forget(gone)
        return dict(zip((h.chunk_id for h in hits), found, strict=True))
