"""Language models that write answers: the LLM protocol and its backends.

The backends are imported on first use (``calanque.llm.OpenAICompatibleLLM``), so a
command that never talks to a model does not pay for importing the ``openai`` client.
"""

from typing import Any

from calanque.llm.base import LLM, Message, complete

_BACKENDS = {
    "LlamaCppLLM": "calanque.llm.llamacpp",
    "OpenAICompatibleLLM": "calanque.llm.openai_compat",
    "ScriptedLLM": "calanque.llm.scripted",
}

__all__ = ["LLM", "LlamaCppLLM", "Message", "OpenAICompatibleLLM", "ScriptedLLM", "complete"]


def __getattr__(name: str) -> Any:
    if name in _BACKENDS:
        import importlib

        return getattr(importlib.import_module(_BACKENDS[name]), name)
    raise AttributeError(f"module 'calanque.llm' has no attribute {name!r}")
