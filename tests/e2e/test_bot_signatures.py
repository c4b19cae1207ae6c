"""A publisher that verifies the crawler: every request is signed (Web Bot Auth, RFC 9421).

The fixture site checks each request with its own verifier written here from the RFC and
the draft (the signature base rebuilt from the raw request, Ed25519 with ``cryptography``,
the key id recomputed as an RFC 7638 thumbprint), never with Calanque's signing code, and
answers 403 to a request that is unsigned or badly signed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tests.e2e.crawl_helpers import LOREM_EN, add_site, crawl, open_catalog, page

from calanque.collect.signing import bot_auth, bot_keys
from calanque.config import Settings, load_settings

pytestmark = pytest.mark.e2e
AGENT_URL = "https://calanque.example.org/.well-known/http-message-signatures-directory"


# ---- an independent verifier -------------------------------------------------------------
def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def thumbprint(jwk: dict[str, Any]) -> str:
    members = f'{{"crv":"{jwk["crv"]}","kty":"{jwk["kty"]}","x":"{jwk["x"]}"}}'
    digest = hashlib.sha256(members.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def published_keys(directory_file: Path) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for jwk in json.loads(directory_file.read_text())["keys"]:
        assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
        assert jwk["kid"] == thumbprint(jwk)
        keys[thumbprint(jwk)] = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    return keys


INPUT = re.compile(r'sig1=\((?P<covered>[^)]*)\)(?P<params>(;[a-z]+=("[^"]*"|\d+))*)')
SIGNATURE = re.compile(r"sig1=:(?P<value>[A-Za-z0-9+/]+=*):")


def refusal(headers: dict[str, str], keys: dict[str, Ed25519PublicKey]) -> str | None:
    """Why the request's Web Bot Auth signature does not hold; None when it does."""
    signature_input = headers.get("signature-input", "")
    found_input = INPUT.fullmatch(signature_input)
    found_signature = SIGNATURE.fullmatch(headers.get("signature", ""))
    if not found_input or not found_signature:
        return "unsigned"
    covered = re.findall(r'"([^"]+)"', found_input["covered"])
    params = dict(re.findall(r';([a-z]+)=("[^"]*"|\d+)', found_input["params"]))
    if covered != ["@authority", "signature-agent"]:
        return f"covers {covered}"
    if params.get("tag") != '"web-bot-auth"' or params.get("alg") != '"ed25519"':
        return "wrong tag or alg"
    now = time.time()
    if not int(params["created"]) <= now + 5 < int(params["expires"]) + 10:
        return "expired"
    key = keys.get(params.get("keyid", "").strip('"'))
    if key is None:
        return "unknown key"
    base = "\n".join(
        [
            f'"@authority": {headers["host"].lower()}',
            f'"signature-agent": {headers.get("signature-agent", "")}',
            f'"@signature-params": {signature_input.removeprefix("sig1=")}',
        ]
    )
    try:
        key.verify(base64.b64decode(found_signature["value"]), base.encode())
    except InvalidSignature:
        return "bad signature"
    return None


# ---- a site that verifies -----------------------------------------------------------------
@dataclass
class VerifyingSite:
    pages: dict[str, str]
    keys: dict[str, Ed25519PublicKey]
    seen: list[tuple[str, str | None]] = field(default_factory=list)  # (path, refusal)
    url: str = ""


def _handler(site: VerifyingSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

        def do_GET(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            reason = refusal(headers, site.keys)
            site.seen.append((self.path, reason))
            if reason is not None:
                self._answer(403, f"refused: {reason}", "text/plain")
            elif self.path == "/old.html":
                self.send_response(301)
                self.send_header("Location", "/moved.html")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path in site.pages:
                self._answer(200, site.pages[self.path], "text/html; charset=utf-8")
            else:
                self._answer(404, "not found", "text/plain")

        def _answer(self, status: int, body: str, content_type: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def verifying_site(keys: dict[str, Ed25519PublicKey]) -> Iterator[VerifyingSite]:
    body = LOREM_EN * 4
    site = VerifyingSite(
        {
            "/robots.txt": "User-agent: *\nAllow: /\n",
            "/index.html": page("Home", body, links=("open.html", "old.html")),
            "/open.html": page("Open", "SIGNEDOPEN " + body),
            "/moved.html": page("Moved", "SIGNEDMOVED " + body),
        },
        keys,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def bot_settings(home: Path, **bot: Any) -> Settings:
    crawl_values = {"min_delay": 0.0, "total_timeout": 10.0, "read_timeout": 5.0}
    values = {"signature_agent": AGENT_URL, **bot}
    return load_settings({"home": home, "crawl": crawl_values, "bot": values}, environ={})


@pytest.fixture
def signed_site(tmp_path: Path) -> Iterator[tuple[VerifyingSite, Settings]]:
    settings = bot_settings(tmp_path)
    bot_keys(settings)  # the key exists before the site reads the directory
    keys = published_keys(tmp_path / "bot" / "http-message-signatures-directory")
    with verifying_site(keys) as site:
        yield site, settings


def stored_urls(settings: Settings, site: VerifyingSite) -> set[str]:
    catalog = open_catalog(settings)
    try:
        rows = catalog.list_pages()
        return {row["url"].removeprefix(site.url) for row in rows if row["document_id"]}
    finally:
        catalog.close()


def run_crawl(settings: Settings, site: VerifyingSite) -> None:
    catalog = open_catalog(settings)
    try:
        add_site(catalog, f"{site.url}/index.html")
        crawl(catalog, settings)
    finally:
        catalog.close()


def test_a_signed_crawl_passes_the_publishers_verification(signed_site) -> None:
    site, settings = signed_site
    run_crawl(settings, site)
    assert stored_urls(settings, site) == {"/index.html", "/open.html", "/moved.html"}
    paths = [path for path, _ in site.seen]
    assert {"/robots.txt", "/index.html", "/open.html", "/old.html", "/moved.html"} <= set(paths)
    assert [reason for _, reason in site.seen] == [None] * len(site.seen)


def test_an_unsigned_crawl_is_refused(signed_site, tmp_path: Path) -> None:
    site, _ = signed_site
    settings = bot_settings(tmp_path, sign=False)
    run_crawl(settings, site)
    assert stored_urls(settings, site) == set()
    assert {reason for _, reason in site.seen} == {"unsigned"}


def signed_request(settings: Settings, url: str) -> httpx.Request:
    auth = bot_auth(settings)
    assert auth is not None
    request = httpx.Request("GET", url)
    return next(auth.auth_flow(request))


@pytest.mark.parametrize(
    ("header", "change"),
    [
        ("signature", lambda v: v[:10] + ("A" if v[10] != "A" else "B") + v[11:]),
        ("signature-agent", lambda v: '"https://impostor.example/keys"'),
        ("signature-input", lambda v: v.replace("created=", "created=1")),
        ("signature-input", lambda v: v.replace('"web-bot-auth"', '"other"')),
    ],
)
def test_a_tampered_signature_is_refused(signed_site, header: str, change: Any) -> None:
    site, settings = signed_site
    request = signed_request(settings, f"{site.url}/open.html")
    with httpx.Client() as client:
        assert client.send(request).status_code == 200
        request.headers[header] = change(request.headers[header])
        assert client.send(request).status_code == 403


def test_a_signature_does_not_hold_for_another_host(signed_site) -> None:
    site, settings = signed_site
    other = signed_request(settings, site.url.replace("127.0.0.1", "localhost") + "/open.html")
    request = httpx.Request("GET", f"{site.url}/open.html")
    for name in ("signature", "signature-input", "signature-agent"):
        request.headers[name] = other.headers[name]
    with httpx.Client() as client:
        response = client.send(request)
    assert response.status_code == 403
    assert site.seen[-1][1] == "bad signature"
