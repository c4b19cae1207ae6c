"""A web page in the operator's browser must not drive a key-less server: DNS rebinding
(a foreign ``Host``) and cross-origin state changes (an ``Origin`` of another site).

In-process (Starlette's TestClient, no sockets), the server's real middleware stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import HashEmbedder

from calanque.catalog import Catalog
from calanque.config import load_settings
from calanque.errors import ConfigError
from calanque.server import create_app

LOCAL = ("127.0.0.1", 40000)


def open_client(home: Path, **server: Any) -> TestClient:
    settings = load_settings({"home": home, "server": server}, environ={})
    home.mkdir(parents=True, exist_ok=True)
    app = create_app(settings, Catalog.open(settings.catalog_url), embedder=HashEmbedder())
    return TestClient(app, client=LOCAL, base_url="http://127.0.0.1:8000")


@pytest.fixture
def local(tmp_path: Path) -> Iterator[TestClient]:
    with open_client(tmp_path / "home") as client:
        yield client


def test_dns_rebinding_host_is_refused(local: TestClient) -> None:
    for path in ("/v1/threads", "/", "/health"):
        refused = local.get(path, headers={"Host": "evil.example:8000"})
        assert refused.status_code == 400, path
        assert "server.allowed_hosts" in refused.json()["error"]["message"]


def test_cross_origin_post_cannot_start_a_crawl(local: TestClient) -> None:
    refused = local.post("/v1/crawl", headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403
    assert "Origin" in refused.json()["error"]["message"]
    assert local.get("/v1/crawl").json()["started_at"] == ""


def test_cross_origin_delete_and_null_origin_are_refused(local: TestClient) -> None:
    assert local.delete("/v1/threads/x", headers={"Origin": "null"}).status_code == 403
    other_port = {"Origin": "http://127.0.0.1:3000"}  # another local app is another origin
    assert local.post("/v1/search", json={"query": "q"}, headers=other_port).status_code == 403


def test_loopback_names_and_same_origin_pages_pass(local: TestClient) -> None:
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST"):
        assert local.get("/health", headers={"Host": host}).status_code == 200, host
    same = {"Origin": "http://127.0.0.1:8000"}
    assert local.post("/v1/search", json={"query": "q"}, headers=same).status_code == 200
    assert local.post("/v1/search", json={"query": "q"}).status_code == 200  # curl, openai
    assert local.get("/v1/threads", headers={"Origin": "http://evil.example"}).status_code == 200


def test_configured_allowed_host_is_served(tmp_path: Path) -> None:
    with open_client(tmp_path / "home", allowed_hosts=["calanque.example.org"]) as client:
        host = {"Host": "calanque.example.org"}
        assert client.get("/health", headers=host).status_code == 200
        origin = {**host, "Origin": "https://calanque.example.org"}
        assert client.post("/v1/search", json={"query": "q"}, headers=origin).status_code == 200
        assert client.get("/health", headers={"Host": "evil.example"}).status_code == 400


def test_allowed_hosts_setting_rejects_urls(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="allowed_hosts"):
        load_settings(
            {"home": tmp_path, "server": {"allowed_hosts": ["https://x.org/"]}}, environ={}
        )
