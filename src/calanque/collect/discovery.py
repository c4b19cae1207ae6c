"""Where new URLs come from: links in pages, entries of sitemaps and feeds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calanque.catalog import FrontierItem, NewURL
from calanque.catalog.frontier import DONE
from calanque.collect.feeds import looks_like_feed, parse_feed
from calanque.collect.fetcher import FetchResult
from calanque.collect.sitemaps import looks_like_sitemap, parse_sitemap
from calanque.collect.urls import host_key, in_scope, normalize_url
from calanque.errors import ExtractError, SourceError
from calanque.types import Source

if TYPE_CHECKING:
    from calanque.collect.crawler import Crawler


async def discover(
    crawler: Crawler, item: FrontierItem, source: Source, result: FetchResult, url: str
) -> bool:
    """Sitemap and feed sources: a sitemap or feed body lists URLs to queue, it is not a page."""
    if source.kind == "sitemap" and looks_like_sitemap(result.body, result.content_type, url):
        try:
            parsed = parse_sitemap(result.body, url)
        except ExtractError as exc:
            await crawler._fetch_failed(item, exc.kind, str(exc))
            return True
        urls = [e.url for e in parsed.urls] + list(parsed.sitemaps)
    elif source.kind == "feed" and looks_like_feed(result.body, result.content_type):
        try:
            feed = parse_feed(result.body, url)
        except ExtractError as exc:
            await crawler._fetch_failed(item, exc.kind, str(exc))
            return True
        urls = [e.url for e in feed.entries]
        await crawler._in_db(crawler.catalog.source_polled, source.id)
    else:
        return False
    await crawler._in_db(enqueue_links, crawler, source, item.depth, urls, True)
    await crawler._in_db(crawler.catalog.frontier.finish, item.id, DONE, None)
    crawler.summary.fetched += 1
    return True


def enqueue_links(
    crawler: Crawler, source: Source, depth: int, links: list[str], from_listing: bool
) -> None:
    """Queue the in-scope links of a page (or the entries of a sitemap or feed).

    Pages of one site share most links (menus, tables of contents): a link this worker
    queued already is skipped before any normalisation or database round trip.
    """
    limit = source.scope.max_pages
    count = crawler._source_counts.get(source.id)
    if count is None:
        count = crawler.catalog.frontier.count_for_source(source.id)
    seen = crawler._queued_links.setdefault(source.id, set())
    new: list[NewURL] = []
    for link in links:
        if count + len(new) >= limit:
            break
        if link in seen:
            continue
        seen.add(link)
        try:
            url = normalize_url(link)
        except SourceError:
            continue
        if from_listing or in_scope(url, source.scope, source.url):
            new.append(NewURL(url, host_key(url), source.id, depth + 1))
    added = crawler.catalog.frontier.enqueue(new) if new else 0
    crawler._source_counts[source.id] = count + added
