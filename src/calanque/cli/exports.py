"""``calanque export``: a stored thread as Markdown or as a standalone HTML page."""

from __future__ import annotations

from pathlib import Path

import typer

from calanque.cli.common import STATE, out, print_json
from calanque.errors import SourceError
from calanque.export.document import FORMATS, thread_export
from calanque.export.render import render


def export(
    thread_id: str = typer.Argument(..., help="The thread's id (printed by `ask --save`)."),
    fmt: str = typer.Option("md", "--format", help="md (Markdown) or html (a standalone page)."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write to this file (default: print it)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the text, or the file)."),
) -> None:
    """Export a thread: answers, citations with quotes and links, the AI label, consent."""
    if fmt not in FORMATS:
        raise SourceError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    if not STATE.catalog.threads.exists(thread_id):
        raise SourceError(
            f"no thread {thread_id!r}: answers are stored with `calanque ask --save`, "
            "which prints the thread id."
        )
    text = render(thread_export(STATE.catalog, thread_id), fmt)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    if as_json:
        shown = {"path": str(output)} if output is not None else {"content": text}
        print_json({"thread_id": thread_id, "format": fmt, **shown})
    elif output is not None:
        out.print(f"wrote {output}", markup=False, highlight=False)
    else:
        out.file.write(text)


def register(app: typer.Typer) -> None:
    app.command()(export)
