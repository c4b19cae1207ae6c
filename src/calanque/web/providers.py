"""Web search providers behind one small protocol: SearxNG, the Brave Search API, and
other Calanque servers (federation).

A provider proposes URLs; it never supplies text to an answer (docs/web.md). Each one
answers :meth:`SearchProvider.search` with :class:`~calanque.types.SearchResult` entries
whose ``provider`` is its name, or raises :class:`~calanque.errors.SearchProviderError`
saying what went wrong and how to fix it. :func:`search_all` asks every provider at once,
so one that times out, answers HTML or malformed JSON, or is rate limited costs its own
results only.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from calanque.collect.tls import shared_ssl_context
from calanque.config import Settings
from calanque.errors import SearchProviderError
from calanque.types import SearchResult

BRAVE_FRESHNESS = {"day": "pd", "week": "pw", "month": "pm", "year": "py"}
MAX_RESPONSE_BYTES = 5_000_000


class SearchProvider(Protocol):
    """Proposes result URLs for a query; ``domains`` restricts them to these hosts."""

    name: str

    async def search(
        self, query: str, lang: str, k: int, recency: str, domains: Sequence[str]
    ) -> list[SearchResult]: ...


@dataclass(frozen=True)
class ProviderFailure:
    provider: str
    kind: str
    message: str


@dataclass(frozen=True)
class WebSearch:
    """Every provider's results, best first and without repeated URLs, and their failures."""

    results: list[SearchResult] = field(default_factory=list)
    failures: list[ProviderFailure] = field(default_factory=list)


class JSONProvider:
    """The HTTP part shared by the providers: one request, JSON back, errors explained."""

    name = "provider"

    def __init__(self, timeout_s: float, transport: httpx.AsyncBaseTransport | None) -> None:
        self.timeout_s = timeout_s
        self.transport = transport

    async def _json(self, request: httpx.Request, fix: str) -> Any:
        async with httpx.AsyncClient(
            timeout=self.timeout_s,
            transport=self.transport,
            trust_env=False,
            verify=shared_ssl_context(),
        ) as client:
            try:
                response = await client.send(request)
            except httpx.TimeoutException as exc:
                raise self._error(
                    "timeout", f"did not answer within {self.timeout_s:g} s ({fix})"
                ) from exc
            except httpx.HTTPError as exc:
                raise self._error("network", f"cannot be reached ({exc}); {fix}") from exc
        return self._decode(response, fix)

    def _decode(self, response: httpx.Response, fix: str) -> Any:
        if response.status_code == 429:
            raise self._error("http-429", "is rate limiting us (HTTP 429): ask again later")
        if response.status_code >= 400:
            raise self._error(
                f"http-{response.status_code}", f"answered HTTP {response.status_code}; {fix}"
            )
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise self._error("too-large", f"answered more than {MAX_RESPONSE_BYTES} bytes")
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "text/html" or response.content.lstrip()[:1] == b"<":
            raise self._error("not-json", f"answered HTML, not JSON; {self.json_hint()}")
        try:
            return json.loads(response.content)
        except (ValueError, RecursionError) as exc:
            raise self._error("bad-json", f"answered malformed JSON ({exc}); {fix}") from exc

    def json_hint(self) -> str:
        return "check its URL"

    def _error(self, kind: str, what: str) -> SearchProviderError:
        return SearchProviderError(
            f"web search provider {self.name} {what}", provider=self.name, kind=kind
        )

    def _shape_error(self, where: str) -> SearchProviderError:
        return self._error("bad-json", f"answered JSON without {where}; check its URL and version")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _result(
    item: Any, provider: str, snippet_key: str, date_keys: Sequence[str]
) -> SearchResult | None:
    """A result from one JSON entry, or None when it has no http(s) URL."""
    if not isinstance(item, dict):
        return None
    url = _text(item.get("url"))
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    date = next((_text(item.get(key)) for key in date_keys if _text(item.get(key))), "")
    return SearchResult(
        url=url,
        title=_text(item.get("title")),
        snippet=_text(item.get(snippet_key)),
        date=date[:10] if date[:4].isdigit() else "",
        provider=provider,
        used=False,
    )


def _results(
    items: Any, provider: str, snippet_key: str, date_keys: Sequence[str]
) -> list[SearchResult]:
    entries = (_result(item, provider, snippet_key, date_keys) for item in items)
    return [entry for entry in entries if entry is not None]


def _with_sites(query: str, domains: Sequence[str]) -> str:
    return f"{query} {' OR '.join(f'site:{d}' for d in domains)}" if domains else query


class SearxNGProvider(JSONProvider):
    """A SearxNG instance's JSON API (``GET /search?format=json``)."""

    name = "searxng"

    def __init__(
        self, base_url: str, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(timeout_s, transport)
        self.base_url = base_url.rstrip("/")

    def json_hint(self) -> str:
        return "enable the JSON format in SearxNG's settings.yml (search: formats: [html, json])"

    async def search(
        self, query: str, lang: str, k: int, recency: str, domains: Sequence[str]
    ) -> list[SearchResult]:
        params = {"q": _with_sites(query, domains), "format": "json"}
        if lang:
            params["language"] = lang
        if recency:
            params["time_range"] = recency
        request = httpx.Request("GET", f"{self.base_url}/search", params=params)
        data = await self._json(request, f"check web.searxng_url = {self.base_url}")
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise self._shape_error("a results list")
        return _results(data["results"], self.name, "content", ("publishedDate",))[:k]


class BraveProvider(JSONProvider):
    """The Brave Search API (``X-Subscription-Token`` from ``CALANQUE_BRAVE_API_KEY``)."""

    name = "brave"

    def __init__(
        self,
        api_key: str,
        url: str,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(timeout_s, transport)
        self.api_key = api_key
        self.url = url

    async def search(
        self, query: str, lang: str, k: int, recency: str, domains: Sequence[str]
    ) -> list[SearchResult]:
        params: dict[str, str | int] = {"q": _with_sites(query, domains), "count": min(k, 20)}
        if lang:
            params["search_lang"] = lang
        if recency:
            params["freshness"] = BRAVE_FRESHNESS[recency]
        headers = {"X-Subscription-Token": self.api_key, "Accept": "application/json"}
        request = httpx.Request("GET", self.url, params=params, headers=headers)
        data = await self._json(request, "check CALANQUE_BRAVE_API_KEY and web.brave_url")
        web = data.get("web") if isinstance(data, dict) else None
        if web is None and isinstance(data, dict):
            return []  # no web results for this query
        if not isinstance(web, dict) or not isinstance(web.get("results", []), list):
            raise self._shape_error("web.results")
        return _results(web.get("results", []), self.name, "description", ("page_age", "age"))[:k]


class CalanqueProvider(JSONProvider):
    """Another Calanque server's index (``POST /v1/search``); its passages name pages,
    which are then fetched here like any other result."""

    def __init__(
        self,
        url: str,
        api_key: str,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(timeout_s, transport)
        self.url = url.rstrip("/")
        self.name = self.url
        self.api_key = api_key

    async def search(
        self, query: str, lang: str, k: int, recency: str, domains: Sequence[str]
    ) -> list[SearchResult]:
        body: dict[str, Any] = {"query": query, "k": k, "search_mode": "sources"}
        if domains:
            body["search_domain_filter"] = list(domains)
        if recency:
            body["search_recency_filter"] = recency
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        request = httpx.Request("POST", f"{self.url}/v1/search", json=body, headers=headers)
        data = await self._json(request, "check web.federation's url and its key_env variable")
        if not isinstance(data, dict) or not isinstance(data.get("hits"), list):
            raise self._shape_error("a hits list")
        found = _results(data["hits"], self.name, "text", ("date",))
        return list({r.url: r for r in reversed(found)}.values())[::-1][:k]


def configured_providers(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> list[SearchProvider]:
    """The providers ``settings`` names: SearxNG, Brave (with a key), each federation peer.

    Each may take half of ``web.budget_s``; reading the pages has what is left."""
    web = settings.web
    timeout = web.budget_s / 2  # the other half is for reading the pages
    providers: list[SearchProvider] = []
    if web.searxng_url:
        providers.append(SearxNGProvider(web.searxng_url, timeout, transport))
    if settings.brave_api_key:
        providers.append(BraveProvider(settings.brave_api_key, web.brave_url, timeout, transport))
    for peer in web.federation:
        key = os.environ.get(peer.key_env, "") if peer.key_env else ""
        providers.append(CalanqueProvider(peer.url, key, timeout, transport))
    return providers


async def search_all(
    providers: Sequence[SearchProvider],
    query: str,
    *,
    lang: str = "",
    k: int = 10,
    recency: str = "",
    domains: Sequence[str] = (),
) -> WebSearch:
    """Ask every provider at once; interleave their results, first URL wins."""
    calls = [p.search(query, lang, k, recency, domains) for p in providers]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    lists: list[list[SearchResult]] = []
    failures: list[ProviderFailure] = []
    for provider, outcome in zip(providers, outcomes, strict=True):
        if isinstance(outcome, SearchProviderError):
            failures.append(ProviderFailure(provider.name, outcome.kind, str(outcome)))
        elif isinstance(outcome, Exception):  # a provider's bug costs its own results only
            message = (
                f"web search provider {provider.name} failed: {type(outcome).__name__}: {outcome}"
            )
            failures.append(ProviderFailure(provider.name, "error", message))
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            lists.append(outcome)
    return WebSearch(_interleave(lists), failures)


def _interleave(lists: list[list[SearchResult]]) -> list[SearchResult]:
    seen: set[str] = set()
    merged: list[SearchResult] = []
    for rank in range(max((len(items) for items in lists), default=0)):
        for items in lists:
            if rank < len(items) and items[rank].url not in seen:
                seen.add(items[rank].url)
                merged.append(items[rank])
    return merged
