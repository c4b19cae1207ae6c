"""Where new URLs come from: links in pages, entries of sitemaps and feeds.

Every URL found -- a link, a sitemap entry, a feed entry -- must be in the source's
scope before it is queued: a sitemap cannot send the crawl anywhere its source does not
cover. A link to a file no extractor reads (an image, an archive, a font:
:data:`calanque.collect.urls.MEDIA_EXTENSIONS`) is not queued.
"""

from __future__ import annotations

from calanque.catalog import Catalog, FrontierItem, NewURL
from calanque.catalog.frontier import DONE
from calanque.collect.context import CrawlContext
from calanque.collect.feeds import looks_like_feed, parse_feed
from calanque.collect.fetcher import FetchResult
from calanque.collect.sitemaps import looks_like_sitemap, parse_sitemap
from calanque.collect.urls import host_key, in_scope, is_media, normalize_url
from calanque.errors import ExtractError, SourceError
from calanque.types import Source


async def discover(
    ctx: CrawlContext, item: FrontierItem, source: Source, result: FetchResult, url: str
) -> bool:
    """Sitemap and feed sources: a sitemap or feed body lists URLs to queue, it is not a page."""
    if source.kind == "sitemap" and looks_like_sitemap(result.body, result.content_type, url):
        try:
            parsed = parse_sitemap(result.body, url)
        except ExtractError as exc:
            await ctx.fail(item, exc.kind, str(exc))
            return True
        urls = [e.url for e in parsed.urls] + list(parsed.sitemaps)
    elif source.kind == "feed" and looks_like_feed(result.body, result.content_type):
        try:
            feed = parse_feed(result.body, url)
        except ExtractError as exc:
            await ctx.fail(item, exc.kind, str(exc))
            return True
        urls = [e.url for e in feed.entries]
        await ctx.in_db(ctx.catalog.source_polled, source.id)
    else:
        return False
    await ctx.queue_links(source, item.depth, urls)
    await ctx.in_db(ctx.catalog.frontier.finish, item.id, DONE, None)
    ctx.summary.fetched += 1
    return True


class LinkQueue:
    """Queues the in-scope links of pages (and the entries of sitemaps and feeds).

    Pages of one site share most links (menus, tables of contents): a link this worker
    queued already is skipped before any normalisation or database round trip. Call
    :meth:`enqueue` from the database thread.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._counts: dict[int, int] = {}  # URLs queued so far, per source
        self._seen: dict[int, set[str]] = {}  # raw links already queued, per source

    def enqueue(self, source: Source, depth: int, links: list[str]) -> int:
        """Queue the new in-scope ``links``, up to the source's page limit; return how many."""
        count = self._counts.get(source.id)
        if count is None:
            count = self.catalog.frontier.count_for_source(source.id)
        seen = self._seen.setdefault(source.id, set())
        new: list[NewURL] = []
        for link in links:
            if count + len(new) >= source.scope.max_pages:
                break
            if link in seen:
                continue
            seen.add(link)
            url = _in_scope_url(link, source)
            if url is not None:
                new.append(NewURL(url, host_key(url), source.id, depth + 1))
        added = self.catalog.frontier.enqueue(new) if new else 0
        self._counts[source.id] = count + added
        return added


def _in_scope_url(link: str, source: Source) -> str | None:
    try:
        url = normalize_url(link)
    except SourceError:
        return None
    if is_media(url):
        return None  # an image, an archive, a font: nothing to read (a seed is still fetched)
    return url if in_scope(url, source.scope, source.url) else None
