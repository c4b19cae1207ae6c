"""PDF to text with pypdf: one block per paragraph, pages in order.

A PDF has no reliable heading structure, so ``Document.headings`` holds the
document outline (bookmarks) only when its titles are found in the text.
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from calanque.errors import ExtractError
from calanque.extract.language import detect_language
from calanque.extract.text import TextBuilder, normalize_space, split_paragraphs
from calanque.types import Document

logging.getLogger("pypdf").setLevel(logging.ERROR)


def _open(body: bytes, url: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractError(
                f"{url or 'PDF'} is encrypted: give Calanque an unencrypted copy",
                url=url,
                kind="pdf",
            )
        _ = len(reader.pages)
    except ExtractError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise ExtractError(
            f"{url or 'PDF'} is not a readable PDF ({exc}): check the file is complete",
            url=url,
            kind="pdf",
        ) from exc
    return reader


def _page_texts(reader: PdfReader, url: str) -> list[str]:
    texts = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ExtractError(
                f"page {number} of {url or 'the PDF'} cannot be read ({exc})", url=url, kind="pdf"
            ) from exc
    return texts


def _title(reader: PdfReader) -> str:
    try:
        info = reader.metadata
    except (PyPdfError, ValueError, KeyError, TypeError):
        return ""
    return normalize_space(str(info.title or "")) if info is not None else ""


def extract_pdf(body: bytes, url: str = "") -> Document:
    """A :class:`Document` from PDF bytes; ``ExtractError`` kind ``pdf`` or ``empty``."""
    reader = _open(body, url)
    builder = TextBuilder()
    for page_text in _page_texts(reader, url):
        for block in split_paragraphs(page_text.replace("\r\n", "\n")):
            builder.paragraph(block)
    text = builder.text()
    if not text.strip():
        raise ExtractError(
            f"{url or 'PDF'} has no text layer (a scan?): run OCR on it first",
            url=url,
            kind="empty",
        )
    return Document(
        url=url,
        text=text,
        title=_title(reader) or text.split("\n", 1)[0][:200],
        language=detect_language(builder.prose_sample()),
    )
