"""Opening the catalog database and bringing its schema up to date."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from calanque.errors import CatalogError, StorageFullError

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Deleted rows are overwritten with zeros, so an opted-out page's text does not linger
    # in free pages (see docs/security.md, "A publisher's opt-out leaves copies").
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def scrub_sqlite(engine: Engine) -> bool:
    """Copy the write-ahead log into the database and truncate it (SQLite only).

    The log keeps old versions of pages, deleted text included, until a checkpoint. Returns
    False when readers kept the checkpoint from finishing (the next one finishes it) or the
    database is not SQLite (PostgreSQL's free space is out of scope: docs/security.md).
    """
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    return busy is not None and busy[0] == 0


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, connect_args={"timeout": 30})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    except (sa.exc.ArgumentError, ModuleNotFoundError) as exc:
        raise CatalogError(
            f"cannot open the catalog at {url.split('@')[-1]!r}: {exc}. "
            "Set CALANQUE_DATABASE_URL to sqlite:///path or postgresql://user@host/db "
            "(PostgreSQL needs `pip install 'calanque[postgres]'`)."
        ) from exc
    except OSError as exc:
        raise wrap_os_error(exc, url) from exc
    return engine


def wrap_os_error(exc: OSError, where: str) -> CatalogError:
    if exc.errno == errno.ENOSPC:
        return StorageFullError(f"no space left on the device holding {where}: free some space.")
    return CatalogError(f"cannot write {where}: {exc}")


def storage_error(exc: Exception, where: str) -> CatalogError:
    """A database or file-system failure as a CatalogError that says what to do."""
    text = str(exc).lower()
    if (
        isinstance(exc, OSError)
        and exc.errno == errno.ENOSPC
        or "full" in text
        or "no space" in text
    ):
        return StorageFullError(
            f"the disk holding the catalog ({where.split('@')[-1]}) is full: free some space, then "
            "run the same command again; nothing stored so far is lost (`calanque check` verifies it)."
        )
    if isinstance(exc, OSError):
        return wrap_os_error(exc, where)
    return CatalogError(f"the catalog failed: {exc}. Check CALANQUE_DATABASE_URL and the disk.")


def _alembic_config(connection: sa.Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


HEAD_REVISION = "0004"  # the newest file in migrations/versions; a test keeps them equal


def _at_head(engine: Engine) -> bool:
    """The cheap check every command makes: no need to import Alembic when up to date."""
    try:
        with engine.connect() as connection:
            version = connection.execute(
                sa.text("SELECT version_num FROM alembic_version")
            ).scalar()
    except sa.exc.DBAPIError:
        return False
    return version == HEAD_REVISION


def migrate(engine: Engine) -> None:
    """Apply every pending migration (idempotent)."""
    if _at_head(engine):
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # One migrator at a time across workers.
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(4242001)"))
            current = MigrationContext.configure(connection).get_current_revision()
            head = ScriptDirectory.from_config(_alembic_config(connection)).get_current_head()
            if current != head:
                command.upgrade(_alembic_config(connection), "head")
    except sa.exc.OperationalError as exc:
        raise CatalogError(
            f"cannot reach or migrate the catalog: {exc.orig}. Check CALANQUE_DATABASE_URL "
            "and that the disk is writable."
        ) from exc


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
