"""A full disk: a clear error, nothing corrupted, and the crawl resumes once there is room."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from tests.e2e.crawl_helpers import distinct_text, page
from tests.sites import Route, serve_site

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def small_disk():
    if os.geteuid() != 0:
        pytest.fail("this test mounts a 1 MB tmpfs and must run as root (CI does)")
    mountpoint = Path(f"/tmp/calanque-full-{uuid.uuid4().hex[:8]}")
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False)
        mountpoint.rmdir()


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env.update({"CALANQUE_HOME": str(home), "CALANQUE_CRAWL_MIN_DELAY": "0"})
    return subprocess.run(
        [sys.executable, "-m", "calanque", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_full_disk_stops_cleanly_and_resumes(small_disk):
    names = [f"p{i}.html" for i in range(80)]
    routes = {"/index.html": Route(body=page("Home", distinct_text("home"), links=tuple(names)))}
    routes.update({f"/{n}": Route(body=page(n, distinct_text(n, 120))) for n in names})
    with serve_site(routes) as site:
        assert run(small_disk, "add", f"{site.url}/index.html").returncode == 0
        full = run(small_disk, "crawl", "--no-index", "--json")
        assert full.returncode == 5, full.stderr[-2000:]
        assert "is full" in full.stderr and "free some space" in full.stderr
        assert "Traceback" not in full.stderr
        db = sqlite3.connect(small_disk / "catalog.db")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored_before = db.execute("SELECT count(*) FROM documents").fetchone()[0]
        db.close()
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        resumed = run(small_disk, "crawl", "--no-index", "--json")
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        db = sqlite3.connect(small_disk / "catalog.db")
        stored_after = db.execute("SELECT count(*) FROM documents").fetchone()[0]
        db.close()
        assert stored_after == 81 and stored_after > stored_before
        assert json.loads(run(small_disk, "check", "--json").stdout)["catalog_ok"] is True
