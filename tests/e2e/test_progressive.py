"""Progressive availability, end to end with the real embedder: a crawl with
``--dense later`` answers at once (the answer says the dense pass is pending), ``calanque
status`` counts what waits, ``calanque index`` completes it; a server embeds what waits in
the background and answers while it does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from tests.e2e.crawl_helpers import calanque_json, distinct_text, page
from tests.e2e.served import corpus_settings, free_port
from tests.sites import Route, serve_site

from calanque.runtime import open_embedder
from calanque.server.app import create_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FILLER = 16  # more pages: the server's dense pass takes several batches
PAGES = {
    "/docs/index.html": page(
        "Accueil",
        "Documentation de l'administration du système.",
        lang="fr",
        links=("upgrade.html", "firewall.html", "printing.html", "mail.html")
        + tuple(f"notes{i}.html" for i in range(FILLER)),
    ),
    "/docs/upgrade.html": page(
        "Upgrading Debian",
        "To upgrade the whole system to a new stable release, edit /etc/apt/sources.list "
        "to name the new release, then run apt update and apt full-upgrade.",
    ),
    "/docs/firewall.html": page(
        "Le pare-feu",
        "Le pare-feu du noyau Linux se configure avec nftables. Les règles sont "
        "chargées au démarrage par le service nftables.",
        lang="fr",
    ),
    "/docs/printing.html": page(
        "Printing", "CUPS manages printers; its web interface listens on port 631."
    ),
    "/docs/mail.html": page(
        "Mail server",
        "Postfix is the mail transfer agent; its main configuration file is "
        "/etc/postfix/main.cf, and postfix reload applies a change.",
    ),
} | {f"/docs/notes{i}.html": page(f"Notes {i}", distinct_text(f"notes{i}")) for i in range(FILLER)}
QUESTION = "How do I upgrade Debian to a new stable release?"


run = calanque_json


@pytest.fixture(scope="module")
def lexical_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home crawled with ``--dense later``: every chunk indexed lexically, none densely."""
    home = tmp_path_factory.mktemp("progressive") / "home"
    routes = {path: Route(body=body) for path, body in PAGES.items()}
    with serve_site(routes) as site:
        run(home, "add", f"{site.url}/docs/index.html")
        summary = run(home, "crawl", "--dense", "later")
        assert summary["fetched"] == len(PAGES)
        index = summary["index"]
        assert index["embedded"] == 0 and index["dense_pending"] == index["applied"] >= len(PAGES)
        yield home


def test_cli_answers_before_the_dense_pass_then_completes_it(
    lexical_only: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(lexical_only, home)
    status = run(home, "status")
    chunks = status["chunks"]
    assert (status["lexical"], status["dense"], status["dense_pending"]) == (chunks, 0, chunks)
    assert status["changes_pending"] == 0 and status["complete"] is False

    early = run(home, "ask", QUESTION)
    assert early["answered"] and early["citations"]
    assert early["citations"][0]["url"].endswith("/docs/upgrade.html")
    assert early["index"] == {"dense_pending": chunks, "complete": False}

    report = run(home, "index")
    assert report["embedded"] == chunks and report["dense_pending"] == 0
    assert report["words_embedded"] > 0
    status = run(home, "status")
    assert (status["dense"], status["dense_pending"], status["complete"]) == (chunks, 0, True)
    # the pages' words were counted and embedded after the dense pass: a French question
    # finds the English page about printers by its words alone ("imprimantes" → "printers")
    words = status["words"]
    assert words["waiting"] == 0 and words["fr"] > 0 and words["en"] > 0
    hits = run(home, "search", "Comment gérer les imprimantes ?", "--mode", "lexical")["hits"]
    assert hits[0]["url"].endswith("/docs/printing.html")

    late = run(home, "ask", QUESTION)
    assert late["index"] == {"dense_pending": 0, "complete": True}
    assert late["answered"] and late["citations"][0]["url"] == early["citations"][0]["url"]


def test_bad_dense_value_is_refused_before_crawling(lexical_only: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env["CALANQUE_HOME"] = str(lexical_only)
    result = subprocess.run(
        [sys.executable, "-m", "calanque", "crawl", "--dense", "soon"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "--dense" in result.stderr and "now, later" in result.stderr


class SlowFirstEmbedding:
    """The real embedder; embedding passages not seen before takes ``delay_s`` more (a
    batch on a busy machine). Seen again (from the cache) they cost nothing extra."""

    def __init__(self, inner: Any, delay_s: float) -> None:
        self.inner = inner
        self.delay_s = delay_s
        self.seen: set[str] = set()
        self.batches = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not self.seen.issuperset(texts):
            self.batches += 1
            time.sleep(self.delay_s)
            self.seen.update(texts)
        return self.inner.embed_passages(texts)


def test_server_answers_while_its_dense_pass_runs(lexical_only: Path, tmp_path: Path) -> None:
    import uvicorn

    home = tmp_path / "home"
    shutil.copytree(lexical_only, home)
    # no candidate embedded at search time: each would cost this embedder its 1.5 s, and
    # what is measured here is that the answer waits for none of the dense pass's batches
    settings = corpus_settings(home)
    settings = replace(settings, index=replace(settings.index, embed_missing=0))
    embedder = SlowFirstEmbedding(open_embedder(settings), delay_s=1.5)
    app = create_app(settings, embedder=embedder)  # type: ignore[arg-type]
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            deadline = time.monotonic() + 60
            while not server.started or not _status(http)["index"]["dense_job"]["running"]:
                assert time.monotonic() < deadline, "the background dense pass did not start"
                time.sleep(0.1)
            started = time.monotonic()
            body = {
                "model": "calanque-extractive",
                "messages": [{"role": "user", "content": QUESTION}],
            }
            answer = http.post("/v1/chat/completions", json=body).json()
            took = time.monotonic() - started
            during = _status(http)["index"]
            assert during["dense_job"]["running"], "the pass ended before the answer came"
            assert answer["answered"] and answer["citations"][0].endswith("/docs/upgrade.html")
            assert answer["index"]["complete"] is False and answer["index"]["dense_pending"] > 0
            assert during["dense_pending"] > 0 and during["lexical"] == during["chunks"]
            # the answer waited for no batch: each one holds its embedding 1.5 s outside
            # the model lock, and the answer's own embeddings run meanwhile
            assert took < 8.0, f"the answer took {took:.1f} s behind the dense pass"
            while (state := _status(http)["index"])["dense_job"]["running"]:
                assert time.monotonic() < deadline + 120, "the dense pass did not finish"
                time.sleep(0.2)
            assert state["dense_job"]["error"] == ""
            assert (state["dense_pending"], state["complete"]) == (0, True)
            assert state["dense"] == state["chunks"] and embedder.batches >= 2
            answer = http.post("/v1/chat/completions", json=body).json()
            assert answer["index"] == {"dense_pending": 0, "complete": True}
            assert answer["citations"][0].endswith("/docs/upgrade.html")
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _status(http: httpx.Client) -> dict[str, Any]:
    response = http.get("/v1/status", params={"errors": 0})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data
