"""Consent before use: each search result's page is fetched by Calanque itself, with the
crawler's own checks, before any of its text may reach an answer.

For one result (all results at once, under the question's time budget ``web.budget_s``):

1. the address guard (:mod:`calanque.collect.guard`) refuses loopback, private and
   reserved addresses, on the first URL and every redirect hop, unless
   ``web.allow_private``;
2. the host's robots.txt for the product token ``CalanqueBot`` (Disallow, and its
   ``Content-Usage`` / ``Content-Signal`` lines), then its ``/.well-known/tdmrep.json``,
   both read through :class:`~calanque.collect.hostpolicy.HostPolicies` (cached in the
   catalog like the crawler's);
3. the fetcher downloads with the crawler's size cap (``crawl.max_body_bytes``);
4. response headers and ``<meta>`` (``X-Robots-Tag``, robots meta ``noai``/``noindex``,
   ``Content-Usage``, ``tdm-reservation``) are decided with the page's extraction
   (:func:`~calanque.collect.pipeline.process_body`), which also splits the text.

A refused page is dropped before it is read: only its result's ``reason`` remains. Every
decision, allowed or refused, goes to the consent ledger (action ``web-fetched`` or
``web-refused``). Results are fetched in rank order until ``web.fetch`` pages could be
read; the others are ``not-fetched``. Read pages are stored under the ``web`` source, and a
page stored less than ``crawl.refresh_after`` ago is not fetched again
(:mod:`calanque.web.store`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from calanque.catalog import Catalog
from calanque.collect.consent import decide_headers
from calanque.collect.fetcher import Fetcher, FetchResult
from calanque.collect.guard import FORBIDDEN_ADDRESS, GuardedTransport, check_url
from calanque.collect.hostpolicy import HostPolicies
from calanque.collect.pipeline import HTML_TYPES, process_body
from calanque.collect.signing import bot_auth
from calanque.collect.urls import host_key, normalize_url
from calanque.config import Settings
from calanque.errors import ConsentRefused, FetchError, SourceError
from calanque.types import OPERATOR, Chunk, ConsentDecision, Document, SearchResult
from calanque.web.store import PageText, WebPageStore

SIGNAL_REASONS = {
    "robots.txt": "robots.txt",
    "content-usage": "content-usage",
    "content-signal": "content-signal",
    "tdmrep": "tdmrep",
    "tdmrep-header": "tdmrep",
    "tdmrep-meta": "tdmrep",
}
"""The ``reason`` of a result refused by a consent signal (``x-robots-tag`` and ``meta``
give ``noai`` or ``noindex``, by the directive)."""

FETCH_REASONS = {"timeout": "timeout", FORBIDDEN_ADDRESS: "private-address"}


@dataclass(frozen=True)
class FetchedPage:
    """One result after its consent checks: ``document`` only when it may be read."""

    result: SearchResult
    document: Document | None = None
    chunks: tuple[Chunk, ...] = ()
    decision: ConsentDecision | None = None  # what goes to the consent ledger
    fetched: FetchResult | None = None  # the response, when one came (what is stored)

    @property
    def text(self) -> PageText | None:
        return PageText(self.document, self.chunks) if self.document is not None else None


def refusal_reason(decision: ConsentDecision) -> str:
    if decision.signal in ("x-robots-tag", "meta"):
        return "noai" if "noai" in decision.rule.lower() else "noindex"
    return SIGNAL_REASONS.get(decision.signal, decision.signal)


def _skipped(result: SearchResult, reason: str) -> FetchedPage:
    return FetchedPage(replace(result, used=False, reason=reason, snippet=""))


class PageReader:
    """Fetches result pages under the consent checks. One per event loop (``async with``).

    ``asker`` (the operator, or ``key:<name>``) creates the ``web`` source if it is missing.
    """

    def __init__(
        self, settings: Settings, catalog: Catalog, transport: Any = None, asker: str = OPERATOR
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.store = WebPageStore(catalog, settings, asker)
        self.guarded = not settings.web.allow_private
        crawl = settings.crawl
        slots = asyncio.Semaphore(max(1, settings.web.fetch))
        self._policies = HostPolicies(catalog, settings, asyncio.to_thread, slots, transport)
        self._fetcher = Fetcher(
            user_agent=settings.user_agent,
            connect_timeout=min(crawl.connect_timeout, settings.web.budget_s),
            read_timeout=min(crawl.read_timeout, settings.web.budget_s),
            total_timeout=min(crawl.total_timeout, settings.web.budget_s),
            max_body_bytes=crawl.max_body_bytes,
            max_redirects=crawl.max_redirects,
            transport=GuardedTransport() if self.guarded else transport,
            check_hop=self._check_hop,
            auth=bot_auth(settings),
        )

    async def __aenter__(self) -> PageReader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._fetcher.aclose()
        await self._policies.aclose()

    async def read_all(
        self, results: Sequence[SearchResult], wanted: int, budget_s: float
    ) -> list[FetchedPage]:
        """Each result's page, in order; stops fetching once ``wanted`` pages were read."""
        pages: dict[int, FetchedPage] = {}
        running: dict[asyncio.Task[FetchedPage], int] = {}
        deadline = asyncio.get_running_loop().time() + budget_s
        queue = list(enumerate(results))
        while queue or running:
            readable = sum(page.document is not None for page in pages.values())
            while queue and readable + len(running) < wanted:
                index, result = queue.pop(0)
                running[asyncio.create_task(self.read(result))] = index
            left = deadline - asyncio.get_running_loop().time()
            if not running or left <= 0:
                break
            done, _ = await asyncio.wait(running, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                pages[running.pop(task)] = task.result()
        for task, index in running.items():
            task.cancel()
            pages[index] = _skipped(results[index], "timeout")
        for index, result in queue:
            pages[index] = _skipped(result, "not-fetched")
        read = [pages[index] for index in range(len(results))]
        await asyncio.to_thread(self._write_down, read)
        return read

    async def read(self, result: SearchResult) -> FetchedPage:
        """One result's page, or the reason it may not be read."""
        try:
            url = normalize_url(result.url)
            stored = await asyncio.to_thread(self.store.fresh, url)
            if stored is not None:
                cached = replace(result, cached=True)
                return FetchedPage(cached, stored.document, stored.chunks)
            if self.guarded:
                await check_url(url)
            decision = await self._decide_host(url)
            if not decision.allowed:
                return self._refused(result, decision)
            fetched = await self._fetcher.fetch(url)
        except ConsentRefused as exc:
            decision = ConsentDecision(
                exc.url or result.url, False, exc.signal or "robots.txt", exc.rule
            )
            return self._refused(result, decision)
        except FetchError as exc:
            return _skipped(result, FETCH_REASONS.get(exc.kind, "fetch-error"))
        except SourceError:
            return _skipped(result, "invalid-url")
        return await self._open(result, fetched, decision)

    async def _decide_host(self, url: str) -> ConsentDecision:
        """robots.txt of the URL's host, then its tdmrep.json (the crawler's order)."""
        forgotten = await self._policies.forgotten(url)
        if forgotten is not None:
            return forgotten
        host = host_key(url)
        decision = (await self._policies.robots(host, guarded=self.guarded)).decide(url)
        if not decision.allowed:
            return decision
        tdmrep = await self._policies.tdmrep(host, guarded=self.guarded)
        return tdmrep.decide(url) or decision

    async def _check_hop(self, url: str) -> None:
        hop = normalize_url(url)
        if self.guarded:
            await check_url(hop)
        decision = await self._decide_host(hop)
        if not decision.allowed:
            raise ConsentRefused(
                f"the redirect target {hop} refuses: {decision.rule}",
                url=hop,
                signal=decision.signal,
                rule=decision.rule,
            )

    async def _open(
        self, result: SearchResult, fetched: FetchResult, host: ConsentDecision
    ) -> FetchedPage:
        url = normalize_url(fetched.url)
        if fetched.status >= 400:
            return replace(_skipped(result, "fetch-error"), fetched=fetched)
        if fetched.truncated:
            return _skipped(result, "too-large")
        header = decide_headers(url, fetched.headers)
        if header is not None and not header.allowed and fetched.content_type not in HTML_TYPES:
            return self._refused(result, header)
        processed = await asyncio.to_thread(
            process_body,
            fetched.body,
            url,
            fetched.content_type,
            fetched.charset,
            False,
            fetched.headers,
        )
        if processed.meta_decision is not None and not processed.meta_decision.allowed:
            return self._refused(result, processed.meta_decision)
        if processed.document is None:
            return _skipped(result, "no-text")
        allowed = ConsentDecision(url, True, host.signal, host.rule)
        return FetchedPage(result, processed.document, processed.chunks, allowed, fetched)

    def _refused(self, result: SearchResult, decision: ConsentDecision) -> FetchedPage:
        page = _skipped(result, refusal_reason(decision))
        return replace(page, decision=decision)

    def _write_down(self, pages: Sequence[FetchedPage]) -> None:
        """The catalog side of each page read: ledger entry, stored page, deletion."""
        for page in pages:
            decision, url = page.decision, page.result.url
            if decision is not None and decision.allowed:
                self.store.allowed(decision, url, page.fetched, page.text)
            elif decision is not None:
                self.store.refused(decision, url)
            elif page.fetched is not None:
                self.store.failed(url, page.fetched.status)
