"""SSRF through sources added over the API: whoever runs the crawl, their requests reach
public addresses only -- first URL, redirect hops, sitemap and feed entries.

There is no public host to test with: a fixture server on 127.0.0.2 plays the public site
(:func:`treat_as_public`), and a server on 127.0.0.1 plays the internal service.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.conftest import HashEmbedder
from tests.e2e.crawl_helpers import PUBLIC_LOOPBACK, add_site, page, treat_as_public
from tests.sites import Route, Site, serve_site

from calanque.catalog import Catalog
from calanque.catalog import schema as t
from calanque.collect.crawler import Crawler
from calanque.config import Settings, load_settings
from calanque.server import create_app

pytestmark = [pytest.mark.e2e]

CANARY = "internal-admin-canary-7f3a"
SECRET_PAGE = page("Internal admin", f"The root password is {CANARY}. " * 20)


@pytest.fixture
def public_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    treat_as_public(monkeypatch, PUBLIC_LOOPBACK)


@pytest.fixture
def internal() -> Iterator[Site]:
    with serve_site({"/secret": Route(body=SECRET_PAGE)}) as site:
        yield site


def sitemap_routes(entry: str) -> dict[str, Route]:
    """A site whose ``/sitemap.xml`` lists one entry."""
    sitemap = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{entry}</loc></url></urlset>"
    )
    return {"/sitemap.xml": Route(body=sitemap, content_type="application/xml")}


def settings_for(home: Path) -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    return load_settings(
        {"home": home, "crawl": {"min_delay": 0.0, "total_timeout": 10.0}}, environ={}
    )


def add_over_api(
    settings: Settings, url: str, kind: str = "auto", scope: str = "prefix"
) -> dict[str, Any]:
    """``POST /v1/sources`` with the key ``mallory``, as any key holder can."""
    app = create_app(settings, Catalog.open(settings.catalog_url), embedder=HashEmbedder())
    with TestClient(app, client=("203.0.113.7", 40000), base_url="http://127.0.0.1") as client:
        key = client.app.state.services.catalog.api_keys.create("mallory")  # type: ignore[attr-defined]
        response = client.post(
            "/v1/sources",
            json={"url": url, "kind": kind, "scope": scope},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 201, response.text
    return dict(response.json())


def crawl_as_the_operator(settings: Settings) -> dict[str, int]:
    """What `calanque crawl` does: a crawler with no server-wide guard."""
    catalog = Catalog.open(settings.catalog_url)
    try:
        asyncio.run(Crawler(catalog, settings, extract_workers=1).run(max_pages=20))
        return dict(catalog.counts())
    finally:
        catalog.close()


def stored_texts(settings: Settings) -> str:
    catalog = Catalog.open(settings.catalog_url)
    try:
        with catalog.engine.connect() as conn:
            return " ".join(
                str(text) for text in conn.execute(sa.select(t.chunks.c.text)).scalars()
            )
    finally:
        catalog.close()


def test_source_added_over_the_api_is_recorded_as_added_by_its_key(
    tmp_path: Path, public_loopback: None
) -> None:
    settings = settings_for(tmp_path / "home")
    with serve_site({"/": Route(body=page("Public", "hello"))}, host=PUBLIC_LOOPBACK) as site:
        add_over_api(settings, f"{site.url}/")
    catalog = Catalog.open(settings.catalog_url)
    try:
        with catalog.engine.connect() as conn:
            added_by = conn.execute(sa.select(t.sources.c.added_by)).scalars().all()
    finally:
        catalog.close()
    assert added_by == ["key:mallory"]


def test_sitemap_entry_pointing_at_loopback_is_not_fetched(
    tmp_path: Path, public_loopback: None, internal: Site
) -> None:
    settings = settings_for(tmp_path / "home")
    routes = sitemap_routes(f"{internal.url}/secret")
    with serve_site(routes, host=PUBLIC_LOOPBACK) as public:
        add_over_api(settings, f"{public.url}/sitemap.xml", kind="sitemap")
        crawl_as_the_operator(settings)
        assert public.requests_for("/sitemap.xml") != []
    assert internal.requests == []
    assert CANARY not in stored_texts(settings)


def test_sitemap_entry_at_loopback_with_scope_any_is_refused_by_the_guard(
    tmp_path: Path, public_loopback: None, internal: Site
) -> None:
    """Even where the scope lets an entry through, the address guard stops it."""
    settings = settings_for(tmp_path / "home")
    routes = sitemap_routes(f"{internal.url}/secret")
    with serve_site(routes, host=PUBLIC_LOOPBACK) as public:
        source = add_over_api(settings, f"{public.url}/sitemap.xml", kind="sitemap")
        catalog = Catalog.open(settings.catalog_url)
        with catalog.engine.begin() as conn:  # widen the scope as a careless operator might
            scope = dict(conn.execute(sa.select(t.sources.c.scope)).scalar_one())
            scope["mode"] = "any"
            conn.execute(
                t.sources.update().where(t.sources.c.id == source["id"]).values(scope=scope)
            )
        catalog.close()
        crawl_as_the_operator(settings)
    assert internal.requests == []
    assert CANARY not in stored_texts(settings)


def test_feed_entry_pointing_at_loopback_is_not_fetched(
    tmp_path: Path, public_loopback: None, internal: Site
) -> None:
    settings = settings_for(tmp_path / "home")
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
        f"<item><title>x</title><link>{internal.url}/secret</link></item></channel></rss>"
    )
    routes = {"/feed.rss": Route(body=feed, content_type="application/rss+xml")}
    with serve_site(routes, host=PUBLIC_LOOPBACK) as public:
        add_over_api(settings, f"{public.url}/feed.rss", kind="feed")
        crawl_as_the_operator(settings)
        assert public.requests_for("/feed.rss") != []
    assert internal.requests == []
    assert CANARY not in stored_texts(settings)


def test_redirect_from_an_api_source_to_loopback_is_not_followed_by_the_cli_crawl(
    tmp_path: Path, public_loopback: None, internal: Site
) -> None:
    settings = settings_for(tmp_path / "home")
    routes = {"/": Route(redirect_to=f"{internal.url}/secret")}
    with serve_site(routes, host=PUBLIC_LOOPBACK) as public:
        add_over_api(settings, f"{public.url}/", scope="any")  # the scope lets any hop by
        crawl_as_the_operator(settings)
        assert public.requests_for("/") != []
    assert internal.requests == []  # not the target, not even its robots.txt
    assert CANARY not in stored_texts(settings)


def test_sitemap_entry_outside_the_source_scope_is_not_queued(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "home")
    with serve_site({"/other": Route(body=page("Other", "elsewhere " * 40))}) as other:
        sitemap = (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{other.url}/other</loc></url></urlset>"
        )
        routes = {"/sitemap.xml": Route(body=sitemap, content_type="application/xml")}
        with serve_site(routes, host=PUBLIC_LOOPBACK) as listing:
            catalog = Catalog.open(settings.catalog_url)
            from calanque.cli.collect import build_scope

            url = f"{listing.url}/sitemap.xml"
            catalog.add_source(
                "sitemap", url, build_scope(url, "sitemap", "prefix", "", [], [], 3, 100)
            )
            catalog.close()
            crawl_as_the_operator(settings)
        assert other.requests == []  # another host than the sitemap's: out of scope


def test_operator_source_on_loopback_still_crawls(tmp_path: Path) -> None:
    """The operator's own sources may be on the machine (`calanque add`, then `crawl`)."""
    settings = settings_for(tmp_path / "home")
    with serve_site({"/docs/": Route(body=SECRET_PAGE)}) as site:
        catalog = Catalog.open(settings.catalog_url)
        add_site(catalog, f"{site.url}/docs/")
        catalog.close()
        counts = crawl_as_the_operator(settings)
    assert counts["documents"] == 1
    assert CANARY in stored_texts(settings)


async def test_dns_rebinding_name_is_connected_at_the_checked_address(
    monkeypatch: pytest.MonkeyPatch, public_loopback: None, internal: Site
) -> None:
    """A name that answers a public address to the check, then a loopback one to the
    connection, is connected at the address that was checked."""
    from calanque.collect.guard import GuardedTransport

    real = socket.getaddrinfo
    answers = iter([PUBLIC_LOOPBACK])

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            return real(next(answers, "127.0.0.1"), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with serve_site({"/secret": Route(body="public page")}, host=PUBLIC_LOOPBACK) as public:
        async with httpx.AsyncClient(transport=GuardedTransport()) as http:
            response = await http.get(f"http://rebind.test:{public.port}/secret")
    assert response.text == "public page"
    assert public.requests[0].headers["host"] == f"rebind.test:{public.port}"
    assert internal.requests == []


async def test_name_that_does_not_resolve_is_refused() -> None:
    from calanque.collect.guard import GuardedTransport

    async with httpx.AsyncClient(transport=GuardedTransport()) as http:
        with pytest.raises(httpx.ConnectError, match="does not resolve"):
            await http.get("http://no-such-host.invalid/")
