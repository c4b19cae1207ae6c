"""The ``LLM`` protocol: chat messages in, a stream of text deltas out.

One abstract method, :meth:`LLM.stream`; :func:`complete` is built on it.
Backends: :class:`~calanque.llm.openai_compat.OpenAICompatibleLLM` (any
OpenAI-compatible endpoint), :class:`~calanque.llm.llamacpp.LlamaCppLLM` (a local
GGUF file, ``calanque[local]``) and :class:`~calanque.llm.scripted.ScriptedLLM`
(a fake for tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}
DEFAULT_MAX_TOKENS = 512
DEFAULT_TEMPERATURE = 0.1


@runtime_checkable
class LLM(Protocol):
    """A chat model. ``name`` is the backend, ``model`` the model it runs."""

    name: str
    model: str

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> Iterator[str]:
        """Yield the reply's text as it is generated (non-empty deltas)."""
        ...


def complete(
    llm: LLM,
    messages: list[Message],
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    temperature: float = DEFAULT_TEMPERATURE,
) -> str:
    """The whole reply as one string."""
    return "".join(llm.stream(messages, max_tokens=max_tokens, temperature=temperature))
