"""Pages read for web answers, stored under the ``web`` source and reused until
``crawl.refresh_after`` (httpx.MockTransport, no sockets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from calanque.catalog import Catalog, PageRecord
from calanque.config import Settings, load_settings
from calanque.types import Document, Scope, SearchResult
from calanque.web.fetch import FetchedPage, PageReader

HTML = (
    "<!doctype html><html lang='en'><head><title>Apt</title>{head}</head><body><main>"
    "<h1>Apt</h1><p>To upgrade packages, run apt full-upgrade as root on the machine.</p>"
    "</main></body></html>"
)


class Publisher:
    """A site whose answers a test changes between questions; it counts page requests."""

    def __init__(self) -> None:
        self.head = ""
        self.status = 200
        self.pages: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nAllow: /\n")
        if path == "/.well-known/tdmrep.json":
            return httpx.Response(404)
        self.pages.append(path)
        if path == "/old":
            return httpx.Response(301, headers={"location": "http://site.test/apt"})
        html = HTML.format(head=self.head)
        return httpx.Response(self.status, text=html, headers={"content-type": "text/html"})


@pytest.fixture
def catalog(tmp_path: Path):
    opened = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    yield opened
    opened.close()


def settings_for(tmp_path: Path, refresh_after: int = 86_400, **web: Any) -> Settings:
    values = {"home": tmp_path, "crawl": {"refresh_after": refresh_after}}
    return load_settings({**values, "web": {"allow_private": True, **web}}, environ={})


async def read(
    settings: Settings, catalog: Catalog, site: Publisher, path: str = "/apt", asker: str = ""
) -> FetchedPage:
    result = SearchResult(f"http://site.test{path}", "Apt", "", provider="searxng", used=False)
    extra = {"asker": asker} if asker else {}
    async with PageReader(settings, catalog, httpx.MockTransport(site), **extra) as reader:
        [page] = await reader.read_all([result], wanted=1, budget_s=5.0)
    return page


def actions(catalog: Catalog) -> list[str]:
    return [entry["action"] for entry in catalog.consent_ledger()]


async def test_a_read_page_is_stored_then_reused_until_refresh_after(tmp_path, catalog):
    site, settings = Publisher(), settings_for(tmp_path)
    first = await read(settings, catalog, site, asker="key:alice")
    again = await read(settings, catalog, site)
    web = catalog.find_web_source()
    assert web is not None and web.added_by == "key:alice"
    assert catalog.page_counts() == {web.id: 1}
    assert site.pages == ["/apt"]
    assert (first.result.cached, again.result.cached) == (False, True)
    assert again.document is not None and again.document.text == first.document.text
    assert [c.text for c in again.chunks] == [c.text for c in first.chunks]
    assert actions(catalog) == ["web-fetched"]  # a reuse decides nothing new
    stale = await read(settings_for(tmp_path, refresh_after=0), catalog, site)
    assert site.pages == ["/apt", "/apt"] and not stale.result.cached


async def test_a_redirected_result_is_reused_through_its_redirect(tmp_path, catalog):
    site, settings = Publisher(), settings_for(tmp_path)
    await read(settings, catalog, site, "/old")
    again = await read(settings, catalog, site, "/old")
    assert site.pages == ["/old", "/apt"] and again.result.cached


async def test_a_stored_page_that_refuses_on_refresh_is_deleted(tmp_path, catalog):
    site = Publisher()
    await read(settings_for(tmp_path), catalog, site)
    site.head = '<meta name="robots" content="noai">'
    refused = await read(settings_for(tmp_path, refresh_after=0), catalog, site)
    assert refused.document is None and refused.result.reason == "noai"
    assert catalog.counts()["documents"] == 0 and catalog.counts()["chunks"] == 0
    assert actions(catalog) == ["web-fetched", "deleted"]


async def test_a_stored_page_that_is_gone_on_refresh_is_forgotten(tmp_path, catalog):
    site = Publisher()
    await read(settings_for(tmp_path), catalog, site)
    assert catalog.counts()["documents"] == 1
    site.status = 410
    gone = await read(settings_for(tmp_path, refresh_after=0), catalog, site)
    assert gone.result.reason == "fetch-error"
    assert catalog.counts()["documents"] == 0


async def test_a_page_another_source_holds_is_neither_reused_nor_taken_over(tmp_path, catalog):
    site, settings = Publisher(), settings_for(tmp_path)
    crawled = catalog.add_source("site", "http://site.test/", Scope())
    page = PageRecord("http://site.test/apt", crawled.id, 200)
    catalog.save_document(page, Document(url=page.url, text="crawled text"), [], None)
    read_page = await read(settings, catalog, site)
    assert read_page.document is not None and not read_page.result.cached
    assert catalog.get_page(page.url).source_id == crawled.id  # type: ignore[union-attr]
    assert catalog.page_counts() == {crawled.id: 1}


async def test_with_web_store_off_only_the_ledger_is_written(tmp_path, catalog):
    site, settings = Publisher(), settings_for(tmp_path, store=False)
    await read(settings, catalog, site)
    await read(settings, catalog, site)
    assert site.pages == ["/apt", "/apt"]
    assert catalog.counts() == {
        "sources": 0,
        "pages": 0,
        "documents": 0,
        "chunks": 0,
        "consent": 2,
    }
    await read(settings_for(tmp_path), catalog, site)  # storing on: the same read stores
    assert catalog.counts()["documents"] == 1
