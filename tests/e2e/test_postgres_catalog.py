"""The catalog's behaviours on a real PostgreSQL server (the shared catalog of several workers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from tests.postgres import pg_url_fixture  # noqa: F401  (provides the pg_url fixture)

from calanque.catalog import Catalog, NewURL, PageRecord
from calanque.catalog.engine import current_revision
from calanque.catalog.schema import frontier, hosts, metadata
from calanque.types import Chunk, ConsentDecision, Document, Scope

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture
def catalog(pg_url: str) -> Iterator[Catalog]:
    opened = Catalog.open(pg_url)
    try:
        yield opened
    finally:
        opened.close()


def doc(url: str, text: str) -> Document:
    return Document(url=url, text=text, title="T", language="en")


def chunks_of(text: str) -> list[Chunk]:
    half = len(text) // 2
    return [Chunk(0, 0, text[:half], 0, half), Chunk(0, 1, text[half:], half, len(text))]


def queue(catalog: Catalog, hosts: int, per_host: int) -> int:
    source = catalog.add_source("site", "http://h0/", Scope())
    catalog.frontier.enqueue(
        [
            NewURL(f"http://h{h}/{i}", f"http://h{h}", source.id)
            for h in range(hosts)
            for i in range(per_host)
        ]
    )
    return source.id


def test_migrations_produce_exactly_the_declared_schema(pg_url: str) -> None:
    catalog = Catalog.open(pg_url)
    assert catalog.engine.dialect.name == "postgresql"
    assert catalog.engine.dialect.driver == "psycopg"
    with catalog.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    revision = current_revision(catalog.engine)
    catalog.close()
    again = Catalog.open(pg_url)  # idempotent: a second worker opening the same catalog
    assert current_revision(again.engine) == revision is not None
    assert again.counts()["sources"] == 0
    again.close()


def test_concurrent_openings_migrate_once(pg_url: str) -> None:
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            Catalog.open(pg_url).close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert all(not thread.is_alive() for thread in threads)


def test_saving_replacing_and_deleting_are_logged_in_order(catalog: Catalog) -> None:
    source = catalog.add_source("site", "http://x/", Scope(prefix="http://x/"))
    page = PageRecord(url="http://x/a", source_id=source.id, status=200)
    first = catalog.save_document(
        page, doc("http://x/a", "alpha beta"), chunks_of("alpha beta"), None
    )
    same = catalog.save_document(
        page, doc("http://x/a", "alpha beta"), chunks_of("alpha beta"), None
    )
    assert first.changed and not same.changed
    catalog.save_document(page, doc("http://x/a", "gamma delta"), chunks_of("gamma delta"), None)
    live = catalog.all_chunk_ids()
    assert [c.text for c in catalog.indexed_chunks(live)] == ["gamma", " delta"]
    refused = ConsentDecision("http://x/a", False, "x-robots-tag", "noai")
    assert catalog.delete_document_at("http://x/a", refused)
    ops = [c.op for c in catalog.changes_since(0)]
    assert ops == ["upsert", "upsert", "delete", "delete", "upsert", "upsert", "delete", "delete"]
    assert catalog.all_chunk_ids() == [] and catalog.counts()["documents"] == 0
    entry = catalog.consent_for("http://x/a")
    assert entry is not None and entry["action"] == "deleted" and entry["signal"] == "x-robots-tag"
    assert catalog.last_seq() == 8


def test_chunk_ids_are_never_reused(catalog: Catalog) -> None:
    source = catalog.add_source("site", "http://x/", Scope())
    page = PageRecord(url="http://x/a", source_id=source.id, status=200)
    catalog.save_document(page, doc("http://x/a", "one two"), chunks_of("one two"), None)
    first_ids = set(catalog.all_chunk_ids())
    catalog.forget_document("http://x/a")
    catalog.save_document(page, doc("http://x/a", "three four"), chunks_of("three four"), None)
    assert not first_ids & set(catalog.all_chunk_ids())


def test_host_leases_exclude_other_workers_until_they_expire(catalog: Catalog) -> None:
    queue(catalog, hosts=1, per_host=3)
    assert catalog.frontier.lease_hosts("a", 5, lease_s=60) == ["http://h0"]
    assert catalog.frontier.lease_hosts("b", 5, lease_s=60) == []
    assert catalog.frontier.take_urls("http://h0", "b", 5, lease_s=60) == []  # b holds no lease
    assert catalog.frontier.renew_host("http://h0", "a", 60)
    assert not catalog.frontier.renew_host("http://h0", "b", 60)
    items = catalog.frontier.take_urls("http://h0", "a", 2, lease_s=60)
    assert len(items) == 2
    catalog.frontier.lease_hosts("a", 5, lease_s=-1)  # a's host lease is now expired
    assert catalog.frontier.take_urls("http://h0", "a", 5, lease_s=60) == []  # a lost the host
    assert catalog.frontier.lease_hosts("b", 5, lease_s=60) == ["http://h0"]
    assert not catalog.frontier.renew_host("http://h0", "a", 60)
    taken = catalog.frontier.take_urls("http://h0", "b", 5, lease_s=60)
    assert len(taken) == 1  # a's two URLs are still leased
    with catalog.engine.begin() as conn:  # a died: its URL leases run out
        conn.execute(frontier.update().where(frontier.c.lease_owner == "a").values(lease_until=0.0))
    again = catalog.frontier.take_urls("http://h0", "b", 5, lease_s=60)
    assert sorted(i.url for i in again) == sorted(i.url for i in items)


def test_renewing_a_host_extends_the_urls_taken_there(catalog: Catalog) -> None:
    queue(catalog, hosts=1, per_host=2)
    catalog.frontier.lease_hosts("a", 1, lease_s=60)
    catalog.frontier.take_urls("http://h0", "a", 1, lease_s=-1)  # would expire at once
    assert catalog.frontier.renew_host("http://h0", "a", 60)
    with catalog.engine.connect() as conn:
        until = conn.execute(
            sa.select(frontier.c.lease_until).where(frontier.c.lease_owner == "a")
        ).scalar()
    assert until is not None and until > time.time() + 30


def test_hosts_a_worker_already_crawls_can_be_left_out(catalog: Catalog) -> None:
    queue(catalog, hosts=3, per_host=2)
    assert catalog.frontier.lease_hosts("a", 1, lease_s=60, exclude=["http://h0"]) == ["http://h1"]
    assert catalog.frontier.lease_hosts("a", 5, lease_s=60, exclude=["http://h0", "http://h1"]) == [
        "http://h2"
    ]


def test_a_stopping_worker_hands_its_leases_back(catalog: Catalog) -> None:
    queue(catalog, hosts=2, per_host=3)
    assert len(catalog.frontier.lease_hosts("a", 2, lease_s=60)) == 2
    catalog.frontier.take_urls("http://h0", "a", 2, lease_s=60)
    assert catalog.frontier.release_owner("a") == 2
    assert sorted(catalog.frontier.lease_hosts("b", 2, lease_s=60)) == ["http://h0", "http://h1"]
    assert len(catalog.frontier.take_urls("http://h0", "b", 5, lease_s=60)) == 3


def test_a_released_host_keeps_its_politeness_slot(catalog: Catalog) -> None:
    queue(catalog, hosts=1, per_host=1)
    assert catalog.frontier.lease_hosts("a", 1, lease_s=60) == ["http://h0"]
    catalog.frontier.set_next_fetch_at("http://h0", 1234.5)
    catalog.frontier.release_host("http://h0", "a")
    assert catalog.frontier.lease_hosts("b", 1, lease_s=60) == ["http://h0"]
    assert catalog.frontier.next_fetch_at("http://h0") == 1234.5


def test_skip_locked_hands_rows_locked_by_another_worker_to_nobody_else(catalog: Catalog) -> None:
    queue(catalog, hosts=1, per_host=6)
    catalog.frontier.lease_hosts("b", 1, lease_s=60)
    with catalog.engine.connect() as other:  # another worker, in the middle of its take_urls
        transaction = other.begin()
        locked = list(
            other.execute(
                sa.select(frontier.c.url).order_by(frontier.c.id).limit(2).with_for_update()
            ).scalars()
        )
        taken = catalog.frontier.take_urls("http://h0", "b", 10, lease_s=60)  # does not wait
        transaction.rollback()
    assert len(taken) == 4
    assert not {i.url for i in taken} & set(locked)


def test_two_workers_leasing_concurrently_get_every_url_exactly_once(catalog: Catalog) -> None:
    queue(catalog, hosts=12, per_host=25)
    got: dict[str, list[str]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def work(owner: str) -> None:
        frontier_ = catalog.frontier
        try:
            for _ in range(500):  # bounded
                leased = frontier_.lease_hosts(owner, 3, lease_s=60)
                if not leased:
                    return
                for host in leased:
                    for _ in range(3):
                        for item in frontier_.take_urls(host, owner, 4, lease_s=60):
                            got[owner].append(item.url)
                            frontier_.finish(item.id, "done")
                    frontier_.release_host(host, owner)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    with catalog.engine.connect() as conn:
        all_urls = list(conn.execute(sa.select(frontier.c.url)).scalars())
    threads = [threading.Thread(target=work, args=(owner,)) for owner in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert not set(got["a"]) & set(got["b"])
    assert sorted(got["a"] + got["b"]) == sorted(all_urls)
    assert got["a"] and got["b"]


def test_concurrent_host_leasing_never_shares_a_host_and_never_deadlocks(catalog: Catalog) -> None:
    queue(catalog, hosts=40, per_host=2)
    owners = [f"w{i}" for i in range(4)]
    winners: dict[str, set[str]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(owners))

    def work(owner: str) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(5):
                for host in catalog.frontier.lease_hosts(owner, 6, lease_s=60):
                    winners.setdefault(host, set()).add(owner)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with catalog.engine.connect() as conn:
        holders = dict(conn.execute(sa.select(hosts.c.host, hosts.c.lease_owner)).all())
    assert len(winners) >= 24  # every worker got hosts
    for host, owners_of_host in winners.items():
        assert owners_of_host == {holders[host]}  # one worker per host, and it still holds it


def test_concurrent_enqueues_of_overlapping_links_do_not_deadlock(catalog: Catalog) -> None:
    source = catalog.add_source("site", "http://h0/", Scope())
    links = [NewURL(f"http://h{i % 7}/{i}", f"http://h{i % 7}", source.id) for i in range(400)]
    errors: list[BaseException] = []
    added: list[int] = []

    def work(seed: int) -> None:
        import random

        batch = list(links)
        random.Random(seed).shuffle(batch)
        try:
            for start in range(0, len(batch), 50):
                added.append(catalog.frontier.enqueue(batch[start : start + 50]))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(added) == 400 == catalog.frontier.pending()
