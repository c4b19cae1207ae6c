"""A real HTTP/1.1 fixture web server on 127.0.0.1, for end-to-end tests.

    from tests.sites import Route, serve_site

    with serve_site({"/": Route(body="<h1>hi</h1>")}, root=tmp_path) as site:
        ...fetch f"{site.url}/"...
        assert site.requests[0].headers["user-agent"] == "CalanqueBot/..."

Routes match the request path with its query first, then without it. When no
route matches, files are served from ``root`` (a directory serves its
``index.html``; a directory path without a trailing slash is redirected with
301), with a content type from the file name and ``ETag`` / ``Last-Modified``
validators. Every ``200`` answer that carries an ``ETag`` or ``Last-Modified``
header (static files and routes alike) answers a matching conditional request
with ``304``. Unknown paths get ``404``.

The server runs each connection in its own thread, so many slow connections
(``delay_s``, ``trickle_bps``) can be open at once. Leaving the ``with`` block
closes every open connection, stops the threads and closes the socket.
"""

from __future__ import annotations

import email.utils
import mimetypes
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".gz": "application/gzip",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Route:
    """One canned answer.

    ``body`` as ``str`` is encoded with the charset named in ``content_type``
    (default UTF-8). ``content_type=None`` sends no Content-Type header. The body
    is sent ``repeat`` times (a 50 MB page without a 50 MB string). ``delay_s``
    waits before answering; ``trickle_bps`` sends the body at that many bytes per
    second. ``redirect_to`` sets ``Location`` (and status 302 unless ``status``
    is already a 3xx). ``raw`` is written to the socket as the whole answer (for
    invalid HTTP), then the connection is closed.
    """

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay_s: float = 0.0
    trickle_bps: int = 0
    redirect_to: str | None = None
    repeat: int = 1
    raw: bytes | None = None

    def body_bytes(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        charset = "utf-8"
        for param in (self.content_type or "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                charset = value.strip().strip("\"'")
        return self.body.encode(charset)


@dataclass(frozen=True)
class RequestRecord:
    """One request the server received; header names are lowercased."""

    time: float  # time.monotonic() when the request line was read
    method: str
    path: str  # with the query string
    headers: dict[str, str]


class Site:
    """A running fixture server; see the module docstring."""

    def __init__(
        self, routes: dict[str, Route], root: Path | None, host: str = "127.0.0.1"
    ) -> None:
        self.root = root.resolve() if root is not None else None
        self._routes = dict(routes)
        self._requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = _Server((host, 0), _Handler, self)
        self.port: int = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RequestRecord]:
        return [record for record in self.requests if record.path == path]

    def set(self, path: str, route: Route) -> None:
        """Add or replace the route for ``path`` while the server runs."""
        with self._lock:
            self._routes[path] = route

    def route_for(self, path: str) -> Route | None:
        with self._lock:
            return self._routes.get(path) or self._routes.get(urlsplit(path).path)

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()  # joins the connection threads
        self._thread.join()


@contextmanager
def serve_site(
    routes: dict[str, Route] | None = None, root: Path | None = None, host: str = "127.0.0.1"
) -> Iterator[Site]:
    """Run a fixture server for the duration of the ``with`` block (``host``: another
    loopback address, such as 127.0.0.2, for a second "machine")."""
    site = Site(routes or {}, root, host)
    site.start()
    try:
        yield site
    finally:
        site.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (connecting is refused)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins them: no thread outlives the site
    block_on_close = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], site: Site) -> None:
        self.site = site
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:  # skip HTTPServer's reverse DNS look-up
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Unblock every connection thread (idle keep-alive reads, slow writes)."""
        with self._open_lock:
            for sock in self._open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        site = self.server.site
        site.record(
            RequestRecord(
                time.monotonic(),
                self.command,
                self.path,
                {key.lower(): value for key, value in self.headers.items()},
            )
        )
        route = site.route_for(self.path) or _static_route(site.root, self.path)
        with suppress(ConnectionError, TimeoutError):
            if route.delay_s and site.stopping.wait(route.delay_s):
                return
            if route.raw is not None:
                self.wfile.write(route.raw)
                self.close_connection = True
                return
            self._send(route, send_body)

    def _send(self, route: Route, send_body: bool) -> None:
        body = route.body_bytes()
        status = route.status
        headers = dict(route.headers)
        if route.redirect_to is not None:
            headers["Location"] = route.redirect_to
            status = status if 300 <= status < 400 else 302
        if status == 200 and _not_modified(self.headers, headers):
            status, body, route = 304, b"", Route(repeat=1, content_type=None)
        self.send_response(status)
        if route.content_type is not None:
            self.send_header("Content-Type", route.content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) * route.repeat))
        self.end_headers()
        if send_body and status != 304:
            self._write_body(body, route)

    def _write_body(self, body: bytes, route: Route) -> None:
        if route.trickle_bps:
            self._trickle(body * route.repeat, route.trickle_bps)
            return
        for _ in range(route.repeat):
            self.wfile.write(body)

    def _trickle(self, body: bytes, bytes_per_s: int) -> None:
        step = max(1, bytes_per_s // 10)
        for start in range(0, len(body), step):
            self.wfile.write(body[start : start + step])
            self.wfile.flush()
            if self.server.site.stopping.wait(step / bytes_per_s):
                return


def _not_modified(request: Message, response_headers: dict[str, str]) -> bool:
    """RFC 9110 section 13.1: If-None-Match first, else If-Modified-Since."""
    get = request.get
    lowered = {key.lower(): value for key, value in response_headers.items()}
    etag = lowered.get("etag")
    if_none_match = get("If-None-Match")
    if if_none_match is not None:
        if etag is None:
            return False
        wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in wanted or etag.removeprefix("W/") in wanted
    since, modified = get("If-Modified-Since"), lowered.get("last-modified")
    if since is None or modified is None:
        return False
    try:
        return email.utils.parsedate_to_datetime(modified) <= email.utils.parsedate_to_datetime(
            since
        )
    except (TypeError, ValueError):
        return False


def _static_route(root: Path | None, request_path: str) -> Route:
    not_found = Route(status=404, body="<h1>404 Not Found</h1>")
    if root is None:
        return not_found
    path = unquote(urlsplit(request_path).path)
    target = (root / path.lstrip("/")).resolve()
    if not target.is_relative_to(root):
        return not_found
    if target.is_dir():
        if not path.endswith("/"):
            return Route(status=301, redirect_to=path + "/", content_type=None)
        target = target / "index.html"
    if not target.is_file():
        return not_found
    return _file_route(target)


def _file_route(target: Path) -> Route:
    stat = target.stat()
    suffix = target.suffix.lower()
    content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(target.name)[0]
    return Route(
        body=target.read_bytes(),
        content_type=content_type or "application/octet-stream",
        headers={
            "ETag": f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"',
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
        },
    )
