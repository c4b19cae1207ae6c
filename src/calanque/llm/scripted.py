"""``ScriptedLLM``: a fake chat model that replies from a script (unit tests only)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from calanque.errors import ModelError
from calanque.llm.base import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, Message


class ScriptedLLM:
    """Replies with the given texts in turn (the last one repeats), in small deltas.

    Every call's messages are kept in :attr:`calls` so tests can inspect prompts.
    """

    name = "scripted"

    def __init__(
        self, replies: str | Sequence[str], model: str = "scripted-1", delta_chars: int = 7
    ) -> None:
        self.replies = [replies] if isinstance(replies, str) else list(replies)
        if not self.replies:
            raise ModelError("ScriptedLLM needs at least one reply")
        self.model = model
        self.delta_chars = max(1, delta_chars)
        self.calls: list[list[Message]] = []

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> Iterator[str]:
        reply = self.replies[min(len(self.calls), len(self.replies) - 1)]
        self.calls.append([dict(m) for m in messages])
        for start in range(0, len(reply), self.delta_chars):
            yield reply[start : start + self.delta_chars]
