"""An answer's text as Markdown, for the clients that render it.

An answer is plain text: sentences quoted from pages, ``[n]`` markers, and command lines
on lines of their own. Chat clients of the OpenAI API (and Markdown exports) render it as
Markdown, where that text changes: a root prompt's ``# apt install foo`` becomes a
heading, ``rm *.o *.a`` loses its stars to emphasis, ``<package>`` vanishes as HTML, a
command line runs into the sentence before it (one newline is a soft break), and a page's
``![](https://tracker.example/?q=…)`` or ``[click](…)``, quoted verbatim, would load a
remote image or hide a link's target in the reader's client.

:func:`to_markdown` backslash-escapes what CommonMark (and GitHub's extensions) would read
as syntax, keeps the ``[n]`` markers as written, writes a URL as an autolink (``<…>``, in
which nothing is read as Markdown; a bare ``www.`` is no link), and makes each line a paragraph: rendered, the text
reads as the plain text does; :func:`from_markdown` undoes it. :class:`MarkdownStream` does
the same for an answer streamed in deltas. The conversion is made character by character
from what came just before, so converting the deltas one after the other gives the
conversion of their concatenation (a delta never cuts a marker: the engine streams whole
sentences with their markers).
"""

from __future__ import annotations

import re

from calanque.answer.claims import ENTITY, link_text

# Characters that open syntax wherever they are: code, emphasis, HTML and autolinks,
# links and images, strikethrough. (A table cannot form: its rows would be paragraphs.)
_ANYWHERE = frozenset("\\`*<[]~")
# Opening a line: a heading, a quote, a list item, a setext underline or thematic break.
_LINE_START = frozenset("#>+-=")
_LINE_END = frozenset("\r\n")  # CommonMark's line endings: \n, \r\n and \r alone
_MARKER = re.compile(r"\[\d+\]")
# as far as the verifier reads a link (claims.URL), from a host on
_LINK = re.compile(r"(?:https?|ftp)://[^\W_][^\s<>\[\]`\"]*", re.IGNORECASE)
# GitHub's renderer (cmark-gfm) links a bare "www.example.org" by scanning the Markdown as
# written, up to a space or "<": the backslashes of the escapes after it go into the link
# and the "<" they escaped opens raw HTML again. Its "." escaped, it is no link there.
_WWW = re.compile(r"www\.", re.IGNORECASE)
_ORDERED = re.compile(r"\d{1,9}[.)](?=\s|$)")
# A host's port is digits: renderers rewrite an autolink's authority as a URL parser reads
# it, so "http://mailto::|" showed as "http://mailto:|". Such a link is written as text.
_PORT_OR_NONE = re.compile(r"[^:]*(?::\d+)?")


def _authority(url: str) -> str:
    """What comes between ``://`` and the path, the query or the fragment."""
    return re.split(r"[/?#]", url.split("://", 1)[1], maxsplit=1)[0]


def to_markdown(text: str) -> str:
    """``text`` escaped for Markdown, each line a paragraph (see the module docstring)."""
    return _converted(text, "\n")[0]


def _converted(text: str, previous: str) -> tuple[str, str]:
    """``text`` converted after ``previous`` (the character before it; a newline at the
    start of an answer), and the character to convert the next text after."""
    out: list[str] = []
    at = 0
    while at < len(text):
        piece, end = _piece(text, at, previous)
        out.append(piece)
        if piece or previous not in _LINE_END:
            previous = text[end - 1]  # a line's dropped leading blanks: still at its start
        at = end
    return "".join(out), previous


def _piece(text: str, at: int, previous: str) -> tuple[str, int]:
    """What ``text[at:end]`` becomes, and ``end``."""
    if not (previous.isalnum() or previous == "_"):
        marker = _MARKER.match(text, at)
        if marker:  # kept as written
            return marker.group(0), marker.end()
        link = _LINK.match(text, at)
        if link and _PORT_OR_NONE.fullmatch(_authority(link.group(0))):
            # as an autolink, where nothing in it is read as Markdown
            url = link_text(link.group(0))
            return f"<{url}>", at + len(url)
    if not previous.isalnum() and _WWW.match(text, at):
        return f"{text[at : at + 3]}\\.", at + 4
    char = text[at]
    at_start = previous in _LINE_END
    if at_start:
        number = _ORDERED.match(text, at)
        if number:  # "1. Run…" would start a list
            return f"{number.group(0)[:-1]}\\{number.group(0)[-1]}", number.end()
        if char in " \t":
            return "", at + 1  # indented by four, a line would be a code block
        if char in _LINE_START:
            return "\\" + char, at + 1
    if char in _LINE_END:  # each line a paragraph; "\r\n" is one line's end
        return ("" if at_start else "\n\n"), at + 1
    if char == ":" and text.startswith("//", at + 1):
        return "\\:", at + 1  # "x_http://…", no autolink of ours: GFM's must not take it
    if char in _ANYWHERE or (previous == "]" and char in "(:"):
        # "[1](…)" would be a link, "[1]: …" a link's definition
        return "\\" + char, at + 1
    if char == "_" and not (previous.isalnum() and text[at + 1 : at + 2].isalnum()):
        return "\\_", at + 1  # emphasis; "dh_install" stays as written
    if char == "&" and ENTITY.match(text, at):
        return "\\&", at + 1  # "&amp;" would show "&"
    return char, at + 1


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_AUTOLINK = re.compile(r"<((?i:https?|ftp)://[^\s<>]*)>")


def from_markdown(text: str) -> str:
    """An answer as :func:`to_markdown` wrote it, back to its plain text (what a chat
    client sends back as the conversation's earlier answers): escapes, autolinks and
    paragraph breaks undone."""
    plain = _AUTOLINK.sub(r"\1", text.replace("\n\n", "\n"))
    return _ESCAPED.sub(r"\1", plain)


class MarkdownStream:
    """Converts an answer's deltas one after the other (see :func:`to_markdown`)."""

    def __init__(self) -> None:
        self._previous = "\n"

    def convert(self, delta: str) -> str:
        converted, self._previous = _converted(delta, self._previous)
        return converted
