"""Search filters from what a person types: sites, languages and a date or a recency word."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from calanque.errors import SourceError
from calanque.index.fusion import RECENCY_DAYS
from calanque.types import SearchFilters


def parse_since(value: str) -> str:
    """``2024-01-01`` or a recency word (day, week, month, year) → an ISO date."""
    if not value:
        return ""
    if value in RECENCY_DAYS:
        return (datetime.now(UTC).date() - timedelta(days=RECENCY_DAYS[value])).isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise SourceError(
            f"--since must be a date (YYYY-MM-DD) or one of {', '.join(RECENCY_DAYS)}, "
            f"not {value!r}."
        ) from exc


def build_filters(
    site: list[str],
    exclude_site: list[str],
    lang: list[str],
    since: str,
    source: list[int] | None = None,
) -> SearchFilters:
    """The filters of ``search`` / ``ask`` options and of the API's Sonar filters."""
    return SearchFilters(
        sites=tuple(s.lower() for s in site),
        exclude_sites=tuple(s.lower().lstrip("-") for s in exclude_site),
        languages=tuple(lang),
        since=parse_since(since),
        source_ids=tuple(source or ()),
    )
