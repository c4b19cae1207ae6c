"""One crawl at a time on a local catalog (shared PostgreSQL catalogs use leases instead)."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from calanque.errors import CatalogError


@contextlib.contextmanager
def exclusive_lock(path: Path, what: str) -> Iterator[None]:
    """One crawl at a time on a local catalog (shared catalogs use leases instead)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise CatalogError(
                f"another {what} is running on {path.parent}: wait for it to finish, or use "
                "`calanque worker` with a PostgreSQL catalog to run several crawlers."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
