"""Pages read for web answers, kept in the catalog under the one ``web`` source.

With ``web.store`` on (the default), a page read for a question is stored like a crawled
page: its page row, document and chunks, in one transaction with their chunk-log entries
(:meth:`~calanque.catalog.Catalog.save_document`), under the source of kind ``web``
(created on first use, ``added_by`` the operator or the API key that asked). So:

1. a later question that meets the page within ``crawl.refresh_after`` of its fetch uses
   the stored chunks and does not fetch it again (the result says ``cached``);
2. after that the page is fetched, and its consent decided, again: a page that refuses now
   is deleted (ledger action ``deleted``), one that is gone (404, 410) is forgotten;
3. once the index catches up, its chunks answer ``sources`` questions like any source's.

A page that another source holds (a crawled site) is neither reused nor taken over: the
crawl keeps it. Stored web pages carry no near-duplicate signature, so the crawler never
files a crawled page as a copy of one (removing the ``web`` source never takes crawled
text away). With ``web.store`` off nothing is read from or written to the catalog but the
consent ledger entries (and the deletion of stored copies that refuse now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from calanque.catalog import Catalog, PageRecord
from calanque.collect.fetcher import FetchResult
from calanque.collect.summary import stamped
from calanque.collect.urls import normalize_url
from calanque.config import Settings
from calanque.errors import SourceError
from calanque.types import OPERATOR, Chunk, ConsentDecision, Document, Source

GONE_STATUSES = (404, 410)


@dataclass(frozen=True)
class PageText:
    """A readable page's document and its chunks."""

    document: Document
    chunks: tuple[Chunk, ...]


def normalized(url: str) -> str:
    """``url`` as the catalog keys it, or "" when it is not a valid http(s) URL."""
    try:
        return normalize_url(url)
    except SourceError:
        return ""


def page_record(fetched: FetchResult, document: Document, source_id: int) -> PageRecord:
    """The page row of a fetched page, as the crawler writes it."""
    return PageRecord(
        url=normalize_url(fetched.url),
        source_id=source_id,
        status=fetched.status,
        canonical_url=document.canonical_url,
        etag=fetched.headers.get("etag", ""),
        last_modified=fetched.headers.get("last-modified", ""),
        content_type=fetched.content_type,
        size=len(fetched.body),
    )


class WebPageStore:
    """The catalog side of reading result pages: reuse, ledger, storing, deleting.

    Its methods are synchronous catalog calls (run them in a thread from async code).
    """

    def __init__(self, catalog: Catalog, settings: Settings, asker: str = OPERATOR) -> None:
        self.catalog = catalog
        self.enabled = settings.web.store
        self.refresh_after = timedelta(seconds=settings.crawl.refresh_after)
        self.asker = asker

    # ---- reuse ----------------------------------------------------------------------
    def fresh(self, url: str) -> PageText | None:
        """The text stored for ``url`` under the web source when it was fetched less than
        ``crawl.refresh_after`` ago, else None (fetch it)."""
        if not self.enabled:
            return None
        page = self._stored(url)
        if page is None or page.document_id is None or not self._is_fresh(page):
            return None
        document = self.catalog.get_document(page.document_id)
        if document is None or document.id is None:
            return None
        return PageText(document, tuple(self.catalog.document_chunks(document.id)))

    def _stored(self, url: str) -> PageRecord | None:
        """The web source's page row holding ``url``'s text (through a redirect's row)."""
        web = self.catalog.find_web_source()
        page = self.catalog.get_page(url) if web is not None and url else None
        if page is not None and page.document_id is None and page.canonical_url:
            page = self.catalog.get_page(page.canonical_url)
        if page is None or web is None or page.source_id != web.id or page.document_id is None:
            return None
        return page

    def _is_fresh(self, page: PageRecord) -> bool:
        if not page.fetched_at:
            return False
        fetched_at = datetime.fromisoformat(page.fetched_at)
        return datetime.now(UTC) - fetched_at < self.refresh_after

    # ---- what reading decided ----------------------------------------------------------
    def allowed(
        self,
        decision: ConsentDecision,
        result_url: str,
        fetched: FetchResult | None,
        text: PageText | None,
    ) -> None:
        """A page read: its ledger entry, then (with ``web.store``) the page itself."""
        self.catalog.record_consent(stamped(decision), "web-fetched")
        if self.enabled and fetched is not None and text is not None:
            self._save(self.catalog.web_source(self.asker), fetched, text, normalized(result_url))

    def refused(self, decision: ConsentDecision, result_url: str) -> None:
        """A page refused: delete what the web source stored of it, else note the refusal."""
        decision = stamped(decision)
        urls = dict.fromkeys([decision.url, normalized(result_url)])
        stored = {page.url for page in map(self._stored, urls) if page is not None}
        for url in stored:
            self.catalog.delete_document_at(url, decision)
        if not stored:
            self.catalog.record_consent(decision, "web-refused")

    def failed(self, result_url: str, status: int | None) -> None:
        """A page that could not be read: forget the stored copy when the page is gone."""
        page = self._stored(normalized(result_url)) if status in GONE_STATUSES else None
        if page is not None:
            self.catalog.forget_document(page.url)

    def _save(self, web: Source, fetched: FetchResult, text: PageText, result_url: str) -> None:
        record = page_record(fetched, text.document, web.id)
        if not self._may_write(record.url, web) or not self._may_write(result_url, web):
            return  # another source collected it: its crawl keeps it up to date
        try:
            if result_url and result_url != record.url:  # a redirect, noted as the crawler does
                alias = PageRecord(result_url, web.id, fetched.status, canonical_url=record.url)
                self.catalog.record_page(alias)
            self.catalog.save_document(record, text.document, text.chunks, None)
        except sa.exc.IntegrityError:
            pass  # another question stored the same page at the same moment

    def _may_write(self, url: str, web: Source) -> bool:
        existing = self.catalog.get_page(url) if url else None
        return existing is None or existing.source_id == web.id
