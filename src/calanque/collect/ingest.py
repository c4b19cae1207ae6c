"""Local folder sources: ingest changed files, forget removed ones.

A file is re-read only when its fingerprint (size, mtime) changed, and stored
again only when its text changed. Files outside the folder (symlinks) are
skipped and counted, never read. A folder that is gone (unmounted, renamed) is an error
of its source: the crawl goes on with the others and what it stored stays.

Folder sources may nest: a file belongs to the innermost folder source that holds it
(docs/architecture.md, step 1). A pass leaves the nested sources' folders to them, and
first settles which source holds each stored file (``Catalog.settle_files``): a file
changes hands without being read again, and whatever order the sources are crawled in,
each file is stored once.

A file skipped at scan time that the operator can do something about (too large,
unreadable, a symlink leading outside the folder) is recorded as a page error naming it
and saying what to do; one of a type no extractor reads is only counted. A file that is
there but cannot be read now keeps what was stored from it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from calanque.catalog import PageRecord
from calanque.collect.context import CrawlContext
from calanque.collect.folders import (
    FileRefused,
    LocalFile,
    SkippedFile,
    file_fingerprint,
    read_inside,
    scan_folder,
)
from calanque.errors import SourceError
from calanque.types import Source

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


# skipped at scan time, and recorded as page errors: the operator can do something
NAMED_SKIPS = ("too-large", "outside-folder", "unreadable")


@dataclass
class FolderPass:
    """What one pass over a folder source found."""

    seen: set[str] = field(default_factory=set)  # file URLs whose stored version stays
    kept: list[str] = field(default_factory=list)  # URL prefixes whose stored files stay
    reported: set[str] = field(default_factory=set)  # URLs given a page error in this pass

    def keeps(self, url: str) -> bool:
        return url in self.seen or url.startswith(tuple(self.kept))


async def ingest_folder(ctx: CrawlContext, source: Source) -> None:
    catalog, summary = ctx.catalog, ctx.summary
    root = Path(source.url.removeprefix("file://"))
    nested = await ctx.in_db(catalog.nested_folders, source.id)
    moved = await ctx.in_db(catalog.settle_files, source.id)
    if moved:
        log.info(
            "source %d: %d stored files moved to the folder source holding them", source.id, moved
        )
    try:
        files = await asyncio.to_thread(
            lambda: list(
                scan_folder(root, max_file_bytes=ctx.crawl.max_body_bytes, leave_out=nested)
            )
        )
    except SourceError as exc:
        # unmounted or renamed: the other sources are crawled, and what this one stored
        # stays (a folder gone for a moment is not a folder emptied)
        summary.errors["folder-missing"] += 1
        log.warning(
            "source %d: %s Mount it again, or run `calanque remove %d` to drop it.",
            source.id,
            exc,
            source.id,
        )
        return
    top = root.expanduser().resolve()
    found = FolderPass(kept=[_inside(folder.as_uri()) for folder in nested])
    for item in files:
        if ctx.stopping:
            return
        if isinstance(item, SkippedFile):
            await _skipped(ctx, source, top, item, found)
            continue
        found.seen.add(item.url)
        await _ingest_file(ctx, source, top, item, found)
        ctx.report()
    for url in await ctx.in_db(catalog.known_files, source.id):
        if not found.keeps(url):
            await ctx.in_db(catalog.forget_document, url)
            await ctx.in_db(catalog.forget_file, url)
            summary.deleted += 1
    await ctx.in_db(catalog.forget_file_errors, source.id, found.reported)


async def _skipped(
    ctx: CrawlContext, source: Source, top: Path, item: SkippedFile, found: FolderPass
) -> None:
    if item.reason not in NAMED_SKIPS:
        ctx.summary.errors[f"file-{item.reason}"] += 1
        return
    if item.reason != "outside-folder":  # still there, unreadable now: what was stored stays
        found.seen.add(item.url)
        if item.is_folder:
            found.kept.append(_inside(item.url))
    message = skip_message(item, top, ctx.crawl.max_body_bytes)
    log.warning("source %d: %s", source.id, message)
    await _record(ctx, source, item.url, f"file-{item.reason}", message, found)


def _inside(folder_uri: str) -> str:
    """How the URIs of the files in a folder start."""
    return folder_uri if folder_uri.endswith("/") else folder_uri + "/"


def skip_message(item: SkippedFile, top: Path, max_bytes: int) -> str:
    """What an operator reads about a file the scan skipped: which, why, and what to do."""
    if item.reason == "too-large":
        return (
            f"{item.path} is {item.size} bytes, over crawl.max_body_bytes = {max_bytes}: "
            "not read. Raise crawl.max_body_bytes (calanque.toml) to read it; what was "
            "stored from it before stays."
        )
    if item.reason == "outside-folder":
        target = item.target or item.path
        folder = target if target.is_dir() else target.parent
        return (
            f"{item.path} is a symlink to {target}, outside the folder {top}: not read. "
            "To read it, copy the file into the folder, or, if its whole folder is meant to "
            f"be searched, add that folder as a source of its own: "
            f"`calanque add {shlex.quote(str(folder))}`."
        )
    if item.is_folder:
        return (
            f"the folder {item.path} cannot be listed (permissions?): its files were not "
            "read. Let the crawl's user read it; what was stored from it stays."
        )
    return (
        f"{item.path} cannot be read (permissions, a broken symlink or a symlink loop): "
        "not read. Fix its permissions or the link, or remove it; what was stored from it "
        "stays."
    )


async def _record(
    ctx: CrawlContext, source: Source, url: str, kind: str, message: str, found: FolderPass
) -> None:
    ctx.summary.errors[kind] += 1
    found.reported.add(url)
    await ctx.in_db(ctx.catalog.record_error, url, source.id, kind, message)


async def _ingest_file(
    ctx: CrawlContext, source: Source, top: Path, item: LocalFile, found: FolderPass
) -> None:
    catalog, summary = ctx.catalog, ctx.summary
    fingerprint = file_fingerprint(item)
    known = await ctx.in_db(catalog.known_file, item.url)
    if known is not None and known.fingerprint == fingerprint:
        if known.source_id != source.id:  # another source stored it: now it is this one's
            await ctx.in_db(catalog.move_files, [item.url], source.id)
        summary.unchanged += 1
        return
    try:
        body = await asyncio.to_thread(
            read_inside, top, item.real_path or item.path, ctx.crawl.max_body_bytes
        )
    except FileRefused as exc:
        await _record(ctx, source, item.url, f"file-{exc.reason}", str(exc), found)
        return
    except OSError as exc:
        await _record(ctx, source, item.url, "file-unreadable", str(exc), found)
        return
    content_type = CONTENT_TYPES.get(item.path.suffix.lower(), "text/plain")
    processed = await ctx.extract(body, item.url, content_type, None, False)
    if processed.document is None:
        kind = processed.error_kind or "extract"
        await _record(ctx, source, item.url, kind, processed.error_message, found)
        return
    page = PageRecord(
        url=item.url, source_id=source.id, status=200, content_type=content_type, size=len(body)
    )
    await ctx.in_db(
        catalog.save_document, page, processed.document, processed.chunks, processed.minhash
    )
    await ctx.in_db(
        catalog.set_file, item.url, source.id, fingerprint, hashlib.sha256(body).hexdigest()
    )
    summary.files += 1
