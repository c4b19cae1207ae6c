"""Link extraction: base href, filtering, nofollow, robustness on any input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from calanque.collect.links import extract_feed_links, extract_links

PAGE = "https://example.org/guide/intro.html"


def test_relative_links_resolve_against_the_page() -> None:
    html = '<p><a href="next.html">n</a> <a href="../index.html">i</a> <a href="/abs">a</a></p>'
    assert extract_links(html, PAGE) == [
        "https://example.org/guide/next.html",
        "https://example.org/index.html",
        "https://example.org/abs",
    ]


def test_base_href_is_honoured_even_when_relative() -> None:
    html = '<head><base href="/v2/docs/"></head><body><a href="page.html">p</a></body>'
    assert extract_links(html, PAGE) == ["https://example.org/v2/docs/page.html"]
    other_host = '<base href="https://mirror.example.net/x/"><a href="y">y</a>'
    assert extract_links(other_host, PAGE) == ["https://mirror.example.net/x/y"]


def test_fragments_dropped_and_duplicates_removed_in_order() -> None:
    html = (
        '<a href="b.html#one">1</a><a href="a.html">2</a><a href="b.html#two">3</a>'
        '<a href="#top">top</a><a href="">self</a><a href="a.html">again</a>'
    )
    assert extract_links(html, PAGE) == [
        "https://example.org/guide/b.html",
        "https://example.org/guide/a.html",
    ]


def test_non_http_schemes_are_skipped() -> None:
    html = (
        '<a href="mailto:a@example.org">m</a><a href="javascript:void(0)">j</a>'
        '<a href=" JavaScript:alert(1)">J</a><a href="tel:+33123">t</a>'
        '<a href="data:text/html,hi">d</a><a href="ftp://example.org/f">f</a>'
        '<a href="HTTPS://Example.org/Up">ok</a><a href="//cdn.example.org/lib">cdn</a>'
    )
    assert extract_links(html, PAGE) == ["https://Example.org/Up", "https://cdn.example.org/lib"]


def test_rel_nofollow_link_is_skipped() -> None:
    html = '<a href="keep.html">k</a><a rel="external NoFollow" href="skip.html">s</a>'
    assert extract_links(html, PAGE) == ["https://example.org/guide/keep.html"]


def test_meta_robots_nofollow_returns_nothing() -> None:
    for content in ("noindex, nofollow", "NOFOLLOW", "none"):
        html = f'<head><meta name="Robots" content="{content}"></head><a href="x.html">x</a>'
        assert extract_links(html, PAGE) == []
    ours = '<meta name="CalanqueBot" content="nofollow"><a href="x.html">x</a>'
    assert extract_links(ours, PAGE) == []
    other_bot = '<meta name="googlebot" content="nofollow"><a href="x.html">x</a>'
    assert extract_links(other_bot, PAGE) == ["https://example.org/guide/x.html"]


def test_malformed_html_does_not_crash() -> None:
    cases = [
        "",
        "\x00\x00",
        "<<<<a href='/q'>",
        "<a href=/unquoted>x",
        "</html></body><a href=late.html>",
        '<?xml version="1.0" encoding="iso-8859-1"?><html><a href="decl.html">d</a></html>',
        '<a href="http://[::1">bad ipv6</a><a href="ok.html">',
        "\ud800<a href='/surrogate'>",
    ]
    results = [extract_links(case, PAGE) for case in cases]
    assert results[2] == ["https://example.org/q"]
    assert results[3] == ["https://example.org/unquoted"]
    assert results[5] == ["https://example.org/guide/decl.html"]
    assert results[6] == ["https://example.org/guide/ok.html"]
    assert results[7] == ["https://example.org/surrogate"]


def test_newlines_and_tabs_inside_href_are_removed() -> None:
    assert extract_links('<a href="\n  sub\tpage.html  ">x</a>', PAGE) == [
        "https://example.org/guide/subpage.html"
    ]


def test_big_page_is_fast() -> None:
    body = "".join(f'<p>text <a href="/p/{i}.html#s">l</a></p>' for i in range(20_000))
    links = extract_links(f"<html><body>{body}</body></html>", PAGE)
    assert len(links) == 20_000


def test_feed_links() -> None:
    html = (
        '<head><base href="/blog/">'
        '<link rel="alternate" type="application/rss+xml" href="rss.xml">'
        '<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="/atom">'
        '<link rel="alternate" type="text/html" href="/fr/">'
        '<link rel="stylesheet" type="application/rss+xml" href="/nope">'
        '<link rel="alternate" type="application/rss+xml" href="rss.xml#dup">'
        "</head>"
    )
    assert extract_feed_links(html, PAGE) == [
        "https://example.org/blog/rss.xml",
        "https://example.org/atom",
    ]
    assert extract_feed_links("", PAGE) == []


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_extract_links_never_raises_on_arbitrary_text(text: str) -> None:
    links = extract_links(text, PAGE)
    assert all(link.startswith(("http://", "https://")) and "#" not in link for link in links)
    assert len(links) == len(set(links))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["<a href='", "'>", "<base href=", "#", "//", "..", "x", " "])))
def test_extract_links_never_raises_on_tag_soup(parts: list[str]) -> None:
    extract_links("".join(parts), PAGE)
    extract_feed_links("".join(parts), PAGE)
