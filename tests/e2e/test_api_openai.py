"""The official ``openai`` client against a running Calanque server (real corpus, real embedder)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from tests.e2e.crawl_helpers import long_printing_page, page
from tests.e2e.served import Served, build_corpus, corpus, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
APT = "How do I upgrade all installed packages?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    source = corpus(tmp_path_factory.getbasetemp())
    with start_server(source, tmp_path_factory.mktemp("api") / "home") as running:
        yield running


@pytest.fixture(scope="module")
def client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{served.url}/v1", api_key="not-needed-on-loopback", max_retries=0
    )


def extra(obj: Any, name: str) -> Any:
    return (obj.model_extra or {})[name]


def test_models_lists_the_configured_writers(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == ["calanque-extractive"]  # no LLM configured: no calanque-openai / -local


def test_non_streamed_answer_carries_citations_and_the_label(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="calanque-extractive", messages=[{"role": "user", "content": APT}]
    )
    text = reply.choices[0].message.content or ""
    assert "apt full-upgrade" in text and "[1]" in text
    citations = extra(reply, "citations")
    assert citations[0].endswith("/docs/apt.html")
    results = extra(reply, "search_results")
    assert [r["url"] for r in results] == citations
    fields = {"title", "url", "date", "snippet", "provider", "used", "reason", "language"}
    assert set(results[0]) == fields | {"consent"}
    assert results[0]["language"] == "en" and results[0]["consent"]["allowed"] is True
    assert results[0]["title"] == "Upgrading packages with apt"
    assert extra(reply, "ai_generated") is True and extra(reply, "writer") == "extractive"
    detail = extra(reply, "citation_details")[0]
    assert detail["verified"] and detail["quote"] in text and "#:~:text=" in detail["fragment_url"]
    assert len(extra(reply, "related_questions")) == 3


def test_streamed_answer_sends_sources_then_text_then_the_extra_fields(
    client: openai.OpenAI,
) -> None:
    stream = client.chat.completions.create(
        model="calanque-extractive", messages=[{"role": "user", "content": APT}], stream=True
    )
    chunks = list(stream)
    first, last = chunks[0], chunks[-1]
    assert extra(first, "citations")[0].endswith("/docs/apt.html")
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "apt full-upgrade" in text
    assert last.choices[0].finish_reason == "stop"
    assert extra(last, "verified_answer") == text
    assert extra(last, "ai_generated") is True
    assert extra(last, "citation_details")[0]["url"].endswith("/docs/apt.html")


def test_domain_filter_that_excludes_the_relevant_site_changes_the_sources(
    client: openai.OpenAI,
) -> None:
    question = [{"role": "user", "content": "How do I restart the network?"}]
    plain = client.chat.completions.create(model="calanque-extractive", messages=question)
    assert any("127.0.0.1" in url for url in extra(plain, "citations"))
    denied = client.chat.completions.create(
        model="calanque-extractive",
        messages=question,
        extra_body={"search_domain_filter": ["-127.0.0.1"]},
    )
    urls = extra(denied, "citations")
    assert urls and all(url.startswith("http://localhost:") for url in urls)
    assert "systemctl restart networking" not in (denied.choices[0].message.content or "")
    allowed = client.chat.completions.create(
        model="calanque-extractive",
        messages=question,
        extra_body={"search_domain_filter": ["localhost"]},
    )
    assert extra(allowed, "citations") == urls


def test_language_and_recency_filters(client: openai.OpenAI) -> None:
    french = client.chat.completions.create(
        model="calanque-extractive",
        messages=[{"role": "user", "content": "backup"}],
        extra_body={"search_language_filter": ["fr"]},
    )
    titles = {r["title"] for r in extra(french, "search_results")}
    assert titles and titles <= {"Configurer le réseau", "Sauvegarde des bases de données"}
    recent = client.chat.completions.create(
        model="calanque-extractive",
        messages=[{"role": "user", "content": APT}],
        extra_body={"search_recency_filter": "day"},  # every page is dated 2025-03-01
    )
    assert extra(recent, "answered") is False and extra(recent, "search_results") == []


def test_earlier_turns_in_messages_make_a_follow_up(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(
        model="calanque-extractive",
        messages=[{"role": "user", "content": "How do I create an SSH key?"}],
    )
    follow = client.chat.completions.create(
        model="calanque-extractive",
        messages=[
            {"role": "user", "content": "How do I create an SSH key?"},
            {"role": "assistant", "content": first.choices[0].message.content or ""},
            {"role": "user", "content": "And how do I copy the public key to a server?"},
        ],
    )
    assert "ssh-copy-id" in (follow.choices[0].message.content or "")
    assert "ssh" in extra(follow, "standalone_query").lower()


def test_stored_thread_continues_and_is_listed(client: openai.OpenAI, served: Served) -> None:
    first = client.chat.completions.create(
        model="calanque-extractive",
        messages=[{"role": "user", "content": APT}],
        extra_body={"store": True},
    )
    thread_id = extra(first, "thread_id")
    assert thread_id
    second = client.chat.completions.create(
        model="calanque-extractive",
        messages=[{"role": "user", "content": "Where are the package lists downloaded from?"}],
        extra_body={"thread_id": thread_id},
    )
    assert extra(second, "thread_id") == thread_id
    with httpx.Client(base_url=served.url) as http:
        listed = [t["id"] for t in http.get("/v1/threads").json()["threads"]]
        assert thread_id in listed
        messages = http.get(f"/v1/threads/{thread_id}").json()["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"] * 2
        assert messages[1]["payload"]["ai_generated"] is True
        assert http.delete(f"/v1/threads/{thread_id}").status_code == 200
        assert http.get(f"/v1/threads/{thread_id}").status_code == 404


def test_errors_say_what_to_fix(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="GET /v1/models"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.NotFoundError, match="no thread"):
        client.chat.completions.create(
            model="calanque-extractive",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"thread_id": "nope"},
        )
    with pytest.raises(openai.UnprocessableEntityError, match="search_recency_filter"):
        client.chat.completions.create(
            model="calanque-extractive",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"search_recency_filter": "decade"},
        )
    with pytest.raises(openai.BadRequestError, match="last message"):
        client.chat.completions.create(
            model="calanque-extractive", messages=[{"role": "assistant", "content": "hi"}]
        )


def test_search_sources_crawl_and_consent_over_http(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=30) as http:
        hits = http.post("/v1/search", json={"query": "nft list ruleset", "k": 3}).json()["hits"]
        assert hits[0]["url"].endswith("/docs/firewall.html") and len(hits) <= 3
        bad = http.post("/v1/search", json={"query": "apt", "per_page": -1})
        assert bad.status_code == 422 and "per_page" in bad.text
        sources = http.get("/v1/sources").json()["sources"]
        assert {s["url"] for s in sources} == {served.corpus.docs_url, served.corpus.wiki_url}
        added = http.post(
            "/v1/sources", json={"url": served.corpus.docs_url + "apt.html", "kind": "site"}
        )
        assert added.status_code == 201, added.text
        started = http.post("/v1/crawl", json={"max_pages": 5})
        assert started.status_code == 202 and started.json()["running"] is True
        deadline = time.monotonic() + 60
        while (progress := http.get("/v1/crawl").json())["running"]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert progress["error"] == "" and "fetched" in progress["summary"]
        assert "position" in progress["index"]
        removed = http.delete(f"/v1/sources/{added.json()['id']}")
        assert removed.status_code == 200
        consent = http.get("/v1/consent", params={"url": served.corpus.docs_url + "ssh.html"})
        assert (
            consent.status_code == 404 and "never considered" in consent.json()["error"]["message"]
        )
        entry = http.get("/v1/consent", params={"url": served.corpus.wiki_url + "ssh.html"}).json()
        assert entry["allowed"] is True and entry["signal"] == "robots.txt"
        assert http.get("/health").json()["status"] == "ok"


def test_search_lists_each_page_once_before_a_second_chunk(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A long page's chunks would fill the hits; ``per_page`` (default 1) spreads them."""
    pages = {
        "/docs/": page("Printing", "Printers.", links=("long.html", "short.html")),
        "/docs/long.html": long_printing_page("The printing system"),
        "/docs/short.html": page("Sharing", "A printer is shared over the network with CUPS."),
        "/wiki/": page("Wiki", "The team wiki."),
    }
    source = build_corpus(tmp_path_factory.mktemp("spread") / "home", pages)
    with (
        start_server(source, tmp_path_factory.mktemp("spread-api") / "home") as running,
        httpx.Client(base_url=running.url, timeout=30) as http,
    ):
        query = {"query": "printing system CUPS printer queue", "k": 3}

        def pages_of(body: dict[str, Any]) -> list[str]:
            hits = http.post("/v1/search", json=body).json()["hits"]
            return [h["url"].rsplit("/", 1)[-1] for h in hits]

        plain, spread = pages_of({**query, "per_page": 0}), pages_of(query)
        assert plain.count("long.html") == 3, plain
        assert len(set(spread[:2])) == 2 and "short.html" in spread, spread


def test_injected_instructions_in_a_page_stay_data(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="calanque-extractive",
        messages=[{"role": "user", "content": "How are the home folders backed up?"}],
    )
    text = reply.choices[0].message.content or ""
    assert "rsync" in text
    assert "cq_" not in text and "Ignore previous instructions" not in text
