"""Choose the extractor for a body from its content type and its first bytes.

Magic bytes win over the declared type where they are unambiguous (a PDF
served as ``text/html`` is read as a PDF); binary content under a text type
(images, archives, executables, NUL bytes) is refused with kind ``binary``.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from io import BytesIO

from calanque.errors import ExtractError
from calanque.extract.html import decode_html, extract_html
from calanque.extract.language import detect_language
from calanque.extract.markdown import extract_markdown
from calanque.extract.text import (
    bom_encoding,
    build_plain_text,
    declared_utf16,
    decode_bytes,
    utf16_without_bom,
)
from calanque.types import Document

HTML_TYPES = {"text/html", "application/xhtml+xml", "application/xml+html"}
PDF_TYPES = {"application/pdf", "application/x-pdf"}
DOCX_TYPES = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
MARKDOWN_TYPES = {"text/markdown", "text/x-markdown"}
TEXT_TYPES = {"text/plain"}
SUPPORTED_TYPES = HTML_TYPES | PDF_TYPES | DOCX_TYPES | MARKDOWN_TYPES | TEXT_TYPES

_BINARY_MAGIC = (
    b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"RIFF", b"\x1f\x8b", b"\xfd7zXZ",
    b"7z\xbc\xaf", b"Rar!", b"\x7fELF", b"OggS", b"fLaC", b"\x00\x00\x01\x00",
    b"wOFF", b"wOF2", b"\xd0\xcf\x11\xe0", b"%!PS",
)  # fmt: skip
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype html|html|head|body)\b", re.I | re.S
)
_SNIFF_BYTES = 4096
_MAX_CONTROL_RATIO = 0.02


def media_type(content_type: str) -> str:
    """``"text/html"`` from ``"Text/HTML; charset=utf-8"``."""
    return content_type.split(";", 1)[0].strip().lower()


def looks_binary(body: bytes, declared: str | None = None) -> bool:
    """True for known binary formats and bytes that no text encoding would produce
    (``declared``: the charset the server or the file's type announced)."""
    head = body[:_SNIFF_BYTES]
    if head.startswith(_BINARY_MAGIC) or head.startswith(b"PK\x03\x04"):
        return True
    if bom_encoding(head) in {"utf-16", "utf-32"} or utf16_without_bom(head):
        return False
    if declared_utf16(head, declared):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 0x20 and byte not in b"\t\n\r\f\x1b")
    return bool(head) and controls / len(head) > _MAX_CONTROL_RATIO


def _is_docx(body: bytes) -> bool:
    if not body.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(BytesIO(body)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return True  # a broken Office file: let the DOCX reader say what is wrong


def sniff(body: bytes, content_type: str) -> str:
    """The media type to extract ``body`` as: magic bytes first, then the declared type."""
    declared = media_type(content_type)
    head = body[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if _is_docx(body):
        return next(iter(DOCX_TYPES))
    if declared in {"", "application/octet-stream", "binary/octet-stream"}:
        if _HTML_START.match(body[:_SNIFF_BYTES]):
            return "text/html"
        return "text/plain" if body and not looks_binary(body) else declared
    return declared


def _extract_text(body: bytes, url: str, charset: str | None) -> Document:
    builder = build_plain_text(decode_bytes(body, charset))
    text = builder.text()
    if not text.strip():
        raise ExtractError(f"{url or 'file'} has no text", url=url, kind="empty")
    first_line = text.strip().split("\n", 1)[0]
    return Document(url=url, text=text, title=first_line[:200], language=detect_language(text))


def _extractor(kind: str) -> Callable[[bytes, str, str | None], Document] | None:
    if kind in HTML_TYPES:
        return lambda body, url, charset: extract_html(decode_html(body, charset), url)
    if kind in PDF_TYPES:
        return _pdf
    if kind in DOCX_TYPES:
        return _docx
    if kind in MARKDOWN_TYPES:
        return lambda body, url, charset: extract_markdown(decode_bytes(body, charset), url)
    if kind in TEXT_TYPES:
        return _extract_text
    return None


def extract(
    body: bytes, url: str, content_type: str, header_charset: str | None = None
) -> Document:
    """Clean text and metadata of a fetched body or file.

    Raises :class:`~calanque.errors.ExtractError` with ``kind`` one of
    ``binary`` (binary content, or a type Calanque does not read), ``empty``,
    ``pdf``, ``docx`` or ``encoding``.
    """
    if not body.strip():
        raise ExtractError(f"{url or 'body'} is empty", url=url, kind="empty")
    kind = sniff(body, content_type)
    extractor = _extractor(kind)
    if extractor is None:
        raise ExtractError(
            f"{url or 'body'} is {kind or 'of unknown type'}, which Calanque does not read "
            f"(supported: HTML, PDF, DOCX, Markdown, plain text)",
            url=url,
            kind="binary",
        )
    if kind not in PDF_TYPES | DOCX_TYPES and looks_binary(body, header_charset):
        raise ExtractError(
            f"{url or 'body'} is served as {kind} but holds binary data: skipped",
            url=url,
            kind="binary",
        )
    try:
        return extractor(body, url, header_charset)
    except ExtractError as exc:
        exc.url = exc.url or url
        raise


def _pdf(body: bytes, url: str, _charset: str | None) -> Document:
    from calanque.extract.pdf import extract_pdf  # pypdf is imported only when a PDF comes

    return extract_pdf(body, url)


def _docx(body: bytes, url: str, _charset: str | None) -> Document:
    from calanque.extract.docx import extract_docx  # python-docx likewise

    return extract_docx(body, url)
