"""An answer as Markdown renders as its plain text reads: rendered by markdown-it (CommonMark
with strikethrough, as chat clients enable it) and by cmark-gfm (GitHub's own renderer, its
extensions on, raw HTML let through as the least careful client would)."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from calanque.answer.markdown import MarkdownStream, from_markdown, to_markdown

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
    # a marker that a bracket or a colon follows: an image, a link, a link's definition
    "marker image": "See ![1](https://t.example/p.png) [2]",
    "marker link": "Pay at [1](http://evil.example) now. [1]",
    "marker definition": "[1]: http://x.example/\nSee [1] below. [1]",
    # Markdown inside a URL, and a URL that a sentence's punctuation ends
    "url emphasis": "Open https://x.example/*a*/__b__/~~c~~/_d_ now. [1]",
    "url in brackets": "(see https://example.org/a_(b)), then https://example.org/c. [2]",
    "url and html": "see https://a.example/x<img src=x onerror=alert(1)> [1]",
    "carriage return": "First line. [1]\r# heading?\r\n> quote? [1]",
    # GFM links a bare "www." and "ftp://" by scanning the Markdown as written: the escapes
    # after them went into the link, and the "<" they escaped opened raw HTML
    "www and html": "See www.example.org<img src=x onerror=alert(1)> now. [1]",
    "www and escapes": "(www.example.org/a_b*) and _www.debian.org`x` [1]",
    "ftp and html": "Get ftp://ftp.example.org/x<script>alert(1)</script> [2]",
    "e-mail": "Write to user@example.org<b>bold</b> or mailto:a@b.example* [1]",
}


def rendered_lines(markdown: str) -> list[str]:
    """The rendered paragraphs' text; fails on any other element than a link that shows
    its own address (a URL of the answer, made an autolink)."""
    return paragraphs(RENDERER.render(markdown))


def paragraphs(out: str) -> list[str]:
    """The text of HTML ``out``'s paragraphs; fails on any other element than a link that
    shows its own address (percent-encoded in the href; GFM adds ``mailto:`` to a bare
    e-mail address)."""
    for href, shown in re.findall(r'<a href="([^"]*)">(.*?)</a>', out):
        assert _same_address(html.unescape(href), html.unescape(shown)), out
    tags = set(re.findall(r"</?([a-z0-9]+)", out))
    assert tags <= {"p", "a"}, f"{tags - {'p', 'a'}} in {out!r}"
    text = re.sub(r"</?a\b[^>]*>", "", out)
    found = re.findall(r"<p>(.*?)</p>", text, re.S)
    return [" ".join(html.unescape(p).split()) for p in found]


def _same_address(href: str, shown: str) -> bool:
    return unquote(href) in (shown, f"mailto:{shown}")


def gfm_lines(markdown: str) -> list[str]:
    """:func:`rendered_lines` by cmark-gfm."""
    return paragraphs(
        cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    )


def plain_lines(plain: str) -> list[str]:
    return [" ".join(line.split()) for line in re.split(r"\r\n?|\n", plain) if line.strip()]


@pytest.mark.parametrize("plain", ANSWERS.values(), ids=ANSWERS.keys())
def test_an_answer_renders_as_written_each_line_a_paragraph(plain: str) -> None:
    assert rendered_lines(to_markdown(plain)) == plain_lines(plain)


@pytest.mark.parametrize("plain", ANSWERS.values(), ids=ANSWERS.keys())
def test_github_s_renderer_shows_it_as_written_too(plain: str) -> None:
    assert gfm_lines(to_markdown(plain)) == plain_lines(plain)


def test_a_bare_www_address_is_no_link_that_could_take_the_escapes_after_it() -> None:
    assert to_markdown("See www.example.org<b> [1]") == "See www\\.example.org\\<b> [1]"
    assert to_markdown("Get ftp://ftp.example.org/x<b>") == "Get <ftp://ftp.example.org/x>\\<b>"


def test_markers_and_word_underscores_stay_as_written_a_link_is_an_autolink() -> None:
    plain = "Run dh_install. [1][2] See https://example.org/a_b_(c). [3]"
    assert to_markdown(plain) == "Run dh_install. [1][2] See <https://example.org/a_b_(c)>. [3]"


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


@pytest.mark.parametrize("plain", ANSWERS.values(), ids=ANSWERS.keys())
def test_an_answer_sent_back_as_history_reads_as_its_plain_text(plain: str) -> None:
    """A chat client sends the Markdown back with the conversation's earlier answers."""
    lines = [" ".join(line.split()) for line in re.split(r"\r\n?|\n", plain) if line.strip()]
    back = [" ".join(line.split()) for line in from_markdown(to_markdown(plain)).split("\n")]
    assert back == lines


# What an answer can hold that Markdown reads: every piece that opens syntax, links of each
# kind GFM recognises and the characters around them.
_PIECES = st.sampled_from(
    ["www.", "www.a.org", "http://", "https://x.org/", "ftp://", "mailto:", "x@y.fr", "[1]"]
    + ["<", ">", "*", "_", "~", "`", "[", "]", "(", ")", "\\", "&amp;", "#", "-", "+", "="]
    + ["!", ":", "|", "1.", "$", "{", '"', "'", "/", "?", "@", ".", " ", "\t", "\n", "a"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
@example("http://mailto::|")  # an empty port: rendered "http://mailto:|" as an autolink
def test_any_text_renders_as_written_by_both_renderers(plain: str) -> None:
    markdown = to_markdown(plain)
    assert rendered_lines(markdown) == plain_lines(plain), markdown
    assert gfm_lines(markdown) == plain_lines(plain), markdown
