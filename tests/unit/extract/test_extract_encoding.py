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
