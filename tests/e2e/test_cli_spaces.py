"""Spaces, unsaved asks and exports as a user runs them: subprocesses over the real corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.served import corpus
from tests.e2e.test_cli_ask import calanque

from calanque.catalog import Catalog
from calanque.config import load_settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
UPGRADE = "How do I upgrade all installed packages?"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("spaces") / "home"
    shutil.copytree(corpus(tmp_path_factory.getbasetemp()).home, target)
    return target


def run_json(home: Path, *args: str) -> Any:
    done = calanque(home, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def stored_threads(home: Path) -> int:
    catalog = Catalog.open(load_settings({"home": home}, environ={}).catalog_url)
    try:
        return len(catalog.threads.list())
    finally:
        catalog.close()


@pytest.fixture(scope="module")
def spaces(home: Path) -> dict[str, str]:
    """Space ``docs`` holds the docs source, ``wiki`` the wiki one; ``empty`` nothing."""
    sources = {s["url"]: s["id"] for s in run_json(home, "sources")}
    made = {}
    for url, source_id in sources.items():
        name = "docs" if "/docs/" in url else "wiki"
        assert (
            run_json(home, "space", "create", name, "--description", url)["id"] == f"space:{name}"
        )
        run_json(home, "space", "add-source", name, str(source_id))
        made[name] = url
    run_json(home, "space", "create", "empty")
    return made


def test_space_commands_list_and_refuse_clearly(home: Path, spaces: dict[str, str]) -> None:
    listed = {s["name"]: s for s in run_json(home, "space", "list")}
    assert set(listed) == {"docs", "wiki", "empty"} and listed["empty"]["source_ids"] == []
    again = calanque(home, "space", "create", "docs")
    assert again.returncode == 4 and "exists already" in again.stderr
    unknown = calanque(home, "search", "apt", "--space", "nowhere")
    assert unknown.returncode == 4 and "calanque space list" in unknown.stderr
    empty = calanque(home, "ask", UPGRADE, "--space", "empty")
    assert empty.returncode == 4 and "no sources in this space" in empty.stderr


def test_search_and_ask_stay_within_the_space(home: Path, spaces: dict[str, str]) -> None:
    for name, url in spaces.items():
        hits = run_json(home, "search", "upgrade packages", "--space", name)["hits"]
        assert hits and all(h["url"].startswith(url) for h in hits)
        answer = run_json(home, "ask", UPGRADE, "--space", name)
        assert answer["search_results"]
        assert all(r["url"].startswith(url) for r in answer["search_results"])


def test_ask_stores_a_thread_only_with_save(home: Path, spaces: dict[str, str]) -> None:
    before = stored_threads(home)
    assert run_json(home, "ask", UPGRADE)["thread_id"] == ""
    assert stored_threads(home) == before
    saved = run_json(home, "ask", UPGRADE, "--space", "docs", "--save")
    assert saved["thread_id"] and stored_threads(home) == before + 1


def test_export_has_every_quote_and_link(
    home: Path, spaces: dict[str, str], tmp_path: Path
) -> None:
    saved = run_json(home, "ask", UPGRADE, "--save")
    assert saved["citations"]
    target = tmp_path / "thread.md"
    written = run_json(home, "export", saved["thread_id"], "--format", "md", "-o", str(target))
    assert written == {"thread_id": saved["thread_id"], "format": "md", "path": str(target)}
    markdown = target.read_text(encoding="utf-8")
    page = run_json(home, "export", saved["thread_id"], "--format", "html")["content"]
    for citation in saved["citations"]:
        assert citation["quote"] in markdown and citation["fragment_url"] in markdown
        assert citation["fragment_url"].replace("&", "&amp;") in page
    assert "AI-generated answer" in markdown and "consent: allowed" in markdown
    missing = calanque(home, "export", "no-such-thread")
    assert missing.returncode == 4 and "--save" in missing.stderr


def test_a_key_limited_to_spaces(home: Path, spaces: dict[str, str]) -> None:
    made = run_json(home, "keys", "create", "reader-docs", "--space", "docs", "--space", "wiki")
    assert made["spaces"] == ["docs", "wiki"]
    refused = calanque(home, "keys", "create", "nobody", "--space", "nowhere")
    assert refused.returncode == 4 and "no space 'nowhere'" in refused.stderr
