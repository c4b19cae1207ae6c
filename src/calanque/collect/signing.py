"""Signed requests: HTTP Message Signatures (RFC 9421) as the Web Bot Auth profile uses them.

Every request the fetcher sends carries::

    Signature-Agent: "https://calanque.example.org/.well-known/http-message-signatures-directory"
    Signature-Input: sig1=("@authority" "signature-agent");created=1735689600;
        expires=1735689900;keyid="<JWK thumbprint>";alg="ed25519";tag="web-bot-auth"
    Signature: sig1=:<base64 Ed25519 signature over the signature base>:

The signature base (RFC 9421 section 2.5) is one line per covered component, then the
``@signature-params`` line::

    "@authority": example.org
    "signature-agent": "https://calanque.example.org/.well-known/..."
    "@signature-params": ("@authority" "signature-agent");created=...;tag="web-bot-auth"

:class:`BotSignatureAuth` is an ``httpx.Auth``: set on the fetcher's client, it signs each
request, so every redirect hop (a new request) gets its own signature. The key directory
served by ``calanque serve`` signs its response the same way, with
``tag="http-message-signatures-directory"`` over the request's ``@authority``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Generator
from dataclasses import dataclass

import httpx

from calanque.collect.botkeys import BotKey, KeyRing, load_or_create, write_directory
from calanque.config import Settings

WEB_BOT_AUTH_TAG = "web-bot-auth"
DIRECTORY_TAG = "http-message-signatures-directory"
DIRECTORY_MEDIA_TYPE = "application/http-message-signatures-directory+json"
LABEL = "sig1"


@dataclass(frozen=True)
class SignatureHeaders:
    signature_input: str
    signature: str


def sf_string(value: str) -> str:
    """A structured-field string (RFC 8941): quoted, with ``\\`` and ``"`` escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def signature_params(
    components: tuple[str, ...], key: BotKey, created: int, expires: int, tag: str
) -> str:
    """The inner list and parameters that ``Signature-Input`` and the base share."""
    covered = " ".join(component_id(name) for name in components)
    return (
        f"({covered});created={created};expires={expires};keyid={sf_string(key.keyid)};"
        f'alg="ed25519";tag={sf_string(tag)}'
    )


def component_id(name: str) -> str:
    """``@authority`` -> ``"@authority"``; ``@authority;req`` -> ``"@authority";req``."""
    base, separator, params = name.partition(";")
    return f"{sf_string(base)}{separator}{params}"


def signature_base(values: dict[str, str], params: str) -> str:
    """RFC 9421 section 2.5: ``"<component>": <value>`` lines, then ``@signature-params``."""
    lines = [f"{component_id(name)}: {value}" for name, value in values.items()]
    lines.append(f'"@signature-params": {params}')
    return "\n".join(lines)


def sign(
    values: dict[str, str], key: BotKey, tag: str, ttl_s: int, now: float | None = None
) -> SignatureHeaders:
    """The ``Signature-Input`` and ``Signature`` values over ``values`` (component -> value)."""
    if key.private_key is None:
        raise ValueError(f"key {key.keyid} was rotated out and cannot sign")
    created = int(time.time() if now is None else now)
    params = signature_params(tuple(values), key, created, created + ttl_s, tag)
    signed = key.private_key.sign(signature_base(values, params).encode("utf-8"))
    encoded = base64.b64encode(signed).decode("ascii")
    return SignatureHeaders(f"{LABEL}={params}", f"{LABEL}=:{encoded}:")


def authority_of(request: httpx.Request) -> str:
    """RFC 9421 ``@authority``: the host (and a non-default port), lowercased."""
    return request.headers.get("host", request.url.netloc.decode("ascii")).lower()


class BotSignatureAuth(httpx.Auth):
    """Signs every request with the crawler's current key (Web Bot Auth)."""

    def __init__(self, key: BotKey, signature_agent: str, ttl_s: int) -> None:
        self.key = key
        self.signature_agent = sf_string(signature_agent)
        self.ttl_s = ttl_s

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Signature-Agent"] = self.signature_agent
        values = {"@authority": authority_of(request), "signature-agent": self.signature_agent}
        headers = sign(values, self.key, WEB_BOT_AUTH_TAG, self.ttl_s)
        request.headers["Signature-Input"] = headers.signature_input
        request.headers["Signature"] = headers.signature
        yield request


def bot_keys(settings: Settings) -> KeyRing:
    """The crawler's keys, made on first use; the public directory file is kept current."""
    ring = load_or_create(settings.bot_key_file)
    write_directory(ring, settings.home / "bot")
    return ring


def bot_auth(settings: Settings) -> BotSignatureAuth | None:
    """The signer for the crawler's requests; None when ``bot.sign`` is off."""
    if not settings.bot.sign:
        return None
    key = bot_keys(settings).current
    return BotSignatureAuth(key, settings.signature_agent, settings.bot.signature_ttl_s)


def sign_directory(ring: KeyRing, authority: str, ttl_s: int) -> list[tuple[str, str]]:
    """Headers signing a key directory response: one signature per listed key that can sign.

    Only the current key holds a private half, so the response carries one signature,
    ``tag="http-message-signatures-directory"``, covering the request's ``@authority``.
    """
    headers = sign({"@authority;req": authority.lower()}, ring.current, DIRECTORY_TAG, ttl_s)
    return [("Signature-Input", headers.signature_input), ("Signature", headers.signature)]
