"""Commands for running Calanque on several machines: worker, migrate.

``calanque worker`` is one crawl worker over a shared catalog (PostgreSQL): no
local lock file, a unique owner id, host and URL leases in the catalog so that
any number of workers on any number of machines share the frontier politely.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import uuid
from dataclasses import dataclass, fields
from typing import Any

import typer
from rich.table import Table

from calanque.catalog.engine import current_revision
from calanque.cli.collect import CrawlProgress, summary_table
from calanque.cli.common import STATE, console, out, print_json
from calanque.collect.crawler import Crawler, CrawlSummary
from calanque.config import redact_url


def worker_owner() -> str:
    """``<machine>-<pid>-<random>``: unique across machines and restarts, readable in the catalog."""
    host = socket.gethostname().split(".")[0][:32] or "worker"
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass
class WorkerRun:
    """What one ``calanque worker`` did, over all its rounds."""

    owner: str
    summary: CrawlSummary
    rounds: int = 0
    released: int = 0
    stopped_by_signal: str = ""
    announced_idle: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = self.summary.to_dict()
        data.update(
            owner=self.owner,
            rounds=self.rounds,
            released_urls=self.released,
            stopped_by_signal=self.stopped_by_signal or None,
        )
        return data


def _merge(total: CrawlSummary, part: CrawlSummary) -> None:
    for f in fields(CrawlSummary):
        if f.name == "errors":
            total.errors.update(part.errors)
        elif f.name == "queued":
            total.queued = part.queued
        else:
            setattr(total, f.name, getattr(total, f.name) + getattr(part, f.name))


class _Stopper:
    """SIGTERM / SIGINT: finish the pages in flight, hand the leases back, print the summary.

    A second signal gets the default behaviour (the process ends at once)."""

    def __init__(self, run: WorkerRun) -> None:
        self.run = run
        self.crawler: Crawler | None = None
        self.event = asyncio.Event()

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig, loop)

    def _on_signal(self, sig: signal.Signals, loop: asyncio.AbstractEventLoop) -> None:
        self.run.stopped_by_signal = sig.name
        for other in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(other)
        self.event.set()
        if self.crawler is not None:
            self.crawler.stop()


async def _work(
    run: WorkerRun, max_pages: int | None, forever: bool, idle_s: float, progress: CrawlProgress
) -> None:
    settings, catalog = STATE.settings, STATE.catalog
    stopper = _Stopper(run)
    stopper.install(asyncio.get_running_loop())
    workers = settings.crawl.extract_workers or None
    while not stopper.event.is_set():
        left = (
            None if max_pages is None else max_pages - run.summary.fetched - run.summary.unchanged
        )
        if left is not None and left <= 0:
            break
        crawler = Crawler(
            catalog, settings, owner=run.owner, progress=progress, extract_workers=workers
        )
        stopper.crawler = crawler
        if stopper.event.is_set():
            break
        try:
            part = await crawler.run(max_pages=left)
        finally:
            run.released += await asyncio.to_thread(catalog.frontier.release_owner, run.owner)
        _merge(run.summary, part)
        run.rounds += 1
        if not forever:
            break
        idle = not (part.fetched or part.unchanged or part.errors or stopper.event.is_set())
        if idle and not run.announced_idle:
            run.announced_idle = True  # once: the operator (or a script) sees it is up and idle
            console.print(
                f"worker {run.owner}: nothing due; looking again every {idle_s:g} s", soft_wrap=True
            )
        with contextlib.suppress(TimeoutError):  # idle: look again later, or stop on a signal
            await asyncio.wait_for(stopper.event.wait(), timeout=idle_s)


def worker(
    max_pages: int | None = typer.Option(
        None, "--max-pages", min=1, help="Stop after this many pages."
    ),
    forever: bool = typer.Option(
        False,
        "--forever",
        help="When nothing is due, wait and look again (until SIGTERM) instead of exiting.",
    ),
    idle_s: float = typer.Option(
        30.0, "--idle", min=0.1, help="Seconds between looks with --forever."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Run one crawl worker on the shared catalog (several may run, on several machines)."""
    settings, catalog = STATE.settings, STATE.catalog
    if catalog.engine.dialect.name == "sqlite" and not as_json:
        console.print(
            "[yellow]note:[/] the catalog is SQLite: workers can only share it on this "
            "machine. Set CALANQUE_DATABASE_URL=postgresql://... to share it between machines."
        )
    run = WorkerRun(owner=worker_owner(), summary=CrawlSummary())
    progress = CrawlProgress(enabled=not as_json and sys.stderr.isatty())
    if not as_json:
        console.print(f"worker {run.owner} on {redact_url(settings.catalog_url)}")
    with progress.progress:
        asyncio.run(_work(run, max_pages, forever, idle_s, progress))
    if as_json:
        print_json(run.to_dict())
        return
    table = summary_table(run.summary)
    table.title = f"worker {run.owner}"
    table.add_row("leases handed back", str(run.released))
    if run.stopped_by_signal:
        table.add_row("stopped by", run.stopped_by_signal)
    out.print(table)


def migrate(
    as_json: bool = typer.Option(False, "--json", help="Print the revision as JSON."),
) -> None:
    """Bring the catalog's schema up to date (idempotent; safe with workers running)."""
    settings = STATE.settings
    catalog = STATE.catalog  # opening migrates, one migrator at a time on PostgreSQL
    revision = current_revision(catalog.engine)
    data = {
        "database": redact_url(settings.catalog_url),
        "engine": catalog.engine.dialect.name,
        "revision": revision,
    }
    if as_json:
        print_json(data)
        return
    table = Table("catalog", "engine", "revision", title="catalog schema")
    table.add_row(data["database"], data["engine"], str(revision))
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(migrate)
