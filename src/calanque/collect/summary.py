"""What a crawl did: counts by outcome and errors by kind (the `crawl --json` contract)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from calanque.types import ConsentDecision


@dataclass
class CrawlSummary:
    fetched: int = 0
    unchanged: int = 0
    refused_robots: int = 0
    refused_reservation: int = 0
    deleted: int = 0
    duplicates: int = 0
    files: int = 0
    listings: int = 0  # folder listings a server generated: followed, not stored
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    queued: int = 0

    @property
    def pages_per_s(self) -> float:
        done = self.fetched + self.unchanged
        return done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "fetched": self.fetched,
            "unchanged": self.unchanged,
            "refused_robots": self.refused_robots,
            "refused_reservation": self.refused_reservation,
            "deleted": self.deleted,
            "duplicates": self.duplicates,
            "files": self.files,
            "listings": self.listings,
            "errors": dict(sorted(self.errors.items())),
            "error_total": sum(self.errors.values()),
            "elapsed_s": round(self.elapsed_s, 3),
            "pages_per_s": round(self.pages_per_s, 2),
            "queued": self.queued,
        }


def stamped(decision: ConsentDecision) -> ConsentDecision:
    if decision.decided_at is not None:
        return decision
    return replace(decision, decided_at=datetime.now(UTC))
