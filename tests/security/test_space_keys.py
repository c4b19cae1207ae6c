"""Spaces over the real routes: a key limited to spaces searches and asks only within them.

The API in-process (TestClient, a hash embedder) over two small sources, each in its own
space, with an admin key, two keys limited to one space each and an unlimited reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.security.test_roles_and_owners import catalog_of, open_app

from calanque.catalog import Catalog, PageRecord
from calanque.catalog.spaces import Space
from calanque.types import Chunk, ConsentDecision, Document, Scope

DOCS = "http://docs.example/"
WIKI = "http://wiki.example/"
PAGES = {
    DOCS: "The harbour ferry leaves the docks pier at nine every morning.",
    WIKI: "The harbour ferry of the wiki island leaves at ten every evening.",
}
QUESTION = "When does the harbour ferry leave?"


def save_page(catalog: Catalog, source_id: int, url: str, text: str) -> None:
    page = PageRecord(url=url, source_id=source_id, status=200)
    document = Document(url=url, text=text, title="Ferry", language="en")
    catalog.save_document(page, document, [Chunk(0, 0, text, 0, len(text), language="en")], None)


class Api:
    def __init__(self, client: TestClient, keys: dict[str, str]) -> None:
        self.client = client
        self.headers = {name: {"Authorization": f"Bearer {key}"} for name, key in keys.items()}

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, path, headers=self.headers[who], **kwargs)

    def search(self, who: str, **body: Any) -> httpx.Response:
        return self.call(who, "POST", "/v1/search", json={"query": "harbour ferry", **body})

    def ask(self, who: str, **body: Any) -> httpx.Response:
        messages = [{"role": "user", "content": QUESTION}]
        return self.call(who, "POST", "/v1/chat/completions", json={"messages": messages, **body})


def sites(response: httpx.Response, field: str = "hits") -> set[str]:
    assert response.status_code == 200, response.text
    return {hit["url"].split("/")[2] for hit in response.json()[field]}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with open_app(tmp_path / "home") as client:
        catalog = catalog_of(client)
        for url, text in PAGES.items():
            source = catalog.add_source("site", url, Scope(mode="prefix", prefix=url)).id
            save_page(catalog, source, url + "ferry.html", text)
            name = url.split("/")[2].split(".")[0]
            catalog.spaces.create(Space(name))
            catalog.spaces.add_source(name, source)
        catalog.spaces.create(Space("empty"))
        client.app.state.services.catch_up()  # type: ignore[attr-defined]
        keys = {name: catalog.api_keys.create(name) for name in ("boss", "alice", "bob", "carol")}
        catalog.spaces.limit_key("alice", ["docs"])
        catalog.spaces.limit_key("bob", ["wiki", "empty"])
        yield Api(client, keys)


def test_unlimited_keys_search_everything_or_one_space(api: Api) -> None:
    assert sites(api.search("carol")) == {"docs.example", "wiki.example"}
    assert sites(api.search("carol", space="wiki")) == {"wiki.example"}
    assert sites(api.search("carol", space="space:docs")) == {"docs.example"}


def test_a_limited_key_searches_only_its_spaces(api: Api) -> None:
    assert sites(api.search("alice")) == {"docs.example"}
    assert sites(api.search("bob")) == {"wiki.example"}  # the union: wiki and an empty space
    outside = api.search("alice", space="wiki")
    missing = api.search("alice", space="nowhere")
    assert outside.status_code == missing.status_code == 404
    assert (
        outside.json()["error"]["message"]
        == "no space 'wiki': " + (missing.json()["error"]["message"].split(": ", 1)[1])
    )


def test_a_limited_key_asks_only_within_its_spaces(api: Api) -> None:
    assert sites(api.ask("alice"), "search_results") == {"docs.example"}
    assert sites(api.ask("carol", model="space:wiki"), "search_results") == {"wiki.example"}
    assert api.ask("alice", model="space:wiki").status_code == 404
    assert api.ask("alice", space="wiki").status_code == 404
    clash = api.ask("carol", model="space:wiki", space="docs")
    assert clash.status_code == 400 and "two spaces" in clash.text


def test_an_empty_space_says_so_and_the_web_is_refused(api: Api) -> None:
    empty = api.ask("bob", space="empty")
    assert empty.status_code == 400
    assert "no sources in this space" in empty.json()["error"]["message"]
    web = api.search("carol", space="docs", search_mode="web")
    assert web.status_code == 400 and "sources only" in web.json()["error"]["message"]


def test_spaces_are_listed_per_key_and_managed_by_admins(api: Api) -> None:
    def names(who: str) -> list[str]:
        return [s["name"] for s in api.call(who, "GET", "/v1/spaces").json()["data"]]

    assert names("alice") == ["docs"]
    assert names("carol") == ["docs", "empty", "wiki"]
    made = api.call("boss", "POST", "/v1/spaces", json={"name": "all", "source_ids": [1, 2]})
    assert made.status_code == 201 and made.json()["id"] == "space:all"
    assert api.call("carol", "POST", "/v1/spaces", json={"name": "x"}).status_code == 403
    assert api.call("boss", "DELETE", "/v1/spaces/all/sources/2").json()["source_ids"] == [1]
    added = api.call("boss", "POST", "/v1/spaces/all/sources", json={"source_id": 2})
    assert added.json()["source_ids"] == [1, 2]
    refused = api.call("boss", "DELETE", "/v1/spaces/docs")
    assert refused.status_code == 400 and "alice" in refused.json()["error"]["message"]
    assert api.call("boss", "DELETE", "/v1/spaces/all").json() == {"deleted": "all"}
    assert api.call("boss", "DELETE", "/v1/spaces/all").status_code == 404


def test_threads_of_limited_keys_stay_their_own(api: Api) -> None:
    thread = api.ask("alice", store=True).json()["thread_id"]
    assert api.call("bob", "GET", f"/v1/threads/{thread}").status_code == 404
    assert api.call("alice", "GET", f"/v1/threads/{thread}").status_code == 200
    follow = api.ask("bob", thread_id=thread)
    assert follow.status_code == 404


def test_models_list_the_spaces_each_key_may_use(api: Api) -> None:
    def models(who: str) -> list[str]:
        return [m["id"] for m in api.call(who, "GET", "/v1/models").json()["data"]]

    assert models("alice") == ["calanque-extractive", "space:docs"]
    assert models("carol") == ["calanque-extractive", "space:docs", "space:empty", "space:wiki"]
    # a model listed is a model accepted: an OpenAI client picks the space by its id
    assert sites(api.ask("alice", model=models("alice")[-1]), "search_results") == {"docs.example"}


def test_a_space_and_its_sources_are_readable_within_the_key_spaces(api: Api) -> None:
    docs = api.call("alice", "GET", "/v1/spaces/docs")
    assert docs.status_code == 200, docs.text
    assert [(s["url"], s["pages"]) for s in docs.json()["sources"]] == [(DOCS, 1)]
    assert api.call("carol", "GET", "/v1/spaces/space:wiki").json()["sources"][0]["url"] == WIKI
    outside = api.call("alice", "GET", "/v1/spaces/wiki")
    missing = api.call("carol", "GET", "/v1/spaces/nowhere")
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["error"]["message"].startswith("no space 'wiki': list the spaces")


def test_asking_an_unknown_space_names_it_and_where_to_look(api: Api) -> None:
    unknown = api.ask("carol", space="nowhere")
    assert unknown.status_code == 404
    message = unknown.json()["error"]["message"]
    assert "no space 'nowhere'" in message and "GET /v1/spaces" in message
    assert api.ask("carol", model="space:nowhere").status_code == 404
    outside = api.ask("alice", space="wiki")  # a key limited to docs asking the wiki space
    assert outside.status_code == 404 and "no space 'wiki'" in outside.text


def test_answer_sources_carry_their_language_and_consent(api: Api) -> None:
    catalog = catalog_of(api.client)
    decision = ConsentDecision(DOCS + "ferry.html", True, "robots.txt", "Allow: /")
    catalog.record_consent(decision, "fetched")
    reply = api.ask("carol", space="docs")
    assert reply.status_code == 200, reply.text
    [source] = [r for r in reply.json()["search_results"] if r["used"]]
    assert source["language"] == "en"
    assert source["consent"]["allowed"] is True and source["consent"]["signal"] == "robots.txt"
    assert source["consent"]["rule"] == "Allow: /"
