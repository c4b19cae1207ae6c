"""The API in-process (Starlette's TestClient, no sockets) over an empty index."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.conftest import HashEmbedder

from calanque.catalog import Catalog
from calanque.collect.guard import GuardedTransport
from calanque.config import load_settings
from calanque.server import create_app

LOCAL = ("127.0.0.1", 40000)
REMOTE = ("203.0.113.7", 40000)


def make_client(home: Path, client: tuple[str, int] = LOCAL, **server: Any) -> TestClient:
    settings = load_settings({"home": home, "server": server}, environ={})
    home.mkdir(parents=True, exist_ok=True)
    app = create_app(settings, Catalog.open(settings.catalog_url), embedder=HashEmbedder())
    return TestClient(app, client=client, base_url="http://127.0.0.1")


@pytest.fixture
def local(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path / "home") as client:
        yield client


def catalog_of(client: TestClient) -> Catalog:
    return client.app.state.services.catalog  # type: ignore[attr-defined,no-any-return]


def ask(client: TestClient, **body: Any) -> httpx.Response:
    body.setdefault("messages", [{"role": "user", "content": "How do I upgrade?"}])
    return client.post("/v1/chat/completions", json=body)


def test_no_key_serves_loopback_only(tmp_path: Path) -> None:
    with make_client(tmp_path / "a") as local:
        assert local.get("/v1/models").status_code == 200
        # any bearer value is ignored while no key exists (OpenAI clients always send one)
        assert local.get("/v1/models", headers={"Authorization": "Bearer x"}).status_code == 200
    with make_client(tmp_path / "b", client=REMOTE) as remote:
        refused = remote.get("/v1/models")
        assert refused.status_code == 403
        assert "calanque keys create NAME" in refused.json()["error"]["message"]
        assert remote.get("/health").status_code == 200


def test_keys_are_required_from_everyone_once_one_exists(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    with make_client(tmp_path / "home", client=REMOTE) as client:
        key = catalog_of(client).api_keys.create("alice")
        missing = client.get("/v1/models")
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        assert (
            client.get("/v1/models", headers={"Authorization": "Bearer cq_wrong"}).status_code
            == 401
        )
        assert (
            client.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        )
        catalog_of(client).api_keys.revoke("alice")
        assert (
            client.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 401
        )
    assert key not in caplog.text


def test_loopback_needs_a_key_too_when_keys_exist(tmp_path: Path) -> None:
    with make_client(tmp_path / "home") as client:
        catalog_of(client).api_keys.create("ops")
        assert client.get("/v1/threads").status_code == 401


def test_rate_limit_per_key(tmp_path: Path) -> None:
    with make_client(tmp_path / "home", client=REMOTE, rate_limit_per_minute=2) as client:
        headers = {"Authorization": f"Bearer {catalog_of(client).api_keys.create('bob')}"}
        assert [client.get("/v1/models", headers=headers).status_code for _ in range(2)] == [
            200,
            200,
        ]
        limited = client.get("/v1/models", headers=headers)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "rate_limit_per_minute" in limited.json()["error"]["message"]


def test_request_size_limit(tmp_path: Path) -> None:
    with make_client(tmp_path / "home", max_request_bytes=2048) as client:
        big = ask(client, messages=[{"role": "user", "content": "x" * 5000}])
        assert big.status_code == 413
        assert "max_request_bytes" in big.json()["error"]["message"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/docs/",
        "http://localhost:8080/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_sources_are_refused_by_default(local: TestClient, url: str) -> None:
    response = local.post("/v1/sources", json={"url": url})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "forbidden_address" and "allow_private_sources" in error["message"]
    assert local.get("/v1/sources").json()["sources"] == []


def test_private_sources_when_the_operator_allows_them(tmp_path: Path) -> None:
    with make_client(tmp_path / "home", allow_private_sources=True) as client:
        added = client.post("/v1/sources", json={"url": "http://127.0.0.1:9/docs/"})
        assert added.status_code == 201 and added.json()["kind"] == "site"
        assert client.delete(f"/v1/sources/{added.json()['id']}").status_code == 200
        assert client.delete("/v1/sources/999").status_code == 404


async def test_guarded_transport_refuses_private_hops() -> None:
    async with httpx.AsyncClient(transport=GuardedTransport()) as client:
        with pytest.raises(httpx.ConnectError, match="allow_private_sources"):
            await client.get("http://127.0.0.1:9/")


def test_errors_are_json_and_say_what_to_fix(local: TestClient) -> None:
    unknown = ask(local, model="gpt-4")
    assert unknown.status_code == 404 and "GET /v1/models" in unknown.json()["error"]["message"]
    extra = ask(local, search_domain_filters=["x"])
    assert extra.status_code == 422 and "search_domain_filters" in extra.json()["error"]["message"]
    last = ask(local, messages=[{"role": "assistant", "content": "hi"}])
    assert last.status_code == 400 and "last message" in last.json()["error"]["message"]
    assert local.get("/v1/nope").json()["error"]["type"] == "not_found"
    assert local.get("/v1/consent", params={"url": "http://example.org/"}).status_code == 404


def test_a_bad_body_is_told_in_the_request_s_words_not_the_validator_s(local: TestClient) -> None:
    """ "43: JSON decode error", "content.constrained-str: …; content.list[TextPart]: …" and
    "There was an error parsing the body" said nothing a client could act on."""
    url, headers = "/v1/chat/completions", {"Content-Type": "application/json"}
    cut = local.post(url, content=b'{"model":"calanque-extractive","messages":[', headers=headers)
    message = cut.json()["error"]["message"]
    assert cut.status_code == 422 and "not valid JSON (at character 43" in message
    long = ask(local, messages=[{"role": "user", "content": "a" * 20_001}])
    message = long.json()["error"]["message"]
    assert long.status_code == 422
    assert "messages.0.content: String should have at most 20000 characters." in message
    assert "constrained-str" not in message and "TextPart" not in message
    raw = b'{"messages":[{"role":"user","content":"\xff VLAN"}]}'
    garbled = local.post(url, content=raw, headers=headers)
    assert garbled.status_code == 400 and "UTF-8" in garbled.json()["error"]["message"]


def test_chat_completion_shape_and_threads(local: TestClient) -> None:
    reply = ask(local, store=True).json()
    assert (
        reply["object"] == "chat.completion"
        and reply["choices"][0]["message"]["role"] == "assistant"
    )
    assert reply["ai_generated"] is True and reply["answered"] is False  # empty index: abstains
    assert reply["choices"][0]["message"]["content"] == "I could not find this in the sources."
    thread = reply["thread_id"]
    assert [t["id"] for t in local.get("/v1/threads").json()["threads"]] == [thread]
    again = ask(local, thread_id=thread, stream=True)
    lines = [line for line in again.text.split("\n\n") if line]
    assert lines[-1] == "data: [DONE]" and '"finish_reason": "stop"' in lines[-2]
    assert len(local.get(f"/v1/threads/{thread}").json()["messages"]) == 4


def test_models_list_configured_writers(tmp_path: Path) -> None:
    settings = {
        "home": tmp_path / "home",
        "answer": {"llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "m"},
    }
    loaded = load_settings(settings, environ={})
    (tmp_path / "home").mkdir()
    app = create_app(loaded, Catalog.open(loaded.catalog_url), embedder=HashEmbedder())
    with TestClient(app, client=LOCAL, base_url="http://127.0.0.1") as client:
        ids = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert ids == ["calanque-extractive", "calanque-openai"]


def test_pages_are_served_with_a_strict_policy(local: TestClient) -> None:
    page = local.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert page.status_code == 200 and 'lang="fr"' in page.text and "Demander" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert local.get("/admin").status_code == 200
    assert local.get("/static/app.js").status_code == 200
    assert local.get("/openapi.json").json()["info"]["title"] == "Calanque"
