"""Several ``calanque worker`` processes crawl together over one PostgreSQL catalog.

Each fixture host is its own local server (another port is another host). The
workers are real subprocesses; one is killed with SIGKILL in the middle of the
crawl and the other must take over its host and URL leases once they expire.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.e2e.crawl_helpers import add_site, distinct_text, page
from tests.postgres import (  # noqa: F401  (pg_url_fixture provides pg_url)
    Worker,
    pg_url_fixture,
    start_worker,
    worker_env,
)
from tests.sites import Route, Site, serve_site

from calanque.catalog import Catalog
from calanque.catalog.schema import documents, frontier, hosts, pages

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

NOT_PAGES = ("/robots.txt", "/.well-known/tdmrep.json")  # fetched outside the politeness slot
CLOCK_SLACK_S = 0.010


def site_routes(name: str, count: int) -> dict[str, Route]:
    """``count`` pages in a binary tree from ``/index.html``: discovered as the crawl goes."""
    routes: dict[str, Route] = {}
    for i in range(count):
        links = tuple(f"p{j}.html" for j in (2 * i + 1, 2 * i + 2) if j < count)
        path = "/index.html" if i == 0 else f"/p{i}.html"
        routes[path] = Route(
            body=page(f"{name} page {i}", distinct_text(f"{name}-{i}"), links=links)
        )
    return routes


@contextmanager
def fixture_hosts(count: int, pages_each: int) -> Iterator[list[Site]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(serve_site(site_routes(f"host{h}", pages_each)))
            for h in range(count)
        ]


def expected_urls(sites: list[Site], pages_each: int) -> set[str]:
    return {
        f"{site.url}/index.html" if i == 0 else f"{site.url}/p{i}.html"
        for site in sites
        for i in range(pages_each)
    }


def wait_for(what: str, check: Callable[[], bool], timeout_s: float, procs: list[Worker]) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        for proc in procs:
            if proc.poll() is not None and proc.returncode != 0:
                raise AssertionError(f"worker exited with {proc.returncode}: {proc.log_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)


def finish(proc: Worker, timeout_s: float = 120) -> dict[str, Any]:
    try:
        stdout, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(
            f"worker still running after {timeout_s} s; stderr:\n{proc.log_text()[-3000:]}"
        ) from None
    assert proc.returncode == 0, proc.log_text()[-3000:]
    return dict(json.loads(stdout))


def kill_all(procs: list[Worker]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def assert_polite(sites: list[Site], delay: float) -> None:
    for site in sites:
        times = sorted(r.time for r in site.requests if r.path not in NOT_PAGES)
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert gaps, f"{site.url} received no page requests"
        assert min(gaps) >= delay - CLOCK_SLACK_S, (
            f"{site.url}: two requests {min(gaps):.3f} s apart"
        )


def assert_stored_once(catalog: Catalog, expected: set[str]) -> None:
    with catalog.engine.connect() as conn:
        doc_urls = list(conn.execute(sa.select(documents.c.url)).scalars())
        page_docs = conn.execute(
            sa.select(sa.func.count()).select_from(pages).where(pages.c.document_id.is_not(None))
        ).scalar_one()
        states = dict(
            conn.execute(
                sa.select(frontier.c.state, sa.func.count()).group_by(frontier.c.state)
            ).all()
        )
    assert sorted(doc_urls) == sorted(expected)  # each page once, none missing, nothing else
    assert page_docs == len(expected)
    assert states == {"done": len(expected)}


def document_count(catalog: Catalog) -> int:
    with catalog.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(documents)).scalar_one())


def leaseholder_with_work(catalog: Catalog) -> tuple[str, str] | None:
    """(owner, host) where a worker holds a live host lease and the host still has URLs to crawl."""
    pending = (
        sa.select(frontier.c.host)
        .where(frontier.c.state.in_(["queued", "leased"]))
        .group_by(frontier.c.host)
        .having(sa.func.count() >= 5)
    )
    query = sa.select(hosts.c.lease_owner, hosts.c.host).where(
        hosts.c.lease_owner.is_not(None),
        hosts.c.lease_until > time.time(),
        hosts.c.host.in_(pending),
    )
    with catalog.engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else (str(row[0]), str(row[1]))


def owner_pid(owner: str) -> int:
    return int(owner.rsplit("-", 2)[-2])  # <machine>-<pid>-<random>


def test_a_killed_worker_is_taken_over_and_every_page_is_stored_once(
    pg_url: str, tmp_path: Path
) -> None:
    delay, pages_each = 0.15, 40
    catalog = Catalog.open(pg_url)
    with fixture_hosts(3, pages_each) as sites:
        for site in sites:
            add_site(catalog, f"{site.url}/index.html")
        crawl = {"min_delay": delay, "lease_s": 3, "extract_workers": 1, "concurrency": 2}
        procs = [
            start_worker(worker_env(pg_url, tmp_path / f"w{n}", f"w{n}", **crawl)) for n in range(2)
        ]
        try:
            victim: tuple[str, str] | None = None

            def victim_found() -> bool:
                nonlocal victim
                victim = leaseholder_with_work(catalog) if document_count(catalog) >= 25 else None
                return victim is not None

            wait_for("25 pages stored and a worker holding a busy host", victim_found, 90, procs)
            assert victim is not None
            owner, host = victim
            os.kill(owner_pid(owner), signal.SIGKILL)
            killed_at = time.monotonic()
            with catalog.engine.connect() as conn:
                orphaned = set(
                    conn.execute(
                        sa.select(frontier.c.url).where(
                            frontier.c.lease_owner == owner, frontier.c.state == "leased"
                        )
                    ).scalars()
                )
            stored_before = document_count(catalog)
            victim_proc = next(p for p in procs if p.pid == owner_pid(owner))
            survivor = next(p for p in procs if p is not victim_proc)
            assert victim_proc.wait(timeout=10) == -signal.SIGKILL
            summary = finish(survivor)
        finally:
            kill_all(procs)
        expected = expected_urls(sites, pages_each)
        assert stored_before < len(expected)
        assert_stored_once(catalog, expected)
        assert summary["fetched"] > 0 and summary["error_total"] == 0
        victim_site = next(s for s in sites if s.url == host)
        assert any(r.time > killed_at for r in victim_site.requests), (
            "nobody took the dead worker's host over"
        )
        # the URLs the dead worker had leased were done by the other
        with catalog.engine.connect() as conn:
            done = set(
                conn.execute(sa.select(frontier.c.url).where(frontier.c.state == "done")).scalars()
            )
        assert orphaned <= done
        assert_polite(sites, delay)
    catalog.close()


def test_live_workers_share_the_hosts_and_stop_cleanly_on_sigterm(
    pg_url: str, tmp_path: Path
) -> None:
    delay, pages_each = 0.2, 25
    catalog = Catalog.open(pg_url)
    crawl = {"min_delay": delay, "lease_s": 5, "extract_workers": 1, "concurrency": 2}
    names = ["share0", "share1"]
    procs = [
        start_worker(
            worker_env(pg_url, tmp_path / name, name, **crawl), "--forever", "--idle", "0.3"
        )
        for name in names
    ]
    try:
        # past start-up (imports, the extraction pool: seconds) and idle: a worker still
        # starting when the sites arrive would leave all of them to the other one
        wait_for(
            "both workers idle",
            lambda: all("nothing due; looking again every 0.3 s" in p.log_text() for p in procs),
            60,
            procs,
        )
        with fixture_hosts(4, pages_each) as sites:
            for site in sites:  # the workers are idle and polling: the crawl starts now
                add_site(catalog, f"{site.url}/index.html")
            expected = expected_urls(sites, pages_each)
            wait_for(
                "every page stored", lambda: document_count(catalog) == len(expected), 120, procs
            )
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            summaries = [finish(proc, timeout_s=30) for proc in procs]
            assert_polite(sites, delay)
    finally:
        kill_all(procs)
    assert_stored_once(catalog, expected)
    assert all(s["fetched"] > 0 for s in summaries), summaries  # both did part of the work
    assert sum(s["fetched"] for s in summaries) == len(expected)
    assert all(s["stopped_by_signal"] == "SIGTERM" for s in summaries)
    catalog.close()


def test_sigterm_mid_crawl_hands_the_leases_back_at_once(pg_url: str, tmp_path: Path) -> None:
    catalog = Catalog.open(pg_url)
    crawl = {"min_delay": 0.1, "lease_s": 600, "extract_workers": 1}
    with fixture_hosts(2, 30) as sites:
        for site in sites:
            add_site(catalog, f"{site.url}/index.html")
        proc = start_worker(worker_env(pg_url, tmp_path / "w", "stopper", **crawl))
        try:
            wait_for("10 pages stored", lambda: document_count(catalog) >= 10, 60, [proc])
            proc.send_signal(signal.SIGTERM)
            stopped = finish(proc, timeout_s=30)
        finally:
            kill_all([proc])
        assert stopped["stopped_by_signal"] == "SIGTERM" and stopped["queued"] > 0
        with catalog.engine.connect() as conn:
            leased = conn.execute(
                sa.select(sa.func.count()).select_from(frontier).where(frontier.c.state == "leased")
            ).scalar_one()
            held = conn.execute(
                sa.select(sa.func.count())
                .select_from(hosts)
                .where(hosts.c.lease_owner.is_not(None))
            ).scalar_one()
        assert leased == 0 and held == 0  # with a 600 s lease, nothing would wait for expiry
        rest = finish(
            start_worker(worker_env(pg_url, tmp_path / "w2", "rest", **crawl)), timeout_s=60
        )
        assert stopped["fetched"] + rest["fetched"] == 60
        assert_stored_once(catalog, expected_urls(sites, 30))
    catalog.close()
