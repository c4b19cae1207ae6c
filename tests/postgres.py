"""A fresh PostgreSQL database per test, on the server that ``scripts/postgres-start`` runs.

    from tests.postgres import pg_url_fixture  # noqa: F401  (provides the pg_url fixture)

    def test_something(pg_url: str) -> None:
        catalog = Catalog.open(pg_url)

The server's URL comes from ``CALANQUE_TEST_POSTGRES_URL`` when set, else from
running ``scripts/postgres-start`` (idempotent; ``.ci/run`` runs it before the
tests). Each test gets its own database, created with a random name and dropped
at the end, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from tests.system import missing

ROOT = Path(__file__).resolve().parents[1]


@cache
def server_url() -> str:
    """The URL of a database on the test server (any database: it is used to create others)."""
    url = os.environ.get("CALANQUE_TEST_POSTGRES_URL", "").strip()
    if url:
        return url
    try:
        done = subprocess.run(
            [str(ROOT / "scripts" / "postgres-start")],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        missing(
            f"a PostgreSQL server (scripts/postgres-start failed: {exc})",
            "apt-get install postgresql",
        )
        raise  # missing() skips or fails the test; this line is not reached
    return done.stdout.strip().splitlines()[-1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


@contextmanager
def fresh_database(prefix: str = "calanque_t") -> Iterator[str]:
    """A new empty database on the test server, dropped (even if still in use) afterwards."""
    base = server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin(base) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(base, name)
    finally:
        with _admin(base) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(name="pg_url")
def pg_url_fixture() -> Iterator[str]:
    """``postgresql://.../calanque_t_<random>``: a new empty database, dropped afterwards."""
    with fresh_database() as url:
        yield url


# ---- crawl workers over a shared catalog -------------------------------------------------
def worker_env(database_url: str, home: Path, name: str, **crawl: object) -> dict[str, str]:
    """The environment of one ``calanque worker`` process: this process's environment without
    its ``CALANQUE_*`` settings, plus the catalog URL, a home of its own and ``crawl`` settings
    (``min_delay=0.15`` becomes ``CALANQUE_CRAWL_MIN_DELAY=0.15``). ``PGAPPNAME`` names its
    PostgreSQL sessions in ``pg_stat_activity``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env.update(CALANQUE_DATABASE_URL=database_url, CALANQUE_HOME=str(home), PGAPPNAME=name)
    env.update({f"CALANQUE_CRAWL_{key.upper()}": str(value) for key, value in crawl.items()})
    return env


class Worker(subprocess.Popen[str]):
    """A ``calanque worker --json`` process: its summary on stdout, its stderr in ``log``
    (a file, so a test can read it while the worker runs)."""

    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_worker(env: dict[str, str], *args: str) -> Worker:
    """``python -m calanque worker --json ARGS`` in the background; stderr goes to
    ``$CALANQUE_HOME/worker.log``."""
    home = Path(env["CALANQUE_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    log = home / "worker.log"
    with log.open("w") as stderr:  # the child keeps its own copy of the descriptor
        proc = Worker(
            [sys.executable, "-m", "calanque", "worker", "--json", *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    proc.log = log
    return proc
