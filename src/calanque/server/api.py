"""The HTTP API: OpenAI/Sonar-compatible chat completions, search, sources, crawl, threads.

Every ``/v1`` route needs the caller to pass :class:`~calanque.server.auth.Authenticator`;
``/health`` does not. Routes marked ``ADMIN_ONLY`` (sources, crawls, status, consent) need
an admin key; the others any key, and threads are seen only by the key that made them
(see :class:`~calanque.server.auth.Caller`). Errors are mapped to statuses in
:mod:`calanque.server.errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from starlette.concurrency import run_in_threadpool

from calanque import __version__
from calanque.answer.markdown import from_markdown
from calanque.catalog.publishers import (
    forget_host,
    log_served_citations,
    normalize_host,
    publisher_reports,
)
from calanque.collect.guard import is_private_address
from calanque.collect.scope import build_scope
from calanque.collect.urls import normalize_url
from calanque.config import Settings
from calanque.embed.base import clip_query
from calanque.errors import CalanqueError
from calanque.index.filters import build_filters
from calanque.server.auth import ADMIN, Caller, browser_id
from calanque.server.errors import RequestError, status_for
from calanque.server.scoping import allowed_spaces, narrow_for, split_model
from calanque.server.services import Services, over_budget
from calanque.server.sse import DONE, ChunkWriter, Consents, completion, with_consent
from calanque.types import Answer, SearchFilters, added_by_key
from calanque.views import (
    answer_json,
    hit_json,
    passage_json,
    removal_json,
    search_result_json,
    source_json,
)
from calanque.web import default_scope

# The one limit on every text a caller sends (questions, messages, content parts, search
# queries, model names...): past it, 422 naming the field. What is embedded is cut shorter
# still (calanque.embed.base.MAX_QUERY_CHARS); URLs have their own, lower limit.
MAX_TEXT_CHARS = 20_000
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
Domain = Annotated[
    str, StringConstraints(min_length=1, max_length=253, pattern=r"^-?[A-Za-z0-9.:\-]+$")
]
Language = Annotated[str, StringConstraints(max_length=3, pattern=r"^[A-Za-z]{2,3}$")]
ThreadId = Annotated[str, StringConstraints(max_length=64)]
Recency = Literal["day", "week", "month", "year"]
SearchMode = Literal["web", "sources", "all"]


def services(request: Request) -> Services:
    services_: Services = request.app.state.services
    return services_


def authenticate(request: Request) -> Caller:
    """Who calls (the local operator without keys); raises AuthError otherwise."""
    caller = services(request).auth.authenticate(request)
    if caller.is_operator:
        caller = replace(caller, browser=browser_id(request))
    request.state.caller = caller
    request.state.key_name = caller.name
    return caller


def caller_of(request: Request) -> Caller:
    caller: Caller = request.state.caller
    return caller


def require_admin(request: Request) -> None:
    caller_of(request).require(ADMIN)


health_router = APIRouter(tags=["health"])
router = APIRouter(prefix="/v1", dependencies=[Depends(authenticate)])
ADMIN_ONLY = [Depends(require_admin)]


# ---- request bodies ----------------------------------------------------------------
class SearchFiltersBody(BaseModel):
    search_domain_filter: list[Domain] = Field(
        default_factory=list,
        max_length=20,
        description="Hosts to search only, or to exclude with a leading '-' (e.g. '-example.org').",
    )
    search_recency_filter: Recency | None = Field(
        None, description="Only pages dated within this period."
    )
    search_language_filter: list[Language] = Field(
        default_factory=list,
        max_length=10,
        description="Only passages in these languages (ISO 639-1).",
    )
    space: Annotated[str, StringConstraints(max_length=80)] | None = Field(
        None,
        description="Search and answer only within this space's sources (its name or "
        "id, see GET /v1/spaces); a key limited to spaces stays within them anyway.",
    )
    search_mode: SearchMode | None = Field(
        None,
        description="Where passages come from: the indexed sources, the web (pages fetched "
        "live where their publishers allow it) or all; default: all when a web search "
        "provider is configured, else sources.",
    )

    def scope(self, settings: Settings) -> SearchMode:
        return self.search_mode or default_scope(settings)

    def filters(self) -> SearchFilters:
        allow = [d for d in self.search_domain_filter if not d.startswith("-")]
        deny = [d for d in self.search_domain_filter if d.startswith("-")]
        langs = [lang.lower() for lang in self.search_language_filter]
        return build_filters(allow, deny, langs, self.search_recency_filter or "")


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Text = "text"
    text: Text = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[TextPart] | None = None

    @model_validator(mode="after")
    def _parts_within_limit(self) -> ChatMessage:
        if len(self.text()) > MAX_TEXT_CHARS:
            raise ValueError(
                f"content: the text parts together have more than {MAX_TEXT_CHARS} characters"
            )
        return self

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(SearchFiltersBody):
    """OpenAI's chat completion request, with Perplexity Sonar's search filters."""

    model_config = ConfigDict(extra="forbid")
    model: Text = Field(
        "",
        description="calanque-<writer> (see GET /v1/models), or a space's id (space:<name>) "
        "for the configured answer.writer within that space; empty: the configured answer.writer.",
    )
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    content_format: Literal["markdown", "text"] = Field(
        "markdown",
        description="The answer's content as Markdown, escaped so that a chat client "
        "renders it as written (command lines as paragraphs, no heading, emphasis, HTML, "
        "link or image from a quoted page), or as the plain text the web page shows.",
    )
    thread_id: ThreadId | None = Field(None, description="Continue this stored thread.")
    store: bool = Field(False, description="Store this exchange as a new thread (see /v1/threads).")
    # Accepted for compatibility with OpenAI clients; the extractive writer ignores them.
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: Literal[1] | None = None
    user: Text | None = None
    stop: Text | list[Text] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    stream_options: dict[Text, Any] | None = None
    return_related_questions: bool | None = None


class SearchRequest(SearchFiltersBody):
    model_config = ConfigDict(extra="forbid")
    query: Annotated[Text, StringConstraints(min_length=1)]
    k: int = Field(10, ge=1, le=50)
    # at most this many hits of one page while other pages have some; None: the server's
    # index.results_per_page; 0: the ranking as it is
    per_page: int | None = Field(None, ge=0, le=50)


class SourceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    kind: Literal["auto", "site", "sitemap", "feed"] = "auto"
    scope: Literal["prefix", "host", "any"] = "prefix"
    prefix: Annotated[str, StringConstraints(max_length=2048)] = ""
    max_depth: int = Field(10, ge=0, le=50)
    max_pages: int = Field(1000, ge=1, le=100_000)


class CrawlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_pages: int | None = Field(None, ge=1, le=1_000_000)


# ---- health and models -------------------------------------------------------------
@health_router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/models", tags=["chat"])
def list_models(request: Request) -> dict[str, Any]:
    """The answer writers this server can use, as OpenAI models, then the spaces the caller
    may use (``space:<name>``: the configured writer, within that space's sources)."""
    svc = services(request)
    writers = [f"calanque-{w}" for w in svc.writers()]
    allowed = allowed_spaces(svc, caller_of(request))
    spaces = [space.id for space in svc.catalog.spaces.list(allowed)]
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "calanque"}
        for name in writers + spaces
    ]
    return {"object": "list", "data": data}


# ---- chat completions ----------------------------------------------------------------
def conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the earlier (question, answer) turns (an
    answer as Calanque's Markdown wrote it is read as its plain text)."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user" or not turns[-1].text().strip():
        raise RequestError("the last message must be the user's question, with some text.")
    history: list[tuple[str, str]] = []
    question = ""
    for message in turns[:-1]:
        if message.role == "user":
            question = message.text()
        elif question:
            history.append((question, from_markdown(message.text())))
            question = ""
    return turns[-1].text().strip(), history


def _prepare_thread(
    svc: Services, body: ChatRequest, question: str, caller: Caller
) -> tuple[str, list[tuple[str, str]]]:
    threads = svc.catalog.threads
    if body.thread_id:
        if not threads.exists(body.thread_id, caller.thread_scope()):
            raise RequestError(
                f"no thread {body.thread_id!r}: list them at GET /v1/threads, or omit thread_id.",
                status=404,
                kind="not_found",
            )
        return body.thread_id, threads.history(body.thread_id)
    if body.store:
        return threads.create(question, owner=caller.thread_owner), []
    return "", []


def _store_turn(svc: Services, answer: Answer) -> None:
    """Store the turn in its thread (which logs its citations), or log only its citations."""
    if answer.thread_id:
        svc.catalog.threads.add(answer.thread_id, "user", answer.question)
        svc.catalog.threads.add(answer.thread_id, "assistant", answer.answer, answer_json(answer))
    elif answer.answered:
        log_served_citations(svc.catalog.engine, [c.url for c in answer.citations])


@router.post("/chat/completions", tags=["chat"], response_model=None)
async def chat_completions(body: ChatRequest, request: Request) -> JSONResponse | StreamingResponse:
    """Answer the last user message with verified citations (streamed with ``stream: true``)."""
    svc = services(request)
    space, model_name = split_model(body.space, body.model)
    writer = svc.writer_for_model(model_name)
    question, history = conversation(body.messages)
    question = clip_query(question)
    caller = caller_of(request)
    narrowed, scope = await run_in_threadpool(
        narrow_for, svc, caller, space, body.filters(), body.search_mode, body.scope(svc.settings)
    )
    thread_id, stored = await run_in_threadpool(_prepare_thread, svc, body, question, caller)
    history = history or stored
    engine = svc.engine(writer)
    await run_in_threadpool(svc.record_query, question, request.state.key_name)
    options = {
        "history": history,
        "filters": narrowed.filters,
        "thread_id": thread_id,
        "scope": scope,
        "asker": added_by_key(request.state.key_name),
        "instructions": narrowed.instructions,
    }
    model = f"calanque-{writer}"
    if not body.stream:

        def run() -> Answer:
            svc.refresh()
            answer: Answer = engine.answer(question, **options)
            return answer

        answer = await svc.within_budget(run)
        await run_in_threadpool(_store_turn, svc, answer)
        consents = await run_in_threadpool(consents_of, svc, _used_urls(answer))
        markdown = body.content_format == "markdown"
        return JSONResponse(completion(answer, model, consents, markdown))
    events = engine.stream(question, **options)
    return StreamingResponse(
        _stream(
            svc,
            events,
            ChunkWriter(model, body.content_format == "markdown"),
            time.monotonic() + svc.settings.server.request_timeout_s,
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _used_urls(answer: Answer) -> list[str]:
    return [r.url for r in answer.search_results if r.used]


def consents_of(svc: Services, urls: list[str]) -> Consents:
    """The latest consent-ledger decision for each URL (None where none was recorded)."""
    return {url: svc.catalog.consent_for(url) for url in dict.fromkeys(urls)}


def _next_event(svc: Services, events: Any) -> Any:
    svc.refresh()
    return next(events, None)


async def _next_event_before(svc: Services, events: Any, deadline: float) -> Any:
    """The stream's next event, or 504 (as an error chunk) once the budget is spent."""
    left = deadline - time.monotonic()
    try:
        return await asyncio.wait_for(asyncio.to_thread(_next_event, svc, events), max(left, 0))
    except TimeoutError as exc:
        raise over_budget(svc.settings.server.request_timeout_s) from exc


async def _stream(
    svc: Services, events: Any, chunks: ChunkWriter, deadline: float
) -> AsyncIterator[bytes]:
    try:
        while (event := await _next_event_before(svc, events, deadline)) is not None:
            if event.kind == "sources":
                yield chunks.sources(event.sources)
            elif event.kind == "delta":
                yield chunks.delta(event.text)
            elif event.answer is not None:
                await run_in_threadpool(_store_turn, svc, event.answer)
                consents = await run_in_threadpool(consents_of, svc, _used_urls(event.answer))
                yield chunks.final(event.answer, consents)
    except CalanqueError as exc:
        yield chunks.error(status_for(exc)[1], str(exc))
    yield DONE


# ---- search ----------------------------------------------------------------------------
@router.post("/search", tags=["search"])
async def search(body: SearchRequest, request: Request) -> dict[str, Any]:
    """Hybrid search (lexical + dense, fused): passages only, no answer. With
    ``search_mode`` web or all, passages of web pages read live (where their publishers
    allow it) come too, and ``search_results`` lists the web results not read, and why."""
    svc = services(request)
    query = clip_query(body.query)
    narrowed, scope = await run_in_threadpool(
        narrow_for,
        svc,
        caller_of(request),
        body.space,
        body.filters(),
        body.search_mode,
        body.scope(svc.settings),
    )
    await run_in_threadpool(svc.record_query, query, request.state.key_name)
    asker = added_by_key(request.state.key_name)

    def run() -> list[Any]:
        svc.refresh()
        if scope == "web":
            return []
        per_page = svc.settings.index.results_per_page if body.per_page is None else body.per_page
        found = svc.retriever.search(query, body.k, narrowed.filters, per_page=per_page)
        return list(found)

    hits = await svc.within_budget(run)
    found: dict[str, Any] = {"query": body.query, "hits": [hit_json(h) for h in hits]}
    if scope != "sources":
        web = await svc.within_budget(lambda: svc.web_search(query, body.filters(), body.k, asker))
        found["hits"] += [passage_json(p) for p in web.passages]
        found["search_results"] = [search_result_json(r) for r in web.unused]
        found["warnings"] = web.warnings
    return found


# ---- sources and crawl ---------------------------------------------------------------
def _kind_from_url(url: str) -> str:
    path = urlsplit(url).path.lower()
    if "sitemap" in path and path.endswith((".xml", ".xml.gz", ".txt")):
        return "sitemap"
    if path.endswith((".rss", ".atom")) or path.rstrip("/").endswith(("/feed", "/rss")):
        return "feed"
    if path.endswith((".xml", ".gz")):
        raise RequestError(f"cannot tell whether {url} is a sitemap or a feed: pass kind.")
    return "site"


def check_public(url: str, allow_private: bool) -> None:
    """Refuse URLs whose host is, or resolves to, a non-public address (SSRF)."""
    host = urlsplit(url).hostname or ""
    if not allow_private and is_private_address(host):
        raise RequestError(
            f"refused {url}: {host} is a loopback, private, link-local or reserved address, "
            "and sources added over the API must be public. The operator can allow it with "
            "server.allow_private_sources = true (CALANQUE_SERVER_ALLOW_PRIVATE_SOURCES=1), "
            "or add it locally with `calanque add`.",
            kind="forbidden_address",
        )


@router.get("/sources", tags=["sources"], dependencies=ADMIN_ONLY)
def list_sources(request: Request) -> dict[str, Any]:
    return {"sources": [source_json(s) for s in services(request).catalog.list_sources()]}


@router.post("/sources", tags=["sources"], status_code=201, dependencies=ADMIN_ONLY)
def add_source(body: SourceRequest, request: Request) -> dict[str, Any]:
    """Add a site, sitemap or feed (public addresses only, unless the operator allows private)."""
    svc = services(request)
    url = normalize_url(body.url)
    check_public(url, svc.settings.server.allow_private_sources)
    kind = body.kind if body.kind != "auto" else _kind_from_url(url)
    prefix = normalize_url(body.prefix) if body.prefix else ""
    scope = build_scope(url, kind, body.scope, prefix, [], [], body.max_depth, body.max_pages)
    added_by = added_by_key(request.state.key_name)
    source = svc.catalog.add_source(kind, url, scope, added_by=added_by)  # type: ignore[arg-type]
    return source_json(source)


@router.delete("/sources/{source_id}", tags=["sources"], dependencies=ADMIN_ONLY)
def remove_source(source_id: int, request: Request) -> dict[str, Any]:
    """Remove a source, everything collected from it, and its passages from the index."""
    svc = services(request)
    if source_id not in {s.id for s in svc.catalog.list_sources()}:
        raise RequestError(
            f"no source {source_id}: list them at GET /v1/sources.", status=404, kind="not_found"
        )
    documents = svc.catalog.remove_source(source_id)
    return {**removal_json(source_id, documents), "index": svc.catch_up()}


@router.post("/crawl", tags=["sources"], status_code=202, dependencies=ADMIN_ONLY)
async def start_crawl(request: Request, body: CrawlRequest | None = None) -> dict[str, Any]:
    """Start collecting everything due, in the background; follow it at GET /v1/crawl."""
    job = services(request).start_crawl(body.max_pages if body else None)
    return job.to_dict()


@router.get("/crawl", tags=["sources"], dependencies=ADMIN_ONLY)
def crawl_status(request: Request) -> dict[str, Any]:
    return services(request).crawl.to_dict()


@router.get("/status", tags=["sources"], dependencies=ADMIN_ONLY)
def status(request: Request, errors: int = Query(50, ge=0, le=1000)) -> dict[str, Any]:
    """Counts, frontier states, crawl progress, the latest page errors and the index:
    chunks searchable lexically, densely, waiting for vectors (the admin page)."""
    svc = services(request)
    catalog = svc.catalog
    return {
        "counts": catalog.counts(),
        "frontier": catalog.frontier.states(),
        "crawl": svc.crawl.to_dict(),
        "errors": catalog.page_errors()[-errors:] if errors else [],
        "writers": svc.writers(),
        "index": svc.index_status(),
    }


# ---- consent -------------------------------------------------------------------------------
@router.get("/consent", tags=["consent"], dependencies=ADMIN_ONLY)
def consent(
    request: Request, url: str = Query(..., min_length=1, max_length=2048)
) -> dict[str, Any]:
    """The latest consent-ledger entry for a URL: allowed or refused, by which rule."""
    catalog = services(request).catalog
    entry = None
    with contextlib.suppress(CalanqueError):
        entry = catalog.consent_for(normalize_url(url))
    entry = entry or catalog.consent_for(url)
    if entry is None:
        raise RequestError(
            f"no consent decision recorded for {url}: it was never considered "
            "for collection (check the URL, or crawl first).",
            status=404,
            kind="not_found",
        )
    return dict(entry)


@router.get("/consent/ledger", tags=["consent"], dependencies=ADMIN_ONLY)
def consent_ledger(
    request: Request,
    refused_only: bool = False,
    limit: int = Query(100, ge=1, le=10_000),
) -> dict[str, Any]:
    rows = services(request).catalog.consent_ledger(refused_only=refused_only, limit=limit)
    return {"entries": [dict(r) for r in rows]}


# ---- threads -----------------------------------------------------------------------------------
@router.get("/threads", tags=["threads"])
def list_threads(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    owner: Literal["all", "mine"] = Query(
        "all",
        description="all: every thread the caller may open (an admin key also sees those "
        "made with the CLI, the local operator every thread); mine: only those the caller "
        "made (the key's, or without keys this browser's: what the web page lists).",
    ),
) -> dict[str, Any]:
    """The caller's threads, most recently updated first."""
    caller = caller_of(request)
    scope = caller.own_threads() if owner == "mine" else caller.thread_scope()
    return {"threads": services(request).catalog.threads.list(limit, scope)}


def _thread_or_404(request: Request, thread_id: str) -> Services:
    """The services, once the thread is known to exist and to be the caller's.

    Another key's thread gets the same 404 as a missing one: its existence stays private."""
    svc = services(request)
    if not svc.catalog.threads.exists(thread_id, caller_of(request).thread_scope()):
        raise RequestError(
            f"no thread {thread_id!r}: list them at GET /v1/threads.", status=404, kind="not_found"
        )
    return svc


@router.get("/threads/{thread_id}", tags=["threads"])
def get_thread(thread_id: str, request: Request) -> dict[str, Any]:
    """A thread's messages; each answer's payload is its ``answer_json``, its sources with
    their consent decision as it stands now."""
    svc = _thread_or_404(request, thread_id)
    messages = svc.catalog.threads.messages(thread_id)
    return {
        "id": thread_id,
        "messages": [
            {
                "role": m.role,
                "content": m.content,
                "payload": _payload_with_consent(svc, m.payload),
                "created_at": m.created_at,
            }
            for m in messages
        ],
    }


def _payload_with_consent(svc: Services, payload: dict[str, Any] | None) -> Any:
    if not payload or not isinstance(payload.get("search_results"), list):
        return payload
    results = [dict(r) for r in payload["search_results"] if isinstance(r, dict)]
    urls = [str(r.get("url", "")) for r in results if r.get("used", True)]
    return payload | {"search_results": with_consent(results, consents_of(svc, urls))}


@router.delete("/threads/{thread_id}", tags=["threads"])
def delete_thread(thread_id: str, request: Request) -> dict[str, Any]:
    svc = _thread_or_404(request, thread_id)
    svc.catalog.threads.delete(thread_id)
    return {"deleted": thread_id}


# ---- publishers ----------------------------------------------------------------------
@router.get("/publishers", tags=["publishers"], dependencies=ADMIN_ONLY)
def list_publishers(request: Request) -> dict[str, Any]:
    reports = publisher_reports(services(request).catalog.engine)
    return {"data": [report.as_json() for report in reports]}


@router.get("/publishers/{host}", tags=["publishers"], dependencies=ADMIN_ONLY)
def get_publisher(host: Domain, request: Request) -> dict[str, Any]:
    reports = publisher_reports(services(request).catalog.engine, normalize_host(host))
    return {"data": [report.as_json() for report in reports]}


@router.post("/publishers/{host}/forget", tags=["publishers"], dependencies=ADMIN_ONLY)
def forget_publisher(host: Domain, request: Request) -> dict[str, Any]:
    return forget_host(services(request).catalog, host).as_json()
