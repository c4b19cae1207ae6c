"""The crawl loop: lease hosts, decide consent, fetch politely, process, store.

Data flow for one URL (docs/architecture.md steps 2-6):

1. robots.txt of the host (cached 24 h in the catalog) decides; Crawl-delay sets the pace.
2. The host's ``/.well-known/tdmrep.json`` decides.
3. The fetcher downloads (conditional request); every redirect hop is checked again
   against the scope and robots.txt.
4. Response headers (``tdm-reservation``, ``X-Robots-Tag``, ``Content-Usage``) decide.
5. A worker process extracts the text; ``<meta>`` tags decide.
6. The document and its chunks are stored in one transaction, near-duplicates merged.

Every decision goes to the consent ledger. A refused page is never stored, and a page
stored earlier that refuses now is deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import sqlalchemy as sa

from calanque.catalog import Catalog, FrontierItem, NewURL, PageRecord
from calanque.catalog.engine import storage_error
from calanque.catalog.frontier import DONE, FAILED, REFUSED
from calanque.collect.consent import decide_headers
from calanque.collect.context import RetryPolicy
from calanque.collect.discovery import LinkQueue, discover
from calanque.collect.fetcher import Fetcher, FetchResult
from calanque.collect.guard import GuardedTransport, check_url
from calanque.collect.hostpolicy import HostPolicies
from calanque.collect.ingest import ingest_folder
from calanque.collect.lifeline import exit_with
from calanque.collect.pipeline import HTML_TYPES, ProcessedPage, process_body
from calanque.collect.robots import refused_for_now
from calanque.collect.signing import bot_auth
from calanque.collect.summary import CrawlSummary, stamped
from calanque.collect.urls import host_key, in_scope, normalize_url
from calanque.config import Settings
from calanque.errors import CatalogError, ConsentRefused, FetchError, SourceError
from calanque.extract.dedup import NearDuplicates
from calanque.types import OPERATOR, ConsentDecision, Source

T = TypeVar("T")
log = logging.getLogger("calanque.crawl")
ROBOTS_SIGNALS = ("robots.txt", "content-usage", "content-signal")
_current_source: contextvars.ContextVar[Source] = contextvars.ContextVar("calanque_source")


ProgressFn = Callable[[CrawlSummary], None]


class Crawler:
    """One crawl worker. Several may share a PostgreSQL catalog (``owner`` tells them apart).

    Sources added over the API are fetched through the address guard
    (:mod:`calanque.collect.guard`) unless ``server.allow_private_sources`` is on;
    ``guard_all`` guards the operator's sources too (the server's crawl does).
    It implements :class:`calanque.collect.context.CrawlContext`.
    """

    def __init__(
        self,
        catalog: Catalog,
        settings: Settings,
        *,
        owner: str | None = None,
        progress: ProgressFn | None = None,
        extract_workers: int | None = None,
        transport: Any = None,
        guard_all: bool = False,
    ) -> None:
        self.catalog = catalog
        self.settings = settings
        self.crawl = settings.crawl
        self.owner = owner or f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.summary = CrawlSummary()
        self._progress = progress
        # One extraction process per core: on 2 cores this beats one thread (bench/crawl.py).
        cores = os.cpu_count() or 1
        self._workers = extract_workers if extract_workers is not None else cores
        self._transport = transport
        self._guard_all = guard_all
        self._retry = RetryPolicy(self.crawl.max_attempts)
        self._links = LinkQueue(catalog)
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._next_at: dict[str, float] = {}
        self._sources: dict[int, Source] = {}
        self._near = NearDuplicates()
        self._fetch_slots = asyncio.Semaphore(self.crawl.concurrency)
        self._db: ThreadPoolExecutor | None = None
        self._pool: Executor | None = None
        # one file a worker in the pool: the time limit then counts its work, not a wait
        self._extract_slots = asyncio.Semaphore(max(1, self._workers))
        self._stop = False
        self._background: set[asyncio.Future[None]] = set()

    # ---- the crawl context ---------------------------------------------------------
    @property
    def stopping(self) -> bool:
        return self._stop

    async def in_db(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._db is not None
        try:
            return await asyncio.get_running_loop().run_in_executor(self._db, partial(fn, *args))
        except (sa.exc.OperationalError, OSError) as exc:
            raise storage_error(exc, self.settings.catalog_url) from exc

    async def extract(
        self,
        body: bytes,
        url: str,
        content_type: str,
        charset: str | None,
        want_links: bool,
        headers: dict[str, str] | None = None,
    ) -> ProcessedPage:
        """In the extraction pool, within ``crawl.extract_timeout_s``. A file that takes
        longer, or whose worker dies (out of memory), is not stored, and the pool is made
        again: one hostile file costs its own page, not the crawl. At most one file a
        worker is in the pool, so the limit counts work, not waiting; a page whose worker
        was killed beside another's is extracted again, once."""
        args = (body, url, content_type, charset, want_links, headers)
        async with self._extract_slots:
            for attempt in range(2):
                pool = self._pool
                assert pool is not None
                submitted = pool.submit(process_body, *args)
                try:
                    return await asyncio.wait_for(
                        asyncio.wrap_future(submitted), self.crawl.extract_timeout_s
                    )
                except TimeoutError:
                    self._renew_pool(pool)
                    limit = self.crawl.extract_timeout_s
                    message = (
                        f"extraction took over crawl.extract_timeout_s={limit:g} s: not stored"
                    )
                    return ProcessedPage(None, error_kind="extract-timeout", error_message=message)
                except BrokenProcessPool:
                    self._renew_pool(pool)
                    if attempt:
                        message = (
                            "the extraction process died on this file (over "
                            f"crawl.extract_memory_mb={self.crawl.extract_memory_mb}?): not stored"
                        )
                        return ProcessedPage(
                            None, error_kind="extract-crash", error_message=message
                        )
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if not submitted.cancelled() or (task is not None and task.cancelling()):
                        raise  # the crawl is stopping
                    # cancelled by a renewal of the pool it waited in: in the new one
        raise AssertionError("unreachable")

    def _renew_pool(self, pool: Executor) -> None:
        """Stop ``pool`` (its processes killed: a thread cannot be) and make a new one,
        unless another page already did. The files in its other processes fail with
        ``BrokenProcessPool`` and are extracted again."""
        if pool is not self._pool:
            return
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(OSError):
                process.kill()
        pool.shutdown(wait=False)
        self._pool = self._make_pool()

    async def fail(
        self, item: FrontierItem, kind: str, message: str, status: int | None = None
    ) -> None:
        self.summary.errors[kind] += 1
        due = self._retry.next_try(kind, item.attempts)
        if due is not None:
            await self.in_db(self.catalog.frontier.retry_later, item.id, kind, due)
        else:
            await self.in_db(self.catalog.frontier.finish, item.id, FAILED, kind)
        await self.in_db(self.catalog.record_error, item.url, item.source_id, kind, message, status)

    async def queue_links(self, source: Source, depth: int, links: list[str]) -> None:
        await self.in_db(self._links.enqueue, source, depth, links)

    def report(self) -> None:
        if self._progress is not None:
            self._progress(self.summary)

    # ---- plumbing ------------------------------------------------------------------
    def _make_pool(self) -> Executor:
        if self._workers <= 1:
            return ThreadPoolExecutor(1)
        # forkserver: the pipeline is imported once, in the server, and workers fork from it
        # (spawn re-imported everything in each worker; plain fork is unsafe with threads).
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["calanque.collect.pipeline"])
        return ProcessPoolExecutor(
            self._workers,
            mp_context=context,
            initializer=exit_with,
            initargs=(os.getpid(), self.crawl.extract_memory_mb),
        )

    def stop(self) -> None:
        self._stop = True

    def _guarded(self, source: Source) -> bool:
        """Whether ``source``'s requests must reach public addresses only."""
        if self.settings.server.allow_private_sources:
            return False
        return self._guard_all or source.added_by != OPERATOR

    def _make_fetcher(self, transport: Any) -> Fetcher:
        return Fetcher(
            user_agent=self.settings.user_agent,
            connect_timeout=self.crawl.connect_timeout,
            read_timeout=self.crawl.read_timeout,
            total_timeout=self.crawl.total_timeout,
            max_body_bytes=self.crawl.max_body_bytes,
            max_redirects=self.crawl.max_redirects,
            check_hop=self._check_hop,
            transport=transport,
            auth=bot_auth(self.settings),
        )

    # ---- the run -------------------------------------------------------------------
    async def run(self, *, max_pages: int | None = None, refresh: bool = False) -> CrawlSummary:
        started = time.monotonic()
        self._db = ThreadPoolExecutor(1, thread_name_prefix="calanque-db")
        self._pool = self._make_pool()
        self._fetcher = self._make_fetcher(self._transport)
        self._guarded_fetcher = self._make_fetcher(GuardedTransport())
        self._policies = HostPolicies(
            self.catalog, self.settings, self.in_db, self._fetch_slots, self._transport
        )
        try:
            await self.in_db(self._prepare, refresh)
            await self._ingest_folders()
            await self._loop(max_pages)
        finally:
            self.summary.elapsed_s = time.monotonic() - started
            if self._background:  # politeness slots still being written for other workers
                await asyncio.gather(*self._background, return_exceptions=True)
            self.summary.queued = await self.in_db(self.catalog.frontier.pending)
            if self.summary.deleted:  # opt-outs, removed files: no deleted text in the WAL
                await self.in_db(self.catalog.scrub)
            await self._fetcher.aclose()
            await self._guarded_fetcher.aclose()
            await self._policies.aclose()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._db.shutdown(wait=True)
            self.report()
        return self.summary

    def _prepare(self, refresh: bool) -> None:
        for doc_id, sig in self.catalog.minhashes():
            self._near.add(doc_id, sig)
        now = datetime.now(UTC)
        for source in self.catalog.list_sources():
            self._sources[source.id] = source
            if source.kind in ("folder", "web"):  # web: pages are read again by questions
                continue
            seed = NewURL(source.url, host_key(source.url), source.id, 0)
            self.catalog.frontier.enqueue([seed])
            polled = self.catalog.last_polled(source.id)
            if source.kind == "feed" and (
                refresh
                or polled is None
                or now - polled > timedelta(seconds=source.poll_interval_s)
            ):
                self.catalog.frontier.requeue(source.url)
        before = now if refresh else now - timedelta(seconds=self.crawl.refresh_after)
        self.catalog.frontier.requeue_stale(before)

    async def _loop(self, max_pages: int | None) -> None:
        tasks: dict[str, asyncio.Task[None]] = {}
        while not self._stop:
            if max_pages is not None and self.summary.fetched + self.summary.unchanged >= max_pages:
                break
            free = self.crawl.concurrency - len(tasks)
            if free > 0:  # only hosts it starts now: a leased host nobody crawls blocks the others
                hosts = await self.in_db(
                    self.catalog.frontier.lease_hosts,
                    self.owner,
                    free,
                    self.crawl.lease_s,
                    list(tasks),
                )
                for host in hosts:
                    tasks[host] = asyncio.create_task(self._run_host(host, max_pages))
            if not tasks:
                if not await self._wait_for_due():
                    break
                continue
            done, _ = await asyncio.wait(
                tasks.values(), timeout=0.5, return_when=asyncio.FIRST_COMPLETED
            )
            for host in [h for h, task in tasks.items() if task in done]:
                tasks.pop(host).result()
        self._stop = True
        if tasks:
            await asyncio.gather(*tasks.values(), return_exceptions=True)

    async def _wait_for_due(self) -> bool:
        """Nothing leasable now: wait a little if something becomes due soon."""
        next_due = await self.in_db(self.catalog.frontier.next_due_at)
        if next_due is None:
            return False
        wait = next_due - time.time()
        if wait > 60:
            return False
        await asyncio.sleep(min(max(wait, 0.2), 5.0))
        return True

    async def _run_host(self, host: str, max_pages: int | None) -> None:
        frontier = self.catalog.frontier
        lanes = asyncio.Semaphore(self.crawl.per_host_connections)
        try:
            saved = await self.in_db(frontier.next_fetch_at, host)
            self._next_at[host] = max(self._next_at.get(host, 0.0), saved)
            while not self._stop:
                items = await self.in_db(
                    frontier.take_urls,
                    host,
                    self.owner,
                    4 * self.crawl.per_host_connections,
                    self.crawl.lease_s,
                )
                if not items:
                    break
                await asyncio.gather(*(self._one(item, lanes) for item in items))
                if (
                    max_pages is not None
                    and self.summary.fetched + self.summary.unchanged >= max_pages
                ):
                    self._stop = True
                await self.in_db(frontier.renew_host, host, self.owner, self.crawl.lease_s)
        finally:
            await self.in_db(frontier.release_host, host, self.owner)

    async def _one(self, item: FrontierItem, lanes: asyncio.Semaphore) -> None:
        async with lanes:
            if self._stop:
                return
            try:
                await self._process(item)
            except SourceError as exc:
                self.summary.errors["bad-url"] += 1
                await self.in_db(self.catalog.frontier.finish, item.id, FAILED, "bad-url")
                await self.in_db(
                    self.catalog.record_error, item.url, item.source_id, "bad-url", str(exc)
                )
            except (CatalogError, asyncio.CancelledError):
                raise
            except Exception as exc:  # one page must never stop the crawl
                log.exception("internal error on %s", item.url)
                self.summary.errors["internal"] += 1
                await self.in_db(self.catalog.frontier.finish, item.id, FAILED, "internal")
                await self.in_db(
                    self.catalog.record_error,
                    item.url,
                    item.source_id,
                    "internal",
                    f"{type(exc).__name__}: {exc}",
                )
            self.report()

    async def _wait_turn(self, host: str) -> None:
        """Wait for the host's politeness slot (taken right before the request is sent)."""
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        async with lock:
            wait = self._next_at.get(host, 0.0) - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_at[host] = time.time() + self._delay_for(host)

    def _hold_after(self, host: str) -> None:
        """The next request to ``host`` waits a full delay from the end of this response,
        so the server sees requests the delay apart whatever our scheduling jitter. The
        slot is persisted in order, before ``release_host``, for other workers."""
        delay = self._delay_for(host)
        if delay <= 0:
            return
        self._next_at[host] = max(self._next_at.get(host, 0.0), time.time() + delay)
        task = asyncio.ensure_future(
            self.in_db(self.catalog.frontier.set_next_fetch_at, host, self._next_at[host])
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _delay_for(self, host: str) -> float:
        crawl_delay = self._policies.crawl_delay(host)
        return max(self.crawl.min_delay, min(crawl_delay or 0.0, self.crawl.max_delay))

    async def _check_hop(self, url: str) -> None:
        source = _current_source.get()
        hop = normalize_url(url)
        if source.kind == "site" and not in_scope(hop, source.scope, source.url):
            raise FetchError(
                f"redirect to {hop} leaves the source's scope", url=hop, kind="out-of-scope"
            )
        guarded = self._guarded(source)
        if guarded:
            await check_url(hop)
        decision = await self._policies.forgotten(hop) or (
            await self._policies.robots(host_key(hop), guarded=guarded)
        ).decide(hop)
        if refused_for_now(decision):
            raise FetchError(
                f"the robots.txt of the redirect target {hop} cannot be read",
                url=hop,
                kind="robots-unreachable",
            )
        if not decision.allowed:
            raise ConsentRefused(
                f"{decision.signal} refuses the redirect target {hop}",
                url=hop,
                signal=decision.signal,
                rule=decision.rule,
            )

    async def _refuse(self, item: FrontierItem, decision: ConsentDecision) -> None:
        decision = stamped(decision)
        if decision.signal in ROBOTS_SIGNALS:
            self.summary.refused_robots += 1
        else:
            self.summary.refused_reservation += 1
        deleted = await self.in_db(self.catalog.delete_document_at, decision.url, decision)
        if decision.url != item.url:
            await self.in_db(self.catalog.delete_document_at, item.url, decision)
        if deleted:
            self.summary.deleted += 1
        await self.in_db(self.catalog.frontier.finish, item.id, REFUSED, decision.signal)

    # ---- one URL -------------------------------------------------------------------
    async def _process(self, item: FrontierItem) -> None:
        source = self._sources.get(item.source_id)
        if source is None:
            source = await self.in_db(self.catalog.get_source, item.source_id)
            self._sources[source.id] = source
        _current_source.set(source)
        guarded = self._guarded(source)
        try:
            if guarded:
                await check_url(item.url)
        except FetchError as exc:
            return await self.fail(item, exc.kind, str(exc))
        decision = await self._decide_host(item, guarded)
        if refused_for_now(decision):  # an outage is no opt-out: what is stored stays
            return await self.fail(item, "robots-unreachable", decision.rule)
        if not decision.allowed:
            return await self._refuse(item, decision)
        try:
            result = await self._fetch_page(item, guarded)
        except ConsentRefused as exc:
            refusal = ConsentDecision(
                exc.url or item.url, False, exc.signal or "robots.txt", exc.rule
            )
            return await self._refuse(item, refusal)
        except FetchError as exc:
            return await self.fail(item, exc.kind, str(exc))
        await self._handle_result(item, source, result, decision)

    async def _decide_host(self, item: FrontierItem, guarded: bool) -> ConsentDecision:
        """What robots.txt, then tdmrep.json, of the item's host say about its URL."""
        forgotten = await self._policies.forgotten(item.url)
        if forgotten is not None:
            return forgotten
        robots = await self._policies.robots(item.host, guarded=guarded)
        decision = robots.decide(item.url)
        if not decision.allowed:
            return decision
        tdmrep = await self._policies.tdmrep(item.host, guarded=guarded)
        return tdmrep.decide(item.url) or decision

    async def _fetch_page(self, item: FrontierItem, guarded: bool) -> FetchResult:
        page = await self.in_db(self.catalog.get_page, item.url)
        fetcher = self._guarded_fetcher if guarded else self._fetcher
        async with self._fetch_slots:
            await self._wait_turn(item.host)
            try:
                return await fetcher.fetch(
                    item.url,
                    etag=(page.etag or None) if page and page.document_id else None,
                    last_modified=(page.last_modified or None)
                    if page and page.document_id
                    else None,
                )
            finally:
                self._hold_after(item.host)

    async def _handle_result(
        self, item: FrontierItem, source: Source, result: FetchResult, decision: ConsentDecision
    ) -> None:
        url = normalize_url(result.url)
        header_decision = decide_headers(url, result.headers)
        deferred = result.content_type in HTML_TYPES and result.status == 200
        if header_decision is not None and not header_decision.allowed and not deferred:
            return await self._refuse(item, header_decision)  # HTML: decided with <meta> below
        if result.status == 304:
            self.summary.unchanged += 1
            await self.in_db(self.catalog.touch_page, item.url)
            await self.in_db(self.catalog.frontier.finish, item.id, DONE, None)
            return
        if result.status >= 400:
            if result.status in (404, 410):
                await self.in_db(self.catalog.forget_document, item.url)
            kind = f"http-{result.status}"
            return await self.fail(item, kind, f"HTTP {result.status}", result.status)
        if result.truncated:
            if header_decision is not None and not header_decision.allowed:
                return await self._refuse(item, header_decision)  # no <meta> to read: cut off
            message = f"body larger than crawl.max_body_bytes={self.crawl.max_body_bytes}: cut off, not stored"
            return await self.fail(item, "too-large", message)
        if await discover(self, item, source, result, url):
            return
        await self._extract_and_store(item, source, result, url, decision)

    async def _extract_and_store(
        self,
        item: FrontierItem,
        source: Source,
        result: FetchResult,
        url: str,
        decision: ConsentDecision,
    ) -> None:
        want_links = source.kind == "site" and item.depth < source.scope.max_depth
        processed = await self.extract(
            result.body, url, result.content_type, result.charset, want_links, result.headers
        )
        if processed.meta_decision is not None and not processed.meta_decision.allowed:
            return await self._refuse(item, processed.meta_decision)
        if processed.listing:  # followed, not stored (nor kept from an earlier crawl)
            self.summary.listings += 1
            if processed.links:
                await self.queue_links(source, item.depth, list(processed.links))
            await self.in_db(self.catalog.forget_document, url)
            return await self.in_db(self.catalog.frontier.finish, item.id, DONE, None)
        if processed.document is None:
            return await self.fail(item, processed.error_kind or "extract", processed.error_message)
        page = PageRecord(
            url=url,
            source_id=source.id,
            status=result.status,
            canonical_url=processed.document.canonical_url,
            etag=result.headers.get("etag", ""),
            last_modified=result.headers.get("last-modified", ""),
            content_type=result.content_type,
            size=len(result.body),
        )
        if processed.links:  # queued before the page is marked done: a crash loses no link
            await self.queue_links(source, item.depth, list(processed.links))
        await self.in_db(self._store, item, page, processed, decision)

    def _store(
        self,
        item: FrontierItem,
        page: PageRecord,
        processed: ProcessedPage,
        decision: ConsentDecision,
    ) -> None:
        """Runs in the single DB thread, so the near-duplicate check cannot race."""
        document = processed.document
        assert document is not None
        allowed = ConsentDecision(page.url, True, decision.signal, decision.rule)
        self.catalog.record_consent(stamped(allowed), "fetched")
        if item.url != page.url:
            self.catalog.record_page(
                PageRecord(
                    url=item.url,
                    source_id=page.source_id,
                    status=page.status,
                    canonical_url=page.url,
                )
            )
        duplicate_of = self._near.find(processed.minhash) if processed.minhash else None
        existing = self.catalog.get_page(page.url)
        own_id = existing.document_id if existing else None
        if (
            duplicate_of is not None
            and duplicate_of != own_id
            and self.catalog.add_alias(duplicate_of, page, frontier_id=item.id)
        ):
            self.summary.duplicates += 1
        else:
            result = self.catalog.save_document(
                page, document, processed.chunks, processed.minhash, frontier_id=item.id
            )
            if processed.minhash and result.changed:
                self._near.add(result.document_id, processed.minhash)
            self.summary.fetched += 1

    async def _ingest_folders(self) -> None:
        for source in list(self._sources.values()):
            if source.kind == "folder" and not self._stop:
                await ingest_folder(self, source)
