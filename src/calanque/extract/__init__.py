"""Extraction: HTML, PDF, DOCX, Markdown and plain text to a clean :class:`Document`.

Step 4 of the data flow (docs/architecture.md). :func:`extract` picks the reader from the
content type and the body's first bytes; :mod:`calanque.extract.dedup` finds
near-duplicate documents.
"""

from calanque.extract.dispatch import extract, sniff
from calanque.extract.html import decode_html
from calanque.extract.language import detect_language

__all__ = ["decode_html", "detect_language", "extract", "sniff"]
