"""One entry point for the faces: a thread in the format asked for."""

from __future__ import annotations

from calanque.errors import SourceError
from calanque.export.document import ExportedThread
from calanque.export.html import to_html
from calanque.export.markdown import to_markdown


def render(thread: ExportedThread, fmt: str) -> str:
    """``thread`` as Markdown (``md``) or as a standalone HTML page (``html``)."""
    if fmt == "md":
        return to_markdown(thread)
    if fmt == "html":
        return to_html(thread)
    raise SourceError(f"unknown export format {fmt!r}: use md or html.")
