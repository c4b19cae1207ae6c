"""``calanque robots check``: evaluate a robots.txt offline, to see why a page was refused.

``--json`` prints a stable array: ``[{"url": str, "allowed": bool, "rule": str}]``
where ``rule`` is the line that decided (``"Disallow: /private/"``), ``"no rule
matched"``, or the HTTP status reading (``--status``).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from calanque.collect.robots import DEFAULT_AGENT, parse_robots
from calanque.errors import SourceError
from calanque.types import ConsentDecision
from calanque.views import decision_json

robots_app = typer.Typer(
    name="robots",
    help="Inspect robots.txt decisions.",
    no_args_is_help=True,
)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(
            f"cannot read robots.txt file {path}: {exc.strerror}; pass an existing file to --robots"
        ) from exc


def _print_table(decisions: list[ConsentDecision], agent: str) -> None:
    table = Table(title=f"robots.txt for {agent}")
    table.add_column("URL", overflow="fold")
    table.add_column("allowed")
    table.add_column("rule", overflow="fold")
    for decision in decisions:
        verdict = "[green]yes[/green]" if decision.allowed else "[red]no[/red]"
        table.add_row(decision.url, verdict, decision.rule)
    Console().print(table)


@robots_app.command("check")
def check(
    urls: list[str] = typer.Argument(..., help="URLs (or paths) to evaluate."),
    robots: Path = typer.Option(..., "--robots", help="The robots.txt file to read."),
    agent: str = typer.Option(DEFAULT_AGENT, "--agent", help="Product token of the crawler."),
    status: int = typer.Option(
        200, "--status", help="HTTP status the file was served with (0: network error)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array instead of a table."),
) -> None:
    """Say, for each URL, whether AGENT may fetch it and which line decided."""
    rules = parse_robots(_read(robots), status=status)
    decisions = [rules.decide(url, agent) for url in urls]
    if as_json:
        rows = [decision_json(d) for d in decisions]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    _print_table(decisions, agent)


def register(app: typer.Typer) -> None:
    app.add_typer(robots_app, name="robots")
