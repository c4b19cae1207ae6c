"""Every HTTP client of a web question shares the process's TLS context: opening one does
not load the CA bundle again (tens of milliseconds each on a busy core)."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from calanque.catalog import Catalog
from calanque.collect.fetcher import Fetcher
from calanque.collect.guard import GuardedTransport
from calanque.collect.tls import shared_ssl_context
from calanque.config import load_settings
from calanque.web.fetch import PageReader
from calanque.web.providers import SearxNGProvider, search_all


@pytest.fixture
def bundle_loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each call that loads certificates into a TLS context, from now on."""
    shared_ssl_context(), shared_ssl_context(http2=True)  # built once per process
    loads: list[object] = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(args or kwargs)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    return loads


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_context_is_built_once_per_http_version():
    assert shared_ssl_context() is shared_ssl_context(False) is shared_ssl_context(http2=False)
    assert shared_ssl_context(True) is not shared_ssl_context()
    assert shared_ssl_context(True).verify_mode == ssl.CERT_REQUIRED


async def test_a_web_question_s_clients_load_no_certificates(
    tmp_path: Path, bundle_loads: list[object]
):
    settings = load_settings({"home": tmp_path, "web": {"allow_private": True}}, environ={})
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    try:
        async with PageReader(settings, catalog):  # page, robots.txt and tdmrep fetchers
            pass
        guarded = GuardedTransport(http2=True)
        await guarded.aclose()
        fetcher = Fetcher(
            user_agent="t",
            connect_timeout=1,
            read_timeout=1,
            total_timeout=1,
            max_body_bytes=1000,
        )
        await fetcher.aclose()
        provider = SearxNGProvider(f"http://127.0.0.1:{closed_port()}", 1.0)
        found = await search_all([provider], "apt")  # fails: nothing listens there
        assert found.failures and not found.results
    finally:
        catalog.close()
    assert bundle_loads == []
