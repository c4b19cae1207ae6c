"""Per-host consent files: robots.txt and ``/.well-known/tdmrep.json``.

Both are cached in memory and in the catalog's ``hosts`` table for
``crawl.robots_cache_s`` (24 h by default), so every worker sharing the
catalog reads the same rules without fetching them again. A robots.txt that cannot be
read (a network or server error) is not stored: the last rules read stand in for it
(RFC 9309 lets a crawler keep them past their day while the file is unreachable), or,
with none, the host is refused for now, and it is asked for again a minute later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from calanque.catalog import Catalog
from calanque.catalog.publishers import forgotten_decision, is_forgotten
from calanque.collect.consent import TdmRepRules, parse_tdmrep
from calanque.collect.fetcher import Fetcher
from calanque.collect.guard import GuardedTransport
from calanque.collect.robots import RobotsRules, parse_robots
from calanque.collect.signing import bot_auth
from calanque.config import Settings
from calanque.errors import FetchError
from calanque.types import ConsentDecision

ROBOTS_MAX_BYTES = 1_000_000  # parsing reads the first 500 KiB; fetch a little more
UNREACHABLE_RETRY_S = 60.0  # an unreachable robots.txt is asked for again after this
InDb = Callable[..., Awaitable[Any]]


class HostPolicies:
    def __init__(
        self,
        catalog: Catalog,
        settings: Settings,
        in_db: InDb,
        slots: asyncio.Semaphore,
        transport: Any = None,
    ) -> None:
        self.catalog = catalog
        self.ttl = settings.crawl.robots_cache_s
        self._in_db = in_db
        self._slots = slots
        self._robots: dict[str, tuple[RobotsRules, float]] = {}
        self._tdmrep: dict[str, tuple[TdmRepRules, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._fetcher = _policy_fetcher(settings, transport)
        self._guarded_fetcher = _policy_fetcher(settings, GuardedTransport())

    async def aclose(self) -> None:
        await self._fetcher.aclose()
        await self._guarded_fetcher.aclose()

    async def forgotten(self, url: str) -> ConsentDecision | None:
        """A refusal when the operator forgot ``url``'s host (``calanque forget``)."""
        if await self._in_db(is_forgotten, self.catalog.engine, url):
            return forgotten_decision(url)
        return None

    def crawl_delay(self, host: str) -> float | None:
        cached = self._robots.get(host)
        return cached[0].crawl_delay() if cached else None

    async def robots(self, host: str, *, guarded: bool = False) -> RobotsRules:
        """The host's robots.txt rules; ``guarded``: fetch them through the address guard."""
        cached = self._robots.get(host)
        if cached and time.time() - cached[1] < self.ttl:
            return cached[0]
        async with self._locks.setdefault(f"robots {host}", asyncio.Lock()):
            cached = self._robots.get(host)
            if cached and time.time() - cached[1] < self.ttl:
                return cached[0]
            policy = await self._in_db(self.catalog.frontier.host_policy, host)
            if self._fresh(policy, "robots"):
                rules = _stored_rules(policy)
            else:
                status_code, body = await self._fetch(f"{host}/robots.txt", guarded)
                rules = parse_robots(body, status_code)
                if rules.unreachable:
                    # an outage: the last rules read, past their day (RFC 9309, 2.4), or
                    # none for now; either way read again in a minute, and not stored
                    read = policy.get("robots_body") is not None  # "" is a file read too
                    stored = _stored_rules(policy) if read else None
                    rules = stored if stored and not stored.unreachable else rules
                    self._robots[host] = (rules, time.time() - self.ttl + UNREACHABLE_RETRY_S)
                    return rules
                await self._in_db(self.catalog.frontier.save_robots, host, status_code, body)
            self._robots[host] = (rules, time.time())
            return rules

    async def tdmrep(self, host: str, *, guarded: bool = False) -> TdmRepRules:
        cached = self._tdmrep.get(host)
        if cached and time.time() - cached[1] < self.ttl:
            return cached[0]
        async with self._locks.setdefault(f"tdmrep {host}", asyncio.Lock()):
            cached = self._tdmrep.get(host)
            if cached and time.time() - cached[1] < self.ttl:
                return cached[0]
            policy = await self._in_db(self.catalog.frontier.host_policy, host)
            if self._fresh(policy, "tdmrep"):
                body = str(policy["tdmrep_body"])
            else:
                status, body = await self._fetch(f"{host}/.well-known/tdmrep.json", guarded)
                body = body if status == 200 else ""
                await self._in_db(self.catalog.frontier.save_tdmrep, host, body)
            rules = parse_tdmrep(body or None)
            self._tdmrep[host] = (rules, time.time())
            return rules

    def _fresh(self, policy: dict[str, Any], which: str) -> bool:
        fetched_at = policy.get(f"{which}_fetched_at")
        return (
            fetched_at is not None
            and policy.get(f"{which}_body") is not None
            and time.time() - float(fetched_at) < self.ttl
        )

    async def _fetch(self, url: str, guarded: bool) -> tuple[int | None, str]:
        """(status, text); status None when the host cannot be reached."""
        fetcher = self._guarded_fetcher if guarded else self._fetcher
        try:
            async with self._slots:
                result = await fetcher.fetch(url)
        except FetchError:
            return None, ""
        return result.status, result.body.decode("utf-8", errors="replace")


def _stored_rules(policy: dict[str, Any]) -> RobotsRules:
    status = policy.get("robots_status")
    return parse_robots(str(policy["robots_body"]), int(status) if status is not None else None)


def _policy_fetcher(settings: Settings, transport: Any) -> Fetcher:
    crawl = settings.crawl
    return Fetcher(
        user_agent=settings.user_agent,
        connect_timeout=crawl.connect_timeout,
        read_timeout=crawl.read_timeout,
        total_timeout=crawl.total_timeout,
        max_body_bytes=ROBOTS_MAX_BYTES,
        max_redirects=crawl.max_redirects,
        transport=transport,
        auth=bot_auth(settings),
    )
