"""Crawl, index and search through the CLI, with the real embedder, on a small bilingual site."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from tests.e2e.crawl_helpers import calanque_json, long_printing_page, page
from tests.sites import Route, serve_site

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = {
    "/docs/index.html": page(
        "Accueil",
        "Documentation de l'administration du système.",
        lang="fr",
        links=("ecoles.html", "upgrade.html", "firewall.html", "later.html"),
    ),
    "/docs/ecoles.html": page(
        "Les écoles",
        "Les écoles publiques de la ville accueillent les élèves dès trois ans. "
        "Chaque école propose une cantine et une garderie le soir.",
        lang="fr",
    ),
    "/docs/upgrade.html": page(
        "Upgrading Debian",
        "To upgrade the whole system to a new release, edit "
        "/etc/apt/sources.list and run apt full-upgrade after apt update.",
    ),
    "/docs/firewall.html": page(
        "Le pare-feu",
        "Le pare-feu du noyau Linux se configure avec nftables. Les règles sont "
        "chargées au démarrage par le service nftables.",
        lang="fr",
    ),
    "/docs/later.html": page(
        "Printing", "CUPS manages printers; the web interface listens on port 631."
    ),
}


run = calanque_json


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    home = tmp_path_factory.mktemp("index")
    routes = {path: Route(body=body) for path, body in PAGES.items()}
    with serve_site(routes) as site:
        run(home, "add", f"{site.url}/docs/index.html")
        summary = run(home, "crawl")
        yield home, site, summary


def urls(result: dict) -> list[str]:
    return [hit["url"].rsplit("/", 1)[-1] for hit in result["hits"]]


def test_crawl_brings_the_index_up_to_date(indexed):
    _, _, summary = indexed
    assert summary["fetched"] == 5
    assert summary["index"]["applied"] >= 5
    assert summary["index"]["position"] == summary["index"]["head"]


def test_french_stemming_and_accent_folding(indexed):
    home, *_ = indexed
    for query in ("école", "ecole", "écoles", "l'école"):
        assert urls(run(home, "search", query, "--mode", "lexical"))[0] == "ecoles.html", query


def test_cross_lingual_dense_search(indexed):
    home, *_ = indexed
    result = run(
        home, "search", "comment mettre à jour Debian vers une nouvelle version", "--k", "3"
    )
    assert urls(result)[0] == "upgrade.html"
    hit = result["hits"][0]
    assert {"url", "title", "heading", "text", "score", "chunk_id", "language", "date"} <= set(hit)
    assert hit["language"] == "en"


def test_filters(indexed):
    home, *_ = indexed
    assert all(h["language"] == "fr" for h in run(home, "search", "system", "--lang", "fr")["hits"])
    assert run(home, "search", "pare-feu", "--exclude-site", "127.0.0.1")["hits"] == []
    assert (
        run(home, "search", "pare-feu", "--since", "week")["hits"] == []
    )  # the pages carry no date


def test_opt_out_removes_the_page_from_search(indexed):
    home, site, _ = indexed
    assert "later.html" in urls(run(home, "search", "printers CUPS port 631"))
    site.set(
        "/docs/later.html", Route(body=PAGES["/docs/later.html"], headers={"X-Robots-Tag": "noai"})
    )
    summary = run(home, "crawl", "--refresh")
    assert summary["deleted"] == 1 and summary["index"]["deleted"] >= 1
    assert "later.html" not in urls(run(home, "search", "printers CUPS port 631"))


def test_search_lists_each_page_once_before_any_second_chunk(tmp_path):
    """A long page's chunks would fill the listing; by default (index.results_per_page 1)
    the other pages come first, and ``--per-page 0`` gives the ranking as it is."""
    routes = {
        "/p/index.html": Route(body=page("Printing", "Printers.", links=("long.html", "short.html"))),
        "/p/long.html": Route(body=long_printing_page("The printing system")),
        "/p/short.html": Route(body=page("Sharing", "A printer is shared over the network with CUPS.")),
    }  # fmt: skip
    with serve_site(routes) as site:
        run(tmp_path, "add", f"{site.url}/p/index.html")
        run(tmp_path, "crawl")
    query = ("printing system CUPS printer queue", "--k", "3")
    plain = urls(run(tmp_path, "search", *query, "--per-page", "0"))
    spread = urls(run(tmp_path, "search", *query))
    assert plain.count("long.html") == 3, plain
    assert len(set(spread[:2])) == 2 and "short.html" in spread, spread
    assert len(spread) == 3


def test_kill_9_during_indexing_converges(tmp_path):
    """Index, kill -9 mid-way at several moments, resume: same hits, no duplicates."""
    routes = {path: Route(body=body) for path, body in PAGES.items()}
    with serve_site(routes) as site:
        run(tmp_path, "add", f"{site.url}/docs/index.html")
        run(tmp_path, "crawl", "--no-index")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env["CALANQUE_HOME"] = str(tmp_path)
    for delay in (0.5, 1.5, 3.0):
        process = subprocess.Popen(
            [sys.executable, "-m", "calanque", "reindex", "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    report = run(tmp_path, "index")
    assert report["position"] == report["head"]
    hits = run(tmp_path, "search", "système", "--k", "20", "--mode", "lexical")["hits"]
    ids = [h["chunk_id"] for h in hits]
    assert len(ids) == len(set(ids)) and ids


def test_crawl_says_what_indexing_did_after_its_table(tmp_path):
    """Printed to a file or a pipe, ``calanque crawl`` showed the crawl's table only: nothing
    said the pages had been indexed and embedded, nor how long that took."""
    routes = {path: Route(body=body) for path, body in PAGES.items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env.update({"CALANQUE_HOME": str(tmp_path), "CALANQUE_CRAWL_MIN_DELAY": "0"})
    with serve_site(routes) as site:
        run(tmp_path, "add", f"{site.url}/docs/index.html")
        done = subprocess.run(
            [sys.executable, "-m", "calanque", "crawl"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stderr
    assert "crawl summary" in done.stdout
    line = next(x for x in done.stdout.splitlines() if "chunks indexed" in x)
    applied, embedded = (int(n) for n in re.findall(r"(\d+) (?:chunks indexed|embedded)", line))
    assert applied >= len(PAGES) and embedded == applied, line
    assert re.search(r" in \d+\.\ds$", line), line
