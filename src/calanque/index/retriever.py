"""``Retriever``: query → embedding → lexical + dense → fusion → rescoring → hits."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np

from calanque.embed.base import Embedder
from calanque.errors import ConfigError
from calanque.index.base import Index, dense_pending
from calanque.index.fusion import collapse_near_duplicates, rrf_fuse, spread_pages
from calanque.index.words import language_of
from calanque.rerank.base import DenseRescorer, Reranker
from calanque.types import Hit, SearchFilters

MAX_EMBED_MISSING = 200  # chunks embedded at search time, at most (a few seconds' work)
Mode = Literal["lexical", "dense", "hybrid", "hybrid+rescore"]
MODES: tuple[str, ...] = ("lexical", "dense", "hybrid", "hybrid+rescore")


@dataclass(frozen=True)
class RetrievalConfig:
    """The knobs of retrieval; defaults are to be tuned on the evaluation sets.

    ``candidates``: top-k taken from each method before fusion.
    ``rrf_k``, ``lexical_weight``, ``dense_weight``: weighted RRF, Σ w / (rrf_k + rank).
    ``rescore_weight``: share of the cosine in the rescored score (rest: fused score).
    ``collapse_threshold``: cosine above which two chunks count as near-identical.
    ``translate``: the lexical query also carries the corpus's words, in the other language,
    for the question's words (:mod:`calanque.index.words`), where the backend keeps them.
    ``language_shift``: how much of its language's direction (the mean vector of the
    corpus's chunks in the query's language less the mean of both languages' means) is
    taken out of the query's vector before the dense search and the rescoring, so that a
    French question finds an English page as readily as a French one (multilingual
    embedders keep a language component in every vector); where the backend measures
    those means (``language_means``, both backends; :func:`calanque.index.base.mean_vectors`).
    0.6 was chosen on the tune halves of the five answer domains (docs/benchmarks.md,
    "Tenth round").
    ``embed_missing``: how many of the best fused candidates are embedded at search time
    when the dense pass has not reached them yet (:class:`~calanque.rerank.DenseRescorer`;
    0: they rank by their words alone until it does).
    """

    mode: Mode = "hybrid+rescore"
    candidates: int = 50
    rrf_k: float = 20.0  # tuned: mean nDCG@10 0.805 -> 0.814 over five sets (bench/retrieval.py)
    lexical_weight: float = 1.0
    dense_weight: float = 1.0
    rescore_weight: float = 0.9
    collapse_threshold: float = 0.97
    translate: bool = True
    language_shift: float = 0.6
    embed_missing: int = 20

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"unknown retrieval mode {self.mode!r}: use one of {MODES}")
        if self.candidates < 1 or self.rrf_k < 0:
            raise ConfigError("retrieval candidates must be ≥ 1 and rrf_k ≥ 0")
        if not 0 <= self.language_shift <= 1:
            raise ConfigError("index.language_shift must be in 0..1")
        if not 0 <= self.embed_missing <= MAX_EMBED_MISSING:
            raise ConfigError(f"index.embed_missing must be in 0..{MAX_EMBED_MISSING}")


# A listing spread over pages picks its k hits among this many times k
_SPREAD_DEPTH = 3
_LEXICAL_WORKERS = 4  # lexical searches run at once beside their queries' embeddings
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lexical_pool() -> ThreadPoolExecutor:
    """The threads that search lexically during hybrid search (one pool per process)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_LEXICAL_WORKERS, thread_name_prefix="calanque-lexical")
        return _pool


def _forget_pool() -> None:
    """In a forked child: the parent's threads are not there, so a new pool is made."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


class Retriever:
    """Searches an :class:`Index` with queries embedded by ``embedder``."""

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        config: RetrievalConfig | None = None,
        reranker: Reranker | None = None,
        ahead: Embedder | None = None,
    ) -> None:
        """``ahead``: ``embedder`` without its lock, where it has one (the server's), for
        the candidates embedded at search time (:class:`~calanque.rerank.DenseRescorer`)."""
        self.index = index
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self.reranker = reranker or DenseRescorer(
            index, self.config.rescore_weight, embedder, self.config.embed_missing, ahead
        )
        # the last query's translations, for the writer that asks right after the search
        self._translated: tuple[str, float, dict[str, list[str]]] | None = None

    def index_state(self) -> dict[str, int | bool]:
        """What answers say about the index they searched: chunks still without a vector
        (the dense pass has not reached them; found by their words, and ranked by meaning
        only where a search embedded them, ``RetrievalConfig.embed_missing``)."""
        pending = dense_pending(self.index)
        return {"dense_pending": pending, "complete": pending == 0}

    def search(
        self,
        query: str,
        k: int = 10,
        filters: SearchFilters | None = None,
        mode: Mode | None = None,
        per_page: int = 0,
    ) -> list[Hit]:
        """Top-``k`` hits for ``query`` under ``filters``, by ``mode`` (default: config).

        ``per_page``: at most this many chunks of one page among the hits while other
        pages' chunks are found (:func:`~calanque.index.fusion.spread_pages`), for a
        listing of pages; 0 (answers' passages) keeps the ranking as it is.
        """
        if per_page > 0:
            found = self.search(query, _SPREAD_DEPTH * k, filters, mode)
            return spread_pages(found, per_page, k)
        chosen = mode or self.config.mode
        filters = filters or SearchFilters()
        if chosen == "lexical":
            return self.search_lexical(query, k, filters)
        if chosen == "dense":
            return self.search_dense(query, k, filters)
        if chosen in ("hybrid", "hybrid+rescore"):
            return self.search_hybrid(query, k, filters, rescore=chosen == "hybrid+rescore")
        raise ConfigError(f"unknown retrieval mode {chosen!r}: use one of {MODES}")

    def search_lexical(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[Hit]:
        vectors = self._word_vectors(query)
        hits = self._lexical(query, 2 * k, filters or SearchFilters(), vectors)
        return collapse_near_duplicates(hits, limit=k)

    def search_dense(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[Hit]:
        vector = self._query_vector(query)
        hits = self.index.search_dense(vector, 2 * k, filters or SearchFilters())
        return collapse_near_duplicates(hits, limit=k)

    def search_hybrid(
        self,
        query: str,
        k: int = 10,
        filters: SearchFilters | None = None,
        rescore: bool = True,
    ) -> list[Hit]:
        filters = filters or SearchFilters()
        config = self.config
        depth = max(config.candidates, k)
        native = getattr(self.index, "search_hybrid", None)
        if callable(native) and config.lexical_weight == config.dense_weight:
            # the backend fuses itself (Milvus's RRFRanker); equal weights only
            vector = self._query_vector(query)
            fused: list[Hit] = native(query, vector, depth, filters, config.rrf_k)
            return self._finish(query, vector, fused, k, rescore)
        # The lexical search runs in another thread while this one embeds the query and
        # searches densely: on two cores both finish in about the time of the slower
        # (bench/search.py). This thread goes straight into the engine's C code, which lets
        # the other run Python at once. So a caller must not hold the server's index lock
        # around a search (the other thread would wait for it): the server never does.
        vectors = self._word_vectors(query)  # here: the model embeds one text at a time
        lexical_search = _lexical_pool().submit(self._lexical, query, depth, filters, vectors)
        try:
            vector = self._query_vector(query)
            dense = self.index.search_dense(vector, depth, filters)
        except BaseException:
            lexical_search.cancel()  # if it has not started; else it ends on its own
            raise
        lexical = lexical_search.result()
        fused = rrf_fuse(
            [lexical, dense], [config.lexical_weight, config.dense_weight], config.rrf_k
        )
        return self._finish(query, vector, fused, k, rescore)

    def _query_vector(self, query: str) -> np.ndarray:
        """The query's vector less ``language_shift`` times its language's direction (see
        :class:`RetrievalConfig`); as embedded where the language is unclear or the backend
        does not keep both languages' means."""
        vector = self.embedder.embed_query(query)
        means = getattr(self.index, "language_means", None)
        if not self.config.language_shift or not callable(means):
            return vector
        found: dict[str, np.ndarray] = means()
        language = language_of(query)
        if language not in found or len(found) < 2:
            return vector
        direction = found[language] - np.mean(np.stack(list(found.values())), axis=0)
        shifted = vector - self.config.language_shift * direction
        return (shifted / np.linalg.norm(shifted)).astype(vector.dtype, copy=False)

    def _word_vectors(self, query: str) -> dict[str, np.ndarray] | None:
        """Vectors of the query's words the corpus does not use, for their translation;
        None when nothing is translated (not configured, or a backend without words)."""
        unknown = getattr(self.index, "unknown_words", None)
        if not self.config.translate or not callable(unknown):
            return None
        words = list(unknown(query))
        if not words:
            return {}
        return dict(zip(words, self.embedder.embed_passages(words), strict=True))

    def _lexical(
        self,
        query: str,
        k: int,
        filters: SearchFilters,
        vectors: dict[str, np.ndarray] | None,
    ) -> list[Hit]:
        """BM25 hits for ``query`` and, when ``vectors`` is given, its words' translations."""
        if vectors is not None:
            found = self.index.translations(query, vectors)  # type: ignore[attr-defined]
            self._translated = (query, time.monotonic(), found)
            extra = dict.fromkeys(word for words in found.values() for word in words)
            if extra:
                query = f"{query} {' '.join(extra)}"
        return self.index.search_lexical(query, k, filters)

    def repeated_lines(self) -> frozenset[int]:
        """The keys of the lines the corpus's sites open or close their pages on
        (:mod:`calanque.index.boilerplate`); none where the index keeps no words."""
        found = getattr(self.index, "repeated_lines", None)
        return found() if callable(found) else frozenset()

    def translations(self, query: str) -> dict[str, list[str]]:
        """The corpus's words in the other language for each of the query's words that has
        some (what its lexical search adds; the extractive writer matches them too). The
        search that just ran for ``query`` computed them: they are taken from it."""
        last = self._translated
        if last is not None and last[0] == query and time.monotonic() - last[1] < 5.0:
            return dict(last[2])
        vectors = self._word_vectors(query)
        if vectors is None:
            return {}
        return dict(self.index.translations(query, vectors))  # type: ignore[attr-defined]

    def _finish(
        self, query: str, vector: np.ndarray, fused: list[Hit], k: int, rescore: bool
    ) -> list[Hit]:
        if not rescore:
            return collapse_near_duplicates(fused, limit=k)
        rescored = getattr(self.reranker, "rescored", None)
        if callable(rescored):  # the stored vectors it read: the index is asked once
            ranked, stored = rescored(query, vector, fused)
        else:
            ranked = self.reranker.rerank(query, vector, fused)
            stored = self.index.get_vectors([hit.chunk_id for hit in ranked[: 3 * k]])
        top = {hit.chunk_id for hit in ranked[: 3 * k]}
        vectors = {cid: v for cid, v in stored.items() if cid in top}
        return collapse_near_duplicates(ranked, vectors, self.config.collapse_threshold, limit=k)
