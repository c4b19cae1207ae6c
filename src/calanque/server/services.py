"""The services behind the routes: catalog, search, answer engines, crawl jobs, query log.

The search and answer machinery is synchronous (embedder, tantivy, usearch, SQLite);
routes run it in worker threads. Each call to the index holds the per-process model lock
(``Services.lock``, see :mod:`calanque.server.model_lock`), each call to the embedder a
lock of its own, which keeps the shared caches consistent while requests interleave
between calls; run several worker processes (``calanque serve --workers 2``) to use several cores. Every search and
answer has a time budget (``server.request_timeout_s``, :meth:`Services.within_budget`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from calanque.answer.language import question_language
from calanque.answer.passages import WebEvidence
from calanque.catalog import Catalog
from calanque.catalog.conversations import QueryLog
from calanque.collect.crawler import Crawler, CrawlSummary
from calanque.config import Settings
from calanque.embed import Embedder
from calanque.locks import exclusive_lock
from calanque.runtime import Runtime
from calanque.server.auth import Authenticator, RateLimiter
from calanque.server.errors import RequestError
from calanque.server.model_lock import LockedCalls
from calanque.types import SearchFilters
from calanque.web.search import no_provider_error

log = logging.getLogger("calanque.server")
QUERY_LOG_PURGE_EVERY_S = 60.0  # besides start-up, while queries are recorded
CATCH_UP_BATCH = 8  # chunks embedded and indexed per hold of the model lock (Milvus)
LEXICAL_BATCH = 128  # chunks indexed lexically per hold of the model lock (no embedding)
DENSE_BATCH = 8  # chunks embedded per batch of the background dense pass
T = TypeVar("T")


@dataclass
class DenseJob:
    """The background dense pass (vectors for chunks indexed lexically), and its progress."""

    running: bool = False
    embedded: int = 0
    started_at: str = ""
    finished_at: str = ""
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "embedded": self.embedded,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
        }


@dataclass
class CrawlJob:
    """The background crawl started over the API, and its progress."""

    running: bool = False
    started_at: str = ""
    finished_at: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    index: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    task: asyncio.Task[None] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "summary": self.summary,
            "index": self.index,
            "error": self.error,
        }


def over_budget(budget: float) -> RequestError:
    return RequestError(
        f"the request took longer than its time budget of {budget:g} s "
        "(server.request_timeout_s): ask a shorter question or a narrower search, retry "
        "when the server is less busy, or ask the operator to raise the budget.",
        status=504,
        kind="timeout",
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def serving_runtime(
    settings: Settings, catalog: Catalog | None = None, embedder: Embedder | None = None
) -> tuple[Runtime, threading.RLock]:
    """The server's runtime, and its model lock: every index call runs under that lock,
    every embedder call under one of the embedder's own. The two share no state, so hybrid
    search embeds a query while the index searches it lexically (index/retriever.py); a
    holder of the model lock may still embed (index lock, then embedder lock: never the
    other way round, as an embedder call never calls the index)."""
    lock, embedder_lock = threading.RLock(), threading.RLock()

    def wrap(role: str, part: Any) -> Any:
        return LockedCalls(part, embedder_lock if role == "embedder" else lock)

    return Runtime(settings, catalog, embedder=embedder, wrap=wrap), lock


class Services:
    """What the routes use: settings, catalog, retriever, answer engines, the crawl job."""

    def __init__(self, runtime: Runtime, lock: threading.RLock) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.settings = settings
        self.catalog = catalog = runtime.catalog
        # The runtime hands every part the embedder and the index wrapped so that each of
        # their calls runs under this lock (see server/model_lock.py and serving_runtime).
        self.lock = lock
        self.embedder = runtime.embedder
        self.index = runtime.index
        self.retriever = runtime.retriever
        self.crawl = CrawlJob()
        self.dense = DenseJob()
        self._dense_guard = threading.Lock()
        self._dense_thread: threading.Thread | None = None
        self._dense_requested = False
        self._stopping = threading.Event()
        self.auth = Authenticator(
            catalog.api_keys, RateLimiter(settings.server.rate_limit_per_minute)
        )
        self.query_log = (
            QueryLog(catalog.engine, settings.server.query_log_retention_days)
            if settings.server.query_log
            else None
        )
        self._refreshed = time.monotonic()
        self.purge_every_s = QUERY_LOG_PURGE_EVERY_S
        self._purged_at = time.monotonic()  # the lifespan purges at start-up

    # ---- models ----------------------------------------------------------------
    def writers(self) -> list[str]:
        """The writers this server can use: extractive always, the others when configured."""
        return self.runtime.writers()

    def writer_for_model(self, model: str) -> str:
        name = model.removeprefix("calanque-") if model else self.settings.answer.writer
        if name not in self.writers():
            known = ", ".join(f"calanque-{w}" for w in self.writers())
            raise RequestError(
                f"unknown or unconfigured model {model!r}: use one of {known} (GET /v1/models).",
                status=404,
                kind="model_not_found",
            )
        return name

    def engine(self, writer: str) -> Any:
        """The answer engine for ``writer`` (made once, sharing the retriever)."""
        return self.runtime.engine(writer)

    def web_search(self, query: str, filters: SearchFilters, k: int, asker: str) -> WebEvidence:
        """Passages of web pages read live for ``query`` (``POST /v1/search`` in web mode),
        as ``asker`` (``key:<name>``)."""
        searcher = self.runtime.web_searcher()
        if searcher is None:
            raise no_provider_error()
        return searcher.gather(query, question_language(query), filters, k, asker=asker)

    def refresh(self) -> None:
        """Pick up index commits made by other processes (at most every 2 s)."""
        with self.lock:
            now = time.monotonic()
            if now - self._refreshed > 2.0:
                refresh = getattr(self.index, "refresh", None)
                if refresh is not None:
                    refresh()
                self._refreshed = now

    @contextlib.contextmanager
    def models(self) -> Iterator[None]:
        """Hold the model lock across several calls (one batch of index writes)."""
        with self.lock:
            self.refresh()
            yield

    async def within_budget(self, work: Callable[[], T]) -> T:
        """``work()`` in a thread, or 504 once ``server.request_timeout_s`` has passed.

        The thread is not stopped (Python cannot), but it holds the model lock only one
        call at a time, so the requests after it do not wait for it."""
        budget = self.settings.server.request_timeout_s
        try:
            return await asyncio.wait_for(asyncio.to_thread(work), timeout=budget)
        except TimeoutError as exc:
            raise over_budget(budget) from exc

    def record_query(self, query: str, key_name: str) -> None:
        """Log the query (when the query log is on); purge old entries at most once a minute."""
        if self.query_log is None:
            return
        self.query_log.record(query, key_name or None)
        now = time.monotonic()
        if now - self._purged_at >= self.purge_every_s:
            self._purged_at = now
            self.query_log.purge()

    # ---- crawl -------------------------------------------------------------------
    def start_crawl(self, max_pages: int | None) -> CrawlJob:
        if self.crawl.running:
            raise RequestError(
                "a crawl is already running: follow it at GET /v1/crawl and start another "
                "when it has finished.",
                status=409,
                kind="conflict",
            )
        self.crawl = CrawlJob(running=True, started_at=_now())
        self.crawl.task = asyncio.get_running_loop().create_task(self._crawl(self.crawl, max_pages))
        return self.crawl

    async def _crawl(self, job: CrawlJob, max_pages: int | None) -> None:
        def progress(summary: CrawlSummary) -> None:
            job.summary = summary.to_dict()

        try:
            with exclusive_lock(self.settings.home / "crawl.lock", "crawl"):
                if self.catalog.engine.dialect.name == "sqlite":
                    await asyncio.to_thread(self.catalog.frontier.release_all)
                crawler = Crawler(
                    self.catalog,
                    self.settings,
                    progress=progress,
                    extract_workers=1,
                    guard_all=True,
                )
                job.summary = (await crawler.run(max_pages=max_pages)).to_dict()
                job.index = await asyncio.to_thread(self.catch_up)
        except Exception as exc:  # reported at GET /v1/crawl; the server goes on
            log.exception("background crawl failed")
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.running = False
            job.finished_at = _now()

    def catch_up(self) -> dict[str, Any]:
        """Bring the index up to date with the catalog (after a crawl or a removal).

        On a progressive index (the embedded one) the changes are applied lexically, a
        batch per hold of the model lock, with no embedding: the pages are answerable at
        once, and the dense pass then runs in the background (:meth:`start_dense`).
        Otherwise, batch by batch: the passages and answer sentences of a batch are
        embedded first, without the model lock (the embedding cache and the sentence store
        keep them), then the batch is applied under the lock, which finds them there:
        queries wait for an index write, never for an embedding.
        """
        from calanque.answer.vectors import SentenceVectorStore
        from calanque.index.base import ProgressiveIndex, dense_pending
        from calanque.index.sync import SyncReport, catch_up, purge_deleted

        store = SentenceVectorStore.in_folder(self.settings.index_dir)
        progressive = isinstance(self.index, ProgressiveIndex)
        sentences = self._sentence_hook(store)

        def forget(texts: list[str], keep: list[str]) -> None:  # deleted chunks' sentences
            store.forget(texts, keep, self.embedder.name)

        with self.models():
            total = SyncReport(position=self.index.position(), head=self.catalog.last_seq())
        batch = LEXICAL_BATCH if progressive else CATCH_UP_BATCH
        try:
            while self._embed_ahead(total.position, sentences, batch, progressive):
                with self.models():
                    report = catch_up(
                        _OneBatch(self.catalog),  # type: ignore[arg-type]
                        self.index,
                        self.embedder,
                        batch=batch,
                        after_batch=sentences,
                        forget=forget,
                        purge=False,  # once, below, not after every batch
                        dense=False,  # in the background, below
                    )
                total.applied += report.applied
                total.deleted += report.deleted
                total.elapsed_s += report.elapsed_s
                if report.position == total.position:
                    break
                total.position = report.position
            if total.deleted:
                with self.models():
                    purge_deleted(self.index)
            with self.models():
                total.dense_pending = dense_pending(self.index)
        finally:
            store.close()
        total.head = max(total.head, total.position)
        if total.dense_pending:
            self.start_dense()
        return total.to_dict()

    def _sentence_hook(self, store: Any) -> Callable[[list[Any]], None]:
        from calanque.answer.vectors import precompute_sentence_vectors

        def sentences(chunks: list[Any]) -> None:  # answers then embed only the question
            if self.settings.index.precompute_sentences:  # else: on first use, then stored
                precompute_sentence_vectors([c.text for c in chunks], self.embedder, store)

        return sentences

    def _embed_ahead(self, position: int, sentences: Any, batch: int, progressive: bool) -> bool:
        """Embed the next batch's chunks into the caches (not for a progressive index:
        its catch-up does not embed); False when the log is caught up."""
        from calanque.embed.base import passage_text

        changes = self.catalog.changes_since(position, limit=batch)
        if progressive:
            return bool(changes)
        upserts = sorted({c.chunk_id for c in changes if c.op == "upsert"})
        chunks = self.catalog.indexed_chunks(upserts) if upserts else []
        if chunks:
            self.runtime.raw_embedder.embed_passages([passage_text(c) for c in chunks])
            sentences(chunks)
        return bool(changes)

    # ---- the background dense pass ---------------------------------------------------
    def start_dense(self) -> bool:
        """Embed the chunks indexed lexically only, in a background thread, while requests
        are answered; True when a pass started or the running one will go round again."""
        from calanque.index.base import dense_pending

        with self.models():
            if not dense_pending(self.index):
                return False
        with self._dense_guard:
            self._dense_requested = True
            if self._dense_thread is not None or self._stopping.is_set():
                return True
            self.dense = DenseJob(running=True, started_at=_now())
            self._dense_thread = threading.Thread(
                target=self._dense_pass, name="calanque-dense", daemon=True
            )
            self._dense_thread.start()
        return True

    def start_dense_quietly(self) -> None:
        """:meth:`start_dense` at start-up: a failure (no index yet, a broken model) is
        logged, and the requests that need the index report it."""
        try:
            self.start_dense()
        except Exception:
            log.exception("could not start the background dense pass")

    def _dense_pass(self) -> None:
        """Small batches (:data:`DENSE_BATCH`), each embedded without the model lock (the
        embedding cache keeps it) and added under it: a question's embedding waits for an
        index call, never for a batch (nor for the chunks another question embeds at
        search time: ``Retriever(ahead=…)``). Several worker processes: one pass at a time."""
        from calanque.answer.vectors import SentenceVectorStore
        from calanque.index.sync import fill_dense, fill_words

        job = self.dense
        store = SentenceVectorStore.in_folder(self.settings.index_dir)
        try:
            with _try_lock(self.settings.index_dir / "dense.lock") as mine:
                while mine:
                    with self._dense_guard:
                        self._dense_requested = False
                    # the words first (seconds): the bridge between the languages works
                    # while the chunks' vectors take minutes (fill_words counts them too)
                    fill_words(self.index, self.embedder, should_stop=self._stopping.is_set)
                    report = fill_dense(
                        self.catalog,
                        self.index,
                        self.embedder,
                        batch=DENSE_BATCH,
                        after_batch=self._sentence_hook(store),
                        should_stop=self._stopping.is_set,
                        embed=self.runtime.raw_embedder.embed_passages,
                    )
                    job.embedded += report.embedded
                    # and the words of chunks indexed meanwhile (nothing when there are none)
                    fill_words(self.index, self.embedder, should_stop=self._stopping.is_set)
                    with self._dense_guard:
                        if not self._dense_requested or self._stopping.is_set():
                            break
        except Exception as exc:  # reported at GET /v1/status; the server goes on
            log.exception("background dense pass failed")
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            store.close()
            with self._dense_guard:
                job.running = False
                job.finished_at = _now()
                self._dense_thread = None

    def index_status(self) -> dict[str, Any]:
        """Stored, indexed lexically, densely, waiting (``GET /v1/status``)."""
        from calanque.index.status import index_status

        with self.models():
            data = index_status(self.catalog, self.index)
        return {**data, "dense_job": self.dense.to_dict()}

    def close(self) -> None:
        if self.crawl.task is not None and not self.crawl.task.done():
            self.crawl.task.cancel()
        self._stopping.set()
        thread = self._dense_thread
        if thread is not None:  # it stops between two batches
            thread.join(timeout=60)
        self.runtime.close()


@contextlib.contextmanager
def _try_lock(path: Any) -> Iterator[bool]:
    """The lock file ``path`` if no other process holds it (True), else False at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _OneBatch:
    """The catalog, whose change log ends after one batch (see ``Services.catch_up``)."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._served = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)

    def changes_since(self, position: int, limit: int) -> Any:
        if self._served:
            return []
        self._served = True
        return self._catalog.changes_since(position, limit=limit)
