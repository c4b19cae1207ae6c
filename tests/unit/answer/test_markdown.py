"""An answer as Markdown renders as its plain text reads (rendered by markdown-it, CommonMark
with strikethrough as chat clients enable it)."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from calanque.answer.markdown import MarkdownStream, to_markdown

RENDERER = MarkdownIt("commonmark").enable("strikethrough")

# Each answer a page could make Calanque quote, one hazard a line.
ANSWERS = {
    "root prompt": "To install it: [1]\n# apt install foo [1]\nThen restart it. [2]",
    "globs": "Clean the tree. [1]\n$ rm *.o *.a [1]",
    "html": "Name it <package>.lintian-overrides. [2] <img src=x onerror=alert(1)> [2]",
    "image": "Details: ![x](https://tracker.example/p.png?q=secret) [1]",
    "link": "See [the docs](http://evil.example/) for more. [1]",
    "lists": "Steps: [1]\n1. Run dpkg. [1]\n2) Reboot. [1]\n- item [2]\n+ other [2]\n* third [2]",
    "quote and rules": "> quoted [1]\n===\n---\n***\n___ [1]",
    "indented": "Add the line: [1]\n    deb http://deb.debian.org/debian bookworm main [1]",
    "emphasis": "Call __init__ from dh_install, not _private_ or *this*. [3]",
    "strikethrough": "Copy ~/.bashrc to ~/.profile. [1]",
    "entities": "Write &amp; for an ampersand and &#60; for less-than. [1]",
    "code": "Quote `$HOME` with ``` fences [1] and a final backslash \\",
    "brackets": "The first argument is argv[0] and ${name[1]} an element. [1][2]",
    "flag": "Something unverified. [unverified]",
}


def rendered_lines(markdown: str) -> list[str]:
    """The rendered paragraphs' text; fails on any other element."""
    out = RENDERER.render(markdown)
    tags = set(re.findall(r"</?([a-z0-9]+)", out))
    assert tags <= {"p"}, f"{tags - {'p'}} in {out!r}"
    return [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", out, re.S)]


@pytest.mark.parametrize("plain", ANSWERS.values(), ids=ANSWERS.keys())
def test_an_answer_renders_as_written_each_line_a_paragraph(plain: str) -> None:
    lines = [" ".join(line.split()) for line in plain.split("\n") if line.strip()]
    assert rendered_lines(to_markdown(plain)) == lines


def test_markers_links_and_word_underscores_stay_as_written() -> None:
    plain = "Run dh_install. [1][2] See https://example.org/a_b_(c) [3]"
    assert to_markdown(plain) == plain


def test_the_escapes_a_chat_client_needs_are_there() -> None:
    text = to_markdown("Intro. [1]\n# apt install foo [1]\n$ rm *.o [2]")
    assert text == "Intro. [1]\n\n\\# apt install foo [1]\n\n$ rm \\*.o [2]"


@pytest.mark.parametrize("plain", ANSWERS.values(), ids=ANSWERS.keys())
def test_a_stream_converted_delta_by_delta_is_the_whole_converted(plain: str) -> None:
    """The engine streams whole sentences with their markers: cut after each marker and
    each line."""
    cuts = sorted({m.end() for m in re.finditer(r"\]|\n", plain)})
    pieces = [plain[a:b] for a, b in zip([0, *cuts], [*cuts, len(plain)], strict=True)]
    stream = MarkdownStream()
    assert "".join(stream.convert(p) for p in pieces) == to_markdown(plain)
    assert len(pieces) > 1
