"""Sitemap parsing: formats, broken input and hostile input (entity and gzip bombs)."""

from __future__ import annotations

import gzip

import pytest

from calanque.collect.sitemaps import (
    MAX_UNCOMPRESSED_BYTES,
    SitemapEntry,
    looks_like_sitemap,
    parse_sitemap,
)
from calanque.errors import ExtractError

BASE = "https://example.org/docs/sitemap.xml"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'

URLSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset {NS}>
  <url><loc>https://example.org/docs/a.html</loc><lastmod>2024-03-05T10:20:00+01:00</lastmod></url>
  <url><loc> page-b.html </loc><lastmod>2023-12-01</lastmod></url>
  <url><loc>/top.html#section</loc><lastmod>not a date</lastmod></url>
  <url><loc>https://example.org/docs/a.html</loc></url>
  <url><loc>mailto:someone@example.org</loc></url>
  <url><lastmod>2024-01-01</lastmod></url>
</urlset>
""".encode()

INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex {NS}>
  <sitemap><loc>https://example.org/sitemap-1.xml.gz</loc><lastmod>2024-01-01</lastmod></sitemap>
  <sitemap><loc>sitemap-2.xml</loc></sitemap>
</sitemapindex>
""".encode()


def test_urlset_resolves_dedupes_and_normalises_dates() -> None:
    parsed = parse_sitemap(URLSET, BASE)
    assert parsed.sitemaps == ()
    assert parsed.urls == (
        SitemapEntry("https://example.org/docs/a.html", "2024-03-05"),
        SitemapEntry("https://example.org/docs/page-b.html", "2023-12-01"),
        SitemapEntry("https://example.org/top.html", ""),
    )


def test_sitemap_index_lists_child_sitemaps() -> None:
    parsed = parse_sitemap(INDEX, BASE)
    assert parsed.urls == ()
    assert parsed.sitemaps == (
        "https://example.org/sitemap-1.xml.gz",
        "https://example.org/docs/sitemap-2.xml",
    )


def test_without_namespace_and_with_prefixed_namespace() -> None:
    bare = b"<urlset><url><loc>https://example.org/x</loc></url></urlset>"
    prefixed = (
        b'<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
        b"<sm:url><sm:loc>https://example.org/y</sm:loc>"
        b"<image:image><image:loc>https://example.org/pic.png</image:loc></image:image>"
        b"</sm:url></sm:urlset>"
    )
    assert [e.url for e in parse_sitemap(bare, BASE).urls] == ["https://example.org/x"]
    assert [e.url for e in parse_sitemap(prefixed, BASE).urls] == ["https://example.org/y"]


def test_gzip_body_is_inflated() -> None:
    parsed = parse_sitemap(gzip.compress(URLSET), BASE + ".gz")
    assert len(parsed.urls) == 3
    assert parse_sitemap(gzip.compress(INDEX), BASE).sitemaps[0].endswith("sitemap-1.xml.gz")


def test_text_sitemap_keeps_absolute_http_lines() -> None:
    body = (
        b"\xef\xbb\xbfhttps://example.org/1\n\n  http://example.org/2  \r\nftp://x/3\nnot a url\n"
    )
    parsed = parse_sitemap(body, "https://example.org/sitemap.txt")
    assert [e.url for e in parsed.urls] == ["https://example.org/1", "http://example.org/2"]


def test_broken_but_recoverable_xml_keeps_what_it_can() -> None:
    body = (
        b"<urlset><url><loc>https://example.org/1</loc></url>"
        b"<url><loc>https://example.org/2</loc></url><url><loc>https://exa"
    )
    urls = [e.url for e in parse_sitemap(body, BASE).urls]
    assert urls[:2] == ["https://example.org/1", "https://example.org/2"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<urlset><<<<", "broken XML"),
        (b"<html><body>Not found</body></html>", "not a sitemap"),
        (b"\x00\x01 binary garbage", "neither an XML sitemap"),
        (b"   \n", "empty"),
        (b"\x1f\x8b\x08\x00garbage-after-gzip-magic", "not valid gzip"),
    ],
)
def test_unusable_bodies_raise_extract_error(body: bytes, message: str) -> None:
    with pytest.raises(ExtractError) as info:
        parse_sitemap(body, BASE)
    assert info.value.kind == "sitemap"
    assert info.value.url == BASE
    assert message in str(info.value)


def test_valid_empty_urlset_is_not_an_error() -> None:
    parsed = parse_sitemap(f"<urlset {NS}/>".encode(), BASE)
    assert parsed.urls == () and parsed.sitemaps == ()


def test_entity_expansion_bomb_is_not_expanded() -> None:
    entities = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE urlset [\n' + "\n".join(entities) + "\n]>\n"
        "<urlset><url><loc>https://example.org/&lol9;</loc></url>"
        "<url><loc>https://example.org/ok</loc></url></urlset>"
    ).encode()
    # libxml2 stops at its amplification limit; recover mode keeps the part before it.
    parsed = parse_sitemap(body, BASE)
    assert {e.url for e in parsed.urls} <= {"https://example.org/", "https://example.org/ok"}


def test_external_entity_is_not_read() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<urlset><url><loc>https://example.org/&xxe;</loc></url></urlset>"
    )
    assert [e.url for e in parse_sitemap(body, BASE).urls] == ["https://example.org/"]


def test_gzip_bomb_is_capped_quickly() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 60_000_000, compresslevel=9)
    assert len(bomb) < 200_000  # small on the wire
    with pytest.raises(ExtractError) as info:
        parse_sitemap(bomb, BASE)
    assert info.value.kind == "sitemap"
    assert str(MAX_UNCOMPRESSED_BYTES) in str(info.value)


def test_looks_like_sitemap() -> None:
    assert looks_like_sitemap(URLSET, "application/xml", BASE)
    assert looks_like_sitemap(gzip.compress(INDEX), "application/x-gzip", BASE + ".gz")
    assert looks_like_sitemap(b"https://example.org/a\n", "text/plain", "https://e.org/sitemap.txt")
    assert not looks_like_sitemap(b"https://example.org/a\n", "text/plain", "https://e.org/a.txt")
    assert not looks_like_sitemap(b'<rss version="2.0"></rss>', "application/xml", BASE)
    assert not looks_like_sitemap(b"<html><body>x</body></html>", "text/html", BASE)
