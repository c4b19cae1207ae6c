"""The HTTP fetcher: one page per call, with size, time and redirect limits.

Step 3 of the data flow (docs/architecture.md). One shared ``httpx.AsyncClient``
(HTTP/2 when ``h2`` is installed) downloads a URL:

- redirects are followed by hand, at most ``max_redirects`` hops; every hop's
  absolute URL is first given to the awaited ``check_hop`` callback, which stops
  the fetch by raising (:class:`ConsentRefused`, ``FetchError(kind="out-of-scope")``);
- ``etag`` / ``last_modified`` become ``If-None-Match`` / ``If-Modified-Since``;
  a 304 comes back as ``FetchResult(status=304, body=b"")``;
- the body is streamed and reading stops at ``max_body_bytes`` (``truncated``), a gzip or
  deflate body inflated a bounded piece at a time (a bomb never held whole);
- ``total_timeout`` bounds the whole call, redirects included;
- an HTTP error status (4xx, 5xx) is a result, not an exception;
- proxy and certificate settings from the environment are ignored
  (``trust_env=False``), so a crawl behaves the same on every machine;
- ``auth`` (:func:`calanque.collect.signing.bot_auth`) signs every request, each
  redirect hop included, so publishers can verify who fetches (Web Bot Auth).

Every failure is a :class:`FetchError` whose ``kind`` is one of
:data:`FETCH_ERROR_KINDS`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from calanque.collect.guard import FORBIDDEN_ADDRESS, refused_by_guard
from calanque.collect.tls import shared_ssl_context
from calanque.collect.urls import normalize_url
from calanque.errors import FetchError, SourceError

FETCH_ERROR_KINDS = (
    "timeout",
    "network",
    "protocol",
    "redirect-loop",
    "invalid-url",
    FORBIDDEN_ADDRESS,
)
"""``FetchError.kind`` values raised here (``check_hop`` may add ``out-of-scope``)."""

REDIRECT_BODY_BYTES = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
GENERIC_TYPES = frozenset(
    {
        "",
        "application/octet-stream",
        "binary/octet-stream",
        "application/unknown",
        "unknown/unknown",
    }
)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

HopCheck = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class FetchResult:
    """What one fetch brought back (after redirects)."""

    url: str  # final URL after redirects
    status: int
    headers: dict[str, str]  # lowercased keys; repeated headers joined with ", "
    body: bytes  # at most max_body_bytes
    truncated: bool  # the body was cut at max_body_bytes
    content_type: str  # declared or sniffed MIME type, lowercased, without parameters
    charset: str | None  # from the Content-Type header, lowercased
    redirects: tuple[str, ...]  # the URLs redirected to, in order
    elapsed_s: float


@dataclass(frozen=True)
class _Redirect:
    location: str


class Fetcher:
    """Downloads pages over one shared connection pool. Use ``async with`` or ``aclose()``."""

    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout: float,
        read_timeout: float,
        total_timeout: float,
        max_body_bytes: int,
        max_redirects: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
        check_hop: HopCheck | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        self._total_timeout = total_timeout
        self._max_body_bytes = max_body_bytes
        self._max_redirects = max_redirects
        self._check_hop = check_hop
        timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=total_timeout
        )
        http2 = importlib.util.find_spec("h2") is not None
        self._client = httpx.AsyncClient(
            http2=http2,
            verify=shared_ssl_context(http2),
            follow_redirects=False,
            timeout=timeout,
            headers={"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            transport=transport,
            trust_env=False,
            auth=auth,  # the crawler's signature (collect/signing.py), on every hop
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """Download ``url``; raise :class:`FetchError` (or what ``check_hop`` raises)."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._total_timeout):
                return await self._follow(url, headers, started)
        except TimeoutError as exc:
            raise FetchError(
                f"fetching {url} took longer than total_timeout={self._total_timeout}s; "
                "the server is too slow (raise crawl.total_timeout to wait longer)",
                url=url,
                kind="timeout",
            ) from exc

    async def _follow(self, url: str, headers: dict[str, str], started: float) -> FetchResult:
        current = url
        hops: list[str] = []
        seen = {_loop_key(url)}
        while True:
            outcome = await self._get(current, headers, started, tuple(hops))
            if isinstance(outcome, FetchResult):
                return outcome
            target = _resolve_location(current, outcome.location)
            if len(hops) >= self._max_redirects:
                raise FetchError(
                    f"{url} redirects more than {self._max_redirects} times "
                    f"(last hop {current} -> {target}); fix the redirect chain on the server",
                    url=url,
                    kind="redirect-loop",
                )
            key = _loop_key(target)
            if key in seen:
                raise FetchError(
                    f"{url} redirects in a loop ({current} -> {target} was already visited); "
                    "fix the redirects on the server",
                    url=url,
                    kind="redirect-loop",
                )
            seen.add(key)
            if self._check_hop is not None:
                await self._check_hop(target)
            hops.append(target)
            current = target

    async def _get(
        self, url: str, headers: dict[str, str], started: float, hops: tuple[str, ...]
    ) -> FetchResult | _Redirect:
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                location = response.headers.get("location")
                if response.status_code in REDIRECT_STATUSES and location:
                    # read a small body so the connection can be reused for the next hop
                    await _read_capped(response, REDIRECT_BODY_BYTES)
                    return _Redirect(location)
                body, truncated = await _read_capped(response, self._max_body_bytes)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _wrap_httpx_error(exc, url) from exc
        return _build_result(url, response, body, truncated, hops, time.monotonic() - started)


# Content encodings decoded here, a bounded piece at a time: httpx decodes a whole network
# chunk at once, and a 64 KB chunk of a gzip bomb is 64 MB. Only these are asked for.
ACCEPT_ENCODING = "gzip, deflate"
_ZLIB_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 47}  # 47: a zlib or a gzip header


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` decoded bytes; tell whether more was available."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in _ZLIB_WBITS:
        return await _inflate_capped(response, limit, _ZLIB_WBITS[encoding])
    buffer = bytearray()
    async for chunk in response.aiter_bytes():
        if not chunk:
            continue
        room = limit - len(buffer)
        if len(chunk) > room:
            buffer += chunk[:room]
            return bytes(buffer), True
        buffer += chunk
    return bytes(buffer), False


async def _inflate_capped(response: httpx.Response, limit: int, wbits: int) -> tuple[bytes, bool]:
    """:func:`_read_capped` for a gzip or deflate body, never more than ``limit`` + 1 bytes
    decoded at a time (a raw deflate stream, without its zlib header, is read too)."""
    decoder = zlib.decompressobj(wbits)
    buffer = bytearray()
    started = False
    async for raw in response.aiter_raw():
        data = raw
        while data:
            try:
                buffer += decoder.decompress(data, limit - len(buffer) + 1)
            except zlib.error as exc:
                if started or wbits != 47:
                    kind = "gzip" if wbits == 31 else "deflate"
                    raise httpx.DecodingError(f"the {kind} body does not decode: {exc}") from exc
                decoder, wbits = zlib.decompressobj(-15), -15  # raw deflate
                continue
            started = True
            if len(buffer) > limit:
                return bytes(buffer[:limit]), True
            data = decoder.unconsumed_tail
            if decoder.eof:  # another gzip member may follow; other trailing bytes do not count
                data = decoder.unused_data
                if not (wbits == 31 and data.startswith(b"\x1f\x8b")):
                    return bytes(buffer), False
                decoder = zlib.decompressobj(wbits)
    return bytes(buffer), False


def _build_result(
    url: str,
    response: httpx.Response,
    body: bytes,
    truncated: bool,
    hops: tuple[str, ...],
    elapsed_s: float,
) -> FetchResult:
    header = response.headers.get("content-type", "")
    declared, charset = parse_content_type(header)
    return FetchResult(
        url=url,
        status=response.status_code,
        headers={key.lower(): value for key, value in response.headers.items()},
        body=body,
        truncated=truncated,
        content_type=content_type_of(declared, body),
        charset=charset,
        redirects=hops,
        elapsed_s=elapsed_s,
    )


def _resolve_location(current: str, location: str) -> str:
    target = urldefrag(urljoin(current, location.strip())).url
    if urlsplit(target).scheme.lower() not in ("http", "https"):
        raise FetchError(
            f"{current} redirects to {location!r}, which is not an http(s) URL",
            url=current,
            kind="invalid-url",
        )
    return target


def _loop_key(url: str) -> str:
    try:
        return normalize_url(url)
    except SourceError as exc:
        raise FetchError(str(exc), url=url, kind="invalid-url") from exc


def _wrap_httpx_error(exc: Exception, url: str) -> FetchError:
    name = type(exc).__name__
    if refused_by_guard(exc):
        return FetchError(f"{url}: {exc}", url=url, kind=FORBIDDEN_ADDRESS)
    if isinstance(exc, httpx.TimeoutException):
        return FetchError(
            f"{url}: {name} ({exc}); the server did not answer in time "
            "(crawl.connect_timeout / crawl.read_timeout)",
            url=url,
            kind="timeout",
        )
    if isinstance(exc, httpx.NetworkError | httpx.ProxyError):
        return FetchError(
            f"{url}: {name} ({exc}); check that the host exists and is reachable",
            url=url,
            kind="network",
        )
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return FetchError(
            f"{url} cannot be requested: {exc}; give an absolute http(s) URL",
            url=url,
            kind="invalid-url",
        )
    return FetchError(
        f"{url}: the server sent an invalid HTTP response ({name}: {exc})",
        url=url,
        kind="protocol",
    )


def parse_content_type(header: str) -> tuple[str, str | None]:
    """``"text/html; charset=ISO-8859-1"`` -> ``("text/html", "iso-8859-1")``."""
    mime, *params = header.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower() or None
    return mime.strip().lower(), charset


def content_type_of(declared: str, body: bytes) -> str:
    """The MIME type to trust: the declared one, unless it is missing or generic.

    A missing or generic type (``application/octet-stream``) is replaced by the
    sniffed one; ``text/plain`` becomes ``text/html`` when the body is HTML. A
    specific declared type is kept even when the body disagrees (extraction
    decides what to do with a binary served as ``text/html``).
    """
    sniffed = sniff_content_type(body)
    if declared in GENERIC_TYPES:
        return sniffed or declared or ("application/octet-stream" if body else "")
    if declared == "text/plain" and sniffed == "text/html":
        return sniffed
    return declared


def sniff_content_type(body: bytes) -> str | None:
    """Guess a MIME type from the first bytes of ``body``; ``None`` if unknown."""
    if body.startswith(b"%PDF-"):
        return "application/pdf"
    if body.startswith(b"PK\x03\x04"):
        return DOCX_TYPE if b"word/" in body else "application/zip"
    if body.startswith(b"\x1f\x8b"):
        return "application/gzip"
    head = _skip_comments(body[:1024].lstrip(b"\xef\xbb\xbf").lstrip().lower())
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "text/html"
    if head.startswith(b"<?xml"):
        return _sniff_xml(head) or "application/xml"
    return _sniff_xml(head) if head.startswith(XML_ROOTS) else None


XML_ROOTS = (b"<rss", b"<rdf:rdf", b"<feed", b"<urlset", b"<sitemapindex")


def _skip_comments(head: bytes) -> bytes:
    while head.startswith(b"<!--"):
        end = head.find(b"-->")
        if end < 0:
            return head
        head = head[end + 3 :].lstrip()
    return head


def _sniff_xml(head: bytes) -> str | None:
    for marker, mime in (
        (b"<rss", "application/rss+xml"),
        (b"<rdf:rdf", "application/rss+xml"),
        (b"<feed", "application/atom+xml"),
        (b"<urlset", "application/xml"),
        (b"<sitemapindex", "application/xml"),
        (b"<html", "application/xhtml+xml"),
    ):
        if marker in head:
            return mime
    return None
