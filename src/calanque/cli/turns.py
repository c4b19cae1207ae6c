"""One question and its answer in the terminal, as ``ask`` and ``chat`` both take them.

The thread an answer goes to, the scope it is answered from, storing the turn, and the
sources printed under it. Every crawled string goes through :func:`safe_text`.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from calanque.answer.labels import visible_label
from calanque.catalog.publishers import log_served_citations
from calanque.cli.common import STATE, out, safe_text
from calanque.errors import SourceError
from calanque.index.spaces import Narrowed, scope_within
from calanque.types import Answer, Citation
from calanque.views import answer_json
from calanque.web import SCOPES, default_scope


def thread_history(thread_id: str) -> list[tuple[str, str]]:
    """The earlier turns of a stored thread; a clear error when there is no such thread."""
    if not STATE.catalog.threads.exists(thread_id):
        raise SourceError(
            f"no thread {thread_id!r}: omit --thread to start a new one "
            "(the thread id is printed under each answer)."
        )
    return STATE.catalog.threads.history(thread_id)


def answer_scope(scope: str | None, web: bool, narrowed: Narrowed) -> str:
    """Where the answer comes from: ``--scope``, ``--web``, the space, or the default."""
    if web and scope not in (None, "web"):
        raise SourceError(f"--web means --scope web: drop one of --web and --scope {scope}.")
    asked = "web" if web else scope
    chosen = scope_within(narrowed, asked, default_scope(STATE.settings))
    if chosen not in SCOPES:
        raise SourceError(f"--scope must be one of {', '.join(SCOPES)}, not {chosen!r}.")
    return chosen


def store_turn(thread_id: str, question: str, answer: Answer) -> dict[str, Any]:
    """Store the question and answer in ``thread_id`` ("" for none: then only which pages it
    cited is logged, for the publisher reports); the answer's JSON."""
    payload = answer_json(answer)
    if thread_id:
        STATE.catalog.threads.add(thread_id, "user", question)
        STATE.catalog.threads.add(thread_id, "assistant", answer.answer, payload)
    elif answer.answered:
        log_served_citations(STATE.catalog.engine, [c.url for c in answer.citations])
    return payload


def show_sources(answer: Answer) -> None:
    """The numbered sources with their quotes, the pages not read, related questions, the
    AI label."""
    quotes: dict[int, list[Citation]] = {}
    for citation in answer.citations:  # every quote of a source, in the answer's order
        quotes.setdefault(citation.n, []).append(citation)
    numbered = [r for r in answer.search_results if r.used]
    french = answer.language == "fr"
    if numbered:
        out.print("\n[bold]Sources[/bold]")
    for n, result in enumerate(numbered, 1):
        title = safe_text(result.title or result.url)
        date = f" · {safe_text(result.date)}" if result.date else ""
        out.print(f"[bold cyan]\\[{n}][/bold cyan] {title}{date}\n    {safe_text(result.url)}")
        for cited in quotes.get(n, []):
            out.print(f"    [italic]« {safe_text(cited.quote)} »[/italic]")
            out.print(f"    {safe_text(cited.fragment_url)}", style="dim")
    _show_unused(answer)
    if answer.related_questions:
        out.print(f"\n[bold]{'Pour aller plus loin' if french else 'Related'}[/bold]")
        for question in answer.related_questions:
            out.print(f"  • {safe_text(question)}")
    label = visible_label(answer.language, answer.writer, answer.model)
    stored = f" · thread {answer.thread_id}" if answer.thread_id else ""
    out.print(f"\n[dim]{escape(label)}{stored}[/dim]")


def _show_unused(answer: Answer) -> None:
    """Web results whose text was not read, and why (refused, failed, not needed)."""
    unused = [r for r in answer.search_results if not r.used]
    if unused:
        out.print("\n[bold]Not read[/bold]")
    for result in unused:
        out.print(f"  • {safe_text(result.url)} [dim]({safe_text(result.reason)})[/dim]")
    for warning in answer.warnings:
        out.print(f"[yellow]{safe_text(warning)}[/yellow]")


def scope_option() -> Any:
    """``--scope`` of ``ask`` and ``chat``."""
    return typer.Option(
        None,
        "--scope",
        help="web, sources or all (default: all when a web search provider is configured, "
        "else sources).",
    )


def web_option() -> Any:
    """``--web`` of ``ask`` and ``chat``: ``--scope web``."""
    return typer.Option(False, "--web", help="Answer from the web: --scope web.")
