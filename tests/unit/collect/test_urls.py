"""URL normalisation and scope checks: examples plus Hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calanque.collect.guard import is_private_address
from calanque.collect.urls import (
    TRACKING_PARAMS,
    check_scope_patterns,
    host_key,
    in_scope,
    is_media,
    normalize_url,
    seed_folder,
)
from calanque.errors import SourceError
from calanque.types import Scope


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a/../b/./c", "http://example.com/b/c"),
        ("https://example.com:443", "https://example.com/"),
        ("http://example.com:8080/x#section-2", "http://example.com:8080/x"),
        ("http://h/p?utm_source=x&b=2&fbclid=y&a=1&gclid=z", "http://h/p?a=1&b=2"),
        ("http://h/p?UTM_Medium=x&mc_cid=1&mc_eid=2&_ga=3", "http://h/p"),
        ("http://h/p?z=1&a=2&z=0", "http://h/p?a=2&z=1&z=0"),
        ("http://h/p?ref=main", "http://h/p?ref=main"),
        ("http://h/%7euser/caf%c3%a9", "http://h/~user/caf%C3%A9"),
        ("http://h/café au lait", "http://h/caf%C3%A9%20au%20lait"),
        ("http://h/100%", "http://h/100%25"),
        ("http://h/%2e%2E/a/%2e", "http://h/a/"),
        ("http://h/p?q=a+b&x=%3d", "http://h/p?q=a+b&x=%3D"),
        ("http://Bücher.de./é", "http://xn--bcher-kva.de/%C3%A9"),
        ("http://[0:0::1]:8000/x", "http://[::1]:8000/x"),
        ("  http://h/x  ", "http://h/x"),
        ("http://h/p?", "http://h/p"),
    ],
)
def test_normalize_url_examples(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_relative_url_resolved_against_base() -> None:
    base = "http://h/a/b/page.html?x=1#top"
    assert normalize_url("../c.html#frag", base) == "http://h/a/c.html"
    assert normalize_url("//other.org/x", base) == "http://other.org/x"
    assert normalize_url("?page=2", base) == "http://h/a/b/page.html?page=2"


def test_extra_strip_params() -> None:
    url = "http://h/p?sessionid=abc&page=2"
    assert normalize_url(url, strip_params=("SessionID",)) == "http://h/p?page=2"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://h/file",
        "mailto:someone@example.org",
        "javascript:alert(1)",
        "/relative/without/base",
        "http://",
        "http://h:99999/",
        "http://h:port/",
        "http://a..b/",
        "http://ex ample.com/",
        "http://[::zz]/",
    ],
)
def test_malformed_or_non_http_url_is_a_source_error(url: str) -> None:
    with pytest.raises(SourceError):
        normalize_url(url)


def test_seed_folder_and_host_key() -> None:
    assert seed_folder("http://h/a/b/page.html") == "http://h/a/b/"
    assert seed_folder("http://h/a/b/") == "http://h/a/b/"
    assert seed_folder("http://h") == "http://h/"
    assert seed_folder("http://h/a/page.html?x=1") == "http://h/a/"
    assert host_key("HTTP://H:80/x") == "http://h"
    assert host_key("http://user:pw@h:8080/x") == "http://h:8080"


SEED = "http://h:8000/docs/en/index.html"


@pytest.mark.parametrize(
    ("url", "scope", "expected"),
    [
        ("http://h:8000/docs/en/intro.html", Scope(), True),
        ("http://h:8000/docs/fr/intro.html", Scope(), False),
        ("http://h:8000/docs/fr/x", Scope(prefix="http://h:8000/docs/"), True),
        ("http://h:8000/other", Scope(mode="host"), True),
        ("https://h:8000/other", Scope(mode="host"), True),
        ("http://h:9000/other", Scope(mode="host"), False),
        ("http://h:9000/other", Scope(mode="host", host="h"), True),
        ("http://elsewhere.org/", Scope(mode="host"), False),
        ("http://elsewhere.org/", Scope(mode="any"), True),
        ("http://h:8000/docs/en/a.pdf", Scope(exclude=(r"\.pdf$",)), False),
        ("http://h:8000/docs/en/a.html", Scope(include=(r"/a\.",)), True),
        ("http://h:8000/docs/en/b.html", Scope(include=(r"/a\.",)), False),
        ("http://h:8000/docs/en/a.html", Scope(include=("a",), exclude=("a",)), False),
        ("mailto:x@h", Scope(mode="any"), False),
        ("http://h:8000/docs/en/x#frag", Scope(), True),
    ],
)
def test_in_scope(url: str, scope: Scope, expected: bool) -> None:
    assert in_scope(url, scope, SEED) is expected


def test_invalid_scope_pattern_is_reported() -> None:
    with pytest.raises(SourceError, match="regular expression"):
        check_scope_patterns(Scope(include=("(unclosed",)))


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.0.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("[::1]", True),
        ("fe80::1", True),
        ("::ffff:10.0.0.1", True),
        ("224.0.0.1", True),
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("localhost", True),
    ],
)
def test_is_private_address(host: str, expected: bool) -> None:
    assert is_private_address(host) is expected


# --- properties -------------------------------------------------------------

_PIECES = list("aZ09-._~ %/?#&=+!$'()*,;:@éß\u4e2d\\") + ["%41", "%2e", "%zz", "..", "%2E%2E/"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)
_PARAM_NAMES = st.sampled_from(
    ["a", "b", "page", "q", "utm_source", "UTM_campaign", "fbclid", "gclid", "mc_cid", "_ga"]
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "hTTps"]))
    host = draw(st.sampled_from(["example.com", "EXAMPLE.org", "127.0.0.1", "[::1]", "bücher.de"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = draw(_TEXT).replace("?", "").replace("#", "")
    params = draw(st.lists(st.tuples(_PARAM_NAMES, _TEXT), max_size=5))
    query = "&".join(f"{k}={v.replace('#', '').replace('&', '')}" for k, v in params)
    fragment = draw(_TEXT)
    return f"{scheme}://{host}{port}/{path}?{query}#{fragment}"


@settings(max_examples=300, deadline=None)
@given(urls())
def test_normalize_is_idempotent(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once


@settings(max_examples=300, deadline=None)
@given(urls())
def test_fragments_never_survive(url: str) -> None:
    assert "#" not in normalize_url(url)


@settings(max_examples=300, deadline=None)
@given(urls())
def test_tracking_params_never_survive(url: str) -> None:
    query = normalize_url(url).partition("?")[2]
    names = {piece.partition("=")[0].lower() for piece in query.split("&") if piece}
    assert not any(name.startswith("utm_") or name in TRACKING_PARAMS for name in names)


@settings(max_examples=200, deadline=None)
@given(urls(), st.sampled_from(["a/b", "../x", "?q=1", "#only", "//other.org/p", "/abs"]))
def test_resolved_links_are_normalized(base: str, link: str) -> None:
    resolved = normalize_url(link, base)
    assert normalize_url(resolved) == resolved
    assert resolved.startswith(("http://", "https://"))


@pytest.mark.parametrize(
    ("url", "media"),
    [
        ("https://x.org/icons/pin.png", True),
        ("https://x.org/a/LOGO.JPG?v=2", True),
        ("https://x.org/release.tar.gz", True),
        ("https://x.org/font.woff2", True),
        ("https://x.org/sitemap1.xml.gz", False),
        ("https://x.org/guide.pdf", False),
        ("https://x.org/notes.docx", False),
        ("https://x.org/page.html", False),
        ("https://x.org/folder/", False),
        ("https://x.org/v1.2/install", False),
        ("https://x.org/png", False),
        # endings that name pages as often as files (a review of the first list)
        ("https://github.com/mrdoob/three.js", False),
        ("https://en.wikipedia.org/wiki/Node.js", False),
        ("https://www.npmjs.com/package/bignumber.js", False),
    ],
)
def test_a_link_to_an_image_archive_or_font_is_media(url: str, media: bool) -> None:
    assert is_media(url) is media
