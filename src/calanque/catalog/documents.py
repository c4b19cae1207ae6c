"""Pages, documents, chunks and the chunk log that indexes follow.

Every write that changes what is searchable happens in one transaction with its
``chunk_log`` rows, so a crash leaves either the old or the new state and an index that
follows the log never misses or duplicates a chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from calanque.catalog import schema as t
from calanque.catalog.conversations import withdraw_from_threads
from calanque.catalog.frontier import Frontier
from calanque.catalog.ledger import ConsentLedger
from calanque.catalog.records import (
    ChunkChange,
    PageRecord,
    SaveResult,
    iso,
    replace_page,
    text_hash,
    utcnow,
)
from calanque.types import Chunk, ConsentDecision, Document, Heading, IndexedChunk


class DocumentStore(ConsentLedger):
    frontier: Frontier

    # ---- pages ---------------------------------------------------------------
    def get_page(self, url: str) -> PageRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.pages).where(t.pages.c.url == url)).mappings().first()
        if row is None:
            return None
        return PageRecord(
            url=row["url"],
            source_id=row["source_id"],
            status=row["status"],
            canonical_url=row["canonical_url"] or "",
            etag=row["etag"] or "",
            last_modified=row["last_modified"] or "",
            content_type=row["content_type"] or "",
            content_hash=row["content_hash"] or "",
            size=row["size"] or 0,
            error_kind=row["error_kind"] or "",
            error_message=row["error_message"] or "",
            document_id=row["document_id"],
            fetched_at=iso(row["fetched_at"]),
        )

    def record_page(self, page: PageRecord, conn: sa.Connection | None = None) -> None:
        """Insert or update a page row (metadata only: text lives in documents)."""
        values = asdict(page)
        values["fetched_at"] = utcnow()
        values = {k: (v if v != "" else None) for k, v in values.items()}
        values["url"], values["source_id"] = page.url, page.source_id
        if conn is None:
            with self.engine.begin() as c:
                self._upsert_page(c, values)
        else:
            self._upsert_page(conn, values)

    def _upsert_page(self, conn: sa.Connection, values: dict[str, Any]) -> None:
        updated = conn.execute(
            t.pages.update().where(t.pages.c.url == values["url"]).values(**values)
        ).rowcount
        if not updated:
            conn.execute(t.pages.insert().values(**values))

    def record_error(
        self, url: str, source_id: int, kind: str, message: str, status: int | None = None
    ) -> None:
        """A failed fetch or extraction: recorded on the page; what was stored stays, with
        the source it belongs to (removing ``source_id`` must not take its page away)."""
        existing = self.get_page(url)
        keep = existing or PageRecord(url=url, source_id=source_id)
        self.record_page(
            replace_page(
                keep,
                source_id=keep.source_id if keep.document_id is not None else source_id,
                status=status,
                error_kind=kind,
                error_message=message[:500],
            )
        )

    def touch_page(self, url: str) -> None:
        """A 304: the page is unchanged; remember when we checked."""
        with self.engine.begin() as conn:
            conn.execute(
                t.pages.update().where(t.pages.c.url == url).values(fetched_at=utcnow(), status=304)
            )

    def list_pages(self) -> list[dict[str, Any]]:
        query = (
            sa.select(
                t.pages.c.url,
                t.pages.c.status,
                t.pages.c.fetched_at,
                t.pages.c.error_kind,
                t.pages.c.document_id,
                t.documents.c.title,
                t.documents.c.language,
                t.documents.c.canonical_url,
                t.documents.c.date,
                t.pages.c.source_id,
            )
            .select_from(t.pages.outerjoin(t.documents, t.documents.c.id == t.pages.c.document_id))
            .where(t.pages.c.document_id.is_not(None))
            .order_by(t.pages.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            {
                "url": r["url"],
                "title": r["title"] or "",
                "language": r["language"] or "",
                "fetched_at": iso(r["fetched_at"]),
                "status": r["status"],
                "canonical_url": r["canonical_url"] or "",
                "date": r["date"] or "",
                "document_id": r["document_id"],
                "source_id": r["source_id"],
            }
            for r in rows
        ]

    def page_errors(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(
                        t.pages.c.url,
                        t.pages.c.error_kind,
                        t.pages.c.error_message,
                        t.pages.c.fetched_at,
                    )
                    .where(t.pages.c.error_kind.is_not(None))
                    .order_by(t.pages.c.id)
                )
                .mappings()
                .all()
            )
        return [
            {
                "url": r["url"],
                "kind": r["error_kind"],
                "message": r["error_message"] or "",
                "at": iso(r["fetched_at"]),
            }
            for r in rows
        ]

    # ---- documents and chunks ---------------------------------------------------
    def save_document(
        self,
        page: PageRecord,
        document: Document,
        chunks: Sequence[Chunk],
        minhash: bytes | None,
        *,
        frontier_id: int | None = None,
    ) -> SaveResult:
        """Store a page's document and chunks atomically (replacing an older version).

        With ``frontier_id``, the frontier entry is marked done in the same transaction,
        so an interrupted crawl never fetches a stored page again.
        """
        digest = text_hash(document.text)
        with self.engine.begin() as conn:
            if frontier_id is not None:
                self.frontier.finish(frontier_id, "done", None, conn=conn)
            existing = conn.execute(
                sa.select(t.documents.c.id, t.documents.c.content_hash).where(
                    t.documents.c.url == document.url
                )
            ).first()
            if existing is not None and existing.content_hash == digest:
                self.record_page(
                    replace_page(page, document_id=existing.id, content_hash=digest), conn
                )
                return SaveResult(existing.id, changed=False)
            if existing is not None:
                self._delete_chunks(conn, existing.id)
                doc_id = existing.id
                conn.execute(
                    t.documents.update()
                    .where(t.documents.c.id == doc_id)
                    .values(
                        **self._document_values(document, page.source_id, digest, minhash),
                        updated_at=utcnow(),
                    )
                )
            else:
                now = utcnow()
                doc_id = conn.execute(
                    t.documents.insert().values(
                        **self._document_values(document, page.source_id, digest, minhash),
                        other_urls=[],
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            self._insert_chunks(conn, int(doc_id), chunks)
            self.record_page(replace_page(page, document_id=int(doc_id), content_hash=digest), conn)
        return SaveResult(int(doc_id), changed=True)

    @staticmethod
    def _document_values(
        doc: Document, source_id: int, digest: str, minhash: bytes | None
    ) -> dict[str, Any]:
        return {
            "source_id": source_id,
            "url": doc.url,
            "canonical_url": doc.canonical_url or None,
            "title": doc.title,
            "author": doc.author,
            "date": doc.date,
            "language": doc.language,
            "text": doc.text,
            "content_hash": digest,
            "minhash": minhash,
            "headings": [[h.level, h.text, h.start] for h in doc.headings],
        }

    def _insert_chunks(self, conn: sa.Connection, doc_id: int, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            return
        rows = [
            {
                "document_id": doc_id,
                "ordinal": chunk.ordinal,
                "text": chunk.text,
                "start": chunk.start,
                "end": chunk.end,
                "heading_path": list(chunk.heading_path),
                "language": chunk.language,
                "text_hash": text_hash(chunk.text),
            }
            for chunk in chunks
        ]
        # One round trip for all chunks; ids come back in the order of the rows.
        inserted = conn.execute(
            t.chunks.insert().returning(t.chunks.c.id, sort_by_parameter_order=True), rows
        )
        ids: list[int] = list(inserted.scalars())
        conn.execute(t.chunk_log.insert(), [{"chunk_id": i, "op": "upsert"} for i in ids])

    def _delete_chunks(self, conn: sa.Connection, doc_id: int) -> None:
        ids: list[int] = list(
            conn.execute(sa.select(t.chunks.c.id).where(t.chunks.c.document_id == doc_id)).scalars()
        )
        if ids:
            conn.execute(t.chunk_log.insert(), [{"chunk_id": i, "op": "delete"} for i in ids])
            conn.execute(t.chunks.delete().where(t.chunks.c.document_id == doc_id))

    def _delete_document(self, conn: sa.Connection, doc_id: int) -> None:
        self._delete_chunks(conn, doc_id)
        conn.execute(
            t.pages.update().where(t.pages.c.document_id == doc_id).values(document_id=None)
        )
        conn.execute(t.documents.delete().where(t.documents.c.id == doc_id))

    def add_alias(
        self, document_id: int, page: PageRecord, *, frontier_id: int | None = None
    ) -> bool:
        """``page`` is a near-duplicate of ``document_id``: remember its URL there.

        Returns False when that document no longer exists (store the page itself then).
        """
        with self.engine.begin() as conn:
            other = conn.execute(
                sa.select(t.documents.c.other_urls, t.documents.c.url).where(
                    t.documents.c.id == document_id
                )
            ).first()
            if other is None:
                return False
            if frontier_id is not None:
                self.frontier.finish(frontier_id, "done", None, conn=conn)
            urls = list(other.other_urls or [])
            if page.url not in urls and page.url != other.url:
                urls.append(page.url)
                conn.execute(
                    t.documents.update()
                    .where(t.documents.c.id == document_id)
                    .values(other_urls=urls)
                )
            self.record_page(replace_page(page, document_id=document_id), conn)
        return True

    def forget_document(self, url: str) -> bool:
        """The page or file is gone (404, 410, file removed): delete what was stored for it."""
        with self.engine.begin() as conn:
            doc_id = conn.execute(
                sa.select(t.documents.c.id).where(t.documents.c.url == url)
            ).scalar()
            if doc_id is None:
                return False
            self._delete_document(conn, doc_id)
        return True

    def delete_document_at(self, url: str, decision: ConsentDecision) -> bool:
        """Opt-out: delete what was stored for ``url`` and write why to the ledger."""
        with self.engine.begin() as conn:
            doc_id = conn.execute(
                sa.select(t.documents.c.id).where(t.documents.c.url == url)
            ).scalar()
            alias_of = conn.execute(
                sa.select(t.pages.c.document_id).where(t.pages.c.url == url)
            ).scalar()
            if doc_id is not None:
                self._delete_document(conn, doc_id)
            elif alias_of is not None:
                self._remove_alias(conn, alias_of, url)
            conn.execute(
                t.pages.update()
                .where(t.pages.c.url == url)
                .values(document_id=None, fetched_at=utcnow())
            )
            deleted = doc_id is not None or alias_of is not None
            withdraw_from_threads(conn, url)
            self._record_consent(conn, decision, "deleted" if deleted else "skipped")
        return deleted

    def _remove_alias(self, conn: sa.Connection, doc_id: int, url: str) -> None:
        urls = conn.execute(
            sa.select(t.documents.c.other_urls).where(t.documents.c.id == doc_id)
        ).scalar()
        conn.execute(
            t.documents.update()
            .where(t.documents.c.id == doc_id)
            .values(other_urls=[u for u in (urls or []) if u != url])
        )

    def minhashes(self) -> Iterator[tuple[int, bytes]]:
        with self.engine.connect() as conn:
            for row in conn.execute(
                sa.select(t.documents.c.id, t.documents.c.minhash).where(
                    t.documents.c.minhash.is_not(None)
                )
            ):
                yield int(row.id), bytes(row.minhash)

    def get_document(self, document_id: int) -> Document | None:
        with self.engine.connect() as conn:
            r = (
                conn.execute(sa.select(t.documents).where(t.documents.c.id == document_id))
                .mappings()
                .first()
            )
        if r is None:
            return None
        return Document(
            url=r["url"],
            text=r["text"],
            title=r["title"],
            language=r["language"],
            canonical_url=r["canonical_url"] or "",
            author=r["author"],
            date=r["date"],
            headings=tuple(Heading(int(a), str(b), int(c)) for a, b, c in r["headings"]),
            id=r["id"],
            source_id=r["source_id"],
            other_urls=tuple(r["other_urls"] or ()),
        )

    def document_chunks(self, document_id: int) -> list[Chunk]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(t.chunks)
                    .where(t.chunks.c.document_id == document_id)
                    .order_by(t.chunks.c.ordinal)
                )
                .mappings()
                .all()
            )
        return [_chunk(r) for r in rows]

    # ---- chunk log: what indexes follow ------------------------------------------
    def last_seq(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(t.chunk_log.c.seq), 0))
                ).scalar_one()
            )

    def changes_since(self, seq: int, limit: int = 1000) -> list[ChunkChange]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.chunk_log)
                .where(t.chunk_log.c.seq > seq)
                .order_by(t.chunk_log.c.seq)
                .limit(limit)
            ).all()
        return [ChunkChange(int(r.seq), int(r.chunk_id), r.op) for r in rows]

    def all_chunk_ids(self) -> list[int]:
        with self.engine.connect() as conn:
            found: list[int] = list(
                conn.execute(sa.select(t.chunks.c.id).order_by(t.chunks.c.id)).scalars()
            )
            return [int(i) for i in found]

    def indexed_chunks(self, chunk_ids: Sequence[int]) -> list[IndexedChunk]:
        """The chunks (that still exist) with what an index stores beside them."""
        out: list[IndexedChunk] = []
        for start in range(0, len(chunk_ids), 500):
            ids = list(chunk_ids[start : start + 500])
            query = (
                sa.select(
                    t.chunks.c.id,
                    t.chunks.c.document_id,
                    t.chunks.c.text,
                    t.chunks.c.heading_path,
                    t.chunks.c.language,
                    t.documents.c.title,
                    t.documents.c.url,
                    t.documents.c.canonical_url,
                    t.documents.c.source_id,
                    t.documents.c.date,
                )
                .join(t.documents, t.documents.c.id == t.chunks.c.document_id)
                .where(t.chunks.c.id.in_(ids))
                .order_by(t.chunks.c.id)
            )
            with self.engine.connect() as conn:
                for r in conn.execute(query):
                    url = r.url
                    out.append(
                        IndexedChunk(
                            chunk_id=int(r.id),
                            document_id=int(r.document_id),
                            text=r.text,
                            title=r.title,
                            url=url,
                            heading=" > ".join(r.heading_path),
                            language=r.language,
                            site=(urlsplit(url).hostname or "") if "://" in url else "",
                            source_id=int(r.source_id),
                            date=r.date or "",
                        )
                    )
        return out

    def chunks_sharing_text(self, texts: Sequence[str]) -> list[IndexedChunk]:
        """Live chunks whose text is one of ``texts`` (what a deleted chunk's cached vectors
        may still serve)."""
        hashes = sorted({text_hash(text) for text in texts})
        ids: list[int] = []
        with self.engine.connect() as conn:
            for start in range(0, len(hashes), 500):
                part = hashes[start : start + 500]
                query = sa.select(t.chunks.c.id).where(t.chunks.c.text_hash.in_(part))
                found: list[int] = list(conn.execute(query).scalars())
                ids.extend(int(i) for i in found)
        return self.indexed_chunks(sorted(ids))

    def chunk_texts(self, chunk_ids: Sequence[int]) -> dict[int, Chunk]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(sa.select(t.chunks).where(t.chunks.c.id.in_(list(chunk_ids))))
                .mappings()
                .all()
            )
        return {r["id"]: _chunk(r) for r in rows}


def _chunk(row: Any) -> Chunk:
    return Chunk(
        row["document_id"],
        row["ordinal"],
        row["text"],
        row["start"],
        row["end"],
        tuple(row["heading_path"]),
        row["language"],
        row["id"],
    )
