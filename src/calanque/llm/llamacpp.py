"""``LlamaCppLLM``: a local GGUF model through llama-cpp-python (``calanque[local]``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from calanque.errors import ModelError
from calanque.llm.base import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, Message


def _import_llama() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise ModelError(
            "the local writer needs llama-cpp-python: install it with "
            "`pip install 'calanque[local]'` (it builds from source, ~15 minutes on 2 cores), "
            "or use the extractive or openai writer"
        ) from exc
    return llama_cpp


class LlamaCppLLM:
    """Runs a GGUF file in-process. The model is loaded on first use."""

    name = "local"

    def __init__(self, model_path: str | Path, *, n_ctx: int = 4096, n_threads: int = 0) -> None:
        path = Path(model_path).expanduser()
        if not str(model_path) or not path.is_file():
            raise ModelError(
                f"the local model file {str(model_path)!r} does not exist: set "
                "answer.local_model_path to a .gguf file"
            )
        self.model_path = path
        self.model = path.name
        self.n_ctx = n_ctx
        self.n_threads = n_threads or None
        self._llama: Any = None
        self._lock = threading.Lock()  # one generation at a time per loaded model

    def _load(self) -> Any:
        if self._llama is None:
            llama_cpp = _import_llama()
            try:
                self._llama = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(f"llama.cpp could not load {self.model_path}: {exc}") from exc
        return self._llama

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> Iterator[str]:
        with self._lock:
            llama = self._load()
            try:
                chunks = llama.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True
                )
                for chunk in chunks:
                    delta = chunk["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"llama.cpp failed while generating: {exc}") from exc
