"""The fetcher against a real HTTP server on 127.0.0.1 (tests/sites.py)."""

from __future__ import annotations

import asyncio
import gzip
import resource
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.sites import Route, free_port, serve_site

from calanque.collect.fetcher import DOCX_TYPE, Fetcher, content_type_of
from calanque.errors import ConsentRefused, FetchError

pytestmark = pytest.mark.e2e

USER_AGENT = "CalanqueBot/0.1.0 (+https://operator.example/bot)"
LIMIT = 1_000_000


def make_fetcher(**overrides: object) -> Fetcher:
    options: dict[str, object] = {
        "user_agent": USER_AGENT,
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "total_timeout": 5.0,
        "max_body_bytes": LIMIT,
    }
    options.update(overrides)
    return Fetcher(**options)  # type: ignore[arg-type]


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with make_fetcher() as client:
        yield client


async def test_page_status_headers_and_user_agent(fetcher: Fetcher) -> None:
    routes = {"/": Route(body="<h1>Bonjour</h1>", headers={"X-Robots-Tag": "noai"})}
    with serve_site(routes) as site:
        result = await fetcher.fetch(f"{site.url}/")
    assert result.status == 200
    assert result.body == b"<h1>Bonjour</h1>"
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert result.headers["x-robots-tag"] == "noai"
    assert result.url == f"{site.url}/" and result.redirects == ()
    assert not result.truncated and result.elapsed_s > 0
    assert site.requests[0].headers["user-agent"] == USER_AGENT


async def test_http_error_status_is_a_result(fetcher: Fetcher) -> None:
    with serve_site({"/gone": Route(status=410, body="gone")}) as site:
        missing = await fetcher.fetch(f"{site.url}/nowhere")
        gone = await fetcher.fetch(f"{site.url}/gone")
    assert (missing.status, gone.status, gone.body) == (404, 410, b"gone")


async def test_etag_gives_304(fetcher: Fetcher) -> None:
    with serve_site({"/p": Route(body="v1", headers={"ETag": '"v1"'})}) as site:
        first = await fetcher.fetch(f"{site.url}/p")
        again = await fetcher.fetch(f"{site.url}/p", etag=first.headers["etag"])
        site.set("/p", Route(body="v2", headers={"ETag": '"v2"'}))
        changed = await fetcher.fetch(f"{site.url}/p", etag=first.headers["etag"])
    assert (again.status, again.body) == (304, b"")
    assert (changed.status, changed.body) == (200, b"v2")
    assert site.requests[1].headers["if-none-match"] == '"v1"'


async def test_last_modified_gives_304_for_static_files(fetcher: Fetcher, tmp_path: Path) -> None:
    (tmp_path / "doc").mkdir()
    (tmp_path / "doc" / "index.html").write_text("<html><body>Salut</body></html>")
    with serve_site(root=tmp_path) as site:
        first = await fetcher.fetch(f"{site.url}/doc/")
        again = await fetcher.fetch(
            f"{site.url}/doc/", last_modified=first.headers["last-modified"]
        )
        by_etag = await fetcher.fetch(f"{site.url}/doc/", etag=first.headers["etag"])
        redirected = await fetcher.fetch(f"{site.url}/doc")
    assert first.status == 200 and first.content_type == "text/html"
    assert first.charset is None
    assert (again.status, again.body) == (304, b"")
    assert by_etag.status == 304
    assert redirected.redirects == (f"{site.url}/doc/",) and redirected.status == 200


async def test_50_mb_page_is_cut_at_the_limit_while_streaming(fetcher: Fetcher) -> None:
    block = b"<p>" + b"x" * 1016 + b"</p>\n"  # 1 KiB
    with serve_site({"/huge": Route(body=block, repeat=50 * 1024)}) as site:
        tracemalloc.start()
        try:
            result = await fetcher.fetch(f"{site.url}/huge")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.truncated
    assert len(result.body) == LIMIT
    assert result.headers["content-length"] == str(50 * 1024 * 1024)
    print(f"peak traced memory fetching a 50 MB page with a 1 MB limit: {peak / 1e6:.1f} MB")
    assert peak < 8 * LIMIT, f"peak traced memory {peak} bytes: the body was not streamed"


async def test_body_exactly_at_the_limit_is_not_truncated(fetcher: Fetcher) -> None:
    with serve_site({"/exact": Route(body=b"a" * LIMIT)}) as site:
        result = await fetcher.fetch(f"{site.url}/exact")
    assert len(result.body) == LIMIT and not result.truncated


async def test_trickling_server_hits_the_total_timeout() -> None:
    route = Route(body=b"x" * 100, trickle_bps=1)
    async with make_fetcher(total_timeout=2.0, read_timeout=5.0) as fetcher:
        with serve_site({"/slow": route}) as site:
            started = time.monotonic()
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(f"{site.url}/slow")
            elapsed = time.monotonic() - started
    assert caught.value.kind == "timeout"
    assert caught.value.url == f"{site.url}/slow"
    assert 1.9 <= elapsed < 3.0


async def test_read_timeout() -> None:
    async with make_fetcher(read_timeout=0.3) as fetcher:
        site_cm = serve_site({"/late": Route(body="late", delay_s=2.0)})
        with site_cm as site, pytest.raises(FetchError) as caught:
            await fetcher.fetch(f"{site.url}/late")
    assert caught.value.kind == "timeout"
    assert isinstance(caught.value.__cause__, Exception)


async def test_redirect_loop(fetcher: Fetcher) -> None:
    routes = {"/a": Route(redirect_to="/b"), "/b": Route(redirect_to="/a")}
    with serve_site(routes) as site, pytest.raises(FetchError) as caught:
        await fetcher.fetch(f"{site.url}/a")
    assert caught.value.kind == "redirect-loop"
    assert len(site.requests) == 2


def chain(length: int) -> dict[str, Route]:
    routes = {f"/r{i}": Route(status=301, redirect_to=f"/r{i + 1}") for i in range(length)}
    routes[f"/r{length}"] = Route(body="arrived")
    return routes


async def test_five_redirects_are_followed(fetcher: Fetcher) -> None:
    with serve_site(chain(5)) as site:
        result = await fetcher.fetch(f"{site.url}/r0")
    assert result.body == b"arrived"
    assert result.url == f"{site.url}/r5"
    assert result.redirects == tuple(f"{site.url}/r{i}" for i in range(1, 6))


async def test_six_redirects_are_too_many(fetcher: Fetcher) -> None:
    with serve_site(chain(6)) as site, pytest.raises(FetchError) as caught:
        await fetcher.fetch(f"{site.url}/r0")
    assert caught.value.kind == "redirect-loop"
    assert not site.requests_for("/r6")


async def test_check_hop_sees_every_hop_and_can_stop_the_fetch() -> None:
    seen: list[str] = []

    async def check_hop(url: str) -> None:
        seen.append(url)
        if url.endswith("/private"):
            raise ConsentRefused(f"robots.txt disallows {url}", url=url, signal="robots.txt")
        if "elsewhere" in url:
            raise FetchError(f"{url} is out of scope", url=url, kind="out-of-scope")

    routes = {
        "/start": Route(redirect_to="/middle#frag"),
        "/middle": Route(status=307, redirect_to="private"),
        "/away": Route(redirect_to="http://elsewhere.invalid/page"),
    }
    async with make_fetcher(check_hop=check_hop) as fetcher:
        with serve_site(routes) as site:
            with pytest.raises(ConsentRefused):
                await fetcher.fetch(f"{site.url}/start")
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(f"{site.url}/away")
    assert seen == [f"{site.url}/middle", f"{site.url}/private", "http://elsewhere.invalid/page"]
    assert caught.value.kind == "out-of-scope"
    assert not site.requests_for("/private")


async def test_binary_served_as_html_keeps_the_declared_type(fetcher: Fetcher) -> None:
    binary = bytes(range(256)) * 4
    with serve_site({"/bin": Route(body=binary, content_type="text/html")}) as site:
        result = await fetcher.fetch(f"{site.url}/bin")
    assert result.content_type == "text/html" and result.body == binary


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/octet-stream", "application/pdf"),
        (b"<!DOCTYPE html><title>t</title>", "text/plain", "text/html"),
        (b"just words", "text/plain", "text/plain"),
        (b'<?xml version="1.0"?>\n<rss version="2.0">', None, "application/rss+xml"),
        (
            b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">',
            None,
            "application/atom+xml",
        ),
        (b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>", None, "application/xml"),
        (gzip.compress(b"<urlset/>"), "application/octet-stream", "application/gzip"),
        (b"PK\x03\x04\x14\x00[Content_Types].xml....word/document.xml", None, DOCX_TYPE),
        (b"\x00\x01\x02", None, "application/octet-stream"),
    ],
)
async def test_content_type_sniffing(
    fetcher: Fetcher, body: bytes, content_type: str | None, expected: str
) -> None:
    with serve_site({"/f": Route(body=body, content_type=content_type)}) as site:
        result = await fetcher.fetch(f"{site.url}/f")
    assert result.content_type == expected
    assert result.body == body


def test_empty_answer_without_type_has_no_type() -> None:
    assert content_type_of("", b"") == ""


@pytest.mark.parametrize(
    ("header", "charset"),
    [
        ("text/html; charset=ISO-8859-1", "iso-8859-1"),
        ('text/html; Charset="windows-1252"', "windows-1252"),
        ("TEXT/HTML", None),
    ],
)
async def test_charset_from_header(fetcher: Fetcher, header: str, charset: str | None) -> None:
    route = Route(body="café".encode("latin-1"), content_type=header)
    with serve_site({"/c": route}) as site:
        result = await fetcher.fetch(f"{site.url}/c")
    assert (result.content_type, result.charset) == ("text/html", charset)
    assert result.body.decode(charset or "latin-1") == "café"


async def test_gzip_content_encoding_is_decoded(fetcher: Fetcher) -> None:
    html = "<html><body>" + "é" * 1000 + "</body></html>"
    route = Route(body=gzip.compress(html.encode()), headers={"Content-Encoding": "gzip"})
    with serve_site({"/z": route}) as site:
        result = await fetcher.fetch(f"{site.url}/z")
    assert result.body.decode() == html


async def test_deflate_raw_or_zlib_and_gzip_of_two_members_are_decoded(fetcher: Fetcher) -> None:
    html = "<html><body>" + "é" * 1000 + "</body></html>"
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    routes = {
        "/zlib": Route(body=zlib.compress(html.encode()), headers={"Content-Encoding": "deflate"}),
        "/raw": Route(
            body=raw.compress(html.encode()) + raw.flush(), headers={"Content-Encoding": "deflate"}
        ),
        # bytes after the gzip data (padding) and a line end after zlib data: ignored
        "/padded": Route(
            body=gzip.compress(html.encode()) + b"\0" * 16, headers={"Content-Encoding": "gzip"}
        ),
        "/crlf": Route(
            body=zlib.compress(html.encode()) + b"\r\n", headers={"Content-Encoding": "deflate"}
        ),
        "/two": Route(
            body=gzip.compress(html[:20].encode()) + gzip.compress(html[20:].encode()),
            headers={"Content-Encoding": "gzip"},
        ),
    }
    with serve_site(routes) as site:
        for path in routes:
            result = await fetcher.fetch(f"{site.url}{path}")
            assert result.body.decode() == html, path


async def test_a_gzip_bomb_is_cut_without_being_inflated_whole() -> None:
    """httpx inflates a whole network chunk at once: 64 KB of a bomb were 64 MB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(packer.compress(b" " * 1_000_000) for _ in range(200)) + packer.flush()
    route = Route(body=bomb, headers={"Content-Encoding": "gzip"})
    small = Fetcher(
        user_agent="CalanqueBot/test",
        connect_timeout=5,
        read_timeout=5,
        total_timeout=10,
        max_body_bytes=100_000,
    )
    with serve_site({"/bomb": route}) as site:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        async with small:
            result = await small.fetch(f"{site.url}/bomb")
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.truncated and len(result.body) == 100_000
    assert grown_mb < 20


async def test_connection_refused_is_a_network_error(fetcher: Fetcher) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(url)
    assert caught.value.kind == "network" and caught.value.url == url
    assert caught.value.__cause__ is not None


async def test_garbage_response_is_a_protocol_error(fetcher: Fetcher) -> None:
    junk = {"/junk": Route(raw=b"SPAM SPAM SPAM\r\n\r\n")}
    with serve_site(junk) as site, pytest.raises(FetchError) as caught:
        await fetcher.fetch(f"{site.url}/junk")
    assert caught.value.kind == "protocol"


async def test_non_http_redirect_and_url(fetcher: Fetcher) -> None:
    routes = {"/ftp": Route(redirect_to="ftp://files.example/x")}
    with serve_site(routes) as site, pytest.raises(FetchError) as redirect:
        await fetcher.fetch(f"{site.url}/ftp")
    with pytest.raises(FetchError) as bad_url:
        await fetcher.fetch("gopher://example.org/")
    assert redirect.value.kind == bad_url.value.kind == "invalid-url"


async def test_many_slow_connections_at_once(fetcher: Fetcher) -> None:
    threads_before = threading.active_count()
    routes = {f"/s{i}": Route(body=f"page {i}", delay_s=0.5) for i in range(30)}
    with serve_site(routes) as site:
        started = time.monotonic()
        results = await asyncio.gather(*(fetcher.fetch(f"{site.url}/s{i}") for i in range(30)))
        elapsed = time.monotonic() - started
    assert [r.body for r in results] == [f"page {i}".encode() for i in range(30)]
    assert elapsed < 2.0
    assert threading.active_count() == threads_before, "the fixture server leaked threads"
