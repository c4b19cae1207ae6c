"""Helpers of :mod:`calanque.index.milvus`: rows, hits, filter expressions, Lite processes.

Filter templates (``filter_params``) are not supported by Milvus Lite 2.5.1 nor 2.3, and
Lite 2.5.1 rejects the unary ``not``, so expressions are built from ``in``/``not in`` and
comparisons, with every string quoted by :func:`quote`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from calanque.index.analysis import strip_elisions
from calanque.index.fusion import date_number, host_of, site_domains
from calanque.types import Hit, IndexedChunk, SearchFilters

BATCH_ROWS = 500  # Milvus Lite 2.5.1 rejects insert calls of more than ~1,000 rows
MAX_VARCHAR = 65_535  # bytes
DOMAIN_LEVELS = 8  # domain_1 = "org", domain_2 = "debian.org", ... domain_8
DOMAIN_FIELDS = tuple(f"domain_{n}" for n in range(1, DOMAIN_LEVELS + 1))
LANGUAGES = ("fr", "en")
STEMMERS = {"fr": "french", "en": "english"}
OUTPUT_FIELDS = [
    "chunk_id", "document_id", "source_id", "url", "title", "heading", "text",
    "language", "date", "site",
]  # fmt: skip


def quote(value: str) -> str:
    """A Milvus expression string literal for ``value`` (no injection possible)."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 32:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _strings(values: Iterable[str]) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"


def _domain_field(domain: str) -> str:
    return f"domain_{domain.count('.') + 1}"


def _domain_groups(sites: Iterable[str]) -> dict[str, list[str]]:
    """Filter hosts grouped by the field that holds their level (``site`` beyond the last)."""
    groups: dict[str, list[str]] = {}
    for site in sites:
        domain = next(iter(site_domains(site)), "")
        if domain:
            field = _domain_field(domain)
            groups.setdefault(field if field in DOMAIN_FIELDS else "site", []).append(domain)
    return groups


def filter_expression(filters: SearchFilters) -> str:
    """``filters`` as a Milvus boolean expression ("" when nothing is filtered).

    Only ``in``/``not in``/comparisons are used: Milvus Lite 2.5.1 rejects ``not (...)``.
    A site matches itself and its subdomains through the ``domain_<n>`` fields, which hold
    the last ``n`` labels of the chunk's host.
    """
    parts = []
    if filters.sites:
        allowed = _domain_groups(filters.sites).items()
        parts.append(" or ".join(f"{field} in {_strings(values)}" for field, values in allowed))
    for field, values in _domain_groups(filters.exclude_sites).items():
        parts.append(f"{field} not in {_strings(values)}")
    if filters.languages:
        parts.append(f"language in {_strings(filters.languages)}")
    if filters.source_ids:
        parts.append(f"source_id in [{', '.join(str(int(s)) for s in filters.source_ids)}]")
    if filters.since or filters.until:
        low = max(date_number(filters.since), 1) if filters.since else 1
        high = date_number(filters.until) if filters.until else 99_991_231
        parts.append(f"day >= {low} and day <= {high}")
    return " and ".join(f"({part})" for part in parts if part)


def _clip(text: str, limit: int = MAX_VARCHAR) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


def _chunk_languages(language: str) -> tuple[str, ...]:
    for lang in LANGUAGES:
        if language.startswith(lang):
            return (lang,)
    return LANGUAGES


def chunk_row(chunk: IndexedChunk, vector: np.ndarray, lexical: bool) -> dict[str, Any]:
    """The Milvus row of ``chunk`` (``text_fr``/``text_en`` only with BM25 available)."""
    site = (chunk.site or host_of(chunk.url)).lower()
    row: dict[str, Any] = {
        "chunk_id": chunk.chunk_id,
        "document_id": chunk.document_id,
        "source_id": chunk.source_id,
        "day": date_number(chunk.date),
        "dense": [float(x) for x in vector],
        "text": _clip(chunk.text),
        "title": _clip(chunk.title, 4096),
        "heading": _clip(chunk.heading, 4096),
        "url": _clip(chunk.url, 4096),
        "site": _clip(site, 1024),
        "language": _clip(chunk.language, 64),
        "date": _clip(chunk.date, 64),
    }
    levels = {_domain_field(domain): domain for domain in site_domains(site)}
    for field in DOMAIN_FIELDS:
        row[field] = _clip(levels.get(field, ""), 1024)
    if lexical:
        body = _clip(strip_elisions(f"{chunk.title}\n{chunk.heading}\n{chunk.text}"))
        languages = _chunk_languages(chunk.language)
        for lang in LANGUAGES:
            row[f"text_{lang}"] = body if lang in languages else ""
    return row


def entity_hit(entity: dict[str, Any], score: float) -> Hit:
    return Hit(
        chunk_id=int(entity["chunk_id"]),
        document_id=int(entity["document_id"]),
        url=str(entity["url"]),
        title=str(entity["title"]),
        heading=str(entity["heading"]),
        text=str(entity["text"]),
        score=float(score),
        language=str(entity["language"]),
        date=str(entity["date"]),
        site=str(entity["site"]),
        source_id=int(entity["source_id"]),
    )


# -- Milvus Lite connections ----------------------------------------------------------


def is_lite_uri(uri: str) -> bool:
    return uri.endswith(".db") and "://" not in uri


def _connect(client_class: Any, uri: str, token: str, timeout: float) -> Any:
    """A client; a Lite server process slow to open its socket (busy CPU) gets 3 tries."""
    tries = 3 if is_lite_uri(uri) else 1
    for attempt in range(1, tries + 1):
        try:
            return client_class(uri, token=token, timeout=timeout)
        except Exception:
            if attempt == tries:
                raise
            time.sleep(attempt)


_LITE_USERS: dict[str, int] = {}  # open MilvusIndex objects per Milvus Lite file


def _lite_key(uri: str) -> str:
    return str(Path(uri).absolute().resolve())


def _hold_lite(uri: str) -> None:
    key = _lite_key(uri)
    _LITE_USERS[key] = _LITE_USERS.get(key, 0) + 1


def _release_lite(uri: str) -> None:
    """Stop the Milvus Lite server process of ``uri`` once its last index is closed."""
    key = _lite_key(uri)
    _LITE_USERS[key] = _LITE_USERS.get(key, 1) - 1
    if _LITE_USERS[key] > 0:
        return
    del _LITE_USERS[key]
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(key)
