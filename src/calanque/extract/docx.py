"""DOCX to text with python-docx: paragraphs, headings by style, tables as rows."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from calanque.errors import ExtractError
from calanque.extract.language import detect_language
from calanque.extract.text import TextBuilder, normalize_space
from calanque.types import Document

_HEADING_STYLE = re.compile(r"^(?:heading|titre|überschrift|título|titolo)\s*(\d)$", re.I)


# The parts unzipped, pictures and embedded files aside, at most: python-docx holds about 25 times their size in memory,
# and a 64 KB file can unzip to hundreds of thousands of paragraphs (a zip bomb).
MAX_XML_BYTES = 32 * 1024 * 1024


def _embedded(name: str) -> bool:
    """Pictures and embedded files, which python-docx does not parse (any other part may be
    XML, whatever its name)."""
    return name.startswith(("word/media/", "word/embeddings/"))


def _open(body: bytes, url: str) -> DocxDocument:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as package:
            xml = sum(i.file_size for i in package.infolist() if not _embedded(i.filename))
    except (zipfile.BadZipFile, ValueError):
        xml = 0  # python-docx says what is wrong below
    if xml > MAX_XML_BYTES:
        raise ExtractError(
            f"{url or 'DOCX'} unzips to {xml // 2**20} MiB of XML, over the "
            f"{MAX_XML_BYTES // 2**20} MiB read: split the document or save it as PDF",
            url=url,
            kind="too-large",
        )
    try:
        return docx.Document(io.BytesIO(body))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ExtractError(
            f"{url or 'DOCX'} is not a readable Word document ({exc}): save it again as .docx",
            url=url,
            kind="docx",
        ) from exc
    except etree.XMLSyntaxError as exc:
        raise ExtractError(
            f"{url or 'DOCX'} has broken XML inside ({exc})", url=url, kind="docx"
        ) from exc


def _heading_level(paragraph: Paragraph, levels: dict[str | None, int]) -> int:
    """The paragraph's heading level by its style's name (0: no heading); ``levels``
    caches it by style id (python-docx looks a style up through every style each time)."""
    style_id = paragraph._p.style
    if style_id not in levels:
        name = paragraph.style.name if paragraph.style is not None else ""
        match = _HEADING_STYLE.match(name or "")
        levels[style_id] = 1 if name == "Title" else int(match.group(1)) if match else 0
    return levels[style_id]


def _write_table(table: Table, builder: TextBuilder) -> None:
    for index, row in enumerate(table.rows):
        cells: list[str] = []
        for cell in row.cells:
            text = normalize_space(cell.text)
            if text and (not cells or cells[-1] != text):  # merged cells repeat
                cells.append(text)
        builder.paragraph(" | ".join(cells), tight=index > 0)


def _write_body(document: DocxDocument, builder: TextBuilder) -> None:
    levels: dict[str | None, int] = {}
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            _write_table(item, builder)
        elif level := _heading_level(item, levels):
            builder.heading(level, item.text)
        else:
            builder.paragraph(item.text)


def extract_docx(body: bytes, url: str = "") -> Document:
    """A :class:`Document` from DOCX bytes; ``ExtractError`` kind ``docx`` or ``empty``."""
    document = _open(body, url)
    builder = TextBuilder()
    try:
        _write_body(document, builder)
    except (KeyError, ValueError, AttributeError) as exc:
        raise ExtractError(f"{url or 'DOCX'} cannot be read ({exc})", url=url, kind="docx") from exc
    text = builder.text()
    if not text.strip():
        raise ExtractError(f"{url or 'DOCX'} has no text", url=url, kind="empty")
    # without a docProps/core.xml, python-docx makes up properties ("Word Document", now)
    package = document.part.package
    written = any(r.reltype.endswith("/core-properties") for r in package.rels.values())
    props = document.core_properties
    title = normalize_space(props.title or "") if written else ""
    return Document(
        url=url,
        text=text,
        title=title or text.split("\n", 1)[0][:200],
        language=detect_language(builder.prose_sample()),
        author=normalize_space(props.author or "") if written else "",
        date=props.created.date().isoformat() if written and props.created else "",
        headings=tuple(builder.headings),
    )
