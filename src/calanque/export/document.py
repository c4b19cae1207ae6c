"""What an export shows: the turns of a thread, their citations and the sources' consent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from calanque.answer.labels import visible_label
from calanque.catalog.conversations import Message
from calanque.errors import SourceError

FORMATS = ("md", "html")
ExportFormat = Literal["md", "html"]
ConsentLookup = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class ExportedCitation:
    n: int
    url: str
    title: str
    quote: str
    fragment_url: str
    consent: str  # e.g. "allowed (robots.txt)", or why it is unknown
    withdrawn: str = ""  # set when the publisher withdrew the page: no quote, no link

    @property
    def is_withdrawn(self) -> bool:
        return bool(self.withdrawn)


@dataclass(frozen=True)
class ExportedTurn:
    question: str
    answer: str
    asked_at: str
    label: str  # the visible AI-generated label
    citations: tuple[ExportedCitation, ...] = ()


@dataclass(frozen=True)
class ExportedThread:
    id: str
    title: str
    exported_at: str
    turns: tuple[ExportedTurn, ...]


def consent_text(decision: dict[str, Any] | None, url: str = "") -> str:
    """A source's consent status as a reader sees it."""
    if decision is None and url.startswith("file:"):
        return "a local file of the operator's (no publisher to ask)"
    if decision is None:
        return "no decision recorded (a page read live, or collected before the ledger)"
    verdict = "allowed" if decision.get("allowed") else "refused"
    signal = decision.get("signal") or "no signal"
    return f"{verdict} ({signal}, decided {str(decision.get('decided_at') or '')[:10]})"


def _citation(raw: dict[str, Any], consent: ConsentLookup) -> ExportedCitation:
    url = str(raw.get("url", ""))
    return ExportedCitation(
        n=int(raw.get("n", 0)),
        url=url,
        title=str(raw.get("title", "")),
        quote=str(raw.get("quote", "")),
        fragment_url=str(raw.get("fragment_url", "")),
        consent=consent_text(consent(url), url),
        withdrawn=str(raw.get("withdrawn", "")),
    )


def _turn(question: str, reply: Message, consent: ConsentLookup) -> ExportedTurn:
    payload = reply.payload or {}
    label = visible_label(
        str(payload.get("language", "en")),
        str(payload.get("writer", "")),
        str(payload.get("model", "")),
    )
    citations = tuple(_citation(c, consent) for c in payload.get("citations", []))
    return ExportedTurn(question, reply.content, reply.created_at, label, citations)


def export_thread(
    thread_id: str, title: str, messages: list[Message], consent: ConsentLookup
) -> ExportedThread:
    """The turns of ``messages`` (question, then answer), ready to render."""
    turns: list[ExportedTurn] = []
    question = ""
    for message in messages:
        if message.role == "user":
            question = message.content
        elif message.role == "assistant":
            turns.append(_turn(question, message, consent))
            question = ""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return ExportedThread(
        thread_id, title or (turns[0].question if turns else ""), now, tuple(turns)
    )


def thread_export(catalog: Any, thread_id: str) -> ExportedThread:
    """A stored thread of ``catalog``, with the consent status of every cited page."""
    messages = catalog.threads.messages(thread_id)
    if not messages:
        raise SourceError(
            f"no thread {thread_id!r} with answers: list the threads with GET /v1/threads "
            "(answers from `calanque ask` are stored with --save)."
        )
    title = next((m.content for m in messages if m.role == "user"), "")
    return export_thread(thread_id, title, messages, catalog.consent_for)
