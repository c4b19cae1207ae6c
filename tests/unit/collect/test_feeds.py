"""RSS/Atom parsing with feedparser: links resolved, dates normalised, broken input."""

from __future__ import annotations

import pytest

from calanque.collect.feeds import FeedEntry, looks_like_feed, parse_feed
from calanque.errors import ExtractError

FEED_URL = "https://example.org/blog/feed.xml"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title> Le blog </title><link>https://example.org/blog/</link>
  <item><title>Premier billet \xc3\xa9t\xc3\xa9</title><link>https://example.org/blog/1.html</link>
    <pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate></item>
  <item><title>Relative</title><link>posts/2.html#comments</link></item>
  <item><title>Root relative</title><link>/about</link></item>
  <item><title>Duplicate</title><link>https://example.org/blog/1.html</link></item>
  <item><title>Only a guid</title><guid>12345</guid></item>
  <item><title>Permalink guid</title><guid>https://example.org/blog/g.html</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://example.org/news/">
  <title>News</title>
  <entry><title>One</title><link rel="alternate" href="one"/><id>urn:uuid:1</id>
    <updated>2024-01-02T10:00:00Z</updated></entry>
  <entry><title>Two</title><link rel="edit" href="https://example.org/edit/2"/>
    <link href="https://example.org/news/two"/><id>urn:uuid:2</id>
    <published>2024-02-03T12:00:00+02:00</published></entry>
  <entry><title>Id only</title><id>https://example.org/news/three</id></entry>
</feed>"""


def test_rss2_entries_titles_dates_and_relative_links() -> None:
    parsed = parse_feed(RSS, FEED_URL)
    assert parsed.is_feed
    assert parsed.title == "Le blog"
    assert parsed.entries == (
        FeedEntry("https://example.org/blog/1.html", "Premier billet été", "2003-06-10"),
        FeedEntry("https://example.org/blog/posts/2.html", "Relative", ""),
        FeedEntry("https://example.org/about", "Root relative", ""),
        FeedEntry("https://example.org/blog/g.html", "Permalink guid", ""),
    )


def test_atom_entries_use_alternate_link_xml_base_and_utc_dates() -> None:
    parsed = parse_feed(ATOM, "https://example.org/atom")
    assert parsed.is_feed and parsed.title == "News"
    assert [(e.url, e.published) for e in parsed.entries] == [
        ("https://example.org/news/one", "2024-01-02"),
        ("https://example.org/news/two", "2024-02-03"),
        ("https://example.org/news/three", ""),
    ]


def test_rss1_rdf_feed() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="https://example.org/"><title>RDF</title></channel>
  <item rdf:about="https://example.org/r1"><title>R1</title><link>https://example.org/r1</link></item>
</rdf:RDF>"""
    parsed = parse_feed(body, FEED_URL)
    assert [e.url for e in parsed.entries] == ["https://example.org/r1"]


def test_broken_xml_with_recoverable_entries_is_used() -> None:
    broken = RSS.replace(b"</channel></rss>", b"<item><title>Cut & half").replace(
        b"<title>Relative</title>", b"<title>Relative &nbsp; entity</title>"
    )
    parsed = parse_feed(broken, FEED_URL)
    urls = [e.url for e in parsed.entries]
    assert "https://example.org/blog/1.html" in urls
    assert "https://example.org/blog/posts/2.html" in urls


@pytest.mark.parametrize(
    "body",
    [
        b"garbage \x00\xff not xml at all",
        b"<html><body><p>Hello</p></body></html>",
        b"",
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>',
    ],
)
def test_garbage_raises_extract_error_kind_feed(body: bytes) -> None:
    with pytest.raises(ExtractError) as info:
        parse_feed(body, FEED_URL)
    assert info.value.kind == "feed"
    assert info.value.url == FEED_URL
    assert FEED_URL in str(info.value)


def test_empty_but_valid_channel_is_a_feed_without_entries() -> None:
    parsed = parse_feed(b'<rss version="2.0"><channel><title>T</title></channel></rss>', FEED_URL)
    assert parsed.is_feed and parsed.entries == ()


def test_body_is_never_taken_for_a_file_name(tmp_path: object) -> None:
    # feedparser.parse(str_or_bytes) would open a local file with that name.
    with pytest.raises(ExtractError):
        parse_feed(b"/etc/hostname", FEED_URL)


def test_looks_like_feed() -> None:
    assert looks_like_feed(b"", "application/rss+xml; charset=utf-8")
    assert looks_like_feed(ATOM, "text/xml")
    assert looks_like_feed(RSS, "text/html")  # mislabelled feeds still recognised
    assert not looks_like_feed(b"<!doctype html><html><body>x</body></html>", "text/html")
    assert not looks_like_feed(b'<urlset xmlns="x"></urlset>', "application/xml")
