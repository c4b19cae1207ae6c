"""A real crawl of fixture sites that exercise every consent signal."""

from __future__ import annotations

import json

import pytest
from tests.e2e.crawl_helpers import (
    LOREM_EN,
    add_site,
    crawl,
    distinct_text,
    make_settings,
    open_catalog,
    page,
)
from tests.sites import Route, serve_site

pytestmark = pytest.mark.e2e

LINKS = (
    "open.html",
    "private/secret.html",
    "reserved/book.html",
    "tdm-header.html",
    "tdm-meta.html",
    "tdm-meta-zero.html",
    "noai-header.html",
    "noindex-meta.html",
    "agent-meta.html",
)


def consent_site() -> dict[str, Route]:
    body = LOREM_EN * 4
    return {
        "/robots.txt": Route(
            body="User-agent: *\nDisallow: /\n\nUser-agent: calanquebot\nDisallow: /private/\nAllow: /\n",
            content_type="text/plain",
        ),
        "/.well-known/tdmrep.json": Route(
            body=json.dumps([{"location": "/reserved/*", "tdm-reservation": 1}]),
            content_type="application/json",
        ),
        "/index.html": Route(body=page("Home", body, links=LINKS)),
        "/open.html": Route(body=page("Open", body + " open page")),
        "/private/secret.html": Route(body=page("Secret", "TOPSECRET " + body)),
        "/reserved/book.html": Route(body=page("Book", "RESERVEDBOOK " + body)),
        "/tdm-header.html": Route(
            body=page("H", "TDMHEADER " + body), headers={"tdm-reservation": "1"}
        ),
        "/tdm-meta.html": Route(
            body=page("M", "TDMMETA " + body, head='<meta name="tdm-reservation" content="1">')
        ),
        "/tdm-meta-zero.html": Route(
            body=page("Z", "TDMZERO " + body, head='<meta name="tdm-reservation" content="0">'),
            headers={"tdm-reservation": "1"},
        ),
        "/noai-header.html": Route(
            body=page("N", "NOAI " + body), headers={"X-Robots-Tag": "noai"}
        ),
        "/noindex-meta.html": Route(
            body=page("I", "NOINDEX " + body, head='<meta name="robots" content="noindex">')
        ),
        "/agent-meta.html": Route(
            body=page("A", "AGENTMETA " + body, head='<meta name="CalanqueBot" content="noai">')
        ),
    }


@pytest.fixture
def crawled(tmp_path):
    with serve_site(consent_site()) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        summary = crawl(catalog, settings)
        yield site, catalog, summary
        catalog.close()


def stored_text(catalog) -> str:
    texts = []
    for row in catalog.list_pages():
        doc = catalog.get_document(row["document_id"])
        texts.append(doc.text)
    return "\n".join(texts)


def test_only_consenting_pages_are_stored(crawled):
    site, catalog, summary = crawled
    urls = {row["url"].removeprefix(site.url) for row in catalog.list_pages()}
    assert urls == {"/index.html", "/open.html", "/tdm-meta-zero.html"}
    text = stored_text(catalog)
    for marker in (
        "TOPSECRET",
        "RESERVEDBOOK",
        "TDMHEADER",
        "TDMMETA ",
        "NOAI",
        "NOINDEX",
        "AGENTMETA",
    ):
        assert marker not in text
    assert summary.refused_robots == 1
    assert summary.refused_reservation == 6


def test_refused_pages_are_never_requested_when_robots_or_tdmrep_refuse(crawled):
    site, _, _ = crawled
    assert site.requests_for("/private/secret.html") == []
    assert site.requests_for("/reserved/book.html") == []


@pytest.mark.parametrize(
    ("path", "signal", "rule_part"),
    [
        ("/private/secret.html", "robots.txt", "/private/"),
        ("/reserved/book.html", "tdmrep", "/reserved/"),
        ("/tdm-header.html", "tdmrep-header", "1"),
        ("/tdm-meta.html", "tdmrep-meta", "1"),
        ("/noai-header.html", "x-robots-tag", "noai"),
        ("/noindex-meta.html", "meta", "noindex"),
        ("/agent-meta.html", "meta", "noai"),
    ],
)
def test_ledger_names_the_signal_and_rule(crawled, path, signal, rule_part):
    site, catalog, _ = crawled
    entry = catalog.consent_for(site.url + path)
    assert entry is not None
    assert entry["allowed"] is False
    assert entry["signal"] == signal
    assert rule_part in entry["rule"]
    assert entry["decided_at"]


def test_allowed_pages_are_in_the_ledger_too(crawled):
    site, catalog, _ = crawled
    entry = catalog.consent_for(site.url + "/open.html")
    assert entry["allowed"] is True and entry["action"] == "fetched"


def test_user_agent_names_the_operator(crawled):
    site, _, _ = crawled
    agent = site.requests_for("/open.html")[0].headers["user-agent"]
    assert agent.startswith("CalanqueBot/") and "(+" in agent


def test_page_that_opts_out_later_is_deleted(tmp_path):
    routes = {
        "/index.html": Route(body=page("Home", LOREM_EN * 3, links=("later.html",))),
        "/later.html": Route(body=page("Later", "LATERMARK " + LOREM_EN * 3)),
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        crawl(catalog, settings)
        assert "LATERMARK" in stored_text(catalog)
        chunks_before = catalog.counts()["chunks"]
        site.set(
            "/later.html",
            Route(
                body=page("Later", "LATERMARK " + LOREM_EN * 3), headers={"X-Robots-Tag": "noai"}
            ),
        )
        summary = crawl(catalog, settings, refresh=True)
        assert summary.deleted == 1
        assert "LATERMARK" not in stored_text(catalog)
        assert catalog.counts()["chunks"] < chunks_before
        entry = catalog.consent_for(f"{site.url}/later.html")
        assert entry["allowed"] is False and entry["action"] == "deleted"
        deletes = [c for c in catalog.changes_since(0, 10_000) if c.op == "delete"]
        assert deletes, "the index must be told to drop the chunks"
        catalog.close()


def test_a_page_that_opted_out_is_not_downloaded_again_at_every_crawl(tmp_path):
    """A noai meta tag or header takes a download to read: the page is asked again once
    its refusal is older than crawl.refresh_after, not at every crawl (three crawls made
    three downloads). A robots.txt refusal costs no request and is decided again each time."""
    with serve_site(consent_site()) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        for _ in range(3):
            summary = crawl(catalog, settings)
        assert summary.refused_robots == 1  # decided again, from the stored robots.txt
        for path in ("/noai-header.html", "/agent-meta.html", "/tdm-header.html"):
            assert len(site.requests_for(path)) == 1, path
        assert site.requests_for("/private/secret.html") == []
        # once the refusal is older than crawl.refresh_after, the page is asked again
        summary = crawl(catalog, settings, refresh=True)
        assert len(site.requests_for("/noai-header.html")) == 2
        assert summary.refused_reservation == 6
        catalog.close()


def test_robots_txt_that_fails_with_5xx_refuses_everything_for_now(tmp_path):
    """RFC 9309: an unreachable robots.txt means disallow everything; it is an outage,
    reported as an error and tried again, not an opt-out written to the ledger."""
    routes = {
        "/robots.txt": Route(status=503, body="busy", content_type="text/plain"),
        "/index.html": Route(body=page("Home", LOREM_EN * 3)),
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path, max_attempts=1)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        summary = crawl(catalog, settings)
        assert catalog.list_pages() == [] and site.requests_for("/index.html") == []
        assert summary.errors["robots-unreachable"] == 1 and summary.refused_robots == 0
        catalog.close()


@pytest.mark.parametrize(
    ("robots", "outage"),
    [
        ("User-agent: *\nDisallow: /private/\n", Route(status=503, body="busy")),
        ("User-agent: *\nDisallow: /private/\n", Route(status=500, body="")),
        ("", Route(status=503, body="busy")),  # an empty file read is rules too
    ],
)
def test_an_outage_of_robots_txt_deletes_nothing_stored(tmp_path, robots, outage):
    """A daily crawl during an outage deleted every stored page of the site as if its
    publisher had opted out, and refused the site for a day after it came back."""
    routes = {
        "/index.html": Route(body=page("Home", "KEEPMARK " + LOREM_EN * 3)),
        "/robots.txt": Route(body=robots),
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path, robots_cache_s=0, max_attempts=1)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        crawl(catalog, settings)
        assert "KEEPMARK" in stored_text(catalog)
        site.set("/robots.txt", outage)
        summary = crawl(catalog, settings, refresh=True)
        assert "KEEPMARK" in stored_text(catalog) and summary.deleted == 0
        assert catalog.consent_for(f"{site.url}/index.html")["allowed"] is True
        # the last rules read stand in for the file while it cannot be read
        assert summary.errors == {} and summary.refused_robots == 0
        site.set("/robots.txt", Route(body="User-agent: *\nAllow: /\n"))
        again = crawl(catalog, settings, refresh=True)
        assert again.refused_robots == 0 and again.errors == {}
        catalog.close()


def test_content_signal_in_robots_refuses(tmp_path):
    routes = {
        "/robots.txt": Route(
            body="User-agent: *\nContent-Signal: ai-input=no\nAllow: /\n", content_type="text/plain"
        ),
        "/index.html": Route(body=page("Home", LOREM_EN * 3)),
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        crawl(catalog, settings)
        entry = catalog.consent_for(f"{site.url}/index.html")
        assert entry["allowed"] is False and entry["signal"] == "content-signal"
        catalog.close()


def test_redirect_into_a_disallowed_path_is_refused(tmp_path):
    routes = {
        "/robots.txt": Route(
            body="User-agent: *\nDisallow: /private/\n", content_type="text/plain"
        ),
        "/index.html": Route(body=page("Home", LOREM_EN * 3, links=("moved.html",))),
        "/moved.html": Route(redirect_to="/private/target.html"),
        "/private/target.html": Route(body=page("T", "REDIRECTED " + LOREM_EN)),
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html", mode="host")
        crawl(catalog, settings)
        assert site.requests_for("/private/target.html") == []
        assert "REDIRECTED" not in stored_text(catalog)
        catalog.close()


def test_politeness_delay_and_crawl_delay_are_held(tmp_path):
    links = tuple(f"p{i}.html" for i in range(5))
    routes = {
        "/robots.txt": Route(body="User-agent: *\nCrawl-delay: 0.3\n", content_type="text/plain"),
        "/index.html": Route(body=page("Home", LOREM_EN * 3, links=links)),
        **{f"/{name}": Route(body=page(name, f"{name} " + LOREM_EN * 3)) for name in links},
    }
    with serve_site(routes) as site:
        settings = make_settings(tmp_path, min_delay=0.1, per_host_connections=2)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        crawl(catalog, settings)
        times = sorted(r.time for r in site.requests if r.path.endswith(".html"))
        assert len(times) == 6
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= 0.25, gaps  # 0.3 s apart when sent; 50 ms for scheduling jitter
        catalog.close()


def test_conditional_requests_count_as_unchanged(tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text(page("Home", LOREM_EN * 3, links=("a.html",)))
    (tmp_path / "www" / "a.html").write_text(page("A", distinct_text("alpha")))
    with serve_site(root=tmp_path / "www") as site:
        settings = make_settings(tmp_path / "home")
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        first = crawl(catalog, settings)
        second = crawl(catalog, settings, refresh=True)
        assert first.fetched == 2
        assert second.unchanged == 2 and second.fetched == 0
        assert "if-none-match" in site.requests_for("/a.html")[-1].headers
        catalog.close()


@pytest.mark.parametrize(
    "later",
    [
        # over crawl.max_body_bytes: cut off, never parsed
        lambda body: Route(body=body + "x" * 30_000, headers={"X-Robots-Tag": "noai"}),
        # a charset that does not decode the body
        lambda body: Route(
            body=body.replace("OPTMARK", "OPTMARK café déjà vu").encode("utf-8"),
            content_type="text/html; charset=iso-2022-jp",
            headers={"X-Robots-Tag": "noai"},
        ),
    ],
    ids=["too large", "undecodable"],
)
def test_a_header_opt_out_holds_whatever_the_body(tmp_path, later):
    """The header's decision waited for the page's <meta>, which a body cut off or not
    decoded never gave: the old copy stayed searchable, the ledger said allowed."""
    body = page("Later", "OPTMARK " + LOREM_EN * 3)
    routes = {"/index.html": Route(body=body)}
    with serve_site(routes) as site:
        settings = make_settings(tmp_path, max_body_bytes=20_000)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/index.html")
        crawl(catalog, settings)
        assert "OPTMARK" in stored_text(catalog)
        site.set("/index.html", later(body))
        summary = crawl(catalog, settings, refresh=True)
        assert "OPTMARK" not in stored_text(catalog) and summary.deleted == 1
        assert catalog.consent_for(f"{site.url}/index.html")["allowed"] is False
        catalog.close()
