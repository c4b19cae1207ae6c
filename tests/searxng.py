"""A SearxNG-compatible search server on 127.0.0.1, for tests and benchmarks.

    from tests.searxng import Result, serve_searxng

    with serve_searxng(lambda query: [Result(url, "Title", "snippet")]) as searx:
        ...settings web.searxng_url = searx.url...

``GET /search?q=…&format=json`` answers SearxNG's JSON shape (``query``,
``number_of_results``, ``results[]`` with ``url``, ``title``, ``content``,
``publishedDate``, ``engine``, ``engines``, ``score``, ``category``, plus the empty
``answers``, ``corrections``, ``infoboxes``, ``suggestions``, ``unresponsive_engines``).
Without ``format=json`` it answers 403, as SearxNG does when the JSON format is not
enabled. ``mode`` makes it misbehave: ``html`` (an HTML page), ``bad-json``, ``429``,
``slow`` (waits ``delay_s`` first). Every request's query parameters are kept in
``requests``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qs, urlsplit

Mode = Literal["ok", "html", "bad-json", "429", "slow"]


@dataclass(frozen=True)
class Result:
    url: str
    title: str = ""
    content: str = ""
    published: str | None = None

    def as_json(self, rank: int) -> dict[str, object]:
        return {
            "url": self.url,
            "title": self.title,
            "content": self.content,
            "publishedDate": self.published,
            "engine": "fixture",
            "engines": ["fixture"],
            "positions": [rank],
            "score": 1.0 / rank,
            "category": "general",
        }


Results = Callable[[str], list[Result]]


@dataclass
class SearxNG:
    url: str
    results: Results
    mode: Mode = "ok"
    delay_s: float = 10.0
    requests: list[dict[str, str]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def answer(self, params: dict[str, str]) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request."""
        self.requests.append(params)
        if self.mode == "slow" and self.stopping.wait(self.delay_s):
            return 503, "text/plain", b"stopping"
        if self.mode == "html":
            return (
                200,
                "text/html; charset=utf-8",
                b"<!doctype html><html><body>SearXNG</body></html>",
            )
        if self.mode == "bad-json":
            return 200, "application/json", b'{"query": "x", "results": [{"url": '
        if self.mode == "429":
            return 429, "text/plain", b"Too Many Requests"
        if params.get("format") != "json":
            return 403, "text/html", b"<html>403 Forbidden</html>"
        query = params.get("q", "")
        found = [r.as_json(rank) for rank, r in enumerate(self.results(query), 1)]
        body = {
            "query": query,
            "number_of_results": len(found),
            "results": found,
            "answers": [],
            "corrections": [],
            "infoboxes": [],
            "suggestions": [],
            "unresponsive_engines": [],
        }
        return 200, "application/json", json.dumps(body).encode()


def _handler(searx: SearxNG) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:
            split = urlsplit(self.path)
            if split.path != "/search":
                status, kind, body = 404, "text/plain", b"not found"
            else:
                params = {k: v[0] for k, v in parse_qs(split.query).items()}
                status, kind, body = searx.answer(params)
            with suppress(ConnectionError):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

    return Handler


@contextmanager
def serve_searxng(results: Results, mode: Mode = "ok") -> Iterator[SearxNG]:
    """Run a SearxNG-compatible server for the ``with`` block."""
    searx = SearxNG("", results, mode)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(searx))
    server.daemon_threads = True
    searx.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield searx
    finally:
        searx.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
