"""Local folder sources: ingest changed files, forget removed ones.

A file is re-read only when its fingerprint (size, mtime) changed, and stored
again only when its text changed. Files outside the folder (symlinks) are
skipped and counted, never read. A folder that is gone (unmounted, renamed) is an error
of its source: the crawl goes on with the others and what it stored stays.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
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


async def ingest_folder(ctx: CrawlContext, source: Source) -> None:
    catalog, summary = ctx.catalog, ctx.summary
    root = Path(source.url.removeprefix("file://"))
    try:
        files = await asyncio.to_thread(
            lambda: list(scan_folder(root, max_file_bytes=ctx.crawl.max_body_bytes))
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
    seen: set[str] = set()
    for item in files:
        if ctx.stopping:
            return
        if isinstance(item, SkippedFile):
            summary.errors[f"file-{item.reason}"] += 1
            continue
        seen.add(item.url)
        await _ingest_file(ctx, source, top, item)
        ctx.report()
    for url in await ctx.in_db(catalog.known_files, source.id):
        if url not in seen:
            await ctx.in_db(catalog.forget_document, url)
            await ctx.in_db(catalog.forget_file, url)
            summary.deleted += 1


async def _ingest_file(ctx: CrawlContext, source: Source, top: Path, item: LocalFile) -> None:
    catalog, summary = ctx.catalog, ctx.summary
    fingerprint = file_fingerprint(item)
    if await ctx.in_db(catalog.file_fingerprint, item.url) == fingerprint:
        summary.unchanged += 1
        return
    try:
        body = await asyncio.to_thread(
            read_inside, top, item.real_path or item.path, ctx.crawl.max_body_bytes
        )
    except FileRefused as exc:
        summary.errors[f"file-{exc.reason}"] += 1
        await ctx.in_db(catalog.record_error, item.url, source.id, f"file-{exc.reason}", str(exc))
        return
    except OSError as exc:
        summary.errors["file-unreadable"] += 1
        await ctx.in_db(catalog.record_error, item.url, source.id, "file-unreadable", str(exc))
        return
    content_type = CONTENT_TYPES.get(item.path.suffix.lower(), "text/plain")
    processed = await ctx.extract(body, item.url, content_type, None, False)
    if processed.document is None:
        summary.errors[processed.error_kind or "extract"] += 1
        await ctx.in_db(
            catalog.record_error,
            item.url,
            source.id,
            processed.error_kind or "extract",
            processed.error_message,
        )
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
