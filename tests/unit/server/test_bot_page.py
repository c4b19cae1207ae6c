"""What a publisher reads without a key: the signed key directory and the page about the bot."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from tests.conftest import HashEmbedder

from calanque.catalog import Catalog
from calanque.config import load_settings
from calanque.server import create_app

REMOTE = ("203.0.113.7", 40000)
DIRECTORY = "/.well-known/http-message-signatures-directory"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    server = {"public_url": "https://answers.example.org"}
    overrides = {"home": tmp_path, "server": server, "operator_contact": "mailto:ops@example.org"}
    settings = load_settings(overrides, environ={})
    app = create_app(settings, Catalog.open(settings.catalog_url), embedder=HashEmbedder())
    with TestClient(app, client=REMOTE, base_url="https://answers.example.org") as test_client:
        yield test_client


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_key_directory_is_public_and_signed_over_the_authority(client: TestClient) -> None:
    response = client.get(DIRECTORY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/http-message-signatures-directory+json"
    (jwk,) = json.loads(response.text)["keys"]
    signature_input = response.headers["signature-input"]
    params = signature_input.removeprefix("sig1=")
    assert params.startswith('("@authority";req);')
    assert 'tag="http-message-signatures-directory"' in params
    assert f'keyid="{jwk["kid"]}"' in params
    base = f'"@authority";req: answers.example.org\n"@signature-params": {params}'
    found = re.fullmatch(r"sig1=:(.+):", response.headers["signature"])
    assert found is not None
    key = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    key.verify(base64.b64decode(found[1]), base.encode())  # raises when it does not hold


def test_the_bot_page_says_who_runs_it_and_how_to_opt_out(client: TestClient) -> None:
    page = client.get("/bot")
    assert page.status_code == 200
    (jwk,) = client.get(DIRECTORY).json()["keys"]
    for expected in (
        "mailto:ops@example.org",
        "CalanqueBot",
        "(+https://answers.example.org/bot)",
        "https://answers.example.org/.well-known/http-message-signatures-directory",
        jwk["kid"],
        "tdm-reservation",
        "X-Robots-Tag",
        "Content-Usage",
        "Content-Signal",
        "noai",
    ):
        assert expected in page.text, expected
