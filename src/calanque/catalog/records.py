"""Plain records the catalog hands out, and small helpers shared by its modules."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iso(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


@dataclass(frozen=True)
class PageRecord:
    url: str
    source_id: int
    status: int | None = None
    canonical_url: str = ""
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    content_hash: str = ""
    size: int = 0
    error_kind: str = ""
    error_message: str = ""
    document_id: int | None = None
    fetched_at: str = ""


@dataclass(frozen=True)
class ChunkChange:
    seq: int
    chunk_id: int
    op: str  # upsert | delete


@dataclass(frozen=True)
class SaveResult:
    document_id: int
    changed: bool  # False when the stored text was identical


def replace_page(page: PageRecord, **changes: Any) -> PageRecord:
    return replace(page, **changes)
