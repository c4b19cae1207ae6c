"""Outgoing links of an HTML page, for the frontier.

Politeness choices:

* ``<meta name="robots" content="nofollow">`` (or ``none``, or the same under
  ``name="calanquebot"``) means *no* link of the page is followed: ``[]``.
* A link with ``rel="nofollow"`` is skipped too: the author asked crawlers not to
  follow it, and a consent-aware crawler takes the request literally.
* Only http(s) links are kept (``mailto:``, ``javascript:``, ``tel:``, ``data:``
  are dropped); fragments are removed; order is kept, duplicates are not.

Parsing uses lxml.html (fast on multi-megabyte pages); if lxml gives up, a regex
over ``href`` attributes takes over, so this never raises on any text.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable
from urllib.parse import urljoin

import lxml.html
from lxml import etree

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
ROBOTS_NAMES = frozenset({"robots", "calanquebot"})
_HREF = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
_URL_WHITESPACE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def extract_links(html: str, base_url: str) -> list[str]:
    """Absolute http(s) URLs of the page's ``<a href>``, honouring ``<base href>``."""
    root = _parse(html)
    if root is None:
        return _regex_links(html, base_url)
    if _meta_nofollow(root):
        return []
    base = _document_base(root, base_url)
    hrefs = (
        a.get("href", "")
        for a in root.iter("a", "area")
        if "nofollow" not in _tokens(a.get("rel", ""))
    )
    return _absolute_unique(hrefs, base)


def extract_feed_links(html: str, base_url: str) -> list[str]:
    """Feeds announced by ``<link rel="alternate" type="application/rss+xml|atom+xml">``."""
    root = _parse(html)
    if root is None:
        return []
    base = _document_base(root, base_url)
    hrefs = (
        link.get("href", "")
        for link in root.iter("link")
        if "alternate" in _tokens(link.get("rel", ""))
        and link.get("type", "").split(";", 1)[0].strip().lower() in FEED_TYPES
    )
    return _absolute_unique(hrefs, base)


def _parse(html: str) -> etree._Element | None:
    # Bytes with an explicit encoding: lxml refuses str input carrying an XML
    # encoding declaration, and lone surrogates cannot reach libxml2.
    data = html.encode("utf-8", errors="replace")
    if not data.strip():
        return None
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, huge_tree=True)
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root if isinstance(root, etree._Element) else None


def _tokens(value: str) -> set[str]:
    return {token.lower() for token in re.split(r"[\s,]+", value) if token}


def _meta_nofollow(root: etree._Element) -> bool:
    for meta in root.iter("meta"):
        if meta.get("name", "").strip().lower() in ROBOTS_NAMES:
            directives = _tokens(meta.get("content", ""))
            if "nofollow" in directives or "none" in directives:
                return True
    return False


def _document_base(root: etree._Element, page_url: str) -> str:
    for base in root.iter("base"):
        href = base.get("href")
        if href and href.strip():
            resolved = _absolute(page_url, href)
            return resolved or page_url
    return page_url


def _absolute(base: str, href: str) -> str:
    """Absolute http(s) URL without fragment, or "" when ``href`` leads nowhere useful."""
    href = _URL_WHITESPACE.sub("", href.strip()).split("#", 1)[0]
    if not href:
        return ""  # empty or fragment-only: the page itself
    scheme = _SCHEME.match(href)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return ""  # mailto:, javascript:, tel:, data:, ftp: ...
    try:
        absolute = urljoin(base, href)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return ""
    if not absolute.startswith(("http://", "https://")) or not absolute.split("/", 3)[2]:
        return ""
    return absolute


def _absolute_unique(hrefs: Iterable[str], base: str) -> list[str]:
    seen_hrefs: set[str] = set()
    found: dict[str, None] = {}
    for href in hrefs:
        if href in seen_hrefs:
            continue
        seen_hrefs.add(href)
        absolute = _absolute(base, href)
        if absolute:
            found.setdefault(absolute, None)
    return list(found)


def _regex_links(html: str, base_url: str) -> list[str]:
    hrefs = (
        html_lib.unescape(next(group for group in match.groups() if group is not None))
        for match in _HREF.finditer(html)
    )
    return _absolute_unique(hrefs, base_url)
