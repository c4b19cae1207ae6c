"""Conversation threads, API keys and the (opt-in) query log, kept in the catalog."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from calanque.catalog import schema as t
from calanque.catalog.publishers import record_citations
from calanque.errors import AuthError

KEY_PREFIX = "cq_"
ROLES = ("admin", "reader")  # admin: sources, crawls, consent; reader: search, answers, threads


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Message:
    role: str  # user | assistant
    content: str
    payload: dict[str, Any] | None
    created_at: str


@dataclass(frozen=True)
class ThreadScope:
    """The threads one caller sees: those of ``owner`` (a key name), plus the operator's
    (``owner`` NULL, made by the CLI) when ``with_operator``; all of them when ``everything``."""

    owner: str | None = None
    with_operator: bool = False
    everything: bool = False

    def clause(self) -> sa.ColumnElement[bool]:
        if self.everything:
            return sa.true()
        mine = t.threads.c.owner == self.owner
        return sa.or_(mine, t.threads.c.owner.is_(None)) if self.with_operator else mine


EVERY_THREAD = ThreadScope(everything=True)


def new_thread_id() -> str:
    """An id for a thread not stored yet (a chat shows it before its first question)."""
    return str(uuid.uuid4())


class Threads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, title: str, owner: str | None = None, thread_id: str = "") -> str:
        """A new thread, owned by the key ``owner`` (None: the operator's CLI); its id is
        ``thread_id`` when given (from :func:`new_thread_id`), else a new one."""
        thread_id = thread_id or new_thread_id()
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(
                t.threads.insert().values(
                    id=thread_id, title=title[:200], owner=owner, created_at=now, updated_at=now
                )
            )
        return thread_id

    def exists(self, thread_id: str, scope: ThreadScope = EVERY_THREAD) -> bool:
        """Whether the thread exists and ``scope`` sees it."""
        query = sa.select(t.threads.c.id).where(t.threads.c.id == thread_id, scope.clause())
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def add(
        self, thread_id: str, role: str, content: str, payload: dict[str, Any] | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                t.messages.insert().values(
                    thread_id=thread_id,
                    role=role,
                    content=content,
                    payload=payload,
                    created_at=_now(),
                )
            )
            if role == "assistant" and payload:
                record_citations(conn, [c.get("url", "") for c in payload.get("citations", [])])
            conn.execute(
                t.threads.update().where(t.threads.c.id == thread_id).values(updated_at=_now())
            )

    def messages(self, thread_id: str) -> list[Message]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(t.messages)
                    .where(t.messages.c.thread_id == thread_id)
                    .order_by(t.messages.c.id)
                )
                .mappings()
                .all()
            )
        return [Message(r["role"], r["content"], r["payload"], _iso(r["created_at"])) for r in rows]

    def history(self, thread_id: str) -> list[tuple[str, str]]:
        """(question, answer) pairs, oldest first."""
        pairs: list[tuple[str, str]] = []
        question = ""
        for message in self.messages(thread_id):
            if message.role == "user":
                question = message.content
            elif question:
                pairs.append((question, message.content))
                question = ""
        return pairs

    def list(self, limit: int = 50, scope: ThreadScope = EVERY_THREAD) -> list[dict[str, Any]]:
        query = (
            sa.select(t.threads)
            .where(scope.clause())
            .order_by(t.threads.c.updated_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            {
                "id": r["id"],
                "title": r["title"],
                "created_at": _iso(r["created_at"]),
                "updated_at": _iso(r["updated_at"]),
            }
            for r in rows
        ]

    def delete(self, thread_id: str) -> bool:
        with self.engine.begin() as conn:
            conn.execute(t.messages.delete().where(t.messages.c.thread_id == thread_id))
            return bool(
                conn.execute(t.threads.delete().where(t.threads.c.id == thread_id)).rowcount
            )


@dataclass(frozen=True)
class KeyIdentity:
    name: str
    role: str  # admin | reader


WITHDRAWN = "withdrawn by the publisher"


def withdraw_from_threads(conn: sa.Connection, url: str) -> int:
    """Redact every stored answer that quotes ``url``, whose publisher opted out.

    The citation keeps its URL and says the page was withdrawn; its quote, its text
    fragment link (``#:~:text=`` carries the quote), its search snippet and the answer
    written from it are removed. Returns the messages redacted.
    """
    rows = conn.execute(
        sa.select(t.messages.c.id, t.messages.c.payload).where(
            sa.cast(t.messages.c.payload, sa.Text).contains(url, autoescape=True)
        )
    ).all()
    redacted = 0
    for row in rows:
        payload = _withdrawn_payload(dict(row.payload or {}), url)
        if payload is None:
            continue
        content = f"This answer quoted {url}, which was {WITHDRAWN}; its text was removed."
        payload["answer"] = content
        conn.execute(
            t.messages.update()
            .where(t.messages.c.id == row.id)
            .values(content=content, payload=payload)
        )
        redacted += 1
    return redacted


def _withdrawn_payload(payload: dict[str, Any], url: str) -> dict[str, Any] | None:
    """``payload`` with the quotes of ``url`` removed; None when it does not cite ``url``."""
    citations = [dict(c) for c in payload.get("citations", [])]
    results = [dict(r) for r in payload.get("search_results", [])]
    if not any(c.get("url") == url for c in citations + results):
        return None
    for citation in citations:
        if citation.get("url") == url:
            citation.update(title="", quote="", fragment_url=url, withdrawn=WITHDRAWN)
    for result in results:
        if result.get("url") == url:
            result.update(title="", snippet="", withdrawn=WITHDRAWN)
    return {**payload, "citations": citations, "search_results": results}


def hash_key(key: str) -> str:
    """Keys are long random strings: one SHA-256 is enough (no dictionary to attack)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKeys:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str, role: str = "reader") -> str:
        """Create a key and return it: the only time it is ever shown.

        A key created while no other is active is an admin whatever ``role`` says: someone
        must be able to manage sources once keys exist."""
        if role not in ROLES:
            raise AuthError(f"unknown role {role!r}: use one of {', '.join(ROLES)}.")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        try:
            with self.engine.begin() as conn:
                active = sa.select(t.api_keys.c.id).where(t.api_keys.c.revoked_at.is_(None))
                first = conn.execute(active.limit(1)).first() is None
                conn.execute(
                    t.api_keys.insert().values(
                        name=name,
                        prefix=key[:8],
                        key_hash=hash_key(key),
                        role="admin" if first else role,
                        created_at=_now(),
                    )
                )
        except sa.exc.IntegrityError as exc:
            raise AuthError(
                f"a key named {name!r} exists already: pick another name or revoke it."
            ) from exc
        return key

    def verify(self, key: str) -> str | None:
        """The key's name when it is valid and not revoked."""
        found = self.identify(key)
        return found.name if found is not None else None

    def identify(self, key: str) -> KeyIdentity | None:
        """The key's name and role when it is valid and not revoked."""
        digest = hash_key(key)
        columns = (t.api_keys.c.name, t.api_keys.c.role, t.api_keys.c.key_hash)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*columns).where(
                    t.api_keys.c.prefix == key[:8], t.api_keys.c.revoked_at.is_(None)
                )
            ).all()
        for name, role, stored in rows:
            if hmac.compare_digest(str(stored), digest):
                return KeyIdentity(str(name), str(role or "admin"))
        return None

    def active_count(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(t.api_keys)
                    .where(t.api_keys.c.revoked_at.is_(None))
                ).scalar_one()
            )

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.api_keys).order_by(t.api_keys.c.id)).mappings().all()
        return [
            {
                "name": r["name"],
                "prefix": r["prefix"],
                "role": r["role"],
                "created_at": _iso(r["created_at"]),
                "revoked": r["revoked_at"] is not None,
            }
            for r in rows
        ]

    def revoke(self, name: str) -> bool:
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    t.api_keys.update()
                    .where(t.api_keys.c.name == name, t.api_keys.c.revoked_at.is_(None))
                    .values(revoked_at=_now())
                ).rowcount
            )


class QueryLog:
    """Off unless ``server.query_log`` is on; entries older than the retention are deleted."""

    def __init__(self, engine: Engine, retention_days: int) -> None:
        self.engine = engine
        self.retention = timedelta(days=retention_days)

    def record(self, query: str, key_name: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                t.query_log.insert().values(at=_now(), query=query[:2000], key_name=key_name)
            )

    def purge(self, now: datetime | None = None) -> int:
        cutoff = (now or _now()) - self.retention
        with self.engine.begin() as conn:
            return int(
                conn.execute(t.query_log.delete().where(t.query_log.c.at < cutoff)).rowcount or 0
            )

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(t.query_log)).scalar_one()
            )
