"""Keys have a role and threads an owner: a reader key cannot administer, nobody reads
another key's threads.

The API in-process (Starlette's TestClient, no sockets, a hash embedder) with two or
three keys, as a remote client: the same checks as a real server, in milliseconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.conftest import HashEmbedder

from calanque.catalog import Catalog
from calanque.catalog.spaces import Space
from calanque.config import load_settings
from calanque.server import create_app

REMOTE = ("203.0.113.7", 40000)

# The role each API route needs: a route missing here fails test_every_route_has_a_role.
ROUTE_ROLES: dict[tuple[str, str], str] = {
    ("GET", "/v1/models"): "reader",
    ("POST", "/v1/chat/completions"): "reader",
    ("POST", "/v1/search"): "reader",
    ("GET", "/v1/threads"): "reader",
    ("GET", "/v1/threads/{thread_id}"): "reader",
    ("DELETE", "/v1/threads/{thread_id}"): "reader",
    ("GET", "/v1/threads/{thread_id}/export"): "reader",
    ("GET", "/v1/sources"): "admin",
    ("POST", "/v1/sources"): "admin",
    ("DELETE", "/v1/sources/{source_id}"): "admin",
    ("POST", "/v1/crawl"): "admin",
    ("GET", "/v1/crawl"): "admin",
    ("GET", "/v1/status"): "admin",
    ("GET", "/v1/consent"): "admin",
    ("GET", "/v1/consent/ledger"): "admin",
    ("GET", "/v1/publishers"): "admin",
    ("GET", "/v1/publishers/{host}"): "admin",
    ("POST", "/v1/publishers/{host}/forget"): "admin",
    ("GET", "/v1/spaces"): "reader",
    ("GET", "/v1/spaces/{name}"): "reader",
    ("POST", "/v1/spaces"): "admin",
    ("DELETE", "/v1/spaces/{name}"): "admin",
    ("POST", "/v1/spaces/{name}/sources"): "admin",
    ("DELETE", "/v1/spaces/{name}/sources/{source_id}"): "admin",
}
PUBLIC_ROUTES = {("GET", "/health"), ("GET", "/.well-known/http-message-signatures-directory")}


@dataclass
class Keys:
    client: TestClient
    headers: dict[str, dict[str, str]]

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, path, headers=self.headers[who], **kwargs)

    def ask(self, who: str, question: str, **body: Any) -> httpx.Response:
        messages = [{"role": "user", "content": question}]
        return self.call(who, "POST", "/v1/chat/completions", json={"messages": messages, **body})


def open_app(home: Path) -> TestClient:
    settings = load_settings(
        {"home": home, "server": {"allow_private_sources": True, "rate_limit_per_minute": 0}},
        environ={},
    )
    home.mkdir(parents=True, exist_ok=True)
    catalog = Catalog.open(settings.catalog_url)
    return TestClient(
        create_app(settings, catalog, embedder=HashEmbedder()),
        client=REMOTE,
        base_url="http://127.0.0.1",
    )


def catalog_of(client: TestClient) -> Catalog:
    return client.app.state.services.catalog  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[Keys]:
    with open_app(tmp_path / "home") as client:
        api_keys = catalog_of(client).api_keys
        made = {
            "boss": api_keys.create("boss"),  # the first key: admin whatever is asked
            "alice": api_keys.create("alice", role="reader"),
            "bob": api_keys.create("bob", role="reader"),
        }
        headers = {name: {"Authorization": f"Bearer {key}"} for name, key in made.items()}
        yield Keys(client, headers)


def api_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every documented route, from the OpenAPI schema: walking ``app.routes`` for
    ``APIRoute`` finds none once FastAPI keeps included routers whole (0.12x)."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def test_every_route_has_a_role(keys: Keys) -> None:
    assert ("POST", "/v1/chat/completions") in api_routes(keys.client)
    undecided = api_routes(keys.client) - set(ROUTE_ROLES) - PUBLIC_ROUTES
    assert not undecided, f"add a role decision for {sorted(undecided)} to ROUTE_ROLES"


@pytest.mark.parametrize(
    ("method", "path"), sorted(k for k, role in ROUTE_ROLES.items() if role == "admin")
)
def test_reader_key_cannot_call_admin_routes(keys: Keys, method: str, path: str) -> None:
    concrete = path.replace("{source_id}", "1")
    params = {"url": "http://example.org/"} if path == "/v1/consent" else None
    body = {"url": "http://127.0.0.1:9/x/"} if method == "POST" and "sources" in path else None
    refused = keys.call("alice", method, concrete, params=params, json=body)
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["type"] == "permission_error"
    assert "admin" in error["message"] and "reader" in error["message"]


def test_reader_key_cannot_delete_sources(keys: Keys) -> None:
    added = keys.call("boss", "POST", "/v1/sources", json={"url": "http://127.0.0.1:9/docs/"})
    assert added.status_code == 201, added.text
    source_id = added.json()["id"]
    assert keys.call("alice", "DELETE", f"/v1/sources/{source_id}").status_code == 403
    listed = keys.call("boss", "GET", "/v1/sources").json()["sources"]
    assert [s["id"] for s in listed] == [source_id]


def test_reader_key_cannot_start_a_crawl(keys: Keys) -> None:
    refused = keys.call("alice", "POST", "/v1/crawl")
    assert refused.status_code == 403
    assert keys.call("boss", "GET", "/v1/crawl").json()["started_at"] == ""


@pytest.mark.parametrize(
    ("method", "path"), sorted(k for k, role in ROUTE_ROLES.items() if role == "reader")
)
def test_reader_key_keeps_reader_routes(keys: Keys, method: str, path: str) -> None:
    thread = keys.ask("alice", "How do I upgrade?", store=True).json()["thread_id"]
    body = None
    if path == "/v1/search":
        body = {"query": "upgrade"}
    elif path == "/v1/chat/completions":
        body = {"messages": [{"role": "user", "content": "How do I upgrade?"}]}
    if "{name}" in path:
        catalog_of(keys.client).spaces.create(Space("docs"))
    concrete = path.replace("{thread_id}", thread).replace("{name}", "docs")
    reply = keys.call("alice", method, concrete, json=body)
    assert reply.status_code == 200, reply.text


def test_other_key_cannot_list_read_continue_or_delete_a_thread(keys: Keys) -> None:
    thread = keys.ask("alice", "alice's private question", store=True).json()["thread_id"]
    listed = keys.call("bob", "GET", "/v1/threads").json()["threads"]
    assert thread not in [t["id"] for t in listed]
    for who in ("bob", "boss"):
        assert keys.call(who, "GET", f"/v1/threads/{thread}").status_code == 404
        continued = keys.ask(who, "and then?", thread_id=thread)
        assert continued.status_code == 404, continued.text
        assert keys.call(who, "DELETE", f"/v1/threads/{thread}").status_code == 404
    mine = keys.call("alice", "GET", f"/v1/threads/{thread}").json()["messages"]
    assert [m["role"] for m in mine] == ["user", "assistant"]
    assert thread in [t["id"] for t in keys.call("alice", "GET", "/v1/threads").json()["threads"]]


def test_missing_and_foreign_threads_look_the_same(keys: Keys) -> None:
    thread = keys.ask("alice", "a question", store=True).json()["thread_id"]
    foreign = keys.call("bob", "GET", f"/v1/threads/{thread}")
    missing = keys.call("bob", "GET", "/v1/threads/00000000-0000-0000-0000-000000000000")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"]["type"] == missing.json()["error"]["type"]


def test_admin_key_sees_its_own_and_operator_threads_only(keys: Keys) -> None:
    operator = catalog_of(keys.client).threads.create("made with `calanque ask --save`")
    alice = keys.ask("alice", "alice's question", store=True).json()["thread_id"]
    boss = keys.ask("boss", "the admin's question", store=True).json()["thread_id"]
    listed = {t["id"] for t in keys.call("boss", "GET", "/v1/threads").json()["threads"]}
    assert listed == {operator, boss}
    assert keys.call("boss", "GET", f"/v1/threads/{operator}").status_code == 200
    assert keys.call("alice", "GET", f"/v1/threads/{operator}").status_code == 404
    assert keys.call("boss", "GET", f"/v1/threads/{alice}").status_code == 404


def test_first_key_is_admin_then_reader_by_default(tmp_path: Path) -> None:
    with open_app(tmp_path / "home") as client:
        api_keys = catalog_of(client).api_keys
        api_keys.create("first", role="reader")
        api_keys.create("second")
        api_keys.create("third", role="admin")
        roles = {k["name"]: k["role"] for k in api_keys.list()}
    assert roles == {"first": "admin", "second": "reader", "third": "admin"}


def test_no_key_loopback_operator_keeps_every_route(tmp_path: Path) -> None:
    settings = load_settings({"home": tmp_path / "home"}, environ={})
    (tmp_path / "home").mkdir()
    app = create_app(settings, Catalog.open(settings.catalog_url), embedder=HashEmbedder())
    with TestClient(app, client=("127.0.0.1", 40000), base_url="http://127.0.0.1") as local:
        thread = local.post(
            "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "hi there"}], "store": True},
        ).json()["thread_id"]
        assert local.get("/v1/sources").status_code == 200
        assert local.get(f"/v1/threads/{thread}").status_code == 200
        assert local.get("/v1/consent/ledger").status_code == 200


def calanque_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CALANQUE_HOME": str(home)}
    command = [sys.executable, "-m", "calanque", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_keys_cli_creates_reader_keys_after_the_first_admin(tmp_path: Path) -> None:
    first = calanque_cli(tmp_path, "keys", "create", "ops", "--role", "reader", "--json")
    second = calanque_cli(tmp_path, "keys", "create", "app", "--json")
    assert json.loads(first.stdout)["role"] == "admin"
    made = json.loads(second.stdout)
    assert made["role"] == "reader" and made["name"] == "app" and made["key"].startswith("cq_")
    listed = calanque_cli(tmp_path, "keys", "list", "--json")
    assert {k["name"]: k["role"] for k in json.loads(listed.stdout)} == {
        "ops": "admin",
        "app": "reader",
    }
    bad = calanque_cli(tmp_path, "keys", "create", "x", "--role", "root")
    assert bad.returncode != 0 and "--role admin or --role reader" in bad.stderr


def test_without_keys_each_browser_lists_its_own_threads(tmp_path: Path) -> None:
    """The page's history (owner=mine) is per browser; the operator still opens any thread
    by id (a CLI thread included) and lists them all without owner=mine."""
    settings = load_settings({"home": tmp_path / "home"}, environ={})
    (tmp_path / "home").mkdir()
    app = create_app(settings, Catalog.open(settings.catalog_url), embedder=HashEmbedder())
    local = {"client": ("127.0.0.1", 40000), "base_url": "http://127.0.0.1"}
    with TestClient(app, **local) as first, TestClient(app, **local) as second:  # type: ignore[arg-type]
        page = first.get("/")
        cookie = page.headers["set-cookie"]
        assert "calanque_browser=" in cookie and "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        second.get("/spaces/anything")  # the space page gives an id too
        assert first.cookies["calanque_browser"] != second.cookies["calanque_browser"]
        assert "set-cookie" not in first.get("/").headers  # given once

        def ask(client: TestClient, question: str) -> str:
            body = {"messages": [{"role": "user", "content": question}], "store": True}
            thread: str = client.post("/v1/chat/completions", json=body).json()["thread_id"]
            return thread

        def mine(client: TestClient) -> set[str]:
            listed = client.get("/v1/threads", params={"owner": "mine"}).json()["threads"]
            return {t["id"] for t in listed}

        one, two = ask(first, "first browser"), ask(second, "second browser")
        cli = catalog_of(first).threads.create("made with `calanque ask --save`")
        assert mine(first) == {one} and mine(second) == {two}
        assert {t["id"] for t in first.get("/v1/threads").json()["threads"]} == {one, two, cli}
        assert first.get(f"/v1/threads/{cli}").status_code == 200  # opened by id
        assert first.get(f"/v1/threads/{two}").status_code == 200  # the operator's, all of them
        bare = TestClient(app, **local)  # type: ignore[arg-type]
        assert {t["id"] for t in bare.get("/v1/threads?owner=mine").json()["threads"]} == {cli}
        forged = bare.get("/v1/threads?owner=mine", cookies={"calanque_browser": "x"})
        assert {t["id"] for t in forged.json()["threads"]} == {cli}  # a malformed id is none


def test_keys_list_their_own_threads_with_owner_mine(keys: Keys) -> None:
    operator = catalog_of(keys.client).threads.create("made with `calanque ask --save`")
    boss = keys.ask("boss", "the admin's question", store=True).json()["thread_id"]
    alice = keys.ask("alice", "alice's question", store=True).json()["thread_id"]

    def listed(who: str, **params: str) -> set[str]:
        reply = keys.call(who, "GET", "/v1/threads", params=params)
        return {t["id"] for t in reply.json()["threads"]}

    assert listed("boss", owner="mine") == {boss}  # not the CLI's: the page's history
    assert listed("boss") == {boss, operator}
    assert listed("alice", owner="mine") == listed("alice") == {alice}
    assert keys.call("boss", "GET", "/v1/threads?owner=everyone").status_code == 422
