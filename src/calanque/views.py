"""The JSON shapes of results, one function per type, for every face.

``calanque <command> --json`` prints these and the API returns them, so a client reads
the same fields from either; docs/cli.md and the OpenAPI schema describe them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from calanque.answer.labels import machine_label
from calanque.answer.passages import Passage
from calanque.types import Answer, ConsentDecision, Hit, SearchResult, Source


def answer_json(answer: Answer) -> dict[str, Any]:
    """The machine-readable answer (``ask --json``, thread payloads)."""
    return {
        "answer": answer.answer,
        "answered": answer.answered,
        "language": answer.language,
        "citations": [
            {
                "n": c.n,
                "url": c.url,
                "title": c.title,
                "quote": c.quote,
                "start": c.start,
                "end": c.end,
                "fragment_url": c.fragment_url,
                "verified": c.verified,
            }
            for c in answer.citations
        ],
        "citation_marks": list(answer.citation_marks),
        "search_results": [search_result_json(r) for r in answer.search_results],
        "related_questions": list(answer.related_questions),
        "thread_id": answer.thread_id,
        "warnings": list(answer.warnings),
        **machine_label(answer.writer, answer.model),
        **index_fields(answer),
    }


def index_fields(answer: Answer) -> dict[str, Any]:
    """``index``: ``{"dense_pending": N, "complete": N == 0}`` when the answer searched the
    index; ``complete: false`` says N chunks were searchable lexically only (docs/cli.md)."""
    return {"index": dict(answer.index_state)} if answer.index_state else {}


def search_result_json(result: SearchResult) -> dict[str, Any]:
    """One entry of an answer's source list; ``used: false`` entries are web results whose
    text was not read (``reason`` says why) and are never cited."""
    return {
        "url": result.url,
        "title": result.title,
        "snippet": result.snippet,
        "date": result.date,
        "provider": result.provider,
        "used": result.used,
        "reason": result.reason,
        "language": result.language,
    } | ({"cached": True} if result.cached else {})


def passage_json(passage: Passage) -> dict[str, Any]:
    """A web passage as a search hit (``POST /v1/search`` in web mode): no chunk id, since
    it comes from a page read live, and the ``provider`` that proposed the page."""
    return {
        "url": passage.url,
        "title": passage.title,
        "heading": passage.heading,
        "text": passage.text,
        "score": round(float(passage.score), 6),
        "chunk_id": None,
        "language": passage.language,
        "date": passage.date,
        "site": urlsplit(passage.url).hostname or "",
        "document_id": None,
        "provider": passage.provider,
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    """One search hit (``search --json``, ``POST /v1/search``)."""
    return {
        "url": hit.url,
        "title": hit.title,
        "heading": hit.heading,
        "text": hit.text,
        "score": round(float(hit.score), 6),
        "chunk_id": hit.chunk_id,
        "language": hit.language,
        "date": hit.date,
        "site": hit.site,
        "document_id": hit.document_id,
    }


def source_json(source: Source) -> dict[str, Any]:
    """One source and its scope (``add --json``, ``sources --json``, ``/v1/sources``)."""
    scope = source.scope
    return {
        "id": source.id,
        "kind": source.kind,
        "url": source.url,
        "scope": {
            "mode": scope.mode,
            "prefix": scope.prefix,
            "host": scope.host,
            "include": list(scope.include),
            "exclude": list(scope.exclude),
            "max_depth": scope.max_depth,
            "max_pages": scope.max_pages,
        },
        "poll_interval_s": source.poll_interval_s,
    }


def removal_json(source_id: int, documents: int) -> dict[str, Any]:
    """What removing a source deleted (``remove --json``; ``DELETE /v1/sources/{id}`` adds
    the index report)."""
    return {"removed": source_id, "documents": documents}


def decision_json(decision: ConsentDecision) -> dict[str, Any]:
    """A robots.txt decision (``robots check --json``): the URL, the verdict, the rule."""
    return {"url": decision.url, "allowed": decision.allowed, "rule": decision.rule}
