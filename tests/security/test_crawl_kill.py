"""A crawl killed with ``kill -9`` leaves no helper process behind (extraction pool
workers, multiprocessing's forkserver and resource tracker)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from tests.e2e.crawl_helpers import distinct_text, page
from tests.sites import Route, serve_site

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = 200


def site_routes() -> dict[str, Route]:
    links = tuple(f"/docs/p{i}" for i in range(PAGES))
    routes = {"/docs/": Route(body=page("Index", distinct_text("index"), links=links))}
    for i in range(PAGES):  # slow pages: the crawl is still running when it is killed
        routes[f"/docs/p{i}"] = Route(body=page(f"P{i}", distinct_text(f"p{i}")), delay_s=0.2)
    return routes


def start_crawl(home: Path, url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env.update(
        {
            "CALANQUE_HOME": str(home),
            "CALANQUE_CRAWL_MIN_DELAY": "0",
            "CALANQUE_CRAWL_EXTRACT_WORKERS": "2",
        }
    )
    subprocess.run([sys.executable, "-m", "calanque", "add", url], env=env, check=True)
    return subprocess.Popen(
        [sys.executable, "-m", "calanque", "crawl", "--no-index"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_helpers(crawl: psutil.Process, count: int, timeout_s: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        helpers = crawl.children(recursive=True)
        if len(helpers) >= count:
            return helpers
        time.sleep(0.1)
    raise AssertionError(f"the crawl did not start its {count} helpers in {timeout_s}s")


def survivors(helpers: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout_s
    alive = helpers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    return alive


def test_crawl_killed_with_sigkill_leaves_no_helper_process(tmp_path: Path) -> None:
    with serve_site(site_routes()) as site:
        proc = start_crawl(tmp_path / "home", f"{site.url}/docs/")
        try:
            crawl = psutil.Process(proc.pid)
            # the resource tracker, the forkserver and a worker (started on demand)
            helpers = wait_for_helpers(crawl, count=3, timeout_s=60)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            left = survivors(helpers, timeout_s=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        left_behind = [" ".join(p.cmdline()) for p in left]
        for helper in left:  # clean up what the crawl failed to, before failing
            with contextlib.suppress(psutil.Error):
                helper.kill()
    assert left_behind == []
