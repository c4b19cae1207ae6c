"""The collect commands' --json output is a contract (docs/cli.md): test it through the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from tests.e2e.crawl_helpers import distinct_text, page
from tests.sites import Route, serve_site

pytestmark = pytest.mark.e2e


def run(home, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env.update({"CALANQUE_HOME": str(home), "CALANQUE_CRAWL_MIN_DELAY": "0"})
    result = subprocess.run(
        [sys.executable, "-m", "calanque", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def crawled_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("cli")
    routes = {
        "/robots.txt": Route(
            body="User-agent: *\nDisallow: /docs/private\n", content_type="text/plain"
        ),
        "/docs/index.html": Route(
            body=page(
                "Accueil",
                distinct_text("fr") + " Le système et les paquets.",
                lang="fr",
                links=("guide.html", "private.html"),
            )
        ),
        "/docs/guide.html": Route(
            body=page("Guide", distinct_text("en") + " The system and the packages.")
        ),
    }
    with serve_site(routes) as site:
        added = json.loads(run(home, "add", f"{site.url}/docs/index.html", "--json").stdout)
        summary = json.loads(run(home, "crawl", "--json", "--no-index").stdout)
        yield home, site.url, added, summary


def test_add_json(crawled_home):
    _, url, added, _ = crawled_home
    assert added["kind"] == "site" and added["url"] == f"{url}/docs/index.html"
    assert added["scope"]["mode"] == "prefix" and added["scope"]["prefix"] == f"{url}/docs/"


def test_crawl_summary_json(crawled_home):
    *_, summary = crawled_home
    assert summary["fetched"] == 2
    assert summary["refused_robots"] == 1
    assert summary["errors"] == {} and summary["error_total"] == 0
    assert {"unchanged", "refused_reservation", "pages_per_s", "elapsed_s", "queued"} <= set(
        summary
    )


def test_pages_json(crawled_home):
    home, url, *_ = crawled_home
    pages = json.loads(run(home, "pages", "--json").stdout)
    by_url = {p["url"]: p for p in pages}
    assert set(by_url) == {f"{url}/docs/index.html", f"{url}/docs/guide.html"}
    assert by_url[f"{url}/docs/index.html"]["title"] == "Accueil"
    assert by_url[f"{url}/docs/guide.html"]["language"] == "en"
    assert all(p["fetched_at"] for p in pages)


def test_consent_json_for_a_refused_url(crawled_home):
    home, url, *_ = crawled_home
    entry = json.loads(run(home, "consent", f"{url}/docs/private.html", "--json").stdout)
    assert entry["allowed"] is False
    assert entry["signal"] == "robots.txt"
    assert "Disallow: /docs/private" in entry["rule"]
    assert entry["decided_at"]


def test_consent_export_csv(crawled_home):
    home, url, *_ = crawled_home
    rows = list(csv.DictReader(io.StringIO(run(home, "consent", "--export", "csv").stdout)))
    assert {r["url"] for r in rows} >= {f"{url}/docs/private.html", f"{url}/docs/guide.html"}
    assert {r["allowed"] for r in rows} == {"True", "False"}


def test_second_crawl_fetches_nothing_new(crawled_home):
    home, *_ = crawled_home
    summary = json.loads(run(home, "crawl", "--json", "--no-index").stdout)
    assert summary["fetched"] == 0 and summary["error_total"] == 0


def test_bad_input_gives_a_clear_error_and_exit_code(tmp_path):
    result = run(tmp_path, "add", str(tmp_path / "nope"), check=False)
    assert result.returncode == 4
    assert "not a folder" in result.stderr
    (tmp_path / "calanque.toml").write_text("[crawl]\nconcurrency = -1\n")
    result = run(tmp_path, "sources", check=False)
    assert result.returncode == 3 and "crawl.concurrency" in result.stderr


def test_a_folder_that_is_gone_does_not_stop_the_crawl_nor_lose_its_files(tmp_path):
    """An unmounted folder ended `calanque crawl` with exit code 4 before any other source
    was crawled, and no JSON."""
    gone, kept = tmp_path / "usb", tmp_path / "docs"
    for folder, word in ((gone, "a"), (kept, "b")):
        folder.mkdir()
        (folder / f"{word}.txt").write_text(distinct_text(word))
    home = tmp_path / "home"
    run(home, "add", str(gone))
    run(home, "add", str(kept))
    first = json.loads(run(home, "crawl", "--json", "--no-index").stdout)
    assert first["files"] == 2
    (gone / "a.txt").rename(tmp_path / "a.txt")
    gone.rmdir()
    (kept / "c.txt").write_text(distinct_text("c"))
    result = run(home, "crawl", "--json", "--no-index")
    second = json.loads(result.stdout)
    assert second["files"] == 1 and second["errors"] == {"folder-missing": 1}
    assert second["deleted"] == 0  # gone for a moment is not emptied
    assert "calanque remove 1" in result.stderr
    assert len(json.loads(run(home, "pages", "--json").stdout)) == 3


def test_an_empty_argument_or_a_bad_pattern_is_refused_at_add(tmp_path):
    """`calanque add ""` added the current folder; `--include "("` was accepted, and every
    URL of the source then failed as "bad-url"."""
    home = tmp_path / "home"
    empty = run(home, "add", "", check=False)
    assert empty.returncode != 0 and "the argument is empty" in empty.stderr
    pattern = run(
        home, "add", "https://example.org/docs/", "--kind", "site", "--include", "(", check=False
    )
    assert pattern.returncode != 0 and "invalid scope pattern '('" in pattern.stderr
    assert json.loads(run(home, "sources", "--json").stdout) == []
    here = tmp_path / "here"
    here.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "calanque", "--home", "", "status"],
        cwd=here,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "--home" in result.stderr
    assert list(here.iterdir()) == []  # no catalog made in the current folder


def test_folder_source_ingests_changed_files_only(tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.md").write_text("# Titre\n\n" + distinct_text("a"))
    (docs / "sub" / "b.txt").write_text(distinct_text("b"))
    (docs / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    (docs / "escape.md").symlink_to("/etc/hostname")
    home = tmp_path / "home"
    run(home, "add", str(docs))
    first = json.loads(run(home, "crawl", "--json", "--no-index").stdout)
    assert first["files"] == 2
    assert first["errors"] == {"file-outside-folder": 1, "pdf": 1}
    second = json.loads(run(home, "crawl", "--json", "--no-index").stdout)
    assert second["files"] == 0
    (docs / "a.md").write_text("# Titre\n\n" + distinct_text("a2"))
    (docs / "sub" / "b.txt").unlink()
    third = json.loads(run(home, "crawl", "--json", "--no-index").stdout)
    assert third["files"] == 1 and third["deleted"] == 1
    pages = json.loads(run(home, "pages", "--json").stdout)
    assert [p["title"] for p in pages] == ["Titre"]
    # what was not stored is named, with why
    failed = {e["kind"]: e for e in json.loads(run(home, "pages", "--errors", "--json").stdout)}
    assert set(failed) == {"file-outside-folder", "pdf"}
    assert failed["pdf"]["url"].endswith("/docs/bad.pdf")
    assert "/etc" in failed["file-outside-folder"]["message"]
    listing = run(home, "pages", "--errors").stdout
    assert "bad.pdf" in listing and "file-outside-folder" in listing
    # status counts the pages `pages` lists (the PDF's error made it 2)
    assert json.loads(run(home, "status", "--json").stdout)["pages"] == 1
    # a consent lookup is no crawl: a file's URL is looked up, not refused as uncrawlable
    lookup = run(home, "consent", pages[0]["url"], check=False)
    assert lookup.returncode == 1 and "no consent decision recorded" in lookup.stdout
    again = run(home, "add", str(docs)).stdout
    assert again.startswith("updated folder source")
    # local files have no publisher: no row with a blank host
    assert json.loads(run(home, "publishers", "--json").stdout) == []
    # the summary says where the errors are named, and no "pages/s 0.00" for files
    summary = run(home, "crawl", "--no-index").stdout
    assert "calanque pages --errors" in summary and "pages/s" not in summary
