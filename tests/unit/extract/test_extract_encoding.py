"""Pages in legacy encodings come out with the right accents."""

from __future__ import annotations

import codecs

import pytest

from calanque.errors import ExtractError
from calanque.extract import decode_html, extract
from calanque.extract.text import decode_bytes

ACCENTS = "é à ç œ €"
PAGE = "<html><body><p>Voilà l'été : é à ç œ € — déjà ça coûte 5 €.</p></body></html>"


def _page(meta: str = "") -> str:
    return f"<html><head>{meta}<title>Été</title></head><body><p>{ACCENTS} et déjà ça.</p></body></html>"


@pytest.mark.parametrize("header", ["iso-8859-1", "ISO-8859-1", "latin1", "windows-1252", "cp1252"])
def test_http_charset_latin1_is_read_as_windows_1252(header: str) -> None:
    body = _page().encode("cp1252")
    assert ACCENTS in decode_html(body, header)


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="iso-8859-1">',
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">',
        "<meta charset=windows-1252>",
    ],
)
def test_meta_charset_is_honoured(meta: str) -> None:
    assert ACCENTS in decode_html(_page(meta).encode("cp1252"), None)


def test_http_charset_wins_over_meta() -> None:
    body = _page('<meta charset="utf-8">').encode("cp1252")
    assert ACCENTS in decode_html(body, "windows-1252")


def test_byte_order_mark_wins_over_everything() -> None:
    body = codecs.BOM_UTF8 + _page('<meta charset="iso-8859-1">').encode("utf-8")
    text = decode_html(body, "iso-8859-1")
    assert ACCENTS in text
    assert not text.startswith("\ufeff")


def test_utf16_with_bom() -> None:
    assert ACCENTS in decode_html(_page().encode("utf-16"), None)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("content_type", ["text/plain", "text/markdown", "text/html"])
def test_utf16_without_a_byte_order_mark_is_read(encoding: str, content_type: str) -> None:
    """``iconv -t UTF-16LE`` writes no BOM: its NUL bytes were refused as binary data."""
    text = "Notes de version\n\nLe paquet s'installe avec apt : déjà ça coûte 5 €.\n" * 3
    body = (_page() if content_type == "text/html" else text).encode(encoding)
    document = extract(body, "file:///notes", f"{content_type}; charset=utf-8")
    assert (ACCENTS if content_type == "text/html" else "coûte 5 €") in document.text


@pytest.mark.parametrize(
    "body",
    [
        b"\x7fELF\x02\x01\x01" + bytes(500),  # zeros on both sides of the pairs
        bytes(range(256)) * 8,
        "日本語のテキストです。".encode("utf-16-le") * 40,  # no zero bytes at all
        b"Le paquet" + b"\x00\x01" * 300,  # zeros, and controls decoded
        bytes(b for n in range(2000) for b in ((0x20 + n * 7) % 0xE0 + 0x20, 0)),  # uint16s
    ],
)
def test_what_is_not_utf16_is_not_read_as_utf16(body: bytes) -> None:
    from calanque.extract.text import utf16_without_bom

    assert utf16_without_bom(body) is None


def test_utf16_declared_by_the_server_is_read_in_any_script() -> None:
    """Russian or Japanese in UTF-16 has no zero bytes to tell it by: the declared charset
    does (the bytes were refused as binary whatever the header said)."""
    text = "Пакет устанавливается командой apt. パッケージは apt でインストールします。\n" * 5
    body = text.encode("utf-16-le")
    document = extract(body, "http://h/notes.txt", "text/plain", "utf-16le")
    assert "Пакет устанавливается" in document.text and "インストール" in document.text
    with pytest.raises(ExtractError) as refused:  # undeclared, it still cannot be told
        extract(bytes(range(256)) * 8, "http://h/x.txt", "text/plain", "utf-16le")
    assert refused.value.kind == "binary"


def test_a_latin1_note_is_not_read_in_a_code_page_nobody_uses() -> None:
    """charset-normalizer's best guess for this note was ISO 8859-14 (Celtic): "n°" came
    out "nḞ"."""
    note = (
        "Note en Latin-1 : le code du coffre-fort est 4471, défini par François Léger le "
        "2 février 2025. La clé est rangée dans le tiroir n° 3.\n"
    )
    assert decode_bytes(note.encode("latin-1")) == note


def test_undeclared_cp1252_is_guessed() -> None:
    body = (
        "<html><body><p>"
        + "Le café coûte très cher à Paris, même en été. " * 20
        + ACCENTS
        + "</p></body></html>"
    ).encode("cp1252")
    assert ACCENTS in decode_html(body, None)


def test_undeclared_utf8_is_utf8() -> None:
    assert ACCENTS in decode_html(_page().encode("utf-8"), None)


def test_unknown_declared_charset_falls_back_to_guessing() -> None:
    assert ACCENTS in decode_html(_page().encode("utf-8"), "x-no-such-charset")


def test_extract_reports_accents_end_to_end() -> None:
    doc = extract(PAGE.encode("cp1252"), "http://h/", "text/html; charset=iso-8859-1", "iso-8859-1")
    assert "é à ç œ €" in doc.text
    assert doc.language == "fr"


def test_latin1_mislabelled_as_utf8_is_still_read() -> None:
    body = _page('<meta charset="utf-8">').encode("cp1252")
    assert ACCENTS in decode_html(body, "utf-8")


def test_undecodable_bytes_are_an_encoding_error() -> None:
    body = bytes(range(0x80, 0x100)) * 40
    with pytest.raises(ExtractError) as caught:
        decode_bytes(body, "shift_jis")
    assert caught.value.kind == "encoding"
