"""Exports as pure functions: every citation's quote and link, the label, the date, the
consent status; crawled text escaped; a withdrawn page shows the note, never its quote."""

from __future__ import annotations

import re
from typing import Any

import pytest

from calanque.catalog.conversations import WITHDRAWN, Message
from calanque.export import export_thread, to_html, to_markdown
from calanque.export.markdown import md_escape

QUOTES = {
    1: "Run apt full-upgrade to upgrade every installed package.",
    2: "The package lists come from /etc/apt/sources.list.",
}
HOSTILE = '<script>alert("x")</script> [click](http://evil.example/) <img src=x>'


def citation(n: int, quote: str) -> dict[str, Any]:
    url = f"http://docs.example/page{n}.html"
    return {
        "n": n,
        "url": url,
        "title": f"Page {n}",
        "quote": quote,
        "fragment_url": f"{url}#:~:text=Run%20apt",
        "verified": True,
    }


def reply(text: str, citations: list[dict[str, Any]]) -> Message:
    payload = {
        "answer": text,
        "language": "en",
        "writer": "extractive",
        "model": "",
        "ai_generated": True,
        "citations": citations,
    }
    return Message("assistant", text, payload, "2025-03-04T10:00:00+00:00")


def consent(url: str) -> dict[str, Any] | None:
    if url.endswith("page1.html"):
        return {"allowed": True, "signal": "robots.txt", "decided_at": "2025-03-01T00:00:00"}
    return None


@pytest.fixture
def thread() -> Any:
    withdrawn = {
        **citation(3, ""),
        "fragment_url": "http://docs.example/page3.html",
        "withdrawn": WITHDRAWN,
    }
    messages = [
        Message("user", "How do I upgrade?", None, "2025-03-04T09:59:00+00:00"),
        reply(
            "Run apt full-upgrade [1]. Lists come from sources.list [2].",
            [citation(1, QUOTES[1]), citation(2, QUOTES[2])],
        ),
        Message("user", HOSTILE, None, "2025-03-04T10:01:00+00:00"),
        reply(f"{HOSTILE} [1]. Gone [3].", [citation(1, HOSTILE), withdrawn]),
    ]
    return export_thread("t-1", "", messages, consent)


def test_markdown_has_every_quote_link_label_date_and_consent(thread: Any) -> None:
    text = to_markdown(thread)
    for turn in thread.turns:
        for c in turn.citations:
            if not c.is_withdrawn:
                assert md_escape(c.quote) in text and c.fragment_url in text
    assert QUOTES[1] in text and QUOTES[2] in text  # plain quotes stay as written
    assert "[^1-1]" in text and "[^1-2]: Page 2" in text
    assert "AI-generated answer (extractive)" in text and "2025-03-04T10:00:00" in text
    assert "consent: allowed (robots.txt, decided 2025-03-01)" in text
    assert "consent: no decision recorded" in text


def test_markdown_escapes_crawled_text(thread: Any) -> None:
    text = to_markdown(thread)
    # in the question's heading and in the answer, escaped: no HTML, no link
    assert re.search(r"(?<!\\)<script", text) is None and "[click](" not in text
    assert "## " in text and "\\<script\\>" in text and "\\<script>" in text


def test_html_is_escaped_standalone_and_complete(thread: Any) -> None:
    page = to_html(thread)
    assert "<script" not in page and "<img" not in page and "<link" not in page
    assert "&lt;script&gt;" in page
    assert not re.search(r"<[a-z]+[^>]*\ssrc=", page)  # no element loads anything
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    for turn in thread.turns:
        for c in turn.citations:
            if not c.is_withdrawn:
                assert f'href="{c.fragment_url}"' in page
    assert QUOTES[1] in page and QUOTES[2] in page
    assert "AI-generated answer (extractive)" in page


@pytest.mark.parametrize("render", [to_markdown, to_html])
def test_a_withdrawn_citation_shows_the_note_not_the_quote(thread: Any, render: Any) -> None:
    text = render(thread)
    assert f"{WITHDRAWN}: its quote was removed." in text
    withdrawn = thread.turns[1].citations[1]
    assert withdrawn.is_withdrawn and withdrawn.quote == ""
    assert "page3.html#:~:text" not in text


def test_a_page_quoted_twice_gets_one_footnote_with_both_quotes() -> None:
    second = "Read the release notes before upgrading."
    messages = [
        Message("user", "How do I upgrade?", None, "2025-03-04T09:59:00+00:00"),
        reply(
            "Run apt full-upgrade [1]. Read the notes first [1].",
            [citation(1, QUOTES[1]), citation(1, second)],
        ),
    ]
    text = to_markdown(export_thread("t-2", "", messages, consent))
    definitions = re.findall(r"^\[\^1-1\]:", text, re.MULTILINE)
    assert len(definitions) == 1  # Markdown keeps only one definition per label
    footnote = text[text.index("[^1-1]:") :]
    assert QUOTES[1] in footnote and second in footnote


def test_a_local_file_s_consent_says_it_is_the_operator_s() -> None:
    """ "no decision recorded (a page read live, or collected before the ledger)" was said of
    every file of a folder source, which no publisher owns."""
    local = {**citation(1, QUOTES[1]), "url": "file:///srv/notes/apt.md", "fragment_url": ""}
    messages = [
        Message("user", "How do I upgrade?", None, "2025-03-04T09:59:00+00:00"),
        reply("Run apt full-upgrade [1].", [local]),
    ]
    text = to_markdown(export_thread("t-3", "", messages, consent))
    assert "consent: a local file of the operator's (no publisher to ask)" in text
    assert "no decision recorded" not in text


@pytest.mark.parametrize("render", [to_markdown, to_html])
def test_a_french_thread_is_exported_in_french(render: Any) -> None:
    """The answers and their AI label were French, the export's own words English."""
    answer = reply("Lancez apt full-upgrade [1].", [citation(1, QUOTES[1])])
    answer.payload["language"] = "fr"  # type: ignore[index]
    messages = [Message("user", "Comment mettre à jour ?", None, "2025-03-04T09:59:00+00:00")]
    text = render(export_thread("t-4", "", [*messages, answer], consent))
    assert "générée par IA" in text and "Passage cité" in text
    assert "autorisé (robots.txt, décidé le 2025-03-01)" in text
    assert "generated by AI" not in text and "Quoted passage" not in text
