"""Rights reservations: TDMRep file, headers, HTML meta, and their precedence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calanque.collect.consent import (
    HEAD_SCAN_CHARS,
    TdmRepRules,
    decide_headers,
    decide_meta,
    decide_page,
    parse_tdmrep,
)

URL = "https://example.org/books/moby-dick.html"


def page(head: str, body: str = "<p>text</p>") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


# --------------------------------------------------------------------------- tdmrep.json


def test_tdmrep_reservation_on_a_location() -> None:
    rules = parse_tdmrep(
        json.dumps(
            [
                {"location": "/books/*", "tdm-reservation": 1, "tdm-policy": "https://x/p.json"},
                {"location": "/", "tdm-reservation": 0},
            ]
        )
    )
    refused = rules.decide(URL)
    assert refused is not None
    assert (refused.allowed, refused.signal) == (False, "tdmrep")
    assert refused.rule == 'location "/books/*": tdm-reservation=1, tdm-policy=https://x/p.json'
    open_page = rules.decide("https://example.org/blog/post")
    assert open_page is not None
    assert (open_page.allowed, open_page.rule) == (True, 'location "/": tdm-reservation=0')


def test_tdmrep_first_rule_in_sequence_wins() -> None:
    rules = parse_tdmrep(
        b'[{"location": "/", "tdm-reservation": 0}, {"location": "/books/", "tdm-reservation": 1}]'
    )
    decision = rules.decide(URL)
    assert decision is not None and decision.allowed


def test_tdmrep_no_matching_location_is_unset() -> None:
    rules = parse_tdmrep('[{"location": "/private/", "tdm-reservation": 1}]')
    assert rules.decide(URL) is None


@pytest.mark.parametrize(
    ("location", "path", "matches"),
    [
        ("/books/", "/books/a.html", True),
        ("/books/", "/book", False),
        ("/images/*.jpg", "/images/2024/cat.jpg", True),
        ("/images/*.jpg", "/images/cat.png", False),
        ("/exact$", "/exact", True),
        ("/exact$", "/exact/more", False),
        ("/Books/", "/books/a", False),  # case sensitive
        ("/caf%C3%A9/", "/café/menu", True),  # percent-encoding normalised
        ("/%62ooks/", "/books/x", True),
        ("/path/foo-%24", "/path/foo-$", True),  # the spec's literal "$" example
        ("books/", "/books/x", True),  # a location without its leading "/"
        ("https://example.org/books/", "/books/x", True),  # an absolute URL: its path
    ],
)
def test_tdmrep_location_patterns(location: str, path: str, matches: bool) -> None:
    rules = parse_tdmrep(json.dumps([{"location": location, "tdm-reservation": 1}]))
    assert (rules.decide("https://example.org" + path) is not None) is matches


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        b"",
        "not json",
        "{",
        '{"location": "/", "tdm-reservation": 1}',  # an object, not an array
        "[1, 2, 3]",
        '[{"location": "/"}]',  # reservation missing
        '[{"tdm-reservation": 1}]',  # location missing
        '[{"location": "/", "tdm-reservation": 2}]',  # other values are unset
        '[{"location": "/", "tdm-reservation": true}]',
        '[{"location": 5, "tdm-reservation": 1}]',
        b"\xff\xfe garbage",
        "[" * 100_000,
    ],
)
def test_broken_tdmrep_records_nothing(text: str | bytes | None) -> None:
    rules = parse_tdmrep(text)
    assert rules == TdmRepRules()
    assert rules.decide(URL) is None


def test_tdmrep_skips_bad_entries_keeps_good_ones() -> None:
    rules = parse_tdmrep('[{"location": 1}, "x", {"location": "/books/", "tdm-reservation": "1"}]')
    assert len(rules.rules) == 1
    decision = rules.decide(URL)
    assert decision is not None and not decision.allowed


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_parse_tdmrep_never_crashes(text: str | bytes) -> None:
    parse_tdmrep(text).decide(URL)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_parse_tdmrep_never_crashes_on_any_json(value: object) -> None:
    parse_tdmrep(json.dumps(value)).decide(URL)


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize("name", ["tdm-reservation", "TDM-Reservation", "TDM-RESERVATION"])
def test_tdm_reservation_header_is_found_case_insensitively(name: str) -> None:
    decision = decide_headers(URL, {name: "1", "TDM-Policy": "https://x/policy"})
    assert decision is not None
    assert (decision.allowed, decision.signal) == (False, "tdmrep-header")
    assert decision.rule == "tdm-reservation: 1 (tdm-policy: https://x/policy)"


def test_tdm_reservation_zero_header_allows() -> None:
    decision = decide_headers(URL, {"tdm-reservation": "0"})
    assert decision is not None and decision.allowed
    assert decision.signal == "tdmrep-header"


@pytest.mark.parametrize("value", ["2", "yes", "", "-1"])
def test_other_tdm_reservation_values_are_unset(value: str) -> None:
    assert decide_headers(URL, {"tdm-reservation": value}) is None


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("noindex", True),
        ("NoIndex, nofollow", True),
        ("none", True),
        ("noai", True),
        ("noai, noimageai", True),
        ("noimageai", False),
        ("nofollow, noarchive", False),
        ("googlebot: noindex", False),
        ("CalanqueBot: noai", True),
        ("calanquebot: noindex, nofollow", True),
        ("otherbot: noai, CalanqueBot: nofollow", False),
        ("unavailable_after: 25 Jun 2030 15:00:00 PST", False),
        ("max-snippet: 20, noai", True),
    ],
)
def test_x_robots_tag(value: str, refused: bool) -> None:
    decision = decide_headers(URL, {"X-Robots-Tag": value})
    if refused:
        assert decision is not None
        assert (decision.allowed, decision.signal) == (False, "x-robots-tag")
        assert decision.rule == f"X-Robots-Tag: {value}"
    else:
        assert decision is None


def test_x_robots_tag_header_name_is_case_insensitive() -> None:
    decision = decide_headers(URL, {"x-robots-tag": "noai"})
    assert decision is not None and not decision.allowed


@pytest.mark.parametrize(
    ("value", "refused"),
    [("ai=n", True), ("search=n", True), ("train-ai=n", False), ("train-ai=n, search=y", False)],
)
def test_content_usage_header(value: str, refused: bool) -> None:
    decision = decide_headers(URL, {"content-usage": value})
    if refused:
        assert decision is not None
        assert (decision.allowed, decision.signal, decision.rule) == (
            False,
            "content-usage",
            f"Content-Usage: {value}",
        )
    else:
        assert decision is None


def test_headers_without_signals_decide_nothing() -> None:
    assert decide_headers(URL, {"Content-Type": "text/html"}) is None


# --------------------------------------------------------------------------- meta


@pytest.mark.parametrize(
    "tag",
    [
        '<meta name="robots" content="noindex">',
        "<META NAME='ROBOTS' CONTENT='noai, noimageai'>",
        '<meta content="none" name="robots"/>',
        "<meta name=robots content=noindex>",
        '<meta name="CalanqueBot" content="noai">',
        '<meta name="calanquebot" content="noindex, nofollow">',
    ],
)
def test_meta_robots_refusals(tag: str) -> None:
    decision = decide_meta(URL, page(tag))
    assert decision is not None
    assert (decision.allowed, decision.signal) == (False, "meta")
    assert decision.rule.startswith("<meta name=")


@pytest.mark.parametrize(
    "html",
    [
        page('<meta name="robots" content="nofollow">'),
        page('<meta name="robots" content="noimageai">'),
        page('<meta name="googlebot" content="noindex">'),
        page("<!-- <meta name='robots' content='noindex'> -->"),
        page('<script>var s = \'<meta name="robots" content="noindex">\';</script>'),
        page("", body='<meta name="robots" content="noindex">'),  # not in the head
        "",
        "<html",
    ],
)
def test_meta_without_refusal(html: str) -> None:
    assert decide_meta(URL, html) is None


def test_meta_tdm_reservation() -> None:
    decision = decide_meta(URL, page('<meta name="tdm-reservation" content="1">'))
    assert decision is not None
    assert (decision.allowed, decision.signal) == (False, "tdmrep-meta")
    assert decision.rule == '<meta name="tdm-reservation" content="1">'
    zero = decide_meta(URL, page('<meta name="TDM-Reservation" content=" 0 ">'))
    assert zero is not None and zero.allowed


def test_meta_is_read_from_malformed_html() -> None:
    html = '<html><head><title>x</title><meta name="robots" content="noai"<body><p>unclosed'
    decision = decide_meta(URL, html)
    assert decision is not None and not decision.allowed


def test_meta_attribute_entities_are_decoded() -> None:
    decision = decide_meta(URL, page('<meta name="robots" content="noindex&#44; nofollow">'))
    assert decision is not None and not decision.allowed


def test_meta_scan_is_bounded() -> None:
    late = page(
        "<title>x</title>" + " " * HEAD_SCAN_CHARS + '<meta name="robots" content="noindex">'
    )
    assert decide_meta(URL, late) is None


def test_meta_in_a_huge_page_is_quick() -> None:

    html = page('<meta name="robots" content="noai">', body="<p>word</p>" * 1_000_000)
    decision = decide_meta(URL, html)
    assert decision is not None and not decision.allowed


# --------------------------------------------------------------------------- decide_page

RESERVED_FILE = parse_tdmrep('[{"location": "/", "tdm-reservation": 1}]')
OPEN_FILE = parse_tdmrep('[{"location": "/", "tdm-reservation": 0}]')
META_1 = '<meta name="tdm-reservation" content="1">'
META_0 = '<meta name="tdm-reservation" content="0">'


@pytest.mark.parametrize(
    ("meta", "header", "tdmrep", "allowed", "signal"),
    [
        # meta > header > well-known file
        (META_0, "1", RESERVED_FILE, True, "tdmrep-meta"),
        (META_1, "0", OPEN_FILE, False, "tdmrep-meta"),
        (None, "0", RESERVED_FILE, True, "tdmrep-header"),
        (None, "1", OPEN_FILE, False, "tdmrep-header"),
        (None, None, RESERVED_FILE, False, "tdmrep"),
        (None, None, OPEN_FILE, True, "tdmrep"),
        (META_1, None, None, False, "tdmrep-meta"),
        (None, "1", None, False, "tdmrep-header"),
        (None, None, None, True, "none"),
        (None, "2", RESERVED_FILE, False, "tdmrep"),  # an invalid header value is unset
    ],
)
def test_tdm_precedence(
    meta: str | None, header: str | None, tdmrep: TdmRepRules | None, allowed: bool, signal: str
) -> None:
    headers = {"TDM-Reservation": header} if header is not None else {}
    decision = decide_page(URL, headers, page(meta or ""), tdmrep)
    assert (decision.allowed, decision.signal) == (allowed, signal)


def test_nothing_reserves() -> None:
    decision = decide_page(URL, {"Content-Type": "text/html"}, page("<title>x</title>"), None)
    assert (decision.allowed, decision.signal, decision.rule) == (
        True,
        "none",
        "no reservation found",
    )
    assert decision.decided_at is None
    assert decide_page(URL, {}, None, TdmRepRules()).signal == "none"


@pytest.mark.parametrize(
    ("headers", "head", "signal"),
    [
        ({"X-Robots-Tag": "noai"}, META_0, "x-robots-tag"),
        ({"Content-Usage": "ai=n", "tdm-reservation": "0"}, "", "content-usage"),
        ({"tdm-reservation": "0"}, '<meta name="robots" content="noindex">', "meta"),
    ],
)
def test_any_refusal_refuses_even_with_tdm_zero(
    headers: dict[str, str], head: str, signal: str
) -> None:
    decision = decide_page(URL, headers, page(head), OPEN_FILE)
    assert (decision.allowed, decision.signal) == (False, signal)


def test_page_without_html_uses_headers_and_file() -> None:
    assert not decide_page(URL, {}, None, RESERVED_FILE).allowed
    assert decide_page(URL, {"tdm-reservation": "0"}, None, RESERVED_FILE).allowed
