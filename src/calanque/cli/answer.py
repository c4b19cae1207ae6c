"""``calanque ask``: a cited, verified answer in the terminal, kept in a thread with --save."""

from __future__ import annotations

from typing import Any

import typer
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from calanque.cli.common import STATE, console, out, plain_text, print_json
from calanque.cli.spaces import SPACE_OPTION_HELP, within_space
from calanque.cli.turns import (
    answer_scope,
    scope_option,
    show_sources,
    store_turn,
    thread_history,
    web_option,
)
from calanque.errors import SourceError
from calanque.index.filters import build_filters
from calanque.registry import WRITERS, one_of
from calanque.types import Answer


def _thread(thread: str | None, question: str, save: bool) -> tuple[str, list[tuple[str, str]]]:
    """The thread to store the answer in ("" for none) and its earlier turns."""
    if thread is None:
        return (STATE.catalog.threads.create(question) if save else ""), []
    return thread, thread_history(thread)


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
    scope: str | None = scope_option(),
    web: bool = web_option(),
    space: str | None = typer.Option(None, "--space", help=SPACE_OPTION_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Answer a question from the indexed sources or the web, with verified citations."""
    if writer is not None and writer not in WRITERS:
        raise SourceError(f"--writer must be one of {', '.join(WRITERS)}, not {writer!r}.")
    if not question.strip():
        raise SourceError("the question is empty: write a question.")
    narrowed = within_space(space, build_filters(site, exclude_site, lang, since))
    chosen_scope = answer_scope(scope, web, narrowed)
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
    payload = store_turn(thread_id, question, answer)
    if as_json:
        print_json(payload)
    else:
        show_sources(answer)


def register(app: typer.Typer) -> None:
    app.command()(ask)
