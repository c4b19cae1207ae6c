"""Who may call the API, how often, and with how large a request.

* **Keys.** ``Authorization: Bearer <key>``; keys are stored hashed in the catalog
  (``calanque keys create NAME``). When no key exists, the server serves loopback
  clients only (and ``calanque serve`` refuses to bind another address). When keys
  exist, every API request needs one, loopback included: a reverse proxy on the same
  machine must not turn every visitor into the operator.
* **Roles.** An ``admin`` key manages sources, crawls and the consent ledger; a ``reader``
  key searches, asks and keeps its own threads (:data:`ADMIN`). A thread belongs to the
  key that created it: another key gets 404, as for a thread that does not exist. An
  admin key also sees the threads the operator made with the CLI. Without any key, the
  loopback operator is an admin who sees every thread (:class:`Caller`); the threads it
  makes from the web page belong to that browser (a random id in the
  :data:`BROWSER_COOKIE` cookie), so each browser's history lists its own threads.
* **Rate limit.** A token bucket per key name, in memory (``server.rate_limit_per_minute``;
  0 turns it off). Loopback calls without a key (no key configured) are not limited.
* **Size.** Request bodies over ``server.max_request_bytes`` get 413, whether they say
  their length or stream it.

The key itself is never logged or stored; only its name travels further.
"""

from __future__ import annotations

import ipaddress
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calanque.catalog.conversations import EVERY_THREAD, ApiKeys, ThreadScope
from calanque.errors import AuthError
from calanque.server.errors import RequestError, error_response

NO_KEY_REMOTE = (
    "this server has no API key yet, so it only answers clients on the same machine "
    "(loopback). Create a key with `calanque keys create NAME` and send it as "
    "`Authorization: Bearer <key>`."
)


ADMIN = "admin"
READER = "reader"
# The web page's per-browser id (set by GET /, HttpOnly, SameSite=Lax): without API keys,
# the threads a browser makes are stored as owned by ``browser:<id>``.
BROWSER_COOKIE = "calanque_browser"
BROWSER_OWNER = "browser:"
_BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_browser_id() -> str:
    return secrets.token_urlsafe(18)


def browser_id(request: Request) -> str:
    """The browser id of the request's cookie, or "" when there is none (or a malformed one)."""
    value = request.cookies.get(BROWSER_COOKIE, "")
    return value if _BROWSER_ID.match(value) else ""


@dataclass(frozen=True)
class Caller:
    """Who is calling: a key's name and role, or the local operator (no key configured)."""

    name: str
    role: str
    browser: str = ""  # the operator's web page: its browser id (see BROWSER_COOKIE)

    @property
    def is_operator(self) -> bool:
        return self.name == ""

    @property
    def thread_owner(self) -> str | None:
        """The owner recorded on the threads this caller creates: the key's name; for the
        operator, its browser (``browser:<id>``) on the web page, else None (the CLI's)."""
        if not self.is_operator:
            return self.name
        return BROWSER_OWNER + self.browser if self.browser else None

    def thread_scope(self) -> ThreadScope:
        """The threads this caller may open (and list with ``owner=all``)."""
        if self.is_operator:
            return EVERY_THREAD
        return ThreadScope(owner=self.name, with_operator=self.role == ADMIN)

    def own_threads(self) -> ThreadScope:
        """The threads this caller made: a key's, a browser's, or the CLI's (no browser)."""
        return ThreadScope(owner=self.thread_owner)

    def require(self, role: str) -> None:
        """Raise 403 unless this caller has ``role`` (an admin has every role)."""
        if role == ADMIN and self.role != ADMIN:
            raise AuthError(
                f"this route needs an admin key, and key {self.name!r} is a {self.role} key: "
                "ask the operator for an admin key (`calanque keys create NAME --role admin`).",
                status=403,
            )


OPERATOR = Caller("", ADMIN)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


@dataclass
class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second."""

    capacity: float
    rate: float
    tokens: float = -1.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def take(self, now: float | None = None) -> float:
        """0.0 when a token was taken, else the seconds to wait for the next one."""
        now = time.monotonic() if now is None else now
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """One token bucket per key name; ``per_minute <= 0`` means unlimited."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def check(self, name: str) -> None:
        if self.per_minute <= 0:
            return
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = TokenBucket(float(self.per_minute), self.per_minute / 60.0)
                self._buckets[name] = bucket
            wait = bucket.take()
        if wait > 0:
            error = AuthError(
                f"rate limit of {self.per_minute} requests per minute reached for key "
                f"{name!r}: retry in {math.ceil(wait)} s, or ask the operator to raise "
                "server.rate_limit_per_minute.",
                status=429,
            )
            error.retry_after = math.ceil(wait)  # type: ignore[attr-defined]
            raise error


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class Authenticator:
    """Decides, for each API request, who calls (:data:`OPERATOR` for the local operator)."""

    def __init__(self, keys: ApiKeys, limiter: RateLimiter, cache_s: float = 5.0) -> None:
        self.keys = keys
        self.limiter = limiter
        self.cache_s = cache_s
        self._count = 0
        self._count_at = -math.inf

    def _active_keys(self) -> int:
        now = time.monotonic()
        if now - self._count_at > self.cache_s:
            self._count = self.keys.active_count()
            self._count_at = now
        return self._count

    def forget(self) -> None:
        """Re-read the number of keys on the next request (after create / revoke)."""
        self._count_at = -math.inf

    def authenticate(self, request: Request) -> Caller:
        if self._active_keys() == 0:  # any bearer value is ignored: there is nothing to check
            if is_loopback(request.client.host if request.client else None):
                return OPERATOR
            raise AuthError(NO_KEY_REMOTE, status=403)
        key = bearer_key(request)
        if key is None:
            raise AuthError(
                "missing API key: send `Authorization: Bearer <key>` (the operator creates "
                "keys with `calanque keys create NAME`).",
                status=401,
            )
        found = self.keys.identify(key)
        if found is None:
            raise AuthError(
                "unknown or revoked API key: check the key, or ask the operator for a new one "
                "(`calanque keys create NAME`).",
                status=401,
            )
        self.limiter.check(found.name)
        return Caller(found.name, found.role)


class BodyLimitMiddleware:
    """Answers 413 when a request body is larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> RequestError:
        return RequestError(
            f"request body larger than {self.max_bytes} bytes: send less (the operator can "
            "raise server.max_request_bytes).",
            status=413,
            kind="request_too_large",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(self._too_large())(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
            return message

        await self.app(scope, limited_receive, send)
