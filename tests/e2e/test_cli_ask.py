"""``calanque ask`` as a user runs it: a subprocess over the real corpus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.e2e.served import corpus

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
KEYS = {
    "answer",
    "answered",
    "language",
    "citations",
    "citation_marks",  # which citation each [n] of the answer stands for
    "search_results",
    "related_questions",
    "thread_id",
    "ai_generated",
    "writer",
    "model",
    "warnings",
    "index",  # whether every passage had its vector (progressive indexing)
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("cli") / "home"
    shutil.copytree(corpus(tmp_path_factory.getbasetemp()).home, target)
    return target


def calanque(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    return subprocess.run(
        [sys.executable, "-m", "calanque", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_ask_json_contract_and_threads(home: Path) -> None:
    first = calanque(home, "ask", "How do I upgrade all installed packages?", "--save", "--json")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert set(data) == KEYS
    assert data["answered"] is True and data["ai_generated"] is True
    assert data["writer"] == "extractive" and data["language"] == "en"
    assert data["index"] == {"dense_pending": 0, "complete": True}
    assert "apt full-upgrade" in data["answer"]
    citation = data["citations"][0]
    assert set(citation) == {
        "n",
        "url",
        "title",
        "quote",
        "start",
        "end",
        "fragment_url",
        "verified",
    }
    assert citation["url"].endswith("/docs/apt.html") and "#:~:text=" in citation["fragment_url"]
    assert set(data["search_results"][0]) == {
        "url",
        "title",
        "snippet",
        "date",
        "provider",
        "used",
        "reason",
        "language",
    }
    assert data["search_results"][0]["provider"] == "index"
    follow = calanque(
        home,
        "ask",
        "Where are the package lists downloaded from?",
        "--thread",
        data["thread_id"],
        "--json",
    )
    assert follow.returncode == 0, follow.stderr
    assert json.loads(follow.stdout)["thread_id"] == data["thread_id"]
    assert "sources.list" in json.loads(follow.stdout)["answer"]


def test_ask_filters_and_errors(home: Path) -> None:
    denied = calanque(
        home, "ask", "How do I restart the network?", "--exclude-site", "127.0.0.1", "--json"
    )
    assert denied.returncode == 0, denied.stderr
    urls = [r["url"] for r in json.loads(denied.stdout)["search_results"]]
    assert urls and all("127.0.0.1" not in url for url in urls)
    unknown = calanque(home, "ask", "anything", "--thread", "no-such-thread")
    assert unknown.returncode == 4 and "no thread 'no-such-thread'" in unknown.stderr
    bad = calanque(home, "ask", "anything", "--writer", "gpt")
    assert bad.returncode == 4 and "--writer must be one of" in bad.stderr


def test_ask_prints_the_answer_sources_and_label(home: Path) -> None:
    shown = calanque(home, "ask", "Comment redémarrer le réseau ?")
    assert shown.returncode == 0, shown.stderr
    assert "systemctl restart networking" in shown.stdout
    assert "Sources" in shown.stdout and "[1]" in shown.stdout
    assert "Réponse générée par IA" in shown.stdout
