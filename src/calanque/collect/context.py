"""What the stages around the crawl loop may use of it: the crawl context.

Discovery (sitemaps, feeds, links) and folder ingest need a few things from the running
crawl -- the catalog in its database thread, the extraction pool, the link queue, the
summary and one retry policy -- and nothing else. :class:`CrawlContext` names them, so
those modules depend on this interface, not on the crawler's insides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from calanque.catalog import Catalog, FrontierItem
from calanque.collect.pipeline import ProcessedPage
from calanque.collect.summary import CrawlSummary
from calanque.config import CrawlSettings
from calanque.types import Source

T = TypeVar("T")
RETRYABLE = (
    "timeout",
    "network",
    "http-429",
    "http-500",
    "http-502",
    "http-503",
    "http-504",
    "robots-unreachable",
)


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed URL is tried again: transient failures only, with capped backoff."""

    max_attempts: int
    base_s: float = 2.0
    cap_s: float = 60.0

    def next_try(self, kind: str, attempts: int) -> float | None:
        """The time (``time.time()``) of the next try after ``attempts`` failed ones,
        or None when ``kind`` is not transient or the attempts are used up."""
        if kind not in RETRYABLE or attempts + 1 >= self.max_attempts:
            return None
        return time.time() + min(self.cap_s, self.base_s ** (attempts + 1))


class CrawlContext(Protocol):
    """The running crawl, as discovery and folder ingest see it."""

    catalog: Catalog
    summary: CrawlSummary
    crawl: CrawlSettings

    @property
    def stopping(self) -> bool:
        """True once the crawl was asked to stop: finish the current item and return."""
        ...

    async def in_db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a catalog call in the crawl's single database thread."""
        ...

    async def extract(
        self,
        body: bytes,
        url: str,
        content_type: str,
        charset: str | None,
        want_links: bool,
        headers: dict[str, str] | None = None,
    ) -> ProcessedPage:
        """Extract a body in the extraction pool."""
        ...

    async def fail(
        self, item: FrontierItem, kind: str, message: str, status: int | None = None
    ) -> None:
        """Count and record a failure; retry later when the retry policy says so."""
        ...

    async def queue_links(self, source: Source, depth: int, links: list[str]) -> None:
        """Queue the in-scope links found at ``depth`` (scope and page limit checked)."""
        ...

    def report(self) -> None:
        """Tell the progress display that the summary changed."""
        ...
