"""Hostile and broken input: each gets a recorded error kind, and the crawl goes on."""

from __future__ import annotations

import os

import pytest
from tests.e2e.crawl_helpers import (
    LOREM_EN,
    LOREM_FR,
    add_site,
    crawl,
    distinct_text,
    make_settings,
    open_catalog,
    page,
)
from tests.sites import Route, serve_site

pytestmark = pytest.mark.e2e

BAD = (
    "malformed.html",
    "binary.html",
    "huge.html",
    "slow.html",
    "loop.html",
    "cp1252.html",
    "tracked.html?utm_source=x&id=3#frag",
    "canon.html",
    "missing.html",
    "broken.pdf",
)


def bad_site() -> dict[str, Route]:
    return {
        "/index.html": Route(body=page("Home", LOREM_EN * 3, links=BAD)),
        "/malformed.html": Route(
            body="<html><head><title>Broken</title><body><p>"
            + distinct_text("malformed")
            + "<div><table><tr><td>cell</p></b></i>&&&<<>>"
        ),
        "/binary.html": Route(body=os.urandom(40_000), content_type="text/html"),
        "/huge.html": Route(body=b"<p>" + b"x" * 1_000_000, repeat=50),
        "/slow.html": Route(body=page("Slow", LOREM_EN * 3), trickle_bps=1),
        "/loop.html": Route(redirect_to="/loop2.html"),
        "/loop2.html": Route(redirect_to="/loop.html"),
        "/cp1252.html": Route(
            body=page("Accents", "Élève à l'école, cœur, 10 €. " + LOREM_FR * 3, lang="fr").replace(
                '<meta charset="utf-8">', ""
            ),
            content_type="text/html; charset=windows-1252",
        ),
        "/tracked.html": Route(body=page("Tracked", distinct_text("tracked"))),
        "/canon.html": Route(
            body=page(
                "Canon",
                distinct_text("canon"),
                head='<link rel="canonical" href="../canonical/target.html">',
            )
        ),
        "/broken.pdf": Route(
            body=b"%PDF-1.4\nthis is not really a pdf\n%%EOF", content_type="application/pdf"
        ),
    }


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    home = tmp_path_factory.mktemp("bad")
    with serve_site(bad_site()) as site:
        settings = make_settings(home, total_timeout=2.0, max_body_bytes=2_000_000, max_attempts=1)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        summary = crawl(catalog, settings)
        yield site, catalog, summary
        catalog.close()


def errors_by_url(site, catalog) -> dict[str, str]:
    return {e["url"].removeprefix(site.url): e["kind"] for e in catalog.page_errors()}


def test_each_bad_page_has_a_clear_error_kind(crawled):
    site, catalog, summary = crawled
    errors = errors_by_url(site, catalog)
    assert errors["/binary.html"] == "binary"
    assert errors["/huge.html"] == "too-large"
    assert errors["/slow.html"] == "timeout"
    assert errors["/loop.html"] == "redirect-loop"
    assert errors["/missing.html"] == "http-404"
    assert errors["/broken.pdf"] == "pdf"
    assert sum(summary.errors.values()) == len(errors)


def test_good_pages_survive_the_bad_ones(crawled):
    site, catalog, _ = crawled
    titles = {row["url"].removeprefix(site.url): row["title"] for row in catalog.list_pages()}
    assert titles["/index.html"] == "Home"
    assert "Broken" in titles["/malformed.html"]
    assert "/tracked.html?id=3" in titles


def test_windows_1252_accents_come_out_right(crawled):
    site, catalog, _ = crawled
    row = next(r for r in catalog.list_pages() if r["url"].endswith("/cp1252.html"))
    text = catalog.get_document(row["document_id"]).text
    assert "Élève à l'école, cœur, 10 €." in text
    assert row["language"] == "fr"


def test_relative_canonical_is_resolved(crawled):
    site, catalog, _ = crawled
    row = next(r for r in catalog.list_pages() if r["url"].endswith("/canon.html"))
    assert row["canonical_url"] == f"{site.url}/canonical/target.html"


def test_tracking_parameters_and_fragments_are_dropped(crawled):
    site, catalog, _ = crawled
    urls = [r["url"] for r in catalog.list_pages()]
    assert not any("utm_" in u or "#" in u for u in urls)


def test_huge_robots_txt_and_garbage_robots_do_not_stop_the_crawl(tmp_path):
    big = "User-agent: *\n" + "".join(f"Disallow: /junk{i}/\n" for i in range(120_000))
    routes = {
        "/robots.txt": Route(body=big + "Disallow: /late/\n", content_type="text/plain"),
        "/index.html": Route(body=page("Home", LOREM_EN * 3)),
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        crawl(catalog, settings)
        assert [r["title"] for r in catalog.list_pages()] == ["Home"]
        catalog.close()
    garbage = {
        "/robots.txt": Route(body=os.urandom(5000), content_type="text/plain"),
        "/index.html": Route(body=page("Home", LOREM_EN * 3)),
    }
    with serve_site(garbage) as site:
        settings = make_settings(tmp_path / "g")
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        crawl(catalog, settings)
        assert [r["title"] for r in catalog.list_pages()] == ["Home"]
        catalog.close()


def test_broken_feed_is_recorded_and_the_catalog_kept(tmp_path):
    routes = {
        "/feed.xml": Route(
            body=b"<rss><channel><item><title>x</ti", content_type="application/rss+xml"
        )
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        from calanque.types import Scope

        catalog.add_source("feed", f"{site.url}/feed.xml", Scope(mode="host"))
        summary = crawl(catalog, settings)
        assert summary.errors["feed"] == 1
        assert catalog.page_errors()[0]["kind"] == "feed"
        catalog.close()


def test_feed_entries_are_collected(tmp_path):
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
        "<item><title>One</title><link>/news/one.html</link></item>"
        "<item><title>Two</title><link>/news/two.html</link></item></channel></rss>"
    )
    routes = {
        "/feed.xml": Route(body=rss, content_type="application/rss+xml"),
        "/news/one.html": Route(body=page("One", "First story " + LOREM_EN * 3)),
        "/news/two.html": Route(body=page("Two", "Second story " + LOREM_FR * 3, lang="fr")),
    }
    assert crawl_listing(tmp_path, routes, "feed", "/feed.xml") == ["One", "Two"]


def test_sitemap_index_with_gzip_child(tmp_path):
    import gzip

    child = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>/a.html</loc></url><url><loc>/b.html</loc></url></urlset>"
    )
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>/sitemap-1.xml.gz</loc></sitemap></sitemapindex>"
    )
    routes = {
        "/sitemap.xml": Route(body=index, content_type="application/xml"),
        "/sitemap-1.xml.gz": Route(
            body=gzip.compress(child.encode()), content_type="application/gzip"
        ),
        "/a.html": Route(body=page("A", "Alpha " + LOREM_EN * 3)),
        "/b.html": Route(body=page("B", "Beta " + LOREM_FR * 3, lang="fr")),
    }
    assert crawl_listing(tmp_path, routes, "sitemap", "/sitemap.xml") == ["A", "B"]


def crawl_listing(tmp_path, routes: dict[str, Route], kind: str, path: str) -> list[str]:
    """Crawl a feed or sitemap source; the sorted titles of the pages it listed."""
    from calanque.types import Scope

    with serve_site(routes) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        catalog.add_source(kind, f"{site.url}{path}", Scope(mode="host"))
        crawl(catalog, settings)
        titles = sorted(r["title"] for r in catalog.list_pages())
        catalog.close()
    return titles


def test_links_to_images_archives_and_fonts_are_not_fetched(tmp_path):
    """A docs site's folder listing links its icons: each cost a polite request and gave
    nothing to read. Pages, PDFs and gzipped sitemaps are still followed."""
    links = "".join(
        f'<a href="/{name}">{name}</a> '
        for name in ("icons/pin.png", "img/logo.SVG", "dist/app.tar.gz", "font.woff2", "about.html")
    )
    routes = {
        "/index.html": Route(body=page("Home", LOREM_EN * 3 + links)),
        "/about.html": Route(body=page("About", LOREM_EN * 3)),
        "/icons/pin.png": Route(body=b"\x89PNG\r\n", content_type="image/png"),
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html", mode="host")
        crawl(catalog, settings)
        fetched = {r.path for r in site.requests}
        catalog.close()
    assert "/about.html" in fetched
    assert not fetched & {"/icons/pin.png", "/img/logo.SVG", "/dist/app.tar.gz", "/font.woff2"}


def test_a_folder_listing_is_followed_not_stored(tmp_path):
    """Apache's, nginx's and Python's generated listings hold file names, sizes and dates:
    indexed, they were answers' sources and related questions ("What is /fr/images for?")."""
    listing = (
        "<html><head><title>Index of /docs/</title></head><body><h1>Index of /docs/</h1>"
        '<a href="/docs/guide.html">guide.html</a> 2024-01-02 12:00 4.1K '
        '<a href="/docs/logo.png">logo.png</a> 2024-01-02 12:00 20K</body></html>'
    )
    routes = {
        "/docs/": Route(body=listing),
        "/docs/guide.html": Route(body=page("Guide", LOREM_EN * 3)),
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/docs/")
        summary = crawl(catalog, settings)
        titles = [r["title"] for r in catalog.list_pages()]
        catalog.close()
    assert titles == ["Guide"]
    assert summary.listings == 1 and not summary.errors


def test_a_listing_title_is_recognised_as_servers_write_it() -> None:
    from calanque.collect.pipeline import is_listing

    assert is_listing("Index of /pub/debian/")
    assert is_listing("  Directory listing for /fr/images/ ")
    assert not is_listing("An index of Debian tools")
    assert not is_listing("Index of packages")


def test_a_file_that_takes_too_long_or_kills_its_worker_costs_its_own_page(tmp_path):
    """A paragraph of 100,000 attributes takes lxml and htmldate half a minute; a worker
    killed (the out-of-memory killer) broke the pool and ended the crawl with a traceback,
    on every run. Now the page is not stored, the pool is made again, the crawl goes on."""
    import asyncio
    import threading

    import psutil

    from calanque.collect.crawler import Crawler

    attrs = " ".join(f'a{i}="x"' for i in range(100_000))
    routes = {
        "/index.html": Route(body=page("Home", LOREM_EN * 3, links=("slow.html", "next.html"))),
        "/slow.html": Route(body=f"<html><body><p {attrs}>slow</p></body></html>"),
        "/next.html": Route(body=page("Next", "Entirely other words. " * 40)),
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path, extract_timeout_s=4.0, max_body_bytes=5_000_000)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        crawler = Crawler(catalog, settings, extract_workers=2)
        killed: list[int] = []

        def kill_a_busy_worker() -> None:  # while the slow page is being extracted
            for _ in range(100):
                busy = [
                    p
                    for p in psutil.Process().children(recursive=True)
                    if p.cpu_percent(interval=0.05) > 50
                ]
                if busy and site.requests_for("/slow.html"):
                    busy[0].kill()
                    killed.append(busy[0].pid)
                    return

        killer = threading.Thread(target=kill_a_busy_worker)
        killer.start()
        summary = asyncio.run(crawler.run())
        killer.join()
        titles = sorted(r["title"] for r in catalog.list_pages())
        catalog.close()
    assert killed, "no worker was busy extracting the slow page"
    assert titles == ["Home", "Next"]
    assert summary.errors == {"extract-timeout": 1}


def test_telling_a_sitemap_from_a_feed_reads_little_of_a_hostile_answer():
    """`calanque add https://…/x.xml` read the whole answer to tell its kind: a 100 KB
    gzip bomb became 100 MB in memory (2.2 GB for a 1 MB one)."""
    import resource
    import zlib

    from calanque.cli.collect import detect_kind

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip, made without 100 MB in memory
    block = b" " * 1_000_000
    bomb = packer.compress(b"<urlset>") + b"".join(packer.compress(block) for _ in range(100))
    bomb += packer.flush()
    feed = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    routes = {
        "/bomb.xml": Route(
            body=bomb, content_type="application/xml", headers={"Content-Encoding": "gzip"}
        ),
        "/news.xml": Route(body=feed, content_type="application/xml"),
    }
    with serve_site(routes) as site:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        detect_kind(f"{site.url}/bomb.xml", "CalanqueBot/test")
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert detect_kind(f"{site.url}/news.xml", "CalanqueBot/test") == "feed"
    assert len(bomb) < 200_000 and grown_mb < 50
