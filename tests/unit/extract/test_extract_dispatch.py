"""Dispatch on content type and magic bytes; binary and unsupported types are refused."""

from __future__ import annotations

import gzip

import pytest

from calanque.errors import ExtractError
from calanque.extract import extract, sniff

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    "body",
    [
        PNG,
        gzip.compress(b"<html><body>compressed</body></html>" * 50),
        bytes(range(256)) * 20,
        b"<html><body>" + b"\x00\x01\x02\x03" * 400 + b"</body></html>",
        b"\x7fELF\x02\x01\x01" + b"\x00" * 500,
    ],
)
def test_binary_served_as_html_is_refused(body: bytes) -> None:
    with pytest.raises(ExtractError) as caught:
        extract(body, "http://h/x.html", "text/html; charset=utf-8")
    assert caught.value.kind == "binary"
    assert caught.value.url == "http://h/x.html"


@pytest.mark.parametrize("content_type", ["image/png", "application/zip", "video/mp4"])
def test_unsupported_types_are_refused(content_type: str) -> None:
    with pytest.raises(ExtractError) as caught:
        extract(PNG, "http://h/x", content_type)
    assert caught.value.kind == "binary"


def test_plain_text_keeps_lines_and_paragraphs() -> None:
    body = "Notes de version\n\nLigne un\nLigne deux\n\n\nDernier paragraphe en français, voilà.\n"
    doc = extract(body.encode("utf-8"), "file:///notes.txt", "text/plain")
    assert (
        doc.text
        == "Notes de version\n\nLigne un\nLigne deux\n\nDernier paragraphe en français, voilà."
    )
    assert doc.title == "Notes de version"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"<!DOCTYPE html><html><body>x</body></html>", "", "text/html"),
        (b"  <html><p>x</p></html>", "application/octet-stream", "text/html"),
        (b"just some words", "application/octet-stream", "text/plain"),
        (b"%PDF-1.4\n...", "text/html", "application/pdf"),
        (b"<html>page</html>", "text/plain", "text/plain"),
        (b"<p>x</p>", "Text/HTML; charset=UTF-8", "text/html"),
    ],
)
def test_sniff(body: bytes, content_type: str, expected: str) -> None:
    assert sniff(body, content_type) == expected


def test_html_without_content_type_is_read_as_html() -> None:
    doc = extract(
        b"<html><body><nav>Menu</nav><p>Hello world, this is the page.</p></body></html>",
        "http://h/",
        "",
    )
    assert doc.text == "Hello world, this is the page."
