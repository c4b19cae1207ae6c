"""The values that flow between Calanque's stages.

Plain dataclasses, no behaviour beyond small derived properties. Every stage
takes and returns these, so pure logic can be tested without any I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SourceKind = Literal["site", "sitemap", "feed", "folder", "web"]
WEB_SOURCE_URL = "web:"
"""``Source.url`` of the one ``web`` source: the pages read for web answers (docs/web.md).
It is never crawled: its pages are fetched again only when a question needs them."""


@dataclass(frozen=True)
class Scope:
    """Which URLs a site source may follow.

    ``mode`` is ``prefix`` (URL starts with ``prefix``), ``host`` (same host as
    the seed) or ``any`` (anything the include/exclude patterns allow).
    """

    mode: Literal["prefix", "host", "any"] = "prefix"
    prefix: str = ""
    host: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_depth: int = 10
    max_pages: int = 10_000


@dataclass(frozen=True)
class Source:
    id: int
    kind: SourceKind
    url: str
    scope: Scope = field(default_factory=Scope)
    poll_interval_s: int = 3600
    created_at: datetime | None = None
    added_by: str = "operator"  # OPERATOR, or "key:<name>" for a source added over the API


OPERATOR = "operator"
"""``Source.added_by`` of a source the operator added (``calanque add``)."""


def added_by_key(key_name: str) -> str:
    """``Source.added_by`` of a source added over the API with the key ``key_name``
    (``"key:(loopback)"`` for a keyless caller on the same machine)."""
    return f"key:{key_name or '(loopback)'}"


@dataclass(frozen=True)
class ConsentDecision:
    """Whether a URL may be used, which signal decided it, and the rule that matched."""

    url: str
    allowed: bool
    signal: str  # robots.txt, tdmrep, x-robots-tag, meta, content-usage, content-signal, none
    rule: str
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    start: int  # character offset of the heading text in Document.text


@dataclass(frozen=True)
class Document:
    """Clean text of one page or file, with its metadata."""

    url: str
    text: str
    title: str = ""
    language: str = ""
    canonical_url: str = ""
    author: str = ""
    date: str = ""  # ISO date (YYYY-MM-DD) or ""
    headings: tuple[Heading, ...] = ()
    id: int | None = None
    source_id: int | None = None
    other_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A passage of a document; ``text == document.text[start:end]``."""

    document_id: int
    ordinal: int
    text: str
    start: int
    end: int
    heading_path: tuple[str, ...] = ()
    language: str = ""
    id: int | None = None


@dataclass(frozen=True)
class IndexedChunk:
    """What an index backend needs to store for one chunk."""

    chunk_id: int
    document_id: int
    text: str
    title: str
    url: str
    heading: str
    language: str
    site: str
    source_id: int
    date: str = ""  # YYYY-MM-DD or ""


@dataclass(frozen=True)
class SearchFilters:
    sites: tuple[str, ...] = ()  # allow list of hosts (a host matches its subdomains)
    exclude_sites: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: str = ""  # YYYY-MM-DD inclusive
    until: str = ""
    source_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    document_id: int
    url: str
    title: str
    heading: str
    text: str
    score: float
    language: str = ""
    date: str = ""
    site: str = ""
    source_id: int = 0

    def with_score(self, score: float) -> Hit:
        """This hit with another score. ``dataclasses.replace`` re-runs ``__init__`` and its
        checks: 2-3 µs a hit where this takes 0.5, and a search re-scores every fused hit
        twice (fusion, then rescoring: ~200 hits), on the path every answer waits for."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.__dict__["score"] = score
        return copy


@dataclass(frozen=True)
class Citation:
    n: int
    url: str
    title: str
    quote: str
    start: int
    end: int
    fragment_url: str
    verified: bool
    chunk_id: int | None = None


@dataclass(frozen=True)
class SearchResult:
    """One entry of an answer's source list, or one result of a web search provider.

    ``provider`` names where it came from (``index``, ``searxng``, ``brave``, a peer's URL);
    ``used`` says whether its text could be read into the answer, ``reason`` why not
    (``robots.txt``, ``noai``, ``timeout``, ``not-needed``...; see docs/web.md);
    ``cached`` that its page was stored earlier under the ``web`` source and not fetched again.
    """

    url: str
    title: str
    snippet: str
    date: str = ""
    provider: str = "index"
    used: bool = True
    reason: str = ""
    cached: bool = False
    language: str = ""  # the passage's language, for results read into the answer


@dataclass
class Answer:
    question: str
    answer: str
    answered: bool
    language: str
    citations: list[Citation] = field(default_factory=list)
    # for each [n] of ``answer``, in order: the index in ``citations`` of the one it stands
    # for (a citation is listed once, however many sentences it supports)
    citation_marks: list[int] = field(default_factory=list)
    search_results: list[SearchResult] = field(default_factory=list)
    related_questions: list[str] = field(default_factory=list)
    thread_id: str = ""
    writer: str = "extractive"
    model: str = ""
    ai_generated: bool = True
    standalone_query: str = ""
    warnings: list[str] = field(default_factory=list)  # e.g. a web search provider that failed
    # the index searched: {"dense_pending": N, "complete": N == 0}; {} when none was
    index_state: dict[str, int | bool] = field(default_factory=dict)
