"""Chat models behind one small protocol (DESIGN.md, step 9)."""

from calanque.llm.base import LLM, Message, complete
from calanque.llm.llamacpp import LlamaCppLLM
from calanque.llm.openai_compat import OpenAICompatibleLLM
from calanque.llm.scripted import ScriptedLLM

__all__ = ["LLM", "LlamaCppLLM", "Message", "OpenAICompatibleLLM", "ScriptedLLM", "complete"]
