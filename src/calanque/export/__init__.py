"""Exports: a stored thread (or one answer) as Markdown or as a standalone HTML page.

``thread_export`` reads a thread and the consent status of its sources from the catalog;
``to_markdown`` and ``to_html`` are pure functions over what it returns.
"""

from calanque.export.document import (
    FORMATS,
    ExportedCitation,
    ExportedThread,
    ExportedTurn,
    export_thread,
    thread_export,
)
from calanque.export.html import to_html
from calanque.export.markdown import to_markdown
from calanque.export.render import render

__all__ = [
    "FORMATS",
    "ExportedCitation",
    "ExportedThread",
    "ExportedTurn",
    "export_thread",
    "render",
    "thread_export",
    "to_html",
    "to_markdown",
]
