"""Publishers: what Calanque holds, refused, deleted and cited per host, and forgotten hosts.

A host is a URL's ``netloc`` (``example.org``, ``127.0.0.1:8080``). A forgotten host
written without a port covers the name on every port.

* :func:`publisher_reports` counts, per host, pages stored, pages refused by each signal
  (from the consent ledger), pages deleted after an opt-out, and citations in stored answers;
* :func:`forget_host` deletes every page, document and chunk of a host through the
  catalog's opt-out path (the index catch-up then prunes vectors and purges tantivy,
  thread messages are redacted), writes it to the ledger and blocks the host;
  :func:`is_forgotten` is what every crawl, worker and web answer asks first;
* :func:`record_citations` logs the pages an answer cited (no question text).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from calanque.catalog import schema as t
from calanque.catalog.records import iso, utcnow
from calanque.errors import SourceError
from calanque.types import ConsentDecision

if TYPE_CHECKING:
    from calanque.catalog.store import Catalog

FORGOTTEN = "forgotten"
"""The ledger's signal (and a web result's reason) for a host the operator forgot."""


def _rows(conn: sa.Connection, query: Any) -> list[Any]:
    """The rows of a read, untyped: columns are unpacked by position."""
    return list(conn.execute(query))


def host_of(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2].lower()


def normalize_host(text: str) -> str:
    """``https://Example.org/x`` or ``Example.org`` -> ``example.org``; refuses paths."""
    value = text.strip()
    host = host_of(value) if "://" in value else value.lower().rstrip("/")
    if not host or "/" in host or " " in host:
        raise SourceError(
            f"{text!r} is not a host: give a name such as example.org (with :port to "
            "forget one port only) or a URL on that host"
        )
    return host


def host_matches(netloc: str, host: str) -> bool:
    """Whether a URL's ``netloc`` belongs to ``host`` (a host without port: any port)."""
    netloc = netloc.lower()
    if netloc == host:
        return True
    return ":" not in host.strip("[]") and netloc.rsplit(":", 1)[0] == host


@dataclass
class PublisherReport:
    host: str
    pages: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    deleted: int = 0
    cited: int = 0
    last_cited: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """``calanque publishers --json`` and ``GET /v1/publishers`` show this."""
        return {
            "host": self.host,
            "pages": self.pages,
            "refused": dict(sorted(self.refused.items())),
            "deleted": self.deleted,
            "cited": self.cited,
            "last_cited": iso(self.last_cited) or None,
        }


def publisher_reports(engine: Engine, host: str | None = None) -> list[PublisherReport]:
    """One report per host seen in pages, the ledger or citations (or only ``host``)."""
    reports: dict[str, PublisherReport] = {}

    def report(netloc: str) -> PublisherReport | None:
        if not netloc:  # a local file (file://): the operator's own, no publisher
            return None
        if host is not None and not host_matches(netloc, host):
            return None
        return reports.setdefault(netloc, PublisherReport(netloc))

    with engine.connect() as conn:
        _count_pages(conn, report)
        _count_ledger(conn, report)
        _count_citations(conn, report)
    return sorted(reports.values(), key=lambda r: (-r.cited, -r.pages, r.host))


def _count_pages(conn: sa.Connection, report: Any) -> None:
    query = sa.select(t.pages.c.url).where(t.pages.c.document_id.is_not(None))
    for (url,) in _rows(conn, query):
        found = report(host_of(url))
        if found is not None:
            found.pages += 1


def _count_ledger(conn: sa.Connection, report: Any) -> None:
    """Distinct URLs refused per signal, and distinct URLs deleted, per host."""
    refused: dict[tuple[str, str], set[str]] = defaultdict(set)
    deleted: dict[str, set[str]] = defaultdict(set)
    query = sa.select(t.consent.c.host, t.consent.c.url, t.consent.c.signal, t.consent.c.action)
    for netloc, url, signal, action in _rows(conn, query.where(t.consent.c.allowed.is_(False))):
        refused[(netloc.lower(), signal)].add(url)
        if action == "deleted":
            deleted[netloc.lower()].add(url)
    for (netloc, signal), urls in refused.items():
        found = report(netloc)
        if found is not None:
            found.refused[signal] = len(urls)
    for netloc, urls in deleted.items():
        found = report(netloc)
        if found is not None:
            found.deleted = len(urls)


def _count_citations(conn: sa.Connection, report: Any) -> None:
    c = t.citations.c
    query = sa.select(c.host, sa.func.count(), sa.func.max(c.cited_at)).group_by(c.host)
    for netloc, count, last in _rows(conn, query):
        found = report(netloc)
        if found is not None:
            found.cited, found.last_cited = int(count), last


def record_citations(conn: sa.Connection, urls: Iterable[str]) -> None:
    """Log the pages one answer cited (host, page, time; never the question).

    A stored answer is logged when its thread message is added; an answer served without
    being stored is logged by :func:`log_served_citations`.
    """
    now = utcnow()
    rows = [{"host": host_of(url), "url": url, "cited_at": now} for url in urls if url]
    if rows:
        conn.execute(t.citations.insert(), rows)


def log_served_citations(engine: sa.Engine, urls: Iterable[str]) -> None:
    """Log the pages an answer that is not stored in a thread cited."""
    with engine.begin() as conn:
        record_citations(conn, urls)


# ---- forgetting ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ForgetResult:
    host: str
    deleted: int  # documents (or aliases) deleted
    pages: int  # page records removed

    def as_json(self) -> dict[str, Any]:
        return {"host": self.host, "forgotten": True, "deleted": self.deleted, "pages": self.pages}


def forgotten_hosts(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = _rows(conn, sa.select(t.forgotten_hosts).order_by(t.forgotten_hosts.c.host))
        return [{"host": host, "forgotten_at": iso(at)} for host, at in rows]


def is_forgotten(engine: Engine, url: str) -> bool:
    netloc = host_of(url)
    names = {netloc, netloc.rsplit(":", 1)[0]} if not netloc.startswith("[") else {netloc}
    query = sa.select(t.forgotten_hosts.c.host).where(t.forgotten_hosts.c.host.in_(names))
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


def forgotten_decision(url: str) -> ConsentDecision:
    rule = f"the operator forgot {host_of(url)} (calanque unforget HOST lifts it)"
    return ConsentDecision(url, False, FORGOTTEN, rule)


def forget_host(catalog: Catalog, host: str) -> ForgetResult:
    """Block ``host``, then delete everything stored from it, as an opt-out does."""
    host = normalize_host(host)
    with catalog.engine.begin() as conn:
        conn.execute(t.forgotten_hosts.delete().where(t.forgotten_hosts.c.host == host))
        conn.execute(t.forgotten_hosts.insert().values(host=host, forgotten_at=utcnow()))
    urls = _stored_urls(catalog.engine, host)
    deleted = sum(catalog.delete_document_at(url, forgotten_decision(url)) for url in urls)
    if not urls:
        catalog.record_consent(forgotten_decision(f"https://{host}/"), "skipped")
    pages = _drop_host_rows(catalog.engine, host)
    catalog.scrub()
    return ForgetResult(host, deleted, pages)


def unforget_host(engine: Engine, host: str) -> bool:
    """Lift the block; the host's pages come back only when a later crawl fetches them."""
    with engine.begin() as conn:
        gone = conn.execute(
            t.forgotten_hosts.delete().where(t.forgotten_hosts.c.host == normalize_host(host))
        )
    return bool(gone.rowcount)


def _stored_urls(engine: Engine, host: str) -> list[str]:
    with engine.connect() as conn:
        urls = {url for (url,) in _rows(conn, sa.select(t.pages.c.url))}
        urls |= {url for (url,) in _rows(conn, sa.select(t.documents.c.url))}
    return sorted(url for url in urls if host_matches(host_of(url), host))


def _drop_host_rows(engine: Engine, host: str) -> int:
    """Remove the host's page records, queued URLs and cached robots.txt/tdmrep.json."""
    with engine.begin() as conn:
        page_ids = [
            row_id
            for row_id, url in _rows(conn, sa.select(t.pages.c.id, t.pages.c.url))
            if host_matches(host_of(url), host)
        ]
        queued = [
            row_id
            for row_id, url in _rows(conn, sa.select(t.frontier.c.id, t.frontier.c.url))
            if host_matches(host_of(url), host)
        ]
        hosts = [key for (key,) in _rows(conn, sa.select(t.hosts.c.host))]
        conn.execute(t.pages.delete().where(t.pages.c.id.in_(page_ids)))
        conn.execute(t.frontier.delete().where(t.frontier.c.id.in_(queued)))
        dropped = [key for key in hosts if host_matches(host_of(key), host)]
        conn.execute(t.hosts.delete().where(t.hosts.c.host.in_(dropped)))
    return len(page_ids)
