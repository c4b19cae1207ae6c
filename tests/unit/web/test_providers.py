"""Search providers on canned answers (httpx.MockTransport): the JSON shapes of SearxNG,
Brave and Calanque, and each way a provider can fail, costing only its own results."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from calanque.config import load_settings
from calanque.errors import SearchProviderError
from calanque.web.providers import (
    BraveProvider,
    CalanqueProvider,
    SearxNGProvider,
    configured_providers,
    search_all,
)

SEARXNG_JSON = {
    "query": "apt",
    "results": [
        {
            "url": "https://a.example/apt",
            "title": "APT",
            "content": "apt upgrades packages",
            "publishedDate": "2025-03-01T00:00:00",
        },
        {"url": "javascript:alert(1)", "title": "bad"},
        {"url": "https://b.example/x", "title": "B", "content": None, "publishedDate": None},
        "not a dict",
    ],
}
BRAVE_JSON = {
    "web": {
        "results": [
            {
                "url": "https://c.example/",
                "title": "C",
                "description": "c",
                "page_age": "2024-05-02",
            }
        ]
    }
}
Handler = Callable[[httpx.Request], httpx.Response]


def transport(handler: Handler) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def json_answer(data: object, status: int = 200) -> Handler:
    return lambda request: httpx.Response(status, json=data)


async def test_searxng_reads_results_and_sends_filters():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=SEARXNG_JSON)

    provider = SearxNGProvider("http://searx.test/", 2.0, transport(handler))
    results = await provider.search("apt", "fr", 10, "week", ["a.example"])
    assert [r.url for r in results] == ["https://a.example/apt", "https://b.example/x"]
    assert results[0].snippet == "apt upgrades packages"
    assert results[0].date == "2025-03-01"
    assert results[0].provider == "searxng"
    params = seen[0].url.params
    assert params["format"] == "json"
    assert params["language"] == "fr"
    assert params["time_range"] == "week"
    assert params["q"] == "apt site:a.example"
    assert seen[0].url.path == "/search"


async def test_brave_sends_its_key_and_reads_web_results():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=BRAVE_JSON)

    provider = BraveProvider("secret-key", "http://brave.test/search", 2.0, transport(handler))
    results = await provider.search("apt", "", 5, "month", [])
    assert [(r.url, r.snippet, r.date, r.provider) for r in results] == [
        ("https://c.example/", "c", "2024-05-02", "brave")
    ]
    assert seen[0].headers["x-subscription-token"] == "secret-key"
    assert seen[0].url.params["freshness"] == "pm"


async def test_calanque_peer_asks_its_sources_and_keeps_one_result_per_page():
    hits = {
        "hits": [
            {"url": "https://d.example/1", "title": "D", "text": "first", "date": ""},
            {"url": "https://d.example/1", "title": "D", "text": "second", "date": ""},
            {"url": "https://d.example/2", "title": "D2", "text": "other", "date": ""},
        ]
    }
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=hits)

    provider = CalanqueProvider("http://peer.test/", "cq-key", 2.0, transport(handler))
    results = await provider.search("apt", "", 10, "", ["d.example"])
    assert [r.url for r in results] == ["https://d.example/1", "https://d.example/2"]
    assert results[0].snippet == "first"
    body = json.loads(seen[0].content)
    assert body["search_mode"] == "sources"  # a peer never searches the web for us: no loops
    assert body["search_domain_filter"] == ["d.example"]
    assert seen[0].headers["authorization"] == "Bearer cq-key"


@pytest.mark.parametrize(
    ("handler", "kind", "says"),
    [
        (
            lambda r: httpx.Response(
                200, text="<html>searx</html>", headers={"content-type": "text/html"}
            ),
            "not-json",
            "formats",
        ),
        (
            lambda r: httpx.Response(
                200, text="{not json", headers={"content-type": "application/json"}
            ),
            "bad-json",
            "malformed JSON",
        ),
        (json_answer({"error": "nope"}, 429), "http-429", "rate limiting"),
        (json_answer({"error": "down"}, 503), "http-503", "web.searxng_url"),
        (json_answer({"results": "nope"}), "bad-json", "results list"),
        (json_answer([1, 2]), "bad-json", "results list"),
    ],
)
async def test_searxng_failures_are_explained(handler: Handler, kind: str, says: str):
    provider = SearxNGProvider("http://searx.test", 2.0, transport(handler))
    with pytest.raises(SearchProviderError, match=says) as caught:
        await provider.search("apt", "", 10, "", [])
    assert caught.value.kind == kind
    assert caught.value.provider == "searxng"


async def test_a_timeout_is_explained():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    provider = SearxNGProvider("http://searx.test", 0.5, transport(handler))
    with pytest.raises(SearchProviderError, match="did not answer within 0.5 s") as caught:
        await provider.search("apt", "", 10, "", [])
    assert caught.value.kind == "timeout"


async def test_one_failing_provider_costs_only_its_own_results():
    broken = SearxNGProvider("http://searx.test", 2.0, transport(json_answer({}, 429)))
    working = BraveProvider(
        "k", "http://brave.test/search", 2.0, transport(json_answer(BRAVE_JSON))
    )
    found = await search_all([broken, working], "apt")
    assert [r.url for r in found.results] == ["https://c.example/"]
    assert [(f.provider, f.kind) for f in found.failures] == [("searxng", "http-429")]


async def test_results_are_interleaved_without_repeats():
    searx = SearxNGProvider("http://searx.test", 2.0, transport(json_answer(SEARXNG_JSON)))
    brave_json = {
        "web": {"results": [{"url": "https://a.example/apt"}, {"url": "https://e.example/"}]}
    }
    brave = BraveProvider("k", "http://brave.test/search", 2.0, transport(json_answer(brave_json)))
    found = await search_all([searx, brave], "apt")
    assert [r.url for r in found.results] == [
        "https://a.example/apt",
        "https://b.example/x",
        "https://e.example/",
    ]


def test_providers_come_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("PEER_KEY", "peer-secret")
    toml = (
        '[web]\nsearxng_url = "http://searx.test"\n'
        'federation = [{url = "http://peer.test", key_env = "PEER_KEY"}]\n'
    )
    (tmp_path / "calanque.toml").write_text(toml)
    env = {"CALANQUE_BRAVE_API_KEY": "b-key"}
    monkeypatch.setenv("CALANQUE_BRAVE_API_KEY", "b-key")
    settings = load_settings({"home": tmp_path}, environ=env)
    names = [p.name for p in configured_providers(settings)]
    assert names == ["searxng", "brave", "http://peer.test"]
    peer = configured_providers(settings)[2]
    assert isinstance(peer, CalanqueProvider) and peer.api_key == "peer-secret"
