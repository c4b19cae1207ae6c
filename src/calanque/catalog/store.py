"""The catalog: Calanque's source of truth.

:class:`Catalog` owns the sources, the local files and the lifecycle; it inherits pages,
documents, chunks and the chunk log (:mod:`calanque.catalog.documents`) and the consent
ledger (:mod:`calanque.catalog.ledger`), and holds the frontier, threads and API keys.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from calanque.catalog import schema as t
from calanque.catalog.documents import DocumentStore
from calanque.catalog.engine import make_engine, migrate, scrub_sqlite
from calanque.catalog.frontier import Frontier
from calanque.catalog.records import (  # noqa: F401  (re-exported)
    ChunkChange,
    PageRecord,
    SaveResult,
    replace_page,
    text_hash,
    utcnow,
)
from calanque.errors import SourceError
from calanque.types import OPERATOR, WEB_SOURCE_URL, Scope, Source, SourceKind


class Catalog(DocumentStore):
    """The source of truth. Open with :meth:`open`; it migrates on first use."""

    def __init__(self, engine: Engine) -> None:
        from calanque.catalog.conversations import ApiKeys, Threads
        from calanque.catalog.spaces import Spaces

        self.engine = engine
        self.frontier = Frontier(engine)
        self.threads = Threads(engine)
        self.api_keys = ApiKeys(engine)
        self.spaces = Spaces(engine)

    @classmethod
    def open(cls, url: str) -> Catalog:
        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def scrub(self) -> bool:
        """After deletions (an opt-out, a removed source): leave no deleted text in the
        database's write-ahead log. True when the log was emptied."""
        return scrub_sqlite(self.engine)

    # ---- sources -------------------------------------------------------------
    def add_source(
        self,
        kind: SourceKind,
        url: str,
        scope: Scope,
        poll_interval_s: int = 3600,
        added_by: str = OPERATOR,
    ) -> Source:
        """Add a source, or update the one with this kind and URL. An existing source
        becomes the operator's when the operator adds it again; an API caller adding it
        again does not take it over."""
        with self.engine.begin() as conn:
            row = (
                conn.execute(
                    sa.select(t.sources).where(t.sources.c.kind == kind, t.sources.c.url == url)
                )
                .mappings()
                .first()
            )
            if row is None:
                source_id = conn.execute(
                    t.sources.insert().values(
                        kind=kind,
                        url=url,
                        scope=asdict(scope),
                        poll_interval_s=poll_interval_s,
                        enabled=True,
                        created_at=utcnow(),
                        added_by=added_by,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            else:
                source_id = row["id"]
                owner = OPERATOR if added_by == OPERATOR else row["added_by"]
                conn.execute(
                    t.sources.update()
                    .where(t.sources.c.id == source_id)
                    .values(
                        scope=asdict(scope),
                        poll_interval_s=poll_interval_s,
                        enabled=True,
                        added_by=owner,
                    )
                )
        return self.get_source(int(source_id))

    def web_source(self, added_by: str = OPERATOR) -> Source:
        """The one ``web`` source (pages read for web answers), created on first use by
        ``added_by``; it keeps its first creator."""
        found = self.find_web_source()
        if found is not None:
            return found
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    t.sources.insert().values(
                        kind="web",
                        url=WEB_SOURCE_URL,
                        scope=asdict(Scope()),
                        poll_interval_s=0,
                        enabled=True,
                        created_at=utcnow(),
                        added_by=added_by,
                    )
                )
        except sa.exc.IntegrityError:  # another process created it first
            pass
        created = self.find_web_source()
        assert created is not None
        return created

    def find_web_source(self) -> Source | None:
        """The ``web`` source, or None before any web answer stored a page."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(t.sources).where(
                        t.sources.c.kind == "web", t.sources.c.url == WEB_SOURCE_URL
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else self._source(row)

    def _source(self, row: Any) -> Source:
        scope = dict(row["scope"])
        scope["include"] = tuple(scope.get("include", ()))
        scope["exclude"] = tuple(scope.get("exclude", ()))
        return Source(
            id=row["id"],
            kind=row["kind"],
            url=row["url"],
            scope=Scope(**scope),
            poll_interval_s=row["poll_interval_s"],
            created_at=row["created_at"],
            added_by=row["added_by"] or OPERATOR,
        )

    def get_source(self, source_id: int) -> Source:
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(t.sources).where(t.sources.c.id == source_id))
                .mappings()
                .first()
            )
        if row is None:
            raise SourceError(
                f"no source with id {source_id}: see `calanque sources` for the list."
            )
        return self._source(row)

    def list_sources(self) -> list[Source]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.sources).order_by(t.sources.c.id)).mappings().all()
        return [self._source(r) for r in rows]

    def source_polled(self, source_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                t.sources.update()
                .where(t.sources.c.id == source_id)
                .values(last_polled_at=utcnow())
            )

    def last_polled(self, source_id: int) -> datetime | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(t.sources.c.last_polled_at).where(t.sources.c.id == source_id)
            ).scalar()
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def remove_source(self, source_id: int) -> int:
        """Delete a source and everything collected from it. Returns the documents deleted."""
        self.get_source(source_id)
        with self.engine.begin() as conn:
            doc_ids: list[int] = list(
                conn.execute(
                    sa.select(t.documents.c.id).where(t.documents.c.source_id == source_id)
                ).scalars()
            )
            for doc_id in doc_ids:
                self._delete_document(conn, doc_id)
            for table in (t.pages, t.frontier, t.files):
                conn.execute(table.delete().where(table.c.source_id == source_id))
            conn.execute(t.sources.delete().where(t.sources.c.id == source_id))
        self.scrub()
        return len(doc_ids)

    def page_counts(self) -> dict[int, int]:
        """How many pages with stored text each source holds (as ``calanque pages`` lists
        them), by source id."""
        query = (
            sa.select(t.pages.c.source_id, sa.func.count().label("pages"))
            .where(t.pages.c.document_id.is_not(None))
            .group_by(t.pages.c.source_id)
        )
        with self.engine.connect() as conn:
            return {int(row.source_id): int(row.pages) for row in conn.execute(query)}

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        with self.engine.connect() as conn:
            for name, table in (
                ("sources", t.sources),
                ("pages", t.pages),
                ("documents", t.documents),
                ("chunks", t.chunks),
                ("consent", t.consent),
            ):
                out[name] = int(
                    conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                )
        return out

    # ---- local files --------------------------------------------------------------
    def file_fingerprint(self, path: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(t.files.c.fingerprint).where(t.files.c.path == path)
            ).scalar()

    def set_file(self, path: str, source_id: int, fingerprint: str, content_hash: str) -> None:
        with self.engine.begin() as conn:
            updated = conn.execute(
                t.files.update()
                .where(t.files.c.path == path)
                .values(fingerprint=fingerprint, content_hash=content_hash, source_id=source_id)
            ).rowcount
            if not updated:
                conn.execute(
                    t.files.insert().values(
                        path=path,
                        source_id=source_id,
                        fingerprint=fingerprint,
                        content_hash=content_hash,
                    )
                )

    def known_files(self, source_id: int) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(t.files.c.path).where(t.files.c.source_id == source_id)
                ).scalars()
            )

    def forget_file(self, path: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.files.delete().where(t.files.c.path == path))
