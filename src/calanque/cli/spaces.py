"""``calanque space``: named sets of sources that searches and answers stay within."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from calanque.catalog.spaces import Space
from calanque.cli.common import STATE, out, print_json
from calanque.index.spaces import Narrowed, choose_spaces, narrow
from calanque.types import SearchFilters

space_app = typer.Typer(
    help="Spaces: named sets of sources that searches and answers stay within.",
    no_args_is_help=True,
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
SPACE_OPTION_HELP = "Only the sources of this space (see `calanque space list`)."


def within_space(space: str | None, filters: SearchFilters) -> Narrowed:
    """``filters`` narrowed to ``space`` (the operator may use every space)."""
    return narrow(choose_spaces(STATE.catalog.spaces, space, None), filters)


def _show(space: Space, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(space.as_json())
        return
    sources = ", ".join(str(s) for s in space.source_ids) or "none"
    out.print(f"{verb} space {escape(space.name)!r} (sources: {sources})")


@space_app.command("create")
def create(
    name: str = typer.Argument(..., help="The space's name (letters, digits, . _ -)."),
    description: str = typer.Option("", "--description", help="What the space is for."),
    language: str = typer.Option("", "--lang", help="Default passage language, e.g. fr."),
    domain: list[str] = typer.Option(
        [], "--domain", help="Default site (repeatable); a leading '-' excludes it."
    ),
    recency: str = typer.Option("", "--recency", help="Default recency: day, week, month, year."),
    instructions: str = typer.Option(
        "", "--instructions", help="For generative writers, after the rules (which always win)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a space; add sources to it with `calanque space add-source`."""
    space = Space(
        name=name.strip(),
        description=description,
        language=language.lower(),
        domains=tuple(domain),
        recency=recency,
        instructions=instructions,
    )
    _show(STATE.catalog.spaces.create(space), as_json, "created")


@space_app.command("add-source")
def add_source(
    name: str = typer.Argument(..., help="The space's name."),
    source_id: int = typer.Argument(..., help="A source id (see `calanque sources`)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a source to a space."""
    _show(STATE.catalog.spaces.add_source(name, source_id), as_json, "updated")


@space_app.command("remove-source")
def remove_source(
    name: str = typer.Argument(..., help="The space's name."),
    source_id: int = typer.Argument(..., help="A source id of the space."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Take a source out of a space (the source itself stays)."""
    _show(STATE.catalog.spaces.remove_source(name, source_id), as_json, "updated")


@space_app.command("list")
def list_spaces(as_json: bool = JSON_OPTION) -> None:
    """List the spaces and their sources."""
    spaces = STATE.catalog.spaces.list()
    if as_json:
        print_json([s.as_json() for s in spaces])
        return
    table = Table("name", "description", "sources", "language", "domains", "recency")
    for space in spaces:
        table.add_row(
            escape(space.name),
            escape(space.description),
            ", ".join(str(s) for s in space.source_ids),
            space.language,
            escape(", ".join(space.domains)),
            space.recency,
        )
    out.print(table)


@space_app.command("delete")
def delete(
    name: str = typer.Argument(..., help="The space's name."), as_json: bool = JSON_OPTION
) -> None:
    """Delete a space (its sources stay)."""
    STATE.catalog.spaces.delete(name)
    if as_json:
        print_json({"deleted": name})
        return
    out.print(f"deleted space {escape(name)!r}")


def register(app: typer.Typer) -> None:
    app.add_typer(space_app, name="space")
