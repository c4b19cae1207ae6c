"""Plain text: decoding bytes, and the builder every extractor uses to lay out text.

Every extractor (HTML, PDF, DOCX, Markdown, plain text) produces a sequence of
blocks: headings, paragraphs, list items, table rows, verbatim code. The
:class:`TextBuilder` joins them into one string with a blank line between
blocks (single newlines between rows of one table) and records where each
heading's text starts, so the outline survives as ``Document.headings``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import charset_normalizer

from calanque.errors import ExtractError
from calanque.types import Heading

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Browsers decode these labels as Windows-1252 (WHATWG Encoding Standard).
_BROWSER_ALIASES = {"latin1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252"}
_SPACES = re.compile(r"\s+")
_GUESS_SAMPLE = 256 * 1024
_MAX_REPLACEMENT_RATIO = 0.05
_PROSE_SAMPLE = 50_000
_CHAOS_TIE = 0.01
# UTF-16 without a byte order mark: the share of byte pairs with a zero high byte at
# least (Latin text: nearly all; the sample's whole pairs), and of zero low bytes at most
_UTF16_SAMPLE = 4096
_UTF16_ZEROS = 0.5
_UTF16_STRAY_ZEROS = 0.02
# Mac, DOS and EBCDIC code pages, and the ISO 8859 parts hardly used (South European,
# Baltic, Nordic, Celtic, Romanian): valid guesses for bytes, never seen on web pages or
# in an office's files (a Latin-1 "n°" came out "nḞ", ISO 8859-14's reading of 0xB0).
_UNLIKELY = re.compile(
    r"^(?:mac_|cp(?:4\d\d|7\d\d|8[0-6]\d|1125|037|500|1026|1140)$|hz|ptcp"
    r"|iso8859_(?:3|4|10|13|14|16)$)"
)


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace to one space and strip the ends."""
    return _SPACES.sub(" ", text).strip()


def bom_encoding(body: bytes) -> str | None:
    """The encoding announced by a byte order mark, if any."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    return None


def utf16_without_bom(body: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` for UTF-16 text written without a byte order mark
    (``iconv -t UTF-16LE``, some Windows tools), else None.

    Text in a Latin script has a zero high byte in most of its code units: zeros on one
    side of most byte pairs and almost none on the other, which neither UTF-8 nor a code
    page produces (a binary file has zeros on both sides). The sample must then decode.
    """
    sample = body[:_UTF16_SAMPLE]
    sample = sample[: len(sample) // 2 * 2]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even = sample[0::2].count(0) / pairs
    odd = sample[1::2].count(0) / pairs
    for zeros, other, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros >= _UTF16_ZEROS and other <= _UTF16_STRAY_ZEROS:
            return name if _reads_as(sample, name) else None
    return None


def _reads_as(sample: bytes, name: str) -> bool:
    """Whether ``sample`` (whole byte pairs) decodes as UTF-16 ``name`` into text with few
    controls; a surrogate pair cut by the sample's end is no error."""
    try:
        text = sample.decode(name)
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 2:
            return False
        text = sample[: exc.start].decode(name)
    return sum(1 for c in text if _control(c)) <= len(text) * _UTF16_STRAY_ZEROS


def _control(char: str) -> bool:
    """A C0 or C1 control other than whitespace (numbers read as UTF-16 give C1 ones)."""
    return (char < " " and char not in "\t\n\r\f") or "\x7f" <= char <= "\x9f"


def declared_utf16(body: bytes, declared: str | None) -> bool:
    """Whether ``declared`` says UTF-16 and ``body`` reads as that: any script (Cyrillic,
    CJK: no zero bytes to tell it by), few controls."""
    name = codec_name(declared)
    if name not in {"utf-16", "utf-16-le", "utf-16-be"}:
        return False
    sample = body[:_UTF16_SAMPLE]
    return _reads_as(sample[: len(sample) // 2 * 2], name)


def codec_name(label: str | None) -> str | None:
    """Python's codec for a charset label, ``None`` when unknown (browser aliases applied)."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    return _BROWSER_ALIASES.get(name, name)


def guess_encoding(body: bytes) -> str:
    """Best guess for undeclared bytes: UTF-8 if it decodes, else charset-normalizer's pick."""
    sample = body[:_GUESS_SAMPLE]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not merely a sequence cut by the sample end
            return _likeliest_legacy_encoding(sample)
    return "utf-8"


def _likeliest_legacy_encoding(sample: bytes) -> str:
    """charset-normalizer's pick, but Windows-1252 among equally plausible code pages.

    Windows-1252 is the web's most common legacy encoding (and the WHATWG default
    for Western locales); charset-normalizer often ties it with Windows-1250, and
    on short samples prefers Mac and DOS code pages that web pages do not use.
    """
    matches = [m for m in charset_normalizer.from_bytes(sample) if not _UNLIKELY.match(m.encoding)]
    if not matches:
        return "cp1252"
    best = min(match.chaos for match in matches)
    for match in matches:
        if match.chaos <= best + _CHAOS_TIE and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return codec_name(matches[0].encoding) or "cp1252"


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_bytes(body: bytes, declared: str | None = None) -> str:
    """Decode text: byte order mark > declared charset > guess; ``ExtractError`` if garbled."""
    # bytes that can only be UTF-16 are read as such whatever the label (a server's
    # "charset=utf-8" is often a default, not a statement about the file)
    encoding = (
        bom_encoding(body)
        or utf16_without_bom(body)
        or codec_name(declared)
        or guess_encoding(body)
    )
    if encoding == "utf-8" and not _is_utf8(body):
        encoding = guess_encoding(body)  # "UTF-8" is many servers' default label, even for Latin-1
    text = body.decode(encoding, errors="replace")
    if text and text.count("\ufffd") / len(text) > _MAX_REPLACEMENT_RATIO:
        raise ExtractError(
            f"text does not decode as {encoding}: declare the right charset",
            kind="encoding",
        )
    return text.lstrip("\ufeff")


@dataclass
class TextBuilder:
    """Accumulates blocks into text with exact heading offsets."""

    parts: list[str] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    length: int = 0
    prose: list[str] = field(default_factory=list)
    prose_length: int = 0

    def _note_prose(self, text: str) -> None:
        if self.prose_length < _PROSE_SAMPLE:
            self.prose.append(text)
            self.prose_length += len(text) + 1

    def _append(self, text: str, separator: str) -> int:
        if self.parts:
            self.parts.append(separator)
            self.length += len(separator)
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        return start

    def paragraph(self, text: str, *, tight: bool = False) -> None:
        """A block of running text (whitespace collapsed); ``tight`` joins with one newline."""
        clean = normalize_space(text)
        if clean:
            self._append(clean, "\n" if tight else "\n\n")
            self._note_prose(clean)

    def verbatim(self, text: str) -> None:
        """A block kept as is (code, command lines), minus blank edges."""
        clean = text.strip("\n").rstrip()
        if clean.strip():
            self._append(clean.expandtabs(8), "\n\n")

    def heading(self, level: int, text: str) -> None:
        clean = normalize_space(text)
        if clean:
            start = self._append(clean, "\n\n")
            self.headings.append(Heading(level=level, text=clean, start=start))
            self._note_prose(clean)

    def text(self) -> str:
        return "".join(self.parts)

    def prose_sample(self) -> str:
        """Running text only (no code), for language identification."""
        return "\n".join(self.prose) or self.text()[:_PROSE_SAMPLE]


def split_paragraphs(text: str) -> list[str]:
    """Blocks of ``text`` separated by blank lines, line breaks inside each kept."""
    return [block for block in re.split(r"\n[ \t]*\n+", text) if block.strip()]


def build_plain_text(text: str) -> TextBuilder:
    """Lay out plain text: paragraphs at blank lines, lines inside a paragraph kept."""
    builder = TextBuilder()
    for block in split_paragraphs(text.replace("\r\n", "\n").replace("\r", "\n")):
        builder.verbatim(block)
    return builder
