"""The crawl frontier, shared by every crawl worker through the catalog.

Politeness is per host and holds across workers: a worker first leases a
*host* (compare-and-set on ``hosts.lease_owner``), then takes due URLs of
that host. ``hosts.next_fetch_at`` is the earliest time the next request to
the host may start, whoever sends it. Leases expire, so a dead worker's hosts
and URLs are taken over. On PostgreSQL the URL selection uses
``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from calanque.catalog.schema import frontier, hosts

# the consent signals a refusal by which needs no download of the page (the frontier's
# last_error of a refused URL is its signal)
DECIDED_WITHOUT_FETCHING = ("robots.txt", "tdmrep", "forgotten")

QUEUED, LEASED, DONE, FAILED, REFUSED, SKIPPED = (
    "queued",
    "leased",
    "done",
    "failed",
    "refused",
    "skipped",
)


@dataclass(frozen=True)
class FrontierItem:
    id: int
    url: str
    host: str
    source_id: int
    depth: int
    attempts: int


@dataclass(frozen=True)
class NewURL:
    url: str
    host: str
    source_id: int
    depth: int = 0
    due_at: float = 0.0


class Frontier:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pg = engine.dialect.name == "postgresql"

    def _insert_ignore(self, table: sa.Table, rows: list[dict], key: str) -> sa.Insert:
        """INSERT ... ON CONFLICT DO NOTHING whose ``rowcount`` is the rows really inserted
        (SQLAlchemy reports -1 for an INSERT on psycopg unless asked to keep the count)."""
        if self._pg:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: sa.Insert = (
                pg_insert(table).values(rows).on_conflict_do_nothing(index_elements=[key])
            )
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table).values(rows).on_conflict_do_nothing(index_elements=[key])
        return stmt.execution_options(preserve_rowcount=True)

    def enqueue(self, urls: list[NewURL]) -> int:
        """Add URLs not seen before; returns how many were new."""
        if not urls:
            return 0
        now = datetime.now(UTC)
        added = 0
        # All host rows first, then the URLs, each in key order: two workers inserting
        # overlapping links on PostgreSQL then wait on each other's unique-index entries in one
        # order, never in a cycle (a deadlock, measured with shuffled link lists).
        unique = sorted({u.url: u for u in urls}.values(), key=lambda u: u.url)
        host_names = sorted({u.host for u in unique})
        with self.engine.begin() as conn:
            for start in range(0, len(host_names), 500):
                host_rows = [
                    {"host": h, "next_fetch_at": 0.0} for h in host_names[start : start + 500]
                ]
                conn.execute(self._insert_ignore(hosts, host_rows, "host"))
            for start in range(0, len(unique), 500):
                rows = [
                    {
                        "url": u.url,
                        "host": u.host,
                        "source_id": u.source_id,
                        "depth": u.depth,
                        "state": QUEUED,
                        "due_at": u.due_at,
                        "attempts": 0,
                        "discovered_at": now,
                    }
                    for u in unique[start : start + 500]
                ]
                added += conn.execute(self._insert_ignore(frontier, rows, "url")).rowcount or 0
        return added

    def requeue(self, url: str, due_at: float = 0.0) -> None:
        """Schedule an already known URL again (feed re-poll, refresh)."""
        with self.engine.begin() as conn:
            conn.execute(
                frontier.update()
                .where(frontier.c.url == url)
                .values(state=QUEUED, due_at=due_at, lease_owner=None, lease_until=None)
            )

    def release_all(self) -> None:
        """Forget every lease: only for a single-process crawl that holds the crawl lock."""
        with self.engine.begin() as conn:
            conn.execute(
                frontier.update()
                .where(frontier.c.state == LEASED)
                .values(state=QUEUED, lease_owner=None, lease_until=None)
            )
            conn.execute(hosts.update().values(lease_owner=None, lease_until=None))

    def release_owner(self, owner: str) -> int:
        """A worker stops cleanly: hand back its URL and host leases now instead of at expiry.

        Returns the URLs put back in the queue."""
        with self.engine.begin() as conn:
            urls = conn.execute(
                frontier.update()
                .where(frontier.c.state == LEASED, frontier.c.lease_owner == owner)
                .values(state=QUEUED, lease_owner=None, lease_until=None)
            ).rowcount
            conn.execute(
                hosts.update()
                .where(hosts.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )
        return int(urls or 0)

    def lease_hosts(
        self, owner: str, limit: int, lease_s: float, exclude: Collection[str] = ()
    ) -> list[str]:
        """Lease up to ``limit`` hosts that have due URLs and are not leased by someone else.

        ``exclude``: hosts the caller is already crawling (so that every host returned is one
        it can start now, and no host is leased without being crawled)."""
        if self._pg:
            return self._lease_hosts_skip_locked(owner, limit, lease_s, exclude)
        now = time.time()
        due = (
            sa.select(frontier.c.host)
            .join(hosts, hosts.c.host == frontier.c.host)
            .where(frontier.c.state.in_([QUEUED, LEASED]), frontier.c.due_at <= now)
            .where(
                sa.or_(
                    hosts.c.lease_owner.is_(None),
                    hosts.c.lease_until < now,
                    hosts.c.lease_owner == owner,
                )
            )
            .where(sa.or_(frontier.c.state == QUEUED, frontier.c.lease_until < now))
            .where(frontier.c.host.not_in(list(exclude)))
            .distinct()
            .limit(limit * 4)
        )
        leased: list[str] = []
        with self.engine.begin() as conn:
            due_hosts: list[str] = list(conn.execute(due).scalars())
            for host in due_hosts:
                won = conn.execute(
                    hosts.update()
                    .where(hosts.c.host == host)
                    .where(
                        sa.or_(
                            hosts.c.lease_owner.is_(None),
                            hosts.c.lease_until < now,
                            hosts.c.lease_owner == owner,
                        )
                    )
                    .values(lease_owner=owner, lease_until=now + lease_s)
                ).rowcount
                if won:
                    leased.append(host)
                if len(leased) >= limit:
                    break
        return leased

    def _lease_hosts_skip_locked(
        self, owner: str, limit: int, lease_s: float, exclude: Collection[str]
    ) -> list[str]:
        """PostgreSQL: lock free host rows with ``SKIP LOCKED``, so concurrent workers never wait
        on (or deadlock over) the same rows; the hosts whose politeness slot opens first go first."""
        now = time.time()
        has_due = (
            sa.select(frontier.c.id)
            .where(frontier.c.host == hosts.c.host, frontier.c.due_at <= now)
            .where(
                sa.or_(
                    frontier.c.state == QUEUED,
                    sa.and_(frontier.c.state == LEASED, frontier.c.lease_until < now),
                )
            )
            .exists()
        )
        pick = (
            sa.select(hosts.c.host)
            .where(
                sa.or_(
                    hosts.c.lease_owner.is_(None),
                    hosts.c.lease_until < now,
                    hosts.c.lease_owner == owner,
                ),
                has_due,
                hosts.c.host.not_in(list(exclude)),
            )
            .order_by(hosts.c.next_fetch_at, hosts.c.host)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self.engine.begin() as conn:
            leased: list[str] = list(conn.execute(pick).scalars())
            if leased:
                conn.execute(
                    hosts.update()
                    .where(hosts.c.host.in_(leased))
                    .values(lease_owner=owner, lease_until=now + lease_s)
                )
        return leased

    def renew_host(self, host: str, owner: str, lease_s: float) -> bool:
        """Extend this worker's lease on ``host`` and on the URLs it took there.

        False when the lease was lost (it expired and another worker took the host over):
        the caller must then stop fetching from that host."""
        until = time.time() + lease_s
        with self.engine.begin() as conn:
            kept = conn.execute(
                hosts.update()
                .where(hosts.c.host == host, hosts.c.lease_owner == owner)
                .values(lease_until=until)
            ).rowcount
            if kept:
                conn.execute(
                    frontier.update()
                    .where(frontier.c.host == host, frontier.c.lease_owner == owner)
                    .where(frontier.c.state == LEASED)
                    .values(lease_until=until)
                )
        return bool(kept)

    def release_host(self, host: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                hosts.update()
                .where(hosts.c.host == host, hosts.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def take_urls(self, host: str, owner: str, limit: int, lease_s: float) -> list[FrontierItem]:
        """Lease due URLs of a host this worker holds (expired URL leases are taken over).

        Nothing when the worker no longer holds the host's lease."""
        now = time.time()
        pick = (
            sa.select(frontier.c.id)
            .where(frontier.c.host == host, frontier.c.due_at <= now)
            .where(
                sa.or_(
                    frontier.c.state == QUEUED,
                    sa.and_(frontier.c.state == LEASED, frontier.c.lease_until < now),
                )
            )
            .order_by(frontier.c.depth, frontier.c.id)
            .limit(limit)
        )
        if self._pg:
            pick = pick.with_for_update(skip_locked=True)
        holds = sa.select(hosts.c.host).where(
            hosts.c.host == host, hosts.c.lease_owner == owner, hosts.c.lease_until >= now
        )
        if self._pg:  # no takeover between this check and the URL update
            holds = holds.with_for_update(read=True)
        with self.engine.begin() as conn:
            if conn.execute(holds).first() is None:
                return []  # the host lease expired and may be someone else's now
            ids: list[int] = list(conn.execute(pick).scalars())
            if not ids:
                return []
            conn.execute(
                frontier.update()
                .where(frontier.c.id.in_(ids))
                .values(state=LEASED, lease_owner=owner, lease_until=now + lease_s)
            )
            rows = conn.execute(
                sa.select(frontier)
                .where(frontier.c.id.in_(ids))
                .order_by(frontier.c.depth, frontier.c.id)
            ).mappings()
            return [
                FrontierItem(
                    r["id"], r["url"], r["host"], r["source_id"], r["depth"], r["attempts"]
                )
                for r in rows
            ]

    def finish(
        self, item_id: int, state: str, error: str | None = None, conn: sa.Connection | None = None
    ) -> None:
        stmt = (
            frontier.update()
            .where(frontier.c.id == item_id)
            .values(
                state=state,
                last_error=error,
                lease_owner=None,
                lease_until=None,
                attempts=frontier.c.attempts + 1,
            )
        )
        if conn is not None:
            conn.execute(stmt)
            return
        with self.engine.begin() as c:
            c.execute(stmt)

    def retry_later(self, item_id: int, error: str, due_at: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                frontier.update()
                .where(frontier.c.id == item_id)
                .values(
                    state=QUEUED,
                    last_error=error,
                    due_at=due_at,
                    lease_owner=None,
                    lease_until=None,
                    attempts=frontier.c.attempts + 1,
                )
            )

    def next_fetch_at(self, host: str) -> float:
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(hosts.c.next_fetch_at).where(hosts.c.host == host)
            ).scalar()
        return float(value or 0.0)

    def set_next_fetch_at(self, host: str, when: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(hosts.update().where(hosts.c.host == host).values(next_fetch_at=when))

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(frontier)
                    .where(frontier.c.state.in_([QUEUED, LEASED]))
                ).scalar_one()
            )

    def due_count(self) -> int:
        now = time.time()
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(frontier)
                    .where(frontier.c.state.in_([QUEUED, LEASED]), frontier.c.due_at <= now)
                ).scalar_one()
            )

    def next_due_at(self) -> float | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.min(frontier.c.due_at)).where(
                    frontier.c.state.in_([QUEUED, LEASED])
                )
            ).scalar()

    def states(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(frontier.c.state, sa.func.count()).group_by(frontier.c.state)
            ).all()
        return {str(state): int(str(n)) for state, n in rows}

    # ---- per-host policy cache shared by workers -----------------------------------
    def host_policy(self, host: str) -> dict[str, object]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(hosts).where(hosts.c.host == host)).mappings().first()
        return dict(row) if row else {}

    def save_robots(self, host: str, status: int | None, body: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                hosts.update()
                .where(hosts.c.host == host)
                .values(robots_status=status, robots_body=body, robots_fetched_at=time.time())
            )

    def save_tdmrep(self, host: str, body: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                hosts.update()
                .where(hosts.c.host == host)
                .values(tdmrep_body=body, tdmrep_fetched_at=time.time())
            )

    def requeue_stale(self, before: datetime) -> int:
        """Schedule finished URLs fetched before ``before`` again.

        Refusals decided without fetching the page (robots.txt, the host's tdmrep.json, a
        forgotten host) are asked again at every crawl: it costs no request, and a lifted
        rule takes effect at once. A refusal the page itself gave (a ``noai`` meta tag or
        header) took a download to read: it is asked again only once its ledger entry is
        older than ``before``, as a stored page would be (every crawl downloaded it again).
        """
        from calanque.catalog.schema import consent, pages

        stale = sa.select(pages.c.url).where(
            sa.or_(pages.c.fetched_at < before, pages.c.fetched_at.is_(None))
        )
        refused_lately = (
            sa.select(consent.c.url)
            .where(consent.c.allowed.is_(False))
            .group_by(consent.c.url)
            .having(sa.func.max(consent.c.decided_at) >= before)
        )
        refusal_due = sa.and_(
            frontier.c.state == REFUSED,
            sa.or_(
                frontier.c.last_error.is_(None),
                frontier.c.last_error.in_(DECIDED_WITHOUT_FETCHING),
                frontier.c.url.not_in(refused_lately),
            ),
        )
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    frontier.update()
                    .where(frontier.c.state.in_([DONE, FAILED, REFUSED, SKIPPED]))
                    .where(sa.or_(frontier.c.url.in_(stale), refusal_due))
                    .values(state=QUEUED, due_at=0.0, attempts=0)
                ).rowcount
                or 0
            )

    def count_for_source(self, source_id: int) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(frontier)
                    .where(frontier.c.source_id == source_id)
                ).scalar_one()
            )
