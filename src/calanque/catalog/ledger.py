"""The consent ledger: every decision about a URL, allowed or refused, and what was done."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from calanque.catalog import schema as t
from calanque.catalog.records import iso, utcnow
from calanque.types import ConsentDecision


class ConsentLedger:
    engine: Engine

    def record_consent(self, decision: ConsentDecision, action: str) -> None:
        with self.engine.begin() as conn:
            self._record_consent(conn, decision, action)

    def _record_consent(self, conn: sa.Connection, d: ConsentDecision, action: str) -> None:
        conn.execute(
            t.consent.insert().values(
                url=d.url,
                host=urlsplit(d.url).netloc,
                allowed=d.allowed,
                signal=d.signal,
                rule=d.rule[:2000],
                action=action,
                decided_at=d.decided_at or utcnow(),
            )
        )

    def consent_for(self, url: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(t.consent)
                    .where(t.consent.c.url == url)
                    .order_by(t.consent.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        return None if row is None else self._consent_dict(row)

    def consent_ledger(
        self, refused_only: bool = False, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        query = sa.select(t.consent).order_by(t.consent.c.id)
        if refused_only:
            query = query.where(t.consent.c.allowed.is_(False))
        if limit:
            query = query.order_by(None).order_by(t.consent.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                yield self._consent_dict(row)

    @staticmethod
    def _consent_dict(row: Any) -> dict[str, Any]:
        return {
            "url": row["url"],
            "allowed": bool(row["allowed"]),
            "signal": row["signal"],
            "rule": row["rule"],
            "action": row["action"],
            "decided_at": iso(row["decided_at"]),
        }
