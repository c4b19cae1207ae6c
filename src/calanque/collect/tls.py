"""One TLS context per process for every HTTP client Calanque opens.

Building an ``ssl.SSLContext`` loads the whole CA bundle (``load_verify_locations``):
50-200 ms on two busy cores (load 4-7). A web question opens four or five clients (the page
fetcher, the robots.txt and TDMRep fetchers, the guard's transport, each search provider),
so a context of their own each cost a quarter of a second per question there (bench/web.py,
docs/benchmarks.md "Web answers").
They share one instead, built on first use with httpx's defaults (certifi's bundle,
certificates verified). httpcore sets the ALPN protocols on the context for every
connection (``h2`` only for HTTP/2 clients), so HTTP/1.1-only and HTTP/2 clients get a
context each, and each always sets the same value on its own.
"""

from __future__ import annotations

import ssl

import httpx

_CONTEXTS: dict[bool, ssl.SSLContext] = {}


def shared_ssl_context(http2: bool = False) -> ssl.SSLContext:
    """The process's TLS context for clients with (``http2``) or without HTTP/2."""
    context = _CONTEXTS.get(bool(http2))
    if context is None:  # two threads may both build one: the last one stays, both work
        context = _CONTEXTS[bool(http2)] = httpx.create_ssl_context(trust_env=False)
    return context
