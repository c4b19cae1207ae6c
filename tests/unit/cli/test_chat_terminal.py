"""What ``calanque chat`` writes to a terminal: hyperlinks only where wanted, nothing a
crawled page could use to drive the terminal, answers broken between words."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from calanque.cli import chat
from calanque.cli.chat import Flow, show_footnotes, ui_language
from calanque.cli.links import link_target, links_enabled
from calanque.types import Answer, Citation

EVIL_TITLE = "Guide \x1b]8;;http://evil\x1b\\click\x1b]0;pwned\x07 [bold]x[/bold]"
EVIL_URL = 'http://a.example/page\x1b\\\x1b]8;;http://evil\x07 é"<>'
OSC = re.compile(r"\x1b\]8;[^;]*;([^\x1b\x07]*)")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def citation(n: int, title: str, url: str) -> Citation:
    return Citation(n, url, title, "quote", 0, 5, url + "#:~:text=quote", True)


def render(answer: Answer, links: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, color_system="truecolor", width=100)
    monkeypatch.setattr(chat, "out", console)
    show_footnotes(answer, links)
    return screen.getvalue()


def test_links_only_on_a_terminal_that_wants_them() -> None:
    assert links_enabled(Tty(), {"TERM": "xterm-256color"})
    assert not links_enabled(io.StringIO(), {"TERM": "xterm-256color"})  # a pipe
    assert not links_enabled(Tty(), {"TERM": "dumb"})
    assert not links_enabled(Tty(), {})
    assert not links_enabled(Tty(), {"TERM": "xterm", "NO_COLOR": "1"})
    assert not links_enabled(Tty(), {"TERM": "xterm", "CALANQUE_NO_LINKS": "1"})


def test_a_link_target_is_printable_ascii_without_escapes() -> None:
    target = link_target(EVIL_URL)
    assert target.startswith("http://a.example/page")
    assert all(32 < ord(ch) < 127 for ch in target), target
    assert "%C3%A9" in target and "%22%3C%3E" in target  # é and "<> encoded
    assert link_target("http://x.example/a%20b?q=1#f") == "http://x.example/a%20b?q=1#f"


def test_footnotes_link_each_cited_source_once(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://docs.example/apt.html"
    answer = Answer(
        "q",
        "a [1] b [1] c [2]",
        True,
        "en",
        citations=[
            citation(1, "Apt", url),
            citation(1, "Apt", url),
            citation(2, "", "http://w.example/x"),
        ],
    )
    shown = render(answer, True, monkeypatch)
    visible = re.sub(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\", "", shown)
    assert visible.splitlines() == [
        "",
        "1. Apt — docs.example",
        f"   {url}",
        "2. http://w.example/x — w.example",
        "   http://w.example/x",
        "AI-generated answer (extractive)",
        "",
    ]
    assert OSC.findall(shown).count(url) == 2  # the title and the URL
    assert "\x1b[1;36m1. \x1b[0m" in shown  # the number alone is coloured
    assert "\x1b]8;" not in render(answer, False, monkeypatch)


def test_a_hostile_title_and_url_do_not_reach_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answer = Answer("q", "a [1]", True, "en", citations=[citation(1, EVIL_TITLE, EVIL_URL)])
    for links in (True, False):
        shown = render(answer, links, monkeypatch)
        assert "\x07" not in shown and "\x1b]0;" not in shown
        assert all("evil" not in t or t.startswith("http://a.example/") for t in OSC.findall(shown))
        assert "[bold]x[/bold]" in shown  # Rich markup in a title is text
        without_ours = re.sub(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\", "", shown)
        assert "\x1b" not in without_ours


def test_streamed_text_breaks_between_words() -> None:
    flow = Flow(24)
    text = flow.wrap("According to the sources: run apt update [1]") + flow.wrap(
        " then apt full-upgrade as root. [1]"
    )
    assert text.splitlines() == [
        "According to the",
        "sources: run apt update",
        "[1] then apt",
        "full-upgrade as root.",
        "[1]",
    ]
    assert all(len(line) <= 24 for line in text.splitlines())


def test_the_chat_speaks_french_when_the_locale_is_french() -> None:
    assert ui_language({"LANG": "fr_FR.UTF-8"}) == "fr"
    assert ui_language({"LANG": "C.UTF-8"}) == "en"
    assert ui_language({}) == "en"
