"""``calanque check``: is the catalog sound, and does the index agree with it?

The catalog is checked by its engine (SQLite ``PRAGMA integrity_check``) and by invariants
of our own: every chunk's text is its document's text at its offsets, no chunk without a
document, no page pointing at a missing document. The index is compared id by id with the
catalog's live chunks; with ``repair``, missing chunks are embedded and added, stray ones
deleted, and the position set to the catalog's head. Chunks a progressive index holds
lexically but not yet densely are *waiting* for the dense pass (``dense_pending``), not a
disagreement; ``repair`` embeds them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa

from calanque.catalog import Catalog
from calanque.catalog import schema as t
from calanque.embed import Embedder
from calanque.embed.base import passage_text
from calanque.index.base import Index, ProgressiveIndex
from calanque.index.sync import catch_up


@dataclass
class CheckReport:
    catalog_ok: bool = True
    problems: list[str] = field(default_factory=list)
    missing_in_index: int = 0
    stray_in_index: int = 0
    components_disagree: int = 0
    dense_pending: int = 0
    repaired: bool = False
    index_position: int = 0
    catalog_head: int = 0

    @property
    def ok(self) -> bool:
        return self.catalog_ok and not (
            self.missing_in_index or self.stray_in_index or self.components_disagree
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "catalog_ok": self.catalog_ok,
            "problems": self.problems,
            "missing_in_index": self.missing_in_index,
            "stray_in_index": self.stray_in_index,
            "components_disagree": self.components_disagree,
            "dense_pending": self.dense_pending,
            "repaired": self.repaired,
            "index_position": self.index_position,
            "catalog_head": self.catalog_head,
        }


def check_catalog(catalog: Catalog, report: CheckReport) -> None:
    with catalog.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            verdict = conn.execute(sa.text("PRAGMA integrity_check")).scalar()
            if verdict != "ok":
                report.problems.append(f"SQLite integrity_check: {verdict}")
        orphans = conn.execute(
            sa.select(sa.func.count())
            .select_from(t.chunks)
            .where(~t.chunks.c.document_id.in_(sa.select(t.documents.c.id)))
        ).scalar_one()
        if orphans:
            report.problems.append(f"{orphans} chunks have no document")
        dangling = conn.execute(
            sa.select(sa.func.count())
            .select_from(t.pages)
            .where(t.pages.c.document_id.is_not(None))
            .where(~t.pages.c.document_id.in_(sa.select(t.documents.c.id)))
        ).scalar_one()
        if dangling:
            report.problems.append(f"{dangling} pages point at a missing document")
        _check_offsets(conn, report)
    report.catalog_ok = not report.problems


def _check_offsets(conn: sa.Connection, report: CheckReport) -> None:
    bad = 0
    rows = conn.execute(
        sa.select(
            t.chunks.c.document_id, t.chunks.c.start, t.chunks.c.end, t.chunks.c.text
        ).order_by(t.chunks.c.document_id)
    )
    current_id, text = None, ""
    for doc_id, start, end, chunk_text in rows:
        if doc_id != current_id:
            current_id = doc_id
            text = str(
                conn.execute(
                    sa.select(t.documents.c.text).where(t.documents.c.id == doc_id)
                ).scalar()
                or ""
            )
        if text[cast(int, start) : cast(int, end)] != chunk_text:
            bad += 1
    if bad:
        report.problems.append(f"{bad} chunks do not match their document's text at their offsets")


def check(
    catalog: Catalog, index: Index, embedder: Embedder, *, repair: bool = False
) -> CheckReport:
    report = CheckReport()
    check_catalog(catalog, report)
    if repair:  # first apply what the log says, then compare what remains
        catch_up(catalog, index, embedder)
    live = set(catalog.all_chunk_ids())
    components: dict[str, set[int]] = getattr(index, "component_ids", lambda: {})()
    held = set().union(*components.values()) if components else set()
    waiting = _lexical_only(index, components)
    report.dense_pending = len(waiting)
    if components:
        report.components_disagree = len(held - _common(components) - waiting)
    report.missing_in_index = len(live - held) if components else 0
    report.stray_in_index = len(held - live)
    report.index_position, report.catalog_head = index.position(), catalog.last_seq()
    if repair and not report.ok:
        _repair(catalog, index, embedder, live, held, components)
        report.repaired = True
    return report


def _repair(
    catalog: Catalog,
    index: Index,
    embedder: Embedder,
    live: set[int],
    held: set[int],
    components: dict[str, set[int]],
) -> None:
    stray = sorted(held - live)
    if stray:
        index.delete(stray)
    partial = held - _common(components) - _lexical_only(index, components) if components else set()
    todo = sorted((live - held) | (partial & live))
    for start in range(0, len(todo), 256):
        chunks = catalog.indexed_chunks(todo[start : start + 256])
        index.upsert(chunks, embedder.embed_passages([passage_text(c) for c in chunks]))
    index.commit(catalog.last_seq())


def _lexical_only(index: Index, components: dict[str, set[int]]) -> set[int]:
    """Chunks a progressive index holds lexically, waiting for their vector."""
    if not isinstance(index, ProgressiveIndex) or "lexical" not in components:
        return set()
    return components["lexical"] - components.get("dense", set())


def _common(components: dict[str, set[int]]) -> set[int]:
    sets = list(components.values())
    return set(sets[0]).intersection(*sets[1:]) if sets else set()
