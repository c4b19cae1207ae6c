"""URL normalisation and crawl-scope checks (pure; the address checks live in
:mod:`calanque.collect.guard`).

:func:`normalize_url` gives every URL one spelling, so the frontier stores a
page once however it was linked. It follows RFC 3986 section 6 and is
idempotent (``normalize_url(normalize_url(u)) == normalize_url(u)``):

1. resolve against ``base`` (relative links), strip surrounding white space;
2. only ``http`` and ``https`` with a host are accepted, else :class:`SourceError`;
3. lowercase scheme and host, IDNA-encode international host names, drop a
   trailing dot and the scheme's default port (80 / 443);
4. remove ``.`` and ``..`` path segments; an empty path becomes ``/``;
5. percent-encoding: escapes upper-cased, escaped unreserved characters
   (``A-Z a-z 0-9 - . _ ~``) decoded, spaces, non-ASCII and other characters
   that are not allowed literally encoded as UTF-8 escapes, a lone ``%`` as ``%25``;
6. drop the fragment;
7. drop tracking parameters (:data:`TRACKING_PARAMS`, :data:`TRACKING_PREFIXES`,
   plus the caller's ``strip_params``), then sort the rest by name (a stable
   sort: repeated names keep their order). ``+`` is kept as written.

courlan's ``normalize_url`` was measured and not used: it keeps fragments, keeps
``..`` segments, leaves escapes in lower case and its tracker expression also
strips meaningful parameters (``game``, ``source``, ``keyword``). ``ref`` is kept
on purpose: code hosts use it for branches (``?ref=main``).

Scope include/exclude patterns are Python regular expressions searched
(``re.search``) in the normalised URL; use ``^`` / ``$`` to anchor them.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from calanque.errors import SourceError
from calanque.types import Scope

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
        "_openstat", "ref_src", "ref_url", "oly_anon_id", "oly_enc_id", "vero_id", "mkt_tok",
    }
)  # fmt: skip
"""Query parameter names (case-insensitive) that only track visitors."""

TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "itm_", "hsa_")
"""Query parameter name prefixes (case-insensitive) that only track visitors."""

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = "!$&'()*+,;="
_PATH_SAFE = _UNRESERVED | frozenset(_SUB_DELIMS + ":@/")
_QUERY_KEY_SAFE = _UNRESERVED | frozenset("!$'()*+,;:@/?")  # no & or = inside a name
_QUERY_VALUE_SAFE = _QUERY_KEY_SAFE | frozenset("=")
_USERINFO_SAFE = _UNRESERVED | frozenset(_SUB_DELIMS + ":")
_HEX = frozenset("0123456789abcdefABCDEF")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_RE = re.compile(r"^[a-z0-9._~!$&'()*+,;=-]+$")


def normalize_url(url: str, base: str | None = None, *, strip_params: tuple[str, ...] = ()) -> str:
    """Return the one canonical spelling of ``url`` (resolved against ``base``).

    ``strip_params`` names extra query parameters to drop (settings
    ``crawl.strip_query_params``). Raises :class:`SourceError` for anything that
    is not an absolute http(s) URL with a valid host and port.
    """
    raw = url.strip()
    if base is not None:
        raw = urljoin(base.strip(), raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise SourceError(f"malformed URL {url!r}: {exc}; check the host and port") from exc
    scheme = parts.scheme.lower()
    if not scheme:
        raise SourceError(f"relative URL {url!r}: give an absolute http(s) URL or a base URL")
    if scheme not in _DEFAULT_PORTS:
        raise SourceError(f"unsupported URL {url!r}: only http:// and https:// URLs can be crawled")
    netloc = _normalize_netloc(url, parts.username, parts.password, parts.hostname, port, scheme)
    path = _remove_dot_segments(_normalize_escapes(parts.path or "/", _PATH_SAFE))
    query = _normalize_query(parts.query, strip_params)
    return urlunsplit((scheme, netloc, path, query, ""))


def _normalize_netloc(
    url: str,
    user: str | None,
    password: str | None,
    host: str | None,
    port: int | None,
    scheme: str,
) -> str:
    host = _normalize_host(url, host)
    netloc = host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    if user is not None:
        userinfo = _normalize_escapes(user, _USERINFO_SAFE)
        if password is not None:
            userinfo += ":" + _normalize_escapes(password, _USERINFO_SAFE)
        netloc = f"{userinfo}@{netloc}"
    return netloc


def _normalize_host(url: str, host: str | None) -> str:
    if not host:
        raise SourceError(
            f"malformed URL {url!r}: it has no host name; write it as http://host/path"
        )
    if ":" in host:  # IPv6 literal (urlsplit removed the brackets)
        try:
            return f"[{ipaddress.IPv6Address(host.split('%')[0]).compressed}]"
        except ValueError as exc:
            raise SourceError(f"malformed URL {url!r}: bad IPv6 address {host!r}") from exc
    host = unquote(host).rstrip(".").lower()
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise SourceError(f"malformed URL {url!r}: host {host!r} is not a valid name") from exc
    if not _HOST_RE.match(ascii_host):
        raise SourceError(f"malformed URL {url!r}: host {host!r} contains invalid characters")
    return ascii_host


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on ``/``-separated segments."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        elif segment == ".":
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _normalize_escapes(text: str, safe: frozenset[str]) -> str:
    """Canonical percent-encoding of one URL component (see the module docstring)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%" and i + 2 < len(text) and text[i + 1] in _HEX and text[i + 2] in _HEX:
            decoded = chr(int(text[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else text[i : i + 3].upper())
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _normalize_query(query: str, strip_params: tuple[str, ...]) -> str:
    extra = {name.lower() for name in strip_params}
    pairs: list[tuple[str, str | None]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, sep, value = piece.partition("=")
        key = _normalize_escapes(name, _QUERY_KEY_SAFE)
        if _is_tracking(unquote(key).lower(), extra):
            continue
        pairs.append((key, _normalize_escapes(value, _QUERY_VALUE_SAFE) if sep else None))
    pairs.sort(key=lambda pair: pair[0])
    return "&".join(key if value is None else f"{key}={value}" for key, value in pairs)


def _is_tracking(name: str, extra: set[str]) -> bool:
    return name in TRACKING_PARAMS or name in extra or name.startswith(TRACKING_PREFIXES)


# Files a link may point to that no extractor reads (the list Scrapy's link extractor skips,
# less what Calanque reads: HTML, PDF, DOCX, Markdown, text, feeds and sitemaps, gzipped
# sitemaps included). A discovered link to one is not fetched: a docs site's folder of
# icons cost a polite crawl a request a second each and added nothing. Endings that name
# pages as often as files are not listed: "three.js", "Node.js" (a repository, an article),
# ".css", ".map", ".so", ".ai", ".bin", ".img".
MEDIA_EXTENSIONS = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "svgz",
        "webp",
        "avif",
        "bmp",
        "ico",
        "tif",
        "tiff",
        "psd",
        "eps",
        "heic",
        "mp3",
        "ogg",
        "oga",
        "wav",
        "flac",
        "m4a",
        "aac",
        "wma",
        "opus",
        "mid",
        "midi",
        "mp4",
        "m4v",
        "avi",
        "mov",
        "mkv",
        "webm",
        "wmv",
        "flv",
        "mpg",
        "mpeg",
        "3gp",
        "ogv",
        "zip",
        "tgz",
        "tbz2",
        "bz2",
        "xz",
        "7z",
        "rar",
        "tar",
        "lz",
        "lzma",
        "zst",
        "cab",
        "exe",
        "msi",
        "dmg",
        "deb",
        "rpm",
        "apk",
        "iso",
        "jar",
        "dll",
        "woff",
        "woff2",
        "ttf",
        "otf",
        "eot",
        "ppt",
        "pptx",
        "pps",
        "xls",
        "xlsx",
        "ods",
        "odp",
        "odg",
        "swf",
    ]  # noqa: SIM905 (a list, read as one)
)


def is_media(url: str) -> bool:
    """Does ``url``'s path end in an extension of :data:`MEDIA_EXTENSIONS` (``.tar.gz``
    too)?"""
    path = urlsplit(url).path.lower()
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".tar.gz"):
        return True
    _, dot, extension = name.rpartition(".")
    return bool(dot) and extension in MEDIA_EXTENSIONS


def seed_folder(url: str) -> str:
    """The folder of a seed URL: ``http://h/a/b/page.html`` -> ``http://h/a/b/``."""
    parts = urlsplit(normalize_url(url))
    folder = parts.path[: parts.path.rfind("/") + 1]
    return urlunsplit((parts.scheme, parts.netloc, folder, "", ""))


def host_key(url: str) -> str:
    """The politeness key of a URL: ``scheme://host[:port]`` (default port omitted)."""
    parts = urlsplit(normalize_url(url))
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def in_scope(url: str, scope: Scope, seed: str) -> bool:
    """Whether ``url`` belongs to a source with this ``scope`` and ``seed``.

    ``prefix``: the URL starts with ``scope.prefix`` (default: the seed's folder);
    ``host``: same host as ``scope.host`` (default: the seed's host and port; a
    ``scope.host`` without a port matches any port), http or https; ``any``: no
    restriction. Then, if ``scope.include`` is not empty, one include pattern must
    match, and no exclude pattern may match (exclude wins). Malformed and
    non-http(s) URLs are never in scope.
    """
    try:
        normalized = normalize_url(url)
    except SourceError:
        return False
    if not _mode_allows(normalized, scope, seed):
        return False
    if scope.include and not any(_search(p, normalized) for p in scope.include):
        return False
    return not any(_search(pattern, normalized) for pattern in scope.exclude)


def _mode_allows(normalized: str, scope: Scope, seed: str) -> bool:
    if scope.mode == "any":
        return True
    if scope.mode == "prefix":
        prefix = normalize_url(scope.prefix) if scope.prefix else seed_folder(seed)
        return normalized.startswith(prefix)
    wanted = scope.host.lower().rstrip(".") if scope.host else host_key(seed).split("://", 1)[1]
    netloc = host_key(normalized).split("://", 1)[1]
    if ":" in wanted and not wanted.startswith("["):
        return netloc == wanted
    return urlsplit(normalized).hostname == wanted.strip("[]") or netloc == wanted


def _search(pattern: str, url: str) -> bool:
    try:
        return re.search(pattern, url) is not None
    except re.error as exc:
        raise SourceError(
            f"invalid scope pattern {pattern!r}: {exc}; patterns are Python regular expressions"
        ) from exc


def check_scope_patterns(scope: Scope) -> None:
    """Raise :class:`SourceError` if an include/exclude pattern is not a valid regex."""
    for pattern in (*scope.include, *scope.exclude):
        _search(pattern, "")
