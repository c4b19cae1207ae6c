"""``calanque publishers``, ``forget``, ``unforget``: what Calanque did with each host's pages.

``publishers [HOST] --json`` prints ``[{"host", "pages", "refused": {signal: n}, "deleted",
"cited", "last_cited"}]`` (``--csv``: one row per host, refusals as ``signal=n;...``);
``forget HOST --json`` prints ``{"host", "forgotten", "deleted", "pages"}``.
"""

from __future__ import annotations

import csv
import sys

import typer
from rich.table import Table

from calanque.catalog.publishers import (
    PublisherReport,
    forget_host,
    normalize_host,
    publisher_reports,
    unforget_host,
)
from calanque.cli.common import STATE, out, print_json, safe_text

JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
CSV_FIELDS = ("host", "pages", "refused", "deleted", "cited", "last_cited")


def _write_csv(reports: list[PublisherReport]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for report in reports:
        row = report.as_json()
        row["refused"] = ";".join(f"{k}={v}" for k, v in row["refused"].items())
        writer.writerow(row)


def _print_table(reports: list[PublisherReport]) -> None:
    table = Table(title="publishers")
    for column in CSV_FIELDS:
        table.add_column(column, overflow="fold")
    for report in reports:
        row = report.as_json()
        refused = ", ".join(f"{k} {v}" for k, v in row["refused"].items()) or "-"
        values = (row["host"], row["pages"], refused, row["deleted"], row["cited"])
        table.add_row(*(safe_text(v) for v in values), row["last_cited"] or "-")
    out.print(table)


def publishers(
    host: str | None = typer.Argument(None, help="One host (example.org) instead of all."),
    as_json: bool = JSON_OPTION,
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV."),
) -> None:
    """Per host: pages kept, refused (by signal), deleted after an opt-out, and citations."""
    wanted = normalize_host(host) if host else None
    reports = publisher_reports(STATE.catalog.engine, wanted)
    if as_json:
        print_json([report.as_json() for report in reports])
    elif as_csv:
        _write_csv(reports)
    else:
        _print_table(reports)


def forget(
    host: str = typer.Argument(..., help="The host to forget (example.org, or host:port)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete every page of HOST and never fetch it again (until `calanque unforget HOST`)."""
    from calanque.cli.index import catch_up  # the embedder loads when needed

    result = forget_host(STATE.catalog, host)
    report = catch_up(quiet=True, dense=False)  # out of the index at once, as from the catalog
    if as_json:
        print_json({**result.as_json(), "index": report})
        return
    out.print(
        f"forgot {safe_text(result.host)}: {result.deleted} document(s) deleted, "
        f"{report['deleted']} passages taken out of the index"
    )


def unforget(
    host: str = typer.Argument(..., help="A host given to `calanque forget`."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Let crawls fetch HOST again (its pages return at the next crawl)."""
    lifted = unforget_host(STATE.catalog.engine, host)
    if as_json:
        print_json({"host": normalize_host(host), "unforgotten": lifted})
        return
    out.print(f"{safe_text(host)} may be fetched again" if lifted else f"{host} was not forgotten")


def register(app: typer.Typer) -> None:
    app.command("publishers")(publishers)
    app.command("forget")(forget)
    app.command("unforget")(unforget)
