"""Commands of the collect stage: add, sources, remove, crawl, pages, consent."""

from __future__ import annotations

import asyncio
import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from calanque.cli.common import STATE, console, exclusive_lock, out, print_json, safe_text
from calanque.collect.feeds import looks_like_feed
from calanque.collect.fetcher import Fetcher
from calanque.collect.scope import build_scope
from calanque.collect.signing import bot_auth
from calanque.collect.sitemaps import looks_like_sitemap
from calanque.collect.urls import normalize_url
from calanque.errors import FetchError, SourceError
from calanque.views import removal_json, source_json

KINDS = ("auto", "site", "sitemap", "feed", "folder")


PROBE_BYTES = 65_536  # what telling a sitemap from a feed reads of the body


async def _first_bytes(url: str, user_agent: str, auth: httpx.Auth | None) -> bytes:
    """The first bytes of ``url``, through the crawl's fetcher: a time limit for the whole
    download, and a size limit after decompression (an endless or gzip-bombed answer was
    read whole, 2.2 GB for a 1 MB file)."""
    async with Fetcher(
        user_agent=user_agent,
        connect_timeout=10.0,
        read_timeout=10.0,
        total_timeout=20.0,
        max_body_bytes=PROBE_BYTES,
        auth=auth,
    ) as fetcher:
        result = await fetcher.fetch(url)
    return result.body[:PROBE_BYTES]


def detect_kind(url: str, user_agent: str, auth: httpx.Auth | None = None) -> str:
    """site, sitemap or feed, from the URL and, when it is ambiguous, the first bytes."""
    path = urlsplit(url).path.lower()
    if any(word in path for word in ("sitemap",)) and path.endswith((".xml", ".xml.gz", ".txt")):
        return "sitemap"
    if path.endswith((".rss", ".atom")) or path.rstrip("/").endswith(("/feed", "/rss")):
        return "feed"
    if not path.endswith((".xml", ".xml.gz", ".gz")):
        return "site"
    try:
        head = asyncio.run(_first_bytes(url, user_agent, auth))
    except FetchError as exc:
        raise SourceError(f"cannot reach {url} to tell its kind ({exc}); pass --kind.") from exc
    content_type = ""
    if looks_like_sitemap(head, content_type, url):
        return "sitemap"
    if looks_like_feed(head, content_type):
        return "feed"
    return "site"


def add(
    target: str = typer.Argument(
        ..., help="A site URL, a sitemap URL, a feed URL or a local folder."
    ),
    kind: str = typer.Option("auto", "--kind", help="auto, site, sitemap, feed or folder."),
    scope: str = typer.Option(
        "prefix", "--scope", help="prefix (default: the seed's folder), host or any."
    ),
    prefix: str = typer.Option(
        "", "--prefix", help="URL prefix to stay under (with --scope prefix)."
    ),
    include: list[str] = typer.Option([], "--include", help="Regex a URL must match (repeatable)."),
    exclude: list[str] = typer.Option(
        [], "--exclude", help="Regex that excludes a URL (repeatable)."
    ),
    max_depth: int = typer.Option(10, "--max-depth", min=0, help="Links to follow from the seed."),
    max_pages: int = typer.Option(
        10_000, "--max-pages", min=1, help="Most URLs to queue for this source."
    ),
    poll_interval: int = typer.Option(
        3600, "--poll-interval", min=60, help="Seconds between feed polls."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the source as JSON."),
) -> None:
    """Add a source to collect from."""
    if kind not in KINDS:
        raise SourceError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    settings = STATE.settings
    if not target.strip():  # `calanque add "$UNSET"` from $HOME added the home folder
        raise SourceError(
            "give a site URL, a sitemap or feed URL, or a folder: the argument is empty."
        )
    if kind == "folder" or (kind == "auto" and "://" not in target):
        folder = Path(target).expanduser()
        if not folder.is_dir():
            raise SourceError(
                f"{target} is not a folder (and not an http(s) URL): give a folder or a URL."
            )
        kind, url = "folder", f"file://{folder.resolve()}"
    else:
        url = normalize_url(target)
        if kind == "auto":
            kind = detect_kind(url, settings.user_agent, bot_auth(settings))
    source_scope = build_scope(url, kind, scope, prefix, include, exclude, max_depth, max_pages)
    known = any(s.kind == kind and s.url == url for s in STATE.catalog.list_sources())
    source = STATE.catalog.add_source(kind, url, source_scope, poll_interval)  # type: ignore[arg-type]
    if as_json:
        print_json(source_json(source))
    else:
        done = "updated" if known else "added"  # the same kind and URL: one source, its options
        out.print(
            f"{done} {source.kind} source {source.id}: {safe_text(source.url)} — run "
            "`calanque crawl` to collect it"
        )


def sources(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the sources, with the pages stored from each."""
    items = STATE.catalog.list_sources()
    pages = STATE.catalog.page_counts()
    if as_json:
        print_json([source_json(s) | {"pages": pages.get(s.id, 0)} for s in items])
        return
    table = Table("id", "kind", "url", "scope", "pages")
    for s in items:
        scope = s.scope.mode if s.kind not in ("folder", "web") else ""
        table.add_row(str(s.id), s.kind, safe_text(s.url), scope, str(pages.get(s.id, 0)))
    out.print(table)


def remove(
    source_id: int = typer.Argument(..., help="The source id (see `calanque sources`)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Remove a source and everything collected from it, from the catalog and the index."""
    from calanque.cli.index import catch_up  # the embedder loads when needed

    deleted = STATE.catalog.remove_source(source_id)
    # at once, as DELETE /v1/sources/{id} does: its passages were searchable until the next
    # `calanque index` or crawl (lexical pass only: nothing to embed for a deletion)
    report = catch_up(quiet=True, dense=False)
    if as_json:
        print_json({**removal_json(source_id, deleted), "index": report})
        return
    out.print(
        f"removed source {source_id} and {deleted} documents "
        f"({report['deleted']} passages taken out of the index)"
    )


if TYPE_CHECKING:
    from calanque.collect.crawler import CrawlSummary


class CrawlProgress:
    def __init__(self, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("[bold]crawl"),
            BarColumn(),
            TextColumn("{task.completed} pages"),
            TextColumn("{task.fields[rate]:.1f} pages/s"),
            TextColumn("queue {task.fields[queue]}"),
            TextColumn("errors {task.fields[errors]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self.task = self.progress.add_task("crawl", total=None, rate=0.0, queue=0, errors=0)
        self.started = 0.0

    def __call__(self, summary: CrawlSummary) -> None:
        import time

        if not self.started:
            self.started = time.monotonic()
        done = summary.fetched + summary.unchanged + summary.files
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.progress.update(
            self.task,
            completed=done,
            rate=done / elapsed,
            queue=summary.queued,
            errors=sum(summary.errors.values()),
        )


def summary_table(summary: CrawlSummary) -> Table:
    table = Table("outcome", "count", title="crawl summary")
    data = summary.to_dict()
    for key in (
        "fetched",
        "unchanged",
        "files",
        "refused_robots",
        "refused_reservation",
        "deleted",
        "duplicates",
    ):
        table.add_row(key.replace("_", " "), str(data[key]))
    if data["listings"]:
        table.add_row("folder listings (followed, not stored)", str(data["listings"]))
    for kind, n in data["errors"].items():
        table.add_row(f"error: {kind}", str(n))
    if data["errors"]:
        table.add_row("which, and why", "calanque pages --errors")
    if data["fetched"]:  # a crawl of folders only fetches no page: no rate to show
        table.add_row("pages/s", f"{data['pages_per_s']:.2f}")
    table.add_row("still queued", str(data["queued"]))
    return table


def crawl(
    max_pages: int | None = typer.Option(
        None, "--max-pages", min=1, help="Stop after this many pages."
    ),
    refresh: bool = typer.Option(False, "--refresh", help="Re-check every stored page now."),
    no_index: bool = typer.Option(
        False, "--no-index", help="Do not bring the index up to date afterwards."
    ),
    dense: str = typer.Option(
        "now",
        "--dense",
        help="After the crawl, pages are indexed lexically (seconds), then embedded. "
        "now: wait for the embedding; later: stop after the lexical pass (answers work at "
        "once) and leave the embedding to `calanque index` or `calanque serve`.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Fetch what is due; resumable after an interruption."""
    from calanque.cli.index import dense_choice
    from calanque.collect.crawler import Crawler

    embed_now = dense_choice(dense)  # a bad value fails before the crawl, not after

    settings, catalog = STATE.settings, STATE.catalog
    progress = CrawlProgress(enabled=not as_json and sys.stderr.isatty())
    workers = settings.crawl.extract_workers or None  # None: the crawler picks
    with exclusive_lock(settings.home / "crawl.lock", "crawl"):
        if catalog.engine.dialect.name == "sqlite":
            catalog.frontier.release_all()
        crawler = Crawler(catalog, settings, progress=progress, extract_workers=workers)
        with progress.progress:
            summary = asyncio.run(crawler.run(max_pages=max_pages, refresh=refresh))
    data = summary.to_dict()
    if not no_index:
        from calanque.cli.index import (  # the embedder loads when needed
            catch_up,
            index_line,
            pending_note,
        )

        data["index"] = catch_up(quiet=as_json, dense=embed_now)
    if as_json:
        print_json(data)
    else:
        out.print(summary_table(summary))
        if "index" in data:  # what indexing did and took, not only the crawl's table
            out.print(index_line(data["index"]), soft_wrap=True)
        if data.get("index", {}).get("dense_pending"):
            out.print(pending_note(int(data["index"]["dense_pending"])))


def pages(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
    errors: bool = typer.Option(
        False, "--errors", help="List the pages and files not stored, with why and what to do."
    ),
) -> None:
    """List the stored pages (or, with --errors, those that failed and why)."""
    if errors:
        failed = STATE.catalog.page_errors()
        if as_json:
            print_json(failed)
            return
        # not a table: URLs and messages are long, and a table's columns would cut them
        for r in failed:
            out.print(f"[bold]{safe_text(r['kind'])}[/bold] {safe_text(r['url'])}", soft_wrap=True)
            out.print(f"    {safe_text(r['message'])} ({r['at']})", soft_wrap=True)
        out.print(f"pages and files with an error: {len(failed)}")
        return
    rows = STATE.catalog.list_pages()
    if as_json:
        print_json(rows)
        return
    table = Table("title", "language", "url", "fetched")
    for r in rows:
        table.add_row(
            safe_text(r["title"][:60]),
            safe_text(r["language"]),
            safe_text(r["url"]),
            safe_text(r["fetched_at"]),
        )
    out.print(table)


def consent(
    url: str | None = typer.Argument(None, help="A URL: show its latest ledger entry."),
    export: str | None = typer.Option(
        None, "--export", help="Export the whole ledger: csv or json."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write the export to."),
    refused: bool = typer.Option(False, "--refused", help="Only refusals (with --export)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The consent ledger: why a page was, or was not, collected."""
    catalog = STATE.catalog
    if export:
        _export_ledger(export, output, refused)
        return
    if url is None:
        raise SourceError("give a URL, or --export csv to export the whole ledger.")
    try:
        normalized = normalize_url(url)
    except SourceError:  # a lookup, not a crawl: a file:// URL has no entry, it is not an error
        normalized = url
    entry = catalog.consent_for(normalized) or catalog.consent_for(url)
    if entry is None:
        if as_json:
            print_json(None)
        else:
            local = " (a local file needs none: its folder is the operator's)"
            out.print(
                f"no consent decision recorded for {safe_text(url)}"
                + (local if url.startswith("file:") else ""),
                highlight=False,
            )
        raise typer.Exit(1 if not as_json else 0)
    if as_json:
        print_json(entry)
    else:
        verdict = "[green]allowed" if entry["allowed"] else "[red]refused"
        fields = {k: safe_text(entry[k]) for k in ("url", "signal", "rule", "action", "decided_at")}
        out.print(
            f"{verdict}[/] {fields['url']}\n  signal: {fields['signal']}\n  rule: {fields['rule']}\n"
            f"  action: {fields['action']}\n  decided at: {fields['decided_at']}",
            highlight=False,
        )


def _export_ledger(fmt: str, output: Path | None, refused: bool) -> None:
    if fmt not in ("csv", "json"):
        raise SourceError(f"--export must be csv or json, not {fmt!r}.")
    rows = STATE.catalog.consent_ledger(refused_only=refused)
    handle = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        if fmt == "json":
            import json

            json.dump(list(rows), handle, ensure_ascii=False, indent=2)
            handle.write("\n")
            return
        writer = csv.DictWriter(
            handle, fieldnames=["url", "allowed", "signal", "rule", "action", "decided_at"]
        )
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    finally:
        if output:
            handle.close()


def register(app: typer.Typer) -> None:
    app.command()(add)
    app.command()(sources)
    app.command()(remove)
    app.command()(crawl)
    app.command()(pages)
    app.command()(consent)
