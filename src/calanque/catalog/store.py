"""The catalog: Calanque's source of truth.

:class:`Catalog` owns the sources, the local files and the lifecycle; it inherits pages,
documents, chunks and the chunk log (:mod:`calanque.catalog.documents`) and the consent
ledger (:mod:`calanque.catalog.ledger`), and holds the frontier, threads and API keys.

Folder sources may nest (``/docs`` and ``/docs/team``): a local file belongs to the
innermost folder source that holds it (of two sources on one folder, the older). Its
``files`` row, page and document carry that source's id, so removing the outer source
leaves the inner one's files, and a file moves to its right source without being read
again (:meth:`Catalog.settle_files`, at each pass of the folder ingester).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
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


@dataclass(frozen=True)
class KnownFile:
    """A local file as last stored: its source and its fingerprint then."""

    path: str  # file:// URI
    source_id: int
    fingerprint: str


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
        """Delete a source and everything collected from it. Returns the documents deleted.

        A folder source's files that lie in a folder source nested in it are that
        source's: they are handed to it, not deleted. The files of a removed nested
        source are deleted; the outer source reads them again at its next crawl.
        """
        source = self.get_source(source_id)
        with self.engine.begin() as conn:
            if source.kind == "folder":
                self._hand_over_nested(conn, source)
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
    def known_file(self, path: str) -> KnownFile | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.files.c.source_id, t.files.c.fingerprint).where(t.files.c.path == path)
            ).first()
        return None if row is None else KnownFile(path, int(row.source_id), row.fingerprint)

    def set_file(self, path: str, source_id: int, fingerprint: str, content_hash: str) -> None:
        """Remember a stored file's fingerprint; its page and document become ``source_id``'s
        too (a file read again by the nested source that now holds it, its text unchanged)."""
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
            self._move_files(conn, [path], source_id)

    def nested_folders(self, source_id: int) -> list[Path]:
        """The folders of the other folder sources that hold part of this one's folder (a
        folder inside it, or the same folder added earlier): their files are theirs."""
        with self.engine.connect() as conn:
            prefixes = self._folder_prefixes(conn)
            urls = dict(self._folder_urls(conn))
        mine = prefixes.get(source_id)
        if mine is None:
            return []
        return [
            Path(urls[other].removeprefix("file://")).resolve()
            for other, prefix in prefixes.items()
            if other != source_id
            and prefix.startswith(mine)
            and (prefix != mine or other < source_id)
        ]

    def settle_files(self, source_id: int) -> int:
        """Give each stored file of the folder sources that overlap this one to the source it
        belongs to (the innermost that holds it), with its page, document and chunks, without
        reading it again; the indexes re-read the chunks' source from the chunk log. One
        transaction. Returns the files moved."""
        with self.engine.begin() as conn:
            prefixes = self._folder_prefixes(conn)
            mine = prefixes.get(source_id)
            if mine is None:
                return 0
            related = [
                other
                for other, prefix in prefixes.items()
                if prefix.startswith(mine) or mine.startswith(prefix)
            ]
            if related == [source_id]:
                return 0
            query = sa.select(t.files.c.path, t.files.c.source_id).where(
                t.files.c.source_id.in_(related)
            )
            held = [(str(row.path), int(row.source_id)) for row in conn.execute(query)]
            return self._give_to_owners(conn, held, prefixes)

    def move_files(self, paths: Sequence[str], source_id: int) -> None:
        """Make the stored ``paths`` (file:// URIs) ``source_id``'s (see :meth:`settle_files`)."""
        with self.engine.begin() as conn:
            self._move_files(conn, paths, source_id)

    def _move_files(self, conn: sa.Connection, paths: Sequence[str], source_id: int) -> None:
        for start in range(0, len(paths), 500):
            part = list(paths[start : start + 500])
            for table, key in ((t.files, t.files.c.path), (t.pages, t.pages.c.url)):
                conn.execute(
                    table.update()
                    .where(key.in_(part), table.c.source_id != source_id)
                    .values(source_id=source_id)
                )
            doc_ids: list[int] = list(
                conn.execute(
                    sa.select(t.documents.c.id).where(
                        t.documents.c.url.in_(part), t.documents.c.source_id != source_id
                    )
                ).scalars()
            )
            if not doc_ids:
                continue
            conn.execute(
                t.documents.update()
                .where(t.documents.c.id.in_(doc_ids))
                .values(source_id=source_id)
            )
            chunk_ids: list[int] = list(
                conn.execute(
                    sa.select(t.chunks.c.id).where(t.chunks.c.document_id.in_(doc_ids))
                ).scalars()
            )
            if chunk_ids:  # the same text under another source: indexes update, keep vectors
                conn.execute(
                    t.chunk_log.insert(), [{"chunk_id": i, "op": "upsert"} for i in chunk_ids]
                )

    def _hand_over_nested(self, conn: sa.Connection, source: Source) -> None:
        """Before ``source`` is removed: its files in a folder source nested in it go there."""
        mine = folder_prefix(source.url)
        if mine is None:
            return
        inside = {
            other: prefix
            for other, prefix in self._folder_prefixes(conn).items()
            if other != source.id and prefix.startswith(mine)
        }
        if not inside:
            return
        query = sa.select(t.files.c.path).where(t.files.c.source_id == source.id)
        paths: list[str] = list(conn.execute(query).scalars())
        held = [(path, source.id) for path in paths]
        self._give_to_owners(conn, held, inside)

    def _give_to_owners(
        self, conn: sa.Connection, held: Sequence[tuple[str, int]], prefixes: dict[int, str]
    ) -> int:
        """Move each (file, source holding it) of ``held`` to the source of ``prefixes`` it
        belongs to, if that is another. Returns the files moved."""
        moves: dict[int, list[str]] = {}
        for path, held_by in held:
            owner = innermost_folder(path, prefixes)
            if owner is not None and owner != held_by:
                moves.setdefault(owner, []).append(path)
        for owner, paths in moves.items():
            self._move_files(conn, paths, owner)
        return sum(len(paths) for paths in moves.values())

    def _folder_urls(self, conn: sa.Connection) -> list[tuple[int, str]]:
        query = sa.select(t.sources.c.id, t.sources.c.url).where(
            t.sources.c.kind == "folder", t.sources.c.enabled.is_(True)
        )
        return [(int(row.id), str(row.url)) for row in conn.execute(query)]

    def _folder_prefixes(self, conn: sa.Connection) -> dict[int, str]:
        found = {source_id: folder_prefix(url) for source_id, url in self._folder_urls(conn)}
        return {source_id: prefix for source_id, prefix in found.items() if prefix is not None}

    def forget_file_errors(self, source_id: int, keep: Collection[str]) -> int:
        """Forget this source's page errors not in ``keep`` (the errors of files that were
        fixed, removed, or are no longer this source's): an error-only page (no stored
        document) is deleted, a stored file's page loses its error (a file too large for a
        while, then back as it was, is "unchanged" and never read again to clear it)."""
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(t.pages.c.url, t.pages.c.document_id).where(
                    t.pages.c.source_id == source_id, t.pages.c.error_kind.is_not(None)
                )
            ).all()
            stale = [row.url for row in rows if row.url not in keep and row.document_id is None]
            mended = [row.url for row in rows if row.url not in keep and row.document_id]
            for start in range(0, len(stale), 500):
                conn.execute(t.pages.delete().where(t.pages.c.url.in_(stale[start : start + 500])))
            for start in range(0, len(mended), 500):
                conn.execute(
                    t.pages.update()
                    .where(t.pages.c.url.in_(mended[start : start + 500]))
                    .values(error_kind=None, error_message=None)
                )
        return len(stale) + len(mended)

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


def folder_prefix(url: str) -> str | None:
    """How the URIs of a folder source's files start (``file:///docs/``): its URL is
    ``file://`` and the folder's resolved path, as ``calanque add`` stores it."""
    path = Path(url.removeprefix("file://"))
    if not path.is_absolute():
        return None
    # resolved as the scan resolves it: a folder whose path became a symlink (a disk moved)
    # is compared by where its files now are
    uri = path.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def innermost_folder(path: str, prefixes: dict[int, str]) -> int | None:
    """The folder source the file at ``path`` (a file:// URI) belongs to: the one of
    ``prefixes`` (see :func:`folder_prefix`) whose folder is the innermost that holds it;
    of two sources on the same folder, the older."""
    holding = [
        (-len(prefix), source_id)
        for source_id, prefix in prefixes.items()
        if path.startswith(prefix)
    ]
    return min(holding)[1] if holding else None
