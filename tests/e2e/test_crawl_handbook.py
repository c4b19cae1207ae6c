"""Crawl the real Debian Administrator's Handbook served on 127.0.0.1."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import html as lxml_html
from tests.corpora import handbook_dir
from tests.e2e.crawl_helpers import add_site, crawl, make_settings, open_catalog
from tests.sites import serve_site

from calanque.catalog import Catalog

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def expected_titles(folder: Path) -> dict[str, str]:
    titles = {}
    for path in sorted(folder.glob("*.html")):
        tree = lxml_html.fromstring(path.read_bytes())
        titles[path.name] = " ".join(tree.findtext(".//title").split())
    return titles


@pytest.fixture(scope="module")
def handbook_root() -> Path:
    return handbook_dir("fr-FR").parent


def test_french_handbook_is_stored_with_titles_and_language(tmp_path, handbook_root):
    titles = expected_titles(handbook_root / "fr-FR")
    with serve_site(root=handbook_root) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/fr-FR/index.html")
        summary = crawl(catalog, settings)
        rows = {r["url"].rsplit("/", 1)[-1]: r for r in catalog.list_pages()}
        catalog.close()
    assert sum(summary.errors.values()) == 0, summary.errors
    missing = set(titles) - set(rows)
    assert not missing, f"pages not stored: {sorted(missing)[:10]}"
    for name, title in titles.items():
        assert " ".join(rows[name]["title"].split()) == title, name
    # About a third of the French handbook's paragraphs are untranslated English, and some
    # pages are entirely English: the right language is the one the text is written in,
    # judged here independently by counting French and English function words. Pages with
    # a little French (10-65%) may go either way: the extractor labels a page French once
    # 30% of its running text is French, as it sits in the French tree.
    wrong = {}
    for name in titles:
        share = french_share(handbook_root / "fr-FR" / name)
        if (
            share > 0.65
            and rows[name]["language"] != "fr"
            or share < 0.1
            and rows[name]["language"] != "en"
        ):
            wrong[name] = (round(share, 2), rows[name]["language"])
    assert not wrong, wrong
    assert sum(1 for r in rows.values() if r["language"] == "fr") >= 0.7 * len(titles)


FR_WORDS = {
    "le",
    "la",
    "les",
    "des",
    "du",
    "est",
    "une",
    "pour",
    "dans",
    "qui",
    "sur",
    "avec",
    "pas",
    "sont",
}
EN_WORDS = {
    "the",
    "of",
    "and",
    "is",
    "to",
    "in",
    "that",
    "for",
    "with",
    "are",
    "this",
    "be",
    "by",
    "it",
}


def french_share(path: Path) -> float:
    tree = lxml_html.fromstring(path.read_bytes())
    for bad in tree.xpath("//div[@class='navheader' or @class='navfooter']"):
        bad.drop_tree()
    words = tree.text_content().lower().split()
    fr = sum(w in FR_WORDS for w in words)
    en = sum(w in EN_WORDS for w in words)
    return fr / max(fr + en, 1)


def _run_crawl(home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CALANQUE_HOME": str(home), "CALANQUE_CRAWL_MIN_DELAY": "0.01"}
    env.pop("CALANQUE_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "calanque", "crawl", "--no-index", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_then_resume_refetches_nothing_stored(tmp_path, handbook_root, seed):
    rng = random.Random(seed)
    with serve_site(root=handbook_root) as site:
        settings = make_settings(tmp_path)
        catalog = open_catalog(settings)
        add_site(catalog, f"{site.url}/en-US/index.html")
        catalog.close()
        process = _run_crawl(tmp_path)
        deadline = time.monotonic() + 60
        stored_before: set[str] = set()
        while time.monotonic() < deadline and process.poll() is None:  # bounded wait
            time.sleep(0.2)
            catalog = Catalog.open(settings.catalog_url)
            stored_before = {r["url"] for r in catalog.list_pages()}
            catalog.close()
            if len(stored_before) >= rng.randint(5, 60):
                break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        catalog = Catalog.open(settings.catalog_url)
        stored_before = {r["url"] for r in catalog.list_pages()}
        catalog.close()
        assert stored_before, "the crawl should have stored pages before it was killed"
        requests_before = len(site.requests)
        resumed = _run_crawl(tmp_path)
        out, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err.decode()[-2000:]
        again = {r.path for r in site.requests[requests_before:]}
        refetched = {u for u in stored_before if u.removeprefix(site.url) in again}
        assert not refetched, f"pages downloaded twice: {sorted(refetched)[:5]}"
        catalog = Catalog.open(settings.catalog_url)
        rows = catalog.list_pages()
        expected = {p.name for p in (handbook_root / "en-US").glob("*.html")}
        assert {r["url"].rsplit("/", 1)[-1] for r in rows} >= expected
        assert len(rows) == len({r["url"] for r in rows})
        chunk_ids = catalog.all_chunk_ids()
        assert len(chunk_ids) == len(set(chunk_ids))
        catalog.close()
