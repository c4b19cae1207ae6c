"""``calanque chat`` as a person uses it: the real command in a pseudo-terminal, its screen
read as a terminal renders it (pyte), over the e2e corpus plus one hostile page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from tests.e2e.crawl_helpers import add_site, crawl, open_catalog
from tests.e2e.served import corpus, corpus_settings, index_corpus, start_server
from tests.e2e.terminal import KEYS, Terminal
from tests.sites import Route, serve_site

from calanque.catalog import Catalog
from calanque.catalog.spaces import Space

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOSTILE_TITLE = "Guide [bold] [/] [link=http://evil]x[/link] \x1b]8;;http://evil\x1b\\click"
HOSTILE_BODY = (
    "The flux capacitor is calibrated with the command fluxctl calibrate \x1b]0;pwned\x07 "
    "before every trip. The flux capacitor needs 1.21 gigawatts to start."
)
LABEL = "AI-generated answer"
OSC8_TARGET = re.compile(rb"\x1b\]8;[^;\x07\x1b]*;([^\x07\x1b]*)")


def hostile_page() -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{HOSTILE_TITLE}'
        f"</title></head><body><main><h1>{HOSTILE_TITLE}</h1><p>{HOSTILE_BODY}</p>"
        "<p>Time travel needs a calibrated flux capacitor and a stable power source.</p>"
        "</main></body></html>"
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The e2e corpus, a hostile page crawled and indexed into it, and a space ``wiki``."""
    target = tmp_path_factory.mktemp("chat") / "home"
    shutil.copytree(corpus(tmp_path_factory.getbasetemp()).home, target)
    settings = corpus_settings(target)
    with serve_site({"/hostile/": Route(body=hostile_page())}) as site:
        catalog = open_catalog(settings)
        try:
            add_site(catalog, f"{site.url}/hostile/")
            crawl(catalog, settings)
            index_corpus(settings, catalog)
            wiki = next(s.id for s in catalog.list_sources() if "/wiki/" in s.url)
            catalog.spaces.create(Space(name="wiki"))
            catalog.spaces.add_source("wiki", wiki)
        finally:
            catalog.close()
    return target


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALANQUE_", "NO_COLOR"))}
    return env | {"TERM": "xterm-256color", "LANG": "C.UTF-8", **extra}


@pytest.fixture
def terminal(home: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    command = ["-m", "calanque", "--home", str(home), "chat"]
    started = Terminal(sys.executable, command, environment(), tmp_path)
    started.wait_for("›")
    yield started
    started.close()


def ask(terminal: Terminal, question: str) -> str:
    """Type ``question``; the screen from its line to the answer's AI label."""
    return terminal.wait_for(LABEL, terminal.type_line(question))


def run(terminal: Terminal, command: str, shows: str) -> str:
    return terminal.wait_for(shows, terminal.type_line(command))


def test_answers_follow_ups_history_and_commands(
    terminal: Terminal, home: Path, tmp_path: Path
) -> None:
    banner = terminal.text()
    first_thread = re.search(r"new thread ([0-9a-f-]{36})", banner)
    assert first_thread, banner
    answer = ask(terminal, "What does apt update download?")
    assert "[1]" in answer and "package lists" in answer
    assert re.search(r"^1\. Upgrading packages with apt — 127\.0\.0\.1:\d+$", answer, re.M)
    assert re.search(r"^   http://127\.0\.0\.1:\d+/docs/apt\.html$", answer, re.M)
    targets = OSC8_TARGET.findall(bytes(terminal.raw))
    assert any(t.endswith(b"/docs/apt.html") for t in targets), targets  # a clickable link

    row = terminal.row
    terminal.send(KEYS["up"])  # the arrow brings back the question
    terminal.wait_for("› What does apt update download?", row)
    terminal.send(KEYS["ctrl-u"])

    follow_up = ask(terminal, "Where are they listed?")  # "they": the package lists
    assert "/etc/apt/sources.list" in follow_up

    sources = run(terminal, "/sources", "AI-generated answer (extractive) · thread")
    assert "Sources" in sources and "« The command apt update downloads" in sources

    done = run(terminal, "/export answers.md", "wrote")
    assert "wrote answers.md" in done
    exported = (tmp_path / "answers.md").read_text(encoding="utf-8")
    catalog = Catalog.open(corpus_settings(home).catalog_url)
    try:
        thread = first_thread.group(1)
        messages = catalog.threads.messages(thread)
        quotes = [c["quote"] for m in messages if m.payload for c in m.payload["citations"]]
        assert [m.role for m in messages] == ["user", "assistant"] * 2
        assert quotes and all(quote in exported for quote in quotes)

        created = run(terminal, "/new", "new thread ")
        second = re.search(r"new thread ([0-9a-f-]{36})", created)
        assert second and second.group(1) != thread
        alone = ask(terminal, "Where are they listed?")  # no earlier turn: nothing to lean on
        assert "I could not find this in the sources." in alone
        assert [m.role for m in catalog.threads.messages(second.group(1))] == ["user", "assistant"]
    finally:
        catalog.close()
    terminal.send(KEYS["ctrl-d"])
    assert terminal.close() == 0
    assert "What does apt update download?" in (home / "chat_history").read_text(encoding="utf-8")


def test_a_chat_thread_opens_on_the_web_page(home: Path, tmp_path: Path) -> None:
    """A thread started in the terminal is listed and opened by the server's API."""
    done = subprocess.run(
        [sys.executable, "-m", "calanque", "--home", str(home), "chat"],
        input="How do I create a new SSH key pair?\n",
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    thread = re.search(r"new thread ([0-9a-f-]{36})", done.stdout)
    assert thread and "ssh-keygen -t ed25519" in done.stdout
    source = replace(corpus(tmp_path.parent), home=home)
    with start_server(source, tmp_path / "served") as served:
        listed = httpx.get(f"{served.url}/v1/threads", timeout=30).json()["threads"]
        assert thread.group(1) in [t["id"] for t in listed]
        opened = httpx.get(f"{served.url}/v1/threads/{thread.group(1)}", timeout=30).json()
    assert opened["messages"][0]["content"] == "How do I create a new SSH key pair?"
    assert opened["messages"][1]["payload"]["citations"][0]["url"].endswith("/wiki/ssh.html")


def test_bad_input_gets_a_message_and_the_chat_goes_on(terminal: Terminal) -> None:
    assert "no answer yet" in run(terminal, "/sources", "no answer yet")
    unknown = run(terminal, "/space nope", "no space")
    assert "no space 'nope'. Spaces: wiki." in unknown
    wrong = run(terminal, "/frobnicate", "/quit")
    assert "unknown command /frobnicate." in wrong and "/export" in wrong
    assert "must end in .md" in run(terminal, "/export notes.txt", "must end in")
    assert "nothing to export yet" in run(terminal, "/export notes.md", "nothing to export")
    row = terminal.type_line("")  # an empty line: nothing but a new prompt
    terminal.pump(1.0)
    assert terminal.lines(row)[:2] == ["›", "›"]
    assert "space: wiki" in run(terminal, "/space wiki", "space: wiki")
    within = ask(terminal, "What does apt update download?")
    assert "/docs/apt.html" not in within  # the wiki space has no apt page
    assert "wiki ›" in terminal.wait_for("wiki ›", terminal.row)
    assert "space: none" in run(terminal, "/space -", "space: none")


def test_a_space_that_does_not_exist_is_refused_at_start(home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "calanque", "--home", str(home), "chat", "--space", "nope"],
        input="",
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )
    assert done.returncode == 4
    assert "no space 'nope'" in done.stderr and "calanque space list" in done.stderr


def test_a_hostile_title_does_not_reach_the_terminal(terminal: Terminal) -> None:
    answer = ask(terminal, "How is the flux capacitor calibrated?")
    assert "flux capacitor" in answer and "[1]" in answer
    assert "[link=http://evil]x[/link]" in answer  # the title, shown as text
    raw = bytes(terminal.raw)
    assert b"\x1b]8;;http://evil" not in raw and b"pwned\x07" not in raw
    for target in OSC8_TARGET.findall(raw):
        assert target == b"" or target.startswith(b"http://127.0.0.1:"), target
    assert terminal.screen.title != "pwned"
