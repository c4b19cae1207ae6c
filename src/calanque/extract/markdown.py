"""Markdown to text: rendered with markdown-it (CommonMark), then read like HTML.

Headings become the outline, fenced code stays verbatim, markup characters
(``**``, ``[]()``) disappear from the text.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from calanque.extract.html import extract_html
from calanque.types import Document

_renderer = MarkdownIt("commonmark").enable("table")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:[ \t]*[\"']?(.*?)[\"']?[ \t]*$", re.MULTILINE)


def extract_markdown(text: str, url: str = "") -> Document:
    """A :class:`Document` from Markdown source.

    The title is the front matter's ``title:`` if any, else the first heading.
    """
    front = _FRONT_MATTER.match(text)
    declared = _FRONT_TITLE.search(front.group(1)) if front else None
    html = _renderer.render(text[front.end() :] if front else text)
    document = extract_html(f"<html><body>{html}</body></html>", url)
    title = document.headings[0].text if document.headings else document.title
    if declared and declared.group(1).strip():
        title = declared.group(1).strip()
    return Document(
        url=url,
        text=document.text,
        title=title,
        language=document.language,
        canonical_url=document.canonical_url,
        headings=document.headings,
    )
