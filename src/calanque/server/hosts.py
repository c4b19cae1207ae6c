"""Which browsers may talk to the server: a ``Host`` allow-list and an ``Origin`` check.

* **Host.** A page on ``evil.example`` whose name is made to resolve to 127.0.0.1 (DNS
  rebinding) reaches a key-less server as if it were on this machine, but its requests
  say ``Host: evil.example``. Only the bound address, the loopback names and
  ``server.allowed_hosts`` are served; any other ``Host`` gets 400.
* **Origin.** A page of another site can still send a state-changing request (a form, or
  ``fetch`` without reading the answer) to 127.0.0.1. Browsers say where it comes from in
  ``Origin``: a POST, PUT, PATCH or DELETE whose ``Origin`` is neither this server's own
  origin nor a host of ``server.allowed_hosts`` gets 403. Requests without ``Origin``
  (curl, the openai client, scripts) are not browsers' cross-site requests and pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from calanque.server.errors import RequestError, error_response

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def host_name(netloc: str) -> str:
    """``example.org`` for ``Example.org:8000``, ``::1`` for ``[::1]:8000``; "" if unreadable."""
    try:
        return (urlsplit(f"//{netloc}").hostname or "").rstrip(".")
    except ValueError:
        return ""


def matches(name: str, patterns: Iterable[str]) -> bool:
    """Whether ``name`` is one of ``patterns`` (``*`` is any name, ``*.x.org`` any below x.org)."""
    for pattern in patterns:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


class BrowserGuardMiddleware:
    """400 for a foreign ``Host``, 403 for a cross-origin state-changing request."""

    def __init__(self, app: ASGIApp, bound_host: str, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.configured = tuple(h.lower().strip("[]") for h in allowed_hosts)
        bound = bound_host.lower().strip("[]")
        self.hosts = (*LOOPBACK_NAMES, bound, *self.configured)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            error = self.check(Headers(scope=scope), scope["method"])
            if error is not None:
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def check(self, headers: Headers, method: str) -> RequestError | None:
        host = headers.get("host", "")
        if not matches(host_name(host).lower(), self.hosts):
            return RequestError(
                f"this server does not answer for the host {host!r}: use its address, "
                "localhost or 127.0.0.1, or ask the operator to add the name to "
                "server.allowed_hosts.",
                status=400,
                kind="host_not_allowed",
            )
        origin = headers.get("origin")
        if origin is None or method not in STATE_CHANGING or self.same_origin(origin, host):
            return None
        return RequestError(
            f"refused a {method} from the web page at Origin {origin!r}: only this server's "
            "own page may change things from a browser. Send the request without an Origin "
            "header (curl, a script), or ask the operator to add that host to "
            "server.allowed_hosts.",
            status=403,
            kind="origin_not_allowed",
        )

    def same_origin(self, origin: str, host: str) -> bool:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # "null" (sandboxed frames, files) and anything odd
        if parts.netloc.lower() == host.lower():
            return True
        return matches(host_name(parts.netloc).lower(), self.configured)
