"""Pure retrieval logic: reciprocal rank fusion, filters, near-duplicate collapse.

No I/O here: every function takes and returns :mod:`calanque.types` values, so the
behaviour of hybrid search is tested without an index.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta
from urllib.parse import urlsplit

import numpy as np

from calanque.errors import ConfigError
from calanque.types import Hit, IndexedChunk, SearchFilters

RECENCY_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}
_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f]+")


def rrf_fuse(
    rankings: Sequence[Sequence[Hit]], weights: Sequence[float], k: float = 60.0
) -> list[Hit]:
    """Weighted reciprocal rank fusion: ``score = Σ w_i / (k + rank_i)``, ranks from 1.

    A chunk found by several rankings keeps the fields of its first appearance.
    Ties are broken by the order of first appearance, so the result is deterministic.
    """
    if len(rankings) != len(weights):
        raise ConfigError(f"rrf_fuse got {len(rankings)} rankings but {len(weights)} weights")
    scores: dict[int, float] = {}
    first: dict[int, Hit] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, hit in enumerate(ranking, start=1):
            first.setdefault(hit.chunk_id, hit)
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (k + rank)
    order = sorted(first, key=lambda cid: -scores[cid])
    return [first[cid].with_score(scores[cid]) for cid in order]


def normalized_text(text: str) -> str:
    """Lowercase, accents and punctuation removed, whitespace collapsed."""
    bare = _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))
    return _NON_WORD.sub(" ", bare).strip()


def text_fingerprint(text: str) -> str:
    """A hash equal for texts that differ only by case, accents, punctuation or spacing."""
    return hashlib.sha256(normalized_text(text).encode()).hexdigest()[:32]


def collapse_near_duplicates(
    hits: Sequence[Hit],
    vectors: dict[int, np.ndarray] | None = None,
    threshold: float = 0.97,
    limit: int | None = None,
) -> list[Hit]:
    """Keep the first hit of each group of near-identical chunks, in order.

    Two hits are near-identical when their normalised texts are equal or, when
    ``vectors`` (chunk id → unit vector) are given, their cosine is ≥ ``threshold``.
    Stops once ``limit`` hits are kept.
    """
    kept: list[Hit] = []
    seen: set[str] = set()
    kept_vectors: list[np.ndarray] = []
    for hit in hits:
        if limit is not None and len(kept) >= limit:
            break
        fingerprint = text_fingerprint(hit.text)
        if fingerprint in seen:
            continue
        vector = vectors.get(hit.chunk_id) if vectors else None
        if (
            vector is not None
            and kept_vectors
            and float(np.max(np.stack(kept_vectors) @ vector)) >= threshold
        ):
            continue
        if vector is not None:
            kept_vectors.append(vector)
        seen.add(fingerprint)
        kept.append(hit)
    return kept


def spread_pages(hits: Sequence[Hit], per_page: int, limit: int) -> list[Hit]:
    """The first ``limit`` of ``hits`` with at most ``per_page`` chunks of any one page
    among them while other pages' chunks remain; a page's further chunks come after.

    ``per_page`` 0 keeps the order as it is.
    """
    if per_page <= 0:
        return list(hits[:limit])
    first: list[Hit] = []
    later: list[Hit] = []
    taken: dict[int, int] = {}
    for hit in hits:
        count = taken.get(hit.document_id, 0)
        (first if count < per_page else later).append(hit)
        taken[hit.document_id] = count + 1
    return (first + later)[:limit]


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def site_domains(site: str) -> list[str]:
    """A host and every parent domain: ``docs.debian.org`` → itself, ``debian.org``, ``org``."""
    labels = site.lower().strip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels)) if labels[i]]


def date_number(iso_date: str) -> int:
    """``"2024-03-05"`` → ``20240305``; ``""`` or a malformed date → 0 (undated)."""
    digits = iso_date[:10].replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def since_for_recency(recency: str, today: date | None = None) -> str:
    """The ``since`` date of a recency window (``day``, ``week``, ``month``, ``year``)."""
    if recency not in RECENCY_DAYS:
        raise ConfigError(f"unknown recency {recency!r}: use one of {', '.join(RECENCY_DAYS)}")
    start = (today or date.today()) - timedelta(days=RECENCY_DAYS[recency])
    return start.isoformat()


def matches_filters(
    filters: SearchFilters, *, site: str, language: str, date: str, source_id: int
) -> bool:
    """Whether a chunk passes ``filters``.

    Sites match a host and its subdomains. Undated chunks fail whenever ``since``
    or ``until`` is set (a recency filter asks for dated evidence).
    """
    domains = set(site_domains(site))
    if filters.sites and not domains.intersection(s.lower() for s in filters.sites):
        return False
    if domains.intersection(s.lower() for s in filters.exclude_sites):
        return False
    if filters.languages and language not in filters.languages:
        return False
    if filters.source_ids and source_id not in filters.source_ids:
        return False
    return _date_passes(filters, date_number(date))


def _date_passes(filters: SearchFilters, day: int) -> bool:
    if not (filters.since or filters.until):
        return True
    if day == 0:
        return False
    if filters.since and day < date_number(filters.since):
        return False
    return not (filters.until and day > date_number(filters.until))


def hit_matches(hit: Hit, filters: SearchFilters) -> bool:
    return matches_filters(
        filters, site=hit.site, language=hit.language, date=hit.date, source_id=hit.source_id
    )


def chunk_matches(chunk: IndexedChunk, filters: SearchFilters) -> bool:
    return matches_filters(
        filters,
        site=chunk.site or host_of(chunk.url),
        language=chunk.language,
        date=chunk.date,
        source_id=chunk.source_id,
    )


def filter_hits(hits: Sequence[Hit], filters: SearchFilters) -> list[Hit]:
    return [hit for hit in hits if hit_matches(hit, filters)]
