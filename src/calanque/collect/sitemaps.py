"""Sitemaps as URL sources: XML ``urlset`` / ``sitemapindex``, gzip, plain text.

Pure parsing: the fetcher hands over the body bytes, this module returns the page
URLs and child sitemaps it names. The XML parser never resolves entities, never
touches the network and keeps libxml2's size limits, so entity-expansion bombs
and XXE payloads are inert; gzip bodies are inflated with a hard size cap.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from calanque.errors import ExtractError

GZIP_MAGIC = b"\x1f\x8b"
MAX_UNCOMPRESSED_BYTES = 50_000_000
_CHUNK = 1 << 20
_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\s*$")


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: str = ""  # ISO date (YYYY-MM-DD) or ""


@dataclass(frozen=True)
class SitemapParse:
    urls: tuple[SitemapEntry, ...]
    sitemaps: tuple[str, ...]  # child sitemaps named by a sitemap index


def parse_sitemap(body: bytes, url: str) -> SitemapParse:
    """Parse a sitemap body fetched from ``url``; relative locations resolve against it.

    Raises :class:`ExtractError` (``kind="sitemap"``) when nothing usable is found or
    a gzip body inflates beyond :data:`MAX_UNCOMPRESSED_BYTES`.
    """
    if body.startswith(GZIP_MAGIC):
        body = gunzip_capped(body, url)
    text_start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text_start:
        raise ExtractError(f"Sitemap {url} is empty.", url=url, kind="sitemap")
    if text_start.startswith(b"<"):
        return _parse_xml(body, url)
    return _parse_text(body, url)


def gunzip_capped(body: bytes, url: str, cap: int = MAX_UNCOMPRESSED_BYTES) -> bytes:
    """Inflate a gzip body, refusing to produce more than ``cap`` bytes."""
    out = bytearray()
    data = body
    try:
        while data.startswith(GZIP_MAGIC):
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            while not inflater.eof:
                piece = inflater.decompress(data, _CHUNK)
                data = inflater.unconsumed_tail
                if not piece and not data:
                    break  # truncated body: keep what was inflated, recover mode reads it
                out += piece
                if len(out) > cap:
                    raise ExtractError(
                        f"Sitemap {url} inflates to more than {cap} bytes; the sitemap "
                        "protocol allows 50 MB uncompressed: ask the site to split it.",
                        url=url,
                        kind="sitemap",
                    )
            data = inflater.unused_data  # a further gzip member, if any
    except zlib.error as exc:
        raise ExtractError(
            f"Sitemap {url} is not valid gzip ({exc}); check the file on the server.",
            url=url,
            kind="sitemap",
        ) from exc
    return bytes(out)


def _xml_parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )


def _parse_xml(body: bytes, url: str) -> SitemapParse:
    try:
        root = etree.fromstring(body, _xml_parser(recover=False))
    except etree.XMLSyntaxError as exc:
        reason = str(exc)
        try:
            root = etree.fromstring(body, _xml_parser(recover=True))
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            raise ExtractError(
                f"Sitemap {url} is broken XML ({reason}); nothing could be recovered.",
                url=url,
                kind="sitemap",
            ) from exc
        parsed = _read_tree(root, url)
        if not parsed.urls and not parsed.sitemaps:
            raise ExtractError(
                f"Sitemap {url} is broken XML ({reason}); no <loc> could be recovered.",
                url=url,
                kind="sitemap",
            ) from exc
        return parsed
    return _read_tree(root, url)


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments, processing instructions, entities
        return ""
    return str(etree.QName(tag).localname).lower()


def _read_tree(root: etree._Element, url: str) -> SitemapParse:
    kind = _local(root)
    if kind not in ("urlset", "sitemapindex"):
        raise ExtractError(
            f"{url} is XML but not a sitemap (root element <{kind}>, expected <urlset> "
            "or <sitemapindex>); add it as a feed or a page instead.",
            url=url,
            kind="sitemap",
        )
    entries: dict[str, SitemapEntry] = {}
    children: dict[str, None] = {}
    for item in root:
        name = _local(item)
        fields = {_local(child): (child.text or "") for child in item}
        loc = _resolve(url, fields.get("loc", ""))
        if not loc:
            continue
        if name == "url" and loc not in entries:
            entries[loc] = SitemapEntry(loc, _iso_date(fields.get("lastmod", "")))
        elif name == "sitemap":
            children[loc] = None
    return SitemapParse(urls=tuple(entries.values()), sitemaps=tuple(children))


def _parse_text(body: bytes, url: str) -> SitemapParse:
    text = body.decode("utf-8-sig", errors="replace")
    entries: dict[str, SitemapEntry] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.lower().startswith(("http://", "https://")):
            continue
        loc = _resolve(url, line)
        if loc and loc not in entries:
            entries[loc] = SitemapEntry(loc)
    if not entries:
        raise ExtractError(
            f"{url} is neither an XML sitemap nor a text sitemap (one absolute URL per line).",
            url=url,
            kind="sitemap",
        )
    return SitemapParse(urls=tuple(entries.values()), sitemaps=())


def _resolve(base: str, loc: str) -> str:
    """Absolute http(s) URL without fragment, or "" when ``loc`` is not usable."""
    loc = loc.strip()
    if not loc:
        return ""
    try:
        absolute = urldefrag(urljoin(base, loc)).url
        scheme = urlsplit(absolute).scheme
    except ValueError:
        return ""
    return absolute if scheme in ("http", "https") else ""


def _iso_date(value: str) -> str:
    match = _DATE.match(value)
    return match.group(1) if match else ""


def looks_like_sitemap(body: bytes, content_type: str, url: str) -> bool:
    """Cheap sniff used by ``calanque add`` to pick the source kind."""
    head = body[:4096]
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(head, 4096)
        except zlib.error:
            return False
    lowered = head.lower()
    if re.search(rb"<(?:[a-z0-9_-]+:)?(?:urlset|sitemapindex)\b", lowered):
        return True
    path = urlsplit(url).path.lower()
    if "text/plain" in content_type.lower() and "sitemap" in path:
        lines = [ln.strip() for ln in lowered.splitlines() if ln.strip()][:5]
        return bool(lines) and all(ln.startswith((b"http://", b"https://")) for ln in lines)
    return False
