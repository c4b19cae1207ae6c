"""What publishers can read without a key: the key directory and the page about the crawler.

* ``/.well-known/http-message-signatures-directory``: the public keys the crawler signs
  with (JWKS, ``application/http-message-signatures-directory+json``), the response itself
  signed with ``tag="http-message-signatures-directory"`` over the request's ``@authority``;
* ``/bot``: who runs this crawler, the signals it honours and how to opt out with each.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from calanque import __version__
from calanque.collect.botkeys import load_or_create
from calanque.collect.robots import DEFAULT_AGENT
from calanque.collect.signing import DIRECTORY_MEDIA_TYPE, sign_directory
from calanque.config import Settings
from calanque.server.web import templates

DIRECTORY_PATH = "/.well-known/http-message-signatures-directory"
DOCS_URL = "https://github.com/calanque/calanque/blob/main/docs/publishers.md"

# (signal, how a publisher uses it to keep pages out of Calanque)
OPT_OUTS: tuple[tuple[str, str], ...] = (
    ("robots.txt", f"User-agent: {DEFAULT_AGENT}  then  Disallow: /"),
    ("robots.txt Content-Usage / Content-Signal", "Content-Signal: search=no, ai-input=no"),
    ("TDMRep", '/.well-known/tdmrep.json: [{"location": "/*", "tdm-reservation": 1}]'),
    ("TDMRep header or meta", "tdm-reservation: 1"),
    ("X-Robots-Tag header", f"X-Robots-Tag: noai (or {DEFAULT_AGENT}: noai, noindex)"),
    ("robots meta tag", f'<meta name="{DEFAULT_AGENT}" content="noai">'),
    ("Content-Usage header (IETF aipref)", "Content-Usage: search=n"),
)


def bot_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["publishers"])

    @router.get(DIRECTORY_PATH, response_class=Response)
    def key_directory(request: Request) -> Response:
        """The crawler's public keys (Web Bot Auth key directory), signed."""
        ring = load_or_create(settings.bot_key_file)
        authority = request.headers.get("host", "")
        headers = dict(sign_directory(ring, authority, settings.bot.signature_ttl_s))
        headers["Cache-Control"] = "max-age=3600"
        body = json.dumps(ring.directory())
        return Response(body, media_type=DIRECTORY_MEDIA_TYPE, headers=headers)

    @router.get("/bot", response_class=HTMLResponse, include_in_schema=False)
    def bot_page(request: Request) -> HTMLResponse:
        response = templates.TemplateResponse(request, "bot.html", bot_page_context(settings))
        response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
        return response

    return router


def public_host_names(settings: Settings) -> tuple[str, ...]:
    """The host of ``server.public_url``: publishers fetch the key directory by that name."""
    host = urlsplit(settings.server.public_url).hostname
    return (host,) if host else ()


def bot_page_context(settings: Settings) -> dict[str, Any]:
    ring = load_or_create(settings.bot_key_file)
    return {
        "lang": "en",
        "version": __version__,
        "operator_contact": settings.operator_contact,
        "product_token": DEFAULT_AGENT,
        "user_agent": settings.user_agent,
        "signs": settings.bot.sign,
        "directory_url": settings.signature_agent,
        "keys": [key.public_json() for key in ring.listed()],
        "opt_outs": OPT_OUTS,
        "docs_url": DOCS_URL,
    }
