"""``calanque ask``: a cited, verified answer in the terminal, kept in a thread with --save."""

from __future__ import annotations

from typing import Any

import typer
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from calanque.answer.labels import visible_label
from calanque.catalog.publishers import log_served_citations
from calanque.cli.common import STATE, console, out, plain_text, print_json, safe_text
from calanque.cli.spaces import SPACE_OPTION_HELP, within_space
from calanque.errors import SourceError
from calanque.index.filters import build_filters
from calanque.index.spaces import Narrowed, scope_within
from calanque.registry import WRITERS, one_of
from calanque.types import Answer
from calanque.views import answer_json
from calanque.web import SCOPES, default_scope


def _thread(thread: str | None, question: str, save: bool) -> tuple[str, list[tuple[str, str]]]:
    """The thread to store the answer in ("" for none) and its earlier turns."""
    threads = STATE.catalog.threads
    if thread is None:
        return (threads.create(question) if save else ""), []
    if not threads.exists(thread):
        raise SourceError(
            f"no thread {thread!r}: omit --thread to start a new one "
            "(the thread id is printed under each answer)."
        )
    return thread, threads.history(thread)


def _show_sources(answer: Answer) -> None:
    quotes = {c.n: c for c in answer.citations}
    numbered = [r for r in answer.search_results if r.used]
    if numbered:
        out.print("\n[bold]Sources[/bold]")
    for n, result in enumerate(numbered, 1):
        title = safe_text(result.title or result.url)
        date = f" · {safe_text(result.date)}" if result.date else ""
        out.print(f"[bold cyan]\\[{n}][/bold cyan] {title}{date}\n    {safe_text(result.url)}")
        cited = quotes.get(n)
        if cited is not None:
            out.print(f"    [italic]« {safe_text(cited.quote)} »[/italic]")
            out.print(f"    {safe_text(cited.fragment_url)}", style="dim")
    _show_unused(answer)
    if answer.related_questions:
        out.print("\n[bold]Related[/bold]")
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


def _scope(scope: str | None, web: bool, narrowed: Narrowed) -> str:
    if web and scope not in (None, "web"):
        raise SourceError(f"--web means --scope web: drop one of --web and --scope {scope}.")
    asked = "web" if web else scope
    chosen = scope_within(narrowed, asked, default_scope(STATE.settings))
    if chosen not in SCOPES:
        raise SourceError(f"--scope must be one of {', '.join(SCOPES)}, not {chosen!r}.")
    return chosen


def _stream(engine: Any, question: str, **options: Any) -> Answer:
    final: Answer | None = None
    text = Text()
    with Live(text, console=out, refresh_per_second=12, transient=False) as live:
        for event in engine.stream(question, **options):
            if event.kind == "delta":
                text.append(plain_text(event.text))
            elif event.kind == "final":
                final = event.answer
                live.update(
                    Text(plain_text(final.answer))
                )  # the verified text replaces the raw deltas
    assert final is not None
    return final


def ask(
    question: str = typer.Argument(..., help="Your question, in French or English."),
    thread: str | None = typer.Option(
        None, "--thread", help="Continue this stored thread (its id); the answer is stored too."
    ),
    save: bool = typer.Option(
        False, "--save", help="Store the question and answer as a thread (the web page's history)."
    ),
    writer: str | None = typer.Option(None, "--writer", help=f"{one_of(WRITERS)}."),
    site: list[str] = typer.Option([], "--site", help="Only this site (repeatable)."),
    exclude_site: list[str] = typer.Option(
        [], "--exclude-site", help="Never this site (repeatable)."
    ),
    lang: list[str] = typer.Option(
        [], "--lang", help="Only sources in this language (repeatable)."
    ),
    since: str = typer.Option("", "--since", help="YYYY-MM-DD, or day / week / month / year."),
    scope: str | None = typer.Option(
        None,
        "--scope",
        help="web, sources or all (default: all when a web search provider is configured, "
        "else sources).",
    ),
    web: bool = typer.Option(False, "--web", help="Answer from the web: --scope web."),
    space: str | None = typer.Option(None, "--space", help=SPACE_OPTION_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Answer a question from the indexed sources or the web, with verified citations."""
    if writer is not None and writer not in WRITERS:
        raise SourceError(f"--writer must be one of {', '.join(WRITERS)}, not {writer!r}.")
    if not question.strip():
        raise SourceError("the question is empty: write a question.")
    narrowed = within_space(space, build_filters(site, exclude_site, lang, since))
    chosen_scope = _scope(scope, web, narrowed)
    thread_id, history = _thread(thread, question, save)
    engine = STATE.runtime.engine(writer or STATE.settings.answer.writer)
    options: dict[str, Any] = {
        "history": history,
        "filters": narrowed.filters,
        "thread_id": thread_id,
        "scope": chosen_scope,
        "instructions": narrowed.instructions,
    }
    if as_json:
        answer = engine.answer(question, **options)
    else:
        console.print(f"[dim]{escape(question)}[/dim]")
        answer = _stream(engine, question, **options)
    payload = answer_json(answer)
    if thread_id:
        STATE.catalog.threads.add(thread_id, "user", question)
        STATE.catalog.threads.add(thread_id, "assistant", answer.answer, payload)
    elif answer.answered:  # not stored: only which pages it cited (publisher reports)
        log_served_citations(STATE.catalog.engine, [c.url for c in answer.citations])
    if as_json:
        print_json(payload)
    else:
        _show_sources(answer)


def register(app: typer.Typer) -> None:
    app.command()(ask)
