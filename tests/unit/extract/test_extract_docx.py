"""DOCX files: headings by style, paragraphs and tables in body order."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import docx
import pytest

from calanque.errors import ExtractError
from calanque.extract import extract

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def make_docx() -> bytes:
    document = docx.Document()
    document.core_properties.title = "Procédure de mise à jour"
    document.core_properties.author = "Équipe système"
    document.core_properties.created = datetime(2024, 3, 1, 9, 30)
    document.add_heading("Mise à jour des serveurs", level=1)
    document.add_paragraph("Avant toute mise à jour, vérifiez les sauvegardes du serveur.")
    document.add_heading("Commandes", level=2)
    document.add_paragraph("Lancez apt update puis apt full-upgrade sur chaque machine.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Serveur", "Jour"
    table.cell(1, 0).text, table.cell(1, 1).text = "web1", "lundi"
    document.add_paragraph("Après la table, redémarrez si le noyau a changé.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_text_outline_and_metadata() -> None:
    doc = extract(make_docx(), "file:///srv/doc.docx", DOCX_TYPE)
    assert [(h.level, h.text) for h in doc.headings] == [
        (1, "Mise à jour des serveurs"),
        (2, "Commandes"),
    ]
    for heading in doc.headings:
        assert doc.text[heading.start : heading.start + len(heading.text)] == heading.text
    assert "Serveur | Jour\nweb1 | lundi" in doc.text
    assert doc.text.index("full-upgrade") < doc.text.index("web1") < doc.text.index("redémarrez")
    assert doc.title == "Procédure de mise à jour"
    assert doc.author == "Équipe système"
    assert doc.date == "2024-03-01"
    assert doc.language == "fr"


def test_docx_is_sniffed_without_a_content_type() -> None:
    doc = extract(make_docx(), "file:///srv/doc", "application/octet-stream")
    assert "vérifiez les sauvegardes" in doc.text


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "body",
    [
        b"PK\x03\x04 truncated zip",
        _zip({"word/document.xml": b"<not xml"}),
        _zip({"readme.txt": b"a zip that is not a Word document"}),
        b"plain bytes that are no zip at all",
    ],
)
def test_unreadable_docx_is_a_docx_error(body: bytes) -> None:
    with pytest.raises(ExtractError) as caught:
        extract(body, "file:///srv/broken.docx", DOCX_TYPE)
    assert caught.value.kind == "docx"


def test_a_docx_that_unzips_to_too_much_xml_is_refused_before_parsing() -> None:
    """A 36 KB file unzipped to 10 MiB of paragraphs; python-docx holds ~25 times the XML
    in memory: a few MB of download took gigabytes and minutes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(make_docx())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                para = b"<w:p><w:r><w:t>bomb</w:t></w:r></w:p>"
                data = data.replace(b"</w:body>", para * (33 * 2**20 // len(para)) + b"</w:body>")
            bomb.writestr(item, data)
    body = out.getvalue()
    assert len(body) < 1_000_000
    with pytest.raises(ExtractError) as caught:
        extract(body, "file:///bomb.docx", DOCX_TYPE)
    assert caught.value.kind == "too-large" and "MiB of XML" in str(caught.value)


def test_a_docx_without_core_properties_is_titled_by_its_first_line() -> None:
    """python-docx makes up properties where the file has none: every such file was
    titled "Word Document", dated today."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_docx())) as source, zipfile.ZipFile(out, "w") as bare:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "docProps/core.xml":
                continue
            if item.filename == "_rels/.rels":
                data = re.sub(rb"<Relationship [^>]*core-properties[^>]*/>", b"", data)
            bare.writestr(item, data)
    doc = extract(out.getvalue(), "file:///bare.docx", DOCX_TYPE)
    assert doc.title == "Mise à jour des serveurs" and doc.date == "" and doc.author == ""
