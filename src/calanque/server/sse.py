"""OpenAI/Sonar-shaped JSON for answers, and the Server-Sent Events that stream them.

A completion carries OpenAI's fields plus Perplexity Sonar's ``citations`` (the source
URLs, ``[n]`` is ``citations[n-1]``) and ``search_results``, plus Calanque's
``citation_details`` (the verified quote of each citation, its offsets and text-fragment
URL), ``related_questions``, the AI-generated label (``ai_generated``, ``writer``,
``writer_model``, ``label``), ``answered``, ``language``, ``thread_id`` and ``index``
(``{"dense_pending": N, "complete": false}`` while the index's dense pass is unfinished). Each source
read into the answer carries its language and, in the complete answer, its ``consent``:
the latest consent-ledger decision for its page (``allowed``, ``signal``, ``rule``,
``decided_at``), or null when none was recorded.

Streaming: the first chunk carries the role and, once retrieval is done, ``citations``
and ``search_results``; content deltas follow; the last chunk (``finish_reason: stop``)
carries every extra field and ``verified_answer``, which equals the streamed text: the
deltas are verified text only (see :mod:`calanque.answer.engine`).

``content`` (and ``verified_answer``) is Markdown by default, escaped so that it renders
as the plain answer reads (:mod:`calanque.answer.markdown`); a request with
``content_format: "text"`` (the web page's) gets the plain text.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict
from typing import Any

from calanque.answer.labels import machine_label, visible_label
from calanque.answer.markdown import MarkdownStream, to_markdown
from calanque.types import Answer, SearchResult
from calanque.views import index_fields, search_result_json

DONE = b"data: [DONE]\n\n"


def encode(data: dict[str, Any]) -> bytes:
    """One SSE event."""
    return b"data: " + json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n\n"


def new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def search_results_json(results: list[SearchResult]) -> list[dict[str, Any]]:
    return [search_result_json(r) for r in results]


def source_fields(results: list[SearchResult]) -> dict[str, Any]:
    """Sonar's ``citations`` (the numbered sources, ``[n]`` is ``citations[n-1]``) and
    ``search_results`` (those, then the web results that were not read, ``used: false``)."""
    return {
        "citations": [r.url for r in results if r.used],
        "search_results": search_results_json(results),
    }


Consents = dict[str, dict[str, Any] | None]
CONSENT_FIELDS = ("allowed", "signal", "rule", "decided_at")


def with_consent(results: list[dict[str, Any]], consents: Consents) -> list[dict[str, Any]]:
    """``results`` (``search_results`` JSON), each used one with its ``consent`` decision."""
    for result in results:
        if result.get("used", True) and result.get("url") in consents:
            decision = consents[result["url"]]
            result["consent"] = (
                None if decision is None else {k: decision.get(k) for k in CONSENT_FIELDS}
            )
    return results


def answer_fields(answer: Answer, consents: Consents | None = None) -> dict[str, Any]:
    """Every extra field of a completion, from the final answer (and its sources' consent)."""
    label = machine_label(answer.writer, answer.model)
    sources = source_fields(answer.search_results)
    with_consent(sources["search_results"], consents or {})
    return {
        **sources,
        "citation_details": [
            {k: v for k, v in asdict(c).items() if k != "chunk_id"} for c in answer.citations
        ],
        "citation_marks": list(answer.citation_marks),
        "related_questions": list(answer.related_questions),
        "ai_generated": label["ai_generated"],
        "writer": label["writer"],
        "writer_model": label["model"],
        "label": visible_label(answer.language, answer.writer, answer.model),
        "answered": answer.answered,
        "language": answer.language,
        "thread_id": answer.thread_id or None,
        "standalone_query": answer.standalone_query,
        "warnings": list(answer.warnings),
        **index_fields(answer),
    }


def _usage(question: str, text: str) -> dict[str, int]:
    prompt, completion = len(question.split()), len(text.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion(
    answer: Answer, model: str, consents: Consents | None = None, markdown: bool = True
) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` (its content as Markdown, or plain text)."""
    content = to_markdown(answer.answer) if markdown else answer.answer
    return {
        "id": new_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(answer.question, answer.answer),
        **answer_fields(answer, consents),
    }


class ChunkWriter:
    """Builds the ``chat.completion.chunk`` events of one streamed answer."""

    def __init__(self, model: str, markdown: bool = True) -> None:
        self.id = new_id()
        self.created = int(time.time())
        self.model = model
        self.markdown = MarkdownStream() if markdown else None

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> bytes:
        return encode(
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
                **extra,
            }
        )

    def sources(self, results: list[SearchResult]) -> bytes:
        return self.chunk({"role": "assistant", "content": ""}, **source_fields(results))

    def delta(self, text: str) -> bytes:
        return self.chunk({"content": self.markdown.convert(text) if self.markdown else text})

    def final(self, answer: Answer, consents: Consents | None = None) -> bytes:
        return self.chunk(
            {},
            "stop",
            verified_answer=to_markdown(answer.answer) if self.markdown else answer.answer,
            usage=_usage(answer.question, answer.answer),
            **answer_fields(answer, consents),
        )

    def error(self, kind: str, message: str) -> bytes:
        return encode({"error": {"type": kind, "message": message}})
