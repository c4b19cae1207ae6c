"""RSS and Atom feeds as URL sources, parsed with feedparser.

Pure parsing: the body is handed to feedparser as a stream (never as a string,
which feedparser would take for a URL or a file name). Broken XML is tolerated
as long as feedparser's loose parser still recovers entries.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser

from calanque.errors import ExtractError

FEED_CONTENT_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf)\b")


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str = ""
    published: str = ""  # ISO date (YYYY-MM-DD) or ""


@dataclass(frozen=True)
class FeedParse:
    title: str
    entries: tuple[FeedEntry, ...]
    is_feed: bool  # feedparser recognised an RSS/Atom version (False: entries recovered loosely)


def parse_feed(body: bytes, url: str) -> FeedParse:
    """Parse an RSS 0.9x/1.0/2.0 or Atom body fetched from ``url``.

    Entry links resolve against the feed URL (and ``xml:base``). Raises
    :class:`ExtractError` (``kind="feed"``) when no entry can be read from a body
    that is broken or is not a feed.
    """
    result = feedparser.parse(
        io.BytesIO(body),
        # No base URL given to feedparser: it would also resolve a bare RSS guid
        # ("123") into a URL. Links are resolved here, after xml:base.
        response_headers={"content-type": "application/xml"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    entries = _entries(result.entries, url)
    version = str(result.get("version", ""))
    if not entries:
        if result.get("bozo"):
            reason = result.get("bozo_exception", "unknown parser error")
            raise ExtractError(
                f"Feed {url} is broken and no entry could be recovered ({reason}); "
                "check that the URL serves RSS or Atom.",
                url=url,
                kind="feed",
            )
        if not version:
            raise ExtractError(
                f"{url} is not an RSS or Atom feed; add it as a page or sitemap instead.",
                url=url,
                kind="feed",
            )
    title = str(result.feed.get("title", "")).strip()
    return FeedParse(title=title, entries=entries, is_feed=bool(version))


def _entries(raw_entries: list[Any], feed_url: str) -> tuple[FeedEntry, ...]:
    found: dict[str, FeedEntry] = {}
    for raw in raw_entries:
        link = _entry_link(raw, feed_url)
        if not link or link in found:
            continue
        title = str(raw.get("title", "")).strip()
        found[link] = FeedEntry(url=link, title=title, published=_entry_date(raw))
    return tuple(found.values())


def _entry_link(raw: Any, feed_url: str) -> str:
    # feedparser copies an RSS <guid> into ``link`` and ``links`` (guidislink); a
    # guid is a permalink only when it is an absolute URL, never a bare "123".
    if raw.get("guidislink") and not _is_absolute_http(str(raw.get("id", "") or "")):
        return ""
    candidates = [str(raw.get("link", "") or "")]
    candidates += [
        str(ln.get("href", "")) for ln in raw.get("links", []) if ln.get("rel") == "alternate"
    ]
    entry_id = str(raw.get("id", "") or "")
    if _is_absolute_http(entry_id):
        candidates.append(entry_id)  # Atom ids are often the permalink
    for candidate in candidates:
        absolute = _resolve(feed_url, candidate)
        if absolute:
            return absolute
    return ""


def _is_absolute_http(value: str) -> bool:
    return value.strip().lower().startswith(("http://", "https://"))


def _resolve(base: str, href: str) -> str:
    href = href.strip()
    if not href:
        return ""
    try:
        absolute = urldefrag(urljoin(base, href)).url
        scheme = urlsplit(absolute).scheme
    except ValueError:
        return ""
    return absolute if scheme in ("http", "https") else ""


def _entry_date(raw: Any) -> str:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = raw.get(key)
        if isinstance(parsed, time.struct_time):
            return time.strftime("%Y-%m-%d", parsed)
    return ""


def looks_like_feed(body: bytes, content_type: str) -> bool:
    """Cheap sniff used by ``calanque add`` to pick the source kind."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in FEED_CONTENT_TYPES:
        return True
    head = body[:2048].lower()
    if b"<html" in head or b"<urlset" in head or b"<sitemapindex" in head:
        return False
    return bool(_FEED_ROOT.search(head))
