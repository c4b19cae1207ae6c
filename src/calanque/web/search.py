"""Web mode: search providers propose pages, Calanque reads those that allow it, and the
passages the question needs go to the same writer and claim verifier as indexed ones.

Step 8 of docs/architecture.md, web side (docs/web.md): :meth:`WebSearcher.gather`

1. asks every configured provider at once (:func:`~calanque.web.providers.search_all`),
   keeping the results the search filters allow (sites, excluded sites);
2. reads their pages under the consent checks (:class:`~calanque.web.fetch.PageReader`),
   within what is left of ``web.budget_s``;
3. chooses the passages (:func:`~calanque.web.passages.choose_passages`), embedding
   their sentences into the answer engine's sentence store (``store``).

It runs its own event loop, so the synchronous answer engine can call it from any thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Coroutine, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from calanque.answer.passages import Passage, WebEvidence
from calanque.answer.vectors import SentenceVectorStore
from calanque.catalog import Catalog
from calanque.config import Settings
from calanque.embed.base import Embedder
from calanque.errors import ConfigError
from calanque.types import OPERATOR, SearchFilters, SearchResult
from calanque.web.fetch import FetchedPage, PageReader
from calanque.web.passages import PageChunk, choose_passages
from calanque.web.providers import SearchProvider, WebSearch, configured_providers, search_all

Scope = Literal["web", "sources", "all"]
SCOPES: tuple[Scope, ...] = ("web", "sources", "all")
SHORTLIST_FACTOR = 2  # chunks embedded per passage kept
T = TypeVar("T")


def default_scope(settings: Settings) -> Scope:
    """``all`` when a web search provider is configured, else ``sources``."""
    web = settings.web
    return "all" if web.searxng_url or settings.brave_api_key or web.federation else "sources"


def no_provider_error() -> ConfigError:
    return ConfigError(
        "web search needs a provider: set web.searxng_url (CALANQUE_WEB_SEARXNG_URL), "
        "CALANQUE_BRAVE_API_KEY, or web.federation in calanque.toml (see docs/web.md); "
        "or ask with the scope 'sources'."
    )


def recency_of(filters: SearchFilters | None, today: date | None = None) -> str:
    """The providers' recency word (day, week, month, year) for a ``since`` date filter."""
    if filters is None or not filters.since:
        return ""
    days = ((today or datetime.now(UTC).date()) - date.fromisoformat(filters.since)).days
    return next(
        (word for word, most in (("day", 1), ("week", 7), ("month", 31)) if days <= most), "year"
    )


def host_matches(url: str, domains: Sequence[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def allowed_by_filters(result: SearchResult, filters: SearchFilters | None) -> bool:
    if filters is None:
        return True
    if filters.sites and not host_matches(result.url, filters.sites):
        return False
    return not host_matches(result.url, filters.exclude_sites)


class WebSearcher:
    """Answers' web passages: providers, consent-checked fetches, chosen passages."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        embedder: Embedder,
        providers: Sequence[SearchProvider] | None = None,
        *,
        transport: Any = None,
        store: SentenceVectorStore | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.embedder = embedder
        # The answer engine's sentence vectors: the passages are ranked by their sentences,
        # which the writer and the verifier then find there (calanque.web.passages).
        self.store = store if store is not None else SentenceVectorStore()
        self.providers = (
            list(providers) if providers is not None else configured_providers(settings)
        )
        self.transport = transport

    def gather(
        self,
        query: str,
        language: str,
        filters: SearchFilters | None,
        count: int,
        *,
        asker: str = OPERATOR,
    ) -> WebEvidence:
        """Up to ``count`` passages from the web for ``query``, and every other result.
        ``asker`` (the operator or ``key:<name>``) creates the ``web`` source if missing."""
        if not self.providers:
            raise no_provider_error()
        search, pages = run_async(self.search_and_read(query, filters, asker))
        chunks = [PageChunk(p.result, p.document, c) for p in pages if p.document for c in p.chunks]
        shortlist = count * SHORTLIST_FACTOR
        vector = self.embedder.embed_query(query) if chunks else None
        passages = choose_passages(
            query, language, chunks, self.embedder, count, shortlist, self.store, vector
        )
        return WebEvidence(
            passages,
            unused_results(pages, passages),
            [f.message for f in search.failures],
            vector,
        )

    async def search_and_read(
        self, query: str, filters: SearchFilters | None, asker: str = OPERATOR
    ) -> tuple[WebSearch, list[FetchedPage]]:
        """The providers' results, then their pages, all within ``web.budget_s``."""
        web = self.settings.web
        started = time.monotonic()
        languages = filters.languages if filters else ()
        found = await search_all(
            self.providers,
            query,
            lang=languages[0] if languages else "",
            k=web.results,
            recency=recency_of(filters),
            domains=filters.sites if filters else (),
        )
        results = [r for r in found.results if allowed_by_filters(r, filters)]
        left = max(0.0, web.budget_s - (time.monotonic() - started))
        async with PageReader(self.settings, self.catalog, self.transport, asker) as reader:
            pages = await reader.read_all(results, web.fetch, left)
        return found, pages


def unused_results(pages: Sequence[FetchedPage], passages: Sequence[Passage]) -> list[SearchResult]:
    """Every result no passage came from: refused, failed, or read but not needed."""
    used = {p.url for p in passages}
    unused = []
    for page in pages:
        if page.document is not None and page.document.url in used:
            continue
        reason = page.result.reason or "not-needed"
        unused.append(
            SearchResult(
                page.result.url,
                page.result.title,
                "",
                page.result.date,
                page.result.provider,
                False,
                reason,
                page.result.cached,
            )
        )
    return unused


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to the end from synchronous code, in a thread of its own if this one
    already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()
