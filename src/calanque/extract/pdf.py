"""PDF to text: one block per paragraph, pages in order.

pypdf reads each page (fast). Where its words come out run together ("Whenyoufileabug",
from a PDF that places words by position rather than with spaces, as LaTeX and dblatex often
do), the page is read again with pdfminer.six, which rebuilds words and paragraphs from the
glyphs' positions (ten times slower, so only there); there a table that it reads column
by column (boxes side by side whose short lines sit at the same heights) comes out row by
row, ``apt-get dist-upgrade | -> apt full-upgrade``, one paragraph a row as an HTML table's
rows are. Then a table of contents' pages are
dropped, the running headers and footers (a line at the top or bottom of most pages, page
numbers aside, or a short one holding the page's printed number or the document's title)
are dropped, a word cut by a hyphen at a line end is joined (a link cut after
``https://`` too, and a file's path cut after a slash: ``/usr/share/lintian/`` +
``overrides/package``), a numbered heading (``6.2 Legally Significant Changes``, ``8.1.3
aptitude``) stands apart from the paragraph after it and a FAQ's question that the layout
wrapped onto two lines is one heading again (``8.1 Quels sont … pour la gestion`` + ``des
paquets ?``), a table of contents' dotted lines are dropped, and a paragraph broken by a
page end is joined again: the passages and their sentences are the document's, not its
layout's.

A PDF has no reliable heading structure; ``Document.headings`` holds its numbered section
headings (a paragraph that is a section number and a short title, ``8.6 Why is foo-data
not removed?``), so passages are cut at sections and carry their section's title.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from calanque.errors import ExtractError
from calanque.extract.language import detect_language
from calanque.extract.text import TextBuilder, normalize_space, split_paragraphs
from calanque.types import Document

logging.getLogger("pypdf").setLevel(logging.ERROR)
logging.getLogger("pdfminer").setLevel(logging.ERROR)
log = logging.getLogger(__name__)

_LETTER_RUN = re.compile(r"[^\W\d_]+")
GLUED_RUN = 18  # letters: a longer run is almost always several words without spaces
# Two runs that long on one page: prose almost never has them (a word of 18 letters or more
# is ≈0.1 % of a text's), and a page where a few justified lines came out glued (the Ubuntu
# Packaging Guide: 1-14 runs a page, 0.5-5 % of its words) is read again whole. Rebuilding
# a page that did not need it costs time only.
GLUED_RUNS = 2
_EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running heads
_HYPHENATED = re.compile(r"(?<=[a-zà-ÿ])-\n(?=[a-zà-ÿ])")
# LaTeX's opening quote (`stable') comes out of some PDFs as a combining grave accent on a
# space: " ̀stable’". On no letter, it is the quote.
_STRAY_GRAVE = re.compile(r"(?<![^\W\d_])\u0300")
# "GPL-\ncompatible": a hyphen after a capital or a digit is the word's own; the line end goes
_KEPT_HYPHEN = re.compile(r"(?<=[A-Z0-9])-\n(?=[a-zà-ÿ])")
# "https://\nwww.gnu.org/…", "https://lists.\ngnu.org/…": a link cut after its scheme or its
# first label, where it cannot end
_CUT_LINK = re.compile(r"(\b[a-z][a-z0-9+.-]*://(?:[\w-]+\.)?)\n(?=[a-z0-9])", re.IGNORECASE)
# "https:\n//www.debian.org/…", "(https: //bugs.debian.org/…)": cut after the scheme's colon
_CUT_SCHEME = re.compile(r"\b(https?|ftp):[ \t]*(?:\n[ \t]*)?//", re.IGNORECASE)
# "https://www.debian.org/doc/\nmanuals/securing-debian-howto/)": a link cut after a slash,
# its path going on at the next line start (a word then "/", "#", ")" or a "." inside a
# word: a sentence that follows a link starts with a word and a space, a list item with
# "2. "). A path holds no second "://" (one link start a path, not one a character).
_LINK_PATH = r"\b(?:https?|ftp)://(?:[^\s()<>:]|:(?!//))*/"
_CUT_PATH = re.compile(
    rf"({_LINK_PATH})[ \t]*\n[ \t]*(?=[\w~%-]+(?:[/#)]|\.[^\W_]))", re.IGNORECASE
)
# "… into usr/share/lintian/\noverrides/package", "… in /usr/share/doc/gentoo/\nchangelog.gz":
# a file's path cut after a slash where prose wrapped its line (words before it on the
# line), going on as a path does (a word then "/", "#", ")" or an extension). Not
# "/etc/\ndirectory", nor a listing's lines ("usr/bin/" then "usr/lib/foo/*.so").
_CUT_FILE_PATH = re.compile(
    r"((?<=\S[ \t])[(\[\"'«]?[~.]{0,2}/?(?:[\w.+-]+/)+)[ \t]*\n[ \t]*"
    r"(?=[\w~%+-]+(?:[/#)]|\.[^\W_]))"
)
# where a page or a layout gap cut it ("…/releases/" + "stable/installmanual"), the rest
# must hold a slash itself; a space inside a line is no cut ("…/ and/or")
_ENDS_WITH_PATH = re.compile(rf"{_LINK_PATH}$", re.IGNORECASE)
_PATH_GOES_ON = re.compile(r"[\w~%-]+/")
_ENDS_WITH_SCHEME = re.compile(r"\b(?:https?|ftp):$", re.IGNORECASE)
# What typesetting put in a PDF's text that a reader types otherwise: TeX's and groff's
# ligatures ("ﬁle" is "file": no search, quote or key fact matched it) and groff's minus and
# hyphen signs in options and names ("−−login", "dpkg‐reconfigure").
_TYPESET = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
        "\u2010": "-",
        "\u2011": "-",
        "\u2212": "-",
    }
)
_HEAD_WORDS = 12  # a running head is short
# "8.1.3 aptitude" alone on its line: a section number of two levels or more and a few
# words without a sentence's punctuation is a heading, whatever case the next line starts
# with (a list item, "2. Compose a message with the following", has one level)
_SECTION_HEADING = re.compile(
    r"^(\d{1,2}(?:\.\d{1,2}){1,3}\.?[ \t]+[^\W\d_][^.!?:;\n]{0,60})[ \t]*\n(?=\S)", re.M
)
# "6.2 Legally Significant Changes" alone on its line, a capitalised line after it: a
# numbered heading, not the start of the paragraph that follows
_NUMBERED_HEADING = re.compile(
    r"^(\d{1,2}(?:\.\d{1,2}){0,3}\.?\s+[A-ZÀ-Ý][^.!?:;]{0,80})\n(?=[A-ZÀ-Ý])", re.M
)
# "Description", "See Also", "Note" alone on their line, a capitalised line after them: a
# heading without a number (a reference manual's sections, a note's label), not the start
# of the paragraph that follows ("Details If na.rm is TRUE…"). Inside a paragraph a line is
# full: one to three capitalised words without a sentence's end on a line of their own end
# no sentence. A lead-in before an example ("For example", "The command") is left as it is.
_LABEL_LINE = re.compile(
    r"^([A-ZÀ-Ý][a-zà-ÿ]+(?:[ \t]+[A-ZÀ-Ý][a-zà-ÿ]+){0,2}(?:\([a-z]\))?)[ \t]*\n(?=[A-ZÀ-Ý])",
    re.M,
)
# A paragraph that is a numbered heading: "8.6 Why is foo-data not removed?", "3 Installing
# Debian": a section number, then a short title (see _heading_level)
_HEADING_BLOCK = re.compile(r"(\d{1,2}(?:\.\d{1,2}){0,3})\.?[ \t]+([^\W\d_][^\n]*)")
_HEADING_WORDS = 14  # a section's title is short
_QUESTION_WORDS = 20  # a FAQ's question, which wraps, a little longer
# A heading's first line that a layout gap cut from its end is a wrapped line: this long at
# least (the body's lines after a short heading, "8.1.4 synaptic", are not its end)
_WRAPPED_HEADING = 30
_HEADING_REST_WORDS = 12  # and its end, one line, is short
# A title that reads as a question before its end: a question word or an inverted subject
_ASKING = re.compile(
    r"^(?:what|how|why|which|where|when|who|can|could|is|are|do|does|did|should|will|"
    r"would|must|quel|quelle|quels|quelles|comment|pourquoi|où|quand|combien|qui|que|"
    r"qu['’]|est-ce|puis-je|peut-on|faut-il|y a-t-il)\b|\w-t-(?:il|elle|on)\b"
    r"|\w-(?:il|elle|ils|elles|je|on)\b|\bqu['’]est-ce\b",
    re.IGNORECASE,
)
# "6.2 Legally Significant Changes . . . . . 3": a table of contents' line
_CONTENTS_LINE = re.compile(r"^.*\S(?:\s*\.){4,}\s*[\divxlc]+\s*$", re.M | re.I)
_PAGE_NUMBER_AT_ENDS = re.compile(r"^\d{1,4}(?:\s+|$)|\s+\d{1,4}$")
_LEADERS = re.compile(r"(?:\.\s*){4,}(?:[\divxlc]+\s*)?$", re.I)  # ". . . . 17", ". . . ."
# a table of contents' page: this many of its lines are dotted-leader entries, at least
_CONTENTS_MIN = 5
_CONTENTS_SHARE = 0.3  # and this share of its lines
_FOLIO = re.compile(r"^(\d{1,4})(?:\s+\D|$)|\D\s(\d{1,4})$")  # "7 Title", "Title 7", "7"
_SENTENCE_END = re.compile(r"[.!?:;…»\")\]]\s*$")
# A table rebuilt from its columns (see _table_rows) travels as one block that starts with
# this mark, one row a line, and becomes one paragraph a row, as an HTML table does.
TABLE_MARK = "\x1e"
_TABLE_ROWS = 3  # rows whose cells sit at one height, at least
_CELL_WORDS = 6  # a cell's line is short (half of a box's lines this long or shorter)
_FILLED = 0.9  # a line this close to its box's width fills it
_FILLED_SHARE = 0.6  # a box whose lines mostly fill it is prose, however narrow


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
    """Each page's text; a page that cannot be read (a drawing that inflates past pypdf's
    limit, a broken stream) is left out, the others kept: only a PDF none of whose pages
    can be read fails."""
    texts, failed = [], []
    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
            failed.append(f"page {number} of {url or 'the PDF'} cannot be read ({exc})")
            texts.append("")
    if failed and len(failed) == len(texts):
        raise ExtractError(failed[0], url=url, kind="pdf")
    for message in failed:
        log.warning("%s: left out", message)
    return texts


def glued(text: str) -> bool:
    """Are the words of ``text`` run together (``Whenyoufileabugreport``)?"""
    runs = _LETTER_RUN.findall(text)
    return sum(len(run) >= GLUED_RUN and not _option_letters(run) for run in runs) >= GLUED_RUNS


def _option_letters(run: str) -> bool:
    """A command's option letters, sorted (``abefhkmnptuvxBCEHPT`` in ``set
    [-abefhkmnptuvxBCEHPT]``): each case's letters in alphabetical order, as words run
    together never are."""
    lower = "".join(ch for ch in run if ch.islower())
    upper = "".join(ch for ch in run if ch.isupper())
    return all(_sorted(letters) for letters in (lower, upper))


def _sorted(letters: str) -> bool:
    return list(letters) == sorted(set(letters))


def _rebuilt(body: bytes, numbers: list[int]) -> dict[int, str]:
    """pdfminer.six's text of the pages ``numbers`` (0-based), paragraphs at blank lines,
    a table's rows as rows (see :func:`_table_rows`); a page it cannot read is left out
    (pypdf's text stays)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer

    out: dict[int, str] = {}
    try:
        pages = extract_pages(io.BytesIO(body), page_numbers=set(numbers), laparams=LAParams())
        for number, page in zip(sorted(numbers), pages, strict=False):
            boxes = [e for e in page if isinstance(e, LTTextContainer)]
            out[number] = "\n\n".join(b for b in _page_blocks(boxes) if b)
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds; pypdf's text stays
        log.warning("pdfminer.six could not rebuild the words of a PDF (%s)", exc)
    return out


def _page_blocks(boxes: list[Any]) -> list[str]:
    """The text of pdfminer's boxes in order; boxes side by side whose lines are a table's
    rows come out as one table block (:data:`TABLE_MARK`, one row a line)."""
    out: list[str] = []
    at = 0
    while at < len(boxes):
        group = [boxes[at]]
        while at + len(group) < len(boxes) and _beside(group[-1], boxes[at + len(group)]):
            group.append(boxes[at + len(group)])
        rows = _table_rows(group) if len(group) > 1 else []
        if rows:
            out.append("\n".join([TABLE_MARK, *rows]))
            at += len(group)
        else:
            out.append(boxes[at].get_text().strip())
            at += 1
    return out


def _beside(left: Any, right: Any) -> bool:
    """Does box ``right`` stand to the right of box ``left``, over the same lines?"""
    overlap = min(left.y1, right.y1) - max(left.y0, right.y0)
    return right.x0 >= left.x1 - 2 and overlap >= 0.5 * min(left.height, right.height)


def _filled(lines: list[Any], width: float) -> bool:
    """Do most of a box's lines (its last aside) fill its width, as a column of prose's do?
    A column of cells is ragged."""
    if len(lines) < 3:
        return False
    full = sum(line.width >= _FILLED * width for line in lines[:-1])
    return full >= _FILLED_SHARE * (len(lines) - 1)


def _table_rows(boxes: list[Any]) -> list[str]:
    """The rows of a table that pdfminer read column by column (``apt-get dist-upgrade``
    in one box, ``-> apt full-upgrade`` beside it): the lines of each box are short (half
    of them :data:`_CELL_WORDS` words or fewer) and ragged (a column of prose fills its
    width), and at least :data:`_TABLE_ROWS` rows, half of them at least, hold lines of
    different boxes at one height. Cells are joined as an HTML table's are (``a | b``);
    ``[]`` when the boxes are no table."""
    from pdfminer.layout import LTTextLine

    lines = [
        (column, line)
        for column, box in enumerate(boxes)
        for line in box
        if isinstance(line, LTTextLine) and line.get_text().strip()
    ]
    per_box = Counter(column for column, _ in lines)
    if len(per_box) < len(boxes) or min(per_box.values()) < 2:
        return []
    for column, box in enumerate(boxes):
        own = [line for at, line in lines if at == column]
        words = sorted(len(line.get_text().split()) for line in own)
        if words[len(words) // 2] > _CELL_WORDS or _filled(own, box.width):
            return []  # a column of prose, or a note beside one
    heights = sorted(line.height for _, line in lines)
    tolerance = 0.5 * heights[len(heights) // 2]
    rows: list[list[tuple[int, Any]]] = []
    for column, line in sorted(lines, key=lambda item: -(item[1].y0 + item[1].y1)):
        middle = (line.y0 + line.y1) / 2
        if rows and abs(middle - sum(rows[-1][0][1].bbox[1::2]) / 2) <= tolerance:
            rows[-1].append((column, line))
        else:
            rows.append([(column, line)])
    shared = sum(len({column for column, _ in row}) > 1 for row in rows)
    if shared < _TABLE_ROWS or shared < 0.5 * len(rows):
        return []
    return [
        " | ".join(
            normalize_space(line.get_text()) for _, line in sorted(row, key=lambda c: c[1].x0)
        )
        for row in rows
    ]


def _edge_key(line: str) -> str:
    """What a running head's line is on every page: without the page number at either end
    ("18 © 2010-2017, Ubuntu Developers" on one page, "© 2010-2017, Ubuntu Developers 19" on
    the next), other numbers as ``#``. A bare page number's key is empty."""
    bare = _PAGE_NUMBER_AT_ENDS.sub("", " ".join(line.split()))
    return re.sub(r"\d+", "#", bare).casefold()


def _edge_lines(text: str) -> tuple[list[str], set[int]]:
    """The page's lines, and the indexes of the filled ones at its top and bottom."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return lines, set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:])


def _folio(line: str) -> int | None:
    """The number a short line starts or ends with ("Chapter 6: Legal Matters 7" → 7)."""
    if len(line.split()) > _HEAD_WORDS:
        return None
    found = _FOLIO.search(line.strip())
    if found is None:
        return None
    return int(found.group(1) or found.group(2))


def _folio_offset(pages: list[str]) -> int | None:
    """How far the printed page numbers are from the pages' order, when most pages print
    theirs at an edge (a book's front matter shifts them: page 12 prints "8")."""
    offsets: Counter[int] = Counter()
    for number, text in enumerate(pages):
        lines, edge = _edge_lines(text)
        found = {n - number for i in edge if (n := _folio(lines[i])) is not None}
        offsets.update(found)
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    return offset if count >= max(3, len(pages) // 3) else None


def _contents_page(text: str) -> bool:
    """Is this page a table of contents? Most of its lines end in dotted leaders and a page
    number; the others are entries that wrap or that fit without leaders (``4 Problèmes de
    compatibilité 15``), which no line-by-line rule tells from prose: the page goes whole."""
    filled = [line for line in text.split("\n") if line.strip()]
    listed = sum(bool(_LEADERS.search(line)) for line in filled)
    return listed >= _CONTENTS_MIN and listed >= _CONTENTS_SHARE * len(filled)


def _without_running_heads(pages: list[str], title: str = "") -> list[str]:
    """Drop the lines at a page's top or bottom that most pages share (page numbers aside):
    "Debian Reference 33 / 233" is not part of any paragraph. A short edge line holding the
    page's own printed number goes too, though its words change from chapter to chapter
    ("Chapter 6: Legal Matters 7", "8 Information for Maintainers of GNU Software"), and so
    does a short edge line holding the document's title where most pages print it next to
    their chapter or section ("1.3. Fixing a bug in Ubuntu Ubuntu Packaging Guide")."""
    if len(pages) < 4:
        return pages
    counts: Counter[str] = Counter()
    titled = 0
    named = _edge_key(title) if len(title.split()) >= 2 else ""
    for text in pages:
        lines, edge = _edge_lines(text)
        keys = {_edge_key(lines[i]) for i in edge}
        counts.update(keys)
        titled += bool(named) and any(named in key for key in keys)
    most = max(4, len(pages) // 2)
    running = {key for key, n in counts.items() if n >= most}
    in_heads = named if titled >= most else ""
    offset = _folio_offset(pages)

    def head(line: str, number: int) -> bool:
        key = _edge_key(line)
        if key in running or _cut_short_head(line):
            return True
        if in_heads and in_heads in key and len(line.split()) <= _HEAD_WORDS:
            return True
        return offset is not None and _folio(line) == number + offset

    out = []
    for number, text in enumerate(pages):
        lines, edge = _edge_lines(text)
        kept = (line for i, line in enumerate(lines) if not (i in edge and head(line, number)))
        out.append("\n".join(kept))
    return out


def _cut_short_head(line: str) -> bool:
    """A page's head as LaTeX prints it, in capitals: the chapter (``CHAPTER 3. CHOOSING A
    DEBIAN …``, ``CHAPITRE 1. DÉFINITIONS ET VUE D’ENSEMBLE``), or the section cut short
    to fit (``3.2. WHAT ABOUT …``). It changes with the chapter, so no one form is on most
    pages. A line in capitals that names no chapter and is not a numbered section cut
    short (``WARNING: THIS ERASES…``, ``7.1. IN NO EVENT SHALL…``) is the page's text."""
    text = line.strip()
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 4 or not all(c.isupper() for c in letters):
        return False
    if len(text.split()) > 2 * _HEAD_WORDS:
        return False
    if _CHAPTER_HEAD.match(text):
        return True
    return text.endswith(("\u2026", "...")) and bool(_SECTION_HEAD.match(text))


# "CHAPTER 3. ", "CHAPITRE 1. ", "APPENDIX A. ": how a LaTeX page head names its chapter
_CHAPTER_HEAD = re.compile(
    r"(?:CHAPTER|CHAPITRE|APPENDIX|ANNEXE|PART|PARTIE)\s+[\dIVXLA-Z]{1,4}\.\s"
)
_SECTION_HEAD = re.compile(r"\d{1,2}(?:\.\d{1,2})+\.\s")  # "3.2. ": and its section


def _paragraphs(pages: list[str]) -> list[str]:
    """The paragraphs of the pages in order; one that a page end or a layout gap cut before
    its sentence ended (the next block starts in lower case) is joined again."""
    out: list[list[str]] = []  # each paragraph's blocks, joined once at the end (linear time)
    for page in pages:
        for block in (b for raw in split_paragraphs(page) for b in _mended(raw)):
            if is_table(block) or (out and is_table(out[-1][0])):
                out.append([block])  # a table is a block of its own
            elif out and _ENDS_WITH_SCHEME.search(out[-1][-1]) and block.startswith("//"):
                out[-1][-1] += block  # a link cut after its scheme by a page or a gap
            elif out and len(out[-1]) == 1 and _rest_of_heading(out[-1][0], block):
                head = out[-1][0].rstrip()
                if head.endswith("-") and head[-2:-1].islower() and block.lstrip()[:1].islower():
                    out[-1][0] = head[:-1] + block.lstrip()  # "GNU/Li-" + "nux ?"
                else:
                    out[-1].append(block)
            elif (
                out
                and not _SENTENCE_END.search(out[-1][-1])
                and block.lstrip()[:1].islower()
                and not _SECTION_HEADING.match(f"{out[-1][-1].strip()}\n.")
            ):
                cut = out[-1][-1].rstrip()
                if cut.endswith("-") and cut[-2:-1].isalnum():
                    # a word cut at a box's or a page's end: "con-" + "trol"; "32-" + "bit"
                    out[-1][-1] = (cut[:-1] if cut[-2:-1].islower() else cut) + block.lstrip()
                elif _ENDS_WITH_PATH.search(cut) and _PATH_GOES_ON.match(block.lstrip()):
                    out[-1][-1] = cut + block.lstrip()  # "…/releases/" + "stable/…"
                else:
                    out[-1].append(block)
            else:
                out.append([block])
    # a link cut where a page or a layout gap cut its paragraph
    return [_CUT_PATH.sub(r"\1", _CUT_SCHEME.sub(r"\1://", " ".join(b))) for b in out]


def is_table(block: str) -> bool:
    """Is ``block`` a table that :func:`_table_rows` rebuilt (its rows after the mark)?"""
    return block.lstrip("\r\n \t").startswith(TABLE_MARK)


def _mended(block: str) -> list[str]:
    """A block of a page with its layout mended: words cut at a line end joined, links cut
    after their scheme, its colon or a slash of their path joined, contents lines dropped,
    numbered headings and label lines set apart. A table's rows are left as they are (a row
    is no heading, its cells' hyphens its own)."""
    if is_table(block):
        return [block]
    text = _HYPHENATED.sub("", block.replace("\r\n", "\n"))
    text = _STRAY_GRAVE.sub("\u2018", text)
    text = _CUT_LINK.sub(r"\1", _KEPT_HYPHEN.sub("-", text))
    text = _CUT_PATH.sub(r"\1", _CUT_SCHEME.sub(r"\1://", text))
    text = _CUT_FILE_PATH.sub(r"\1", text)
    text = _NUMBERED_HEADING.sub(r"\n\1\n\n", _CONTENTS_LINE.sub("", text))
    text = _SECTION_HEADING.sub(r"\n\1\n\n", text)
    text = _LABEL_LINE.sub(r"\n\1\n\n", text)
    return split_paragraphs(text)


def _rest_of_heading(heading: str, block: str) -> bool:
    """Is ``block`` the end of a FAQ's numbered question that its layout set apart from it
    (``8.1 Quels sont les programmes … pour la gestion`` + ``des paquets ?``)? The
    heading's line is a wrapped one (long, not ended like a sentence) and the block is one
    short line that ends the question: its mark, and in lower case unless the heading
    already reads as a question (``… qu'est-ce que`` + ``Linux ?``). A title that is not a
    question keeps its body apart (``2.3 Configuring the network interfaces by hand`` +
    ``Why would you want to do this?``), and so does a short heading (``8.1.4 synaptic``)."""
    head, rest = heading.strip(), " ".join(block.split())
    match = _HEADING_BLOCK.fullmatch(head)
    if match is None or len(match.group(2)) < _WRAPPED_HEADING or _SENTENCE_END.search(head):
        return False
    if "\n" in block.strip() or not rest or len(rest.split()) > _HEADING_REST_WORDS:
        return False
    if not rest.endswith("?") or re.search(r"[.!:;]\s", rest):
        return False
    return rest[0].islower() or bool(_ASKING.search(match.group(2)))


def _title_words(title: str) -> int:
    return _QUESTION_WORDS if title.rstrip().endswith("?") else _HEADING_WORDS


def _heading_level(block: str) -> int:
    """The level of a paragraph that is a numbered section heading (the count of its
    number's parts: ``8.6`` is 2), 0 for any other paragraph. A title that ends like a
    sentence or a list item (``.``, ``,``, ``;``, ``:``) is not a heading, but a question
    is (a FAQ's); one part alone (``3 Installing Debian``) must be short, capitalised and
    without a dot after it, since numbered steps have one part too (``1. Open a
    terminal``); two parts need a capital (``3.5 million people`` is a number)."""
    match = _HEADING_BLOCK.fullmatch(block.strip())
    if match is None:
        return 0
    number, title = match.groups()
    words = len(title.split())
    if words > _title_words(title) or title.rstrip()[-1] in ".,;:":
        return 0
    level = number.count(".") + 1
    if level == 1:
        # "3 Installing Debian", not "1. Open a terminal" (a step) nor a sentence
        dotted = block.strip()[len(number)] == "."
        if dotted or words > 8 or not title[0].isupper() or title.rstrip().endswith("?"):
            return 0
    elif level == 2 and not title[0].isupper():
        return 0  # "3.5 million people use Debian": a number, not a section ("8.1.3 aptitude" is)
    return level


def _section_repeats(blocks: list[str]) -> set[int]:
    """The paragraphs that repeat a numbered heading as a page's head does: LaTeX's
    ``1.4. PACKAGING NEW SOFTWARE`` or ``1.4. Packaging New Software`` on the pages of
    section 1.4 (a dot after the number, or capitals), or such a head cut short with
    ``…``. Of the paragraphs naming one section, the heading itself is the first without
    that form, wherever it stands (the head of the page where the section begins comes
    before it); a copy in the heading's own form is never dropped (a step said twice is
    the text's)."""
    named: dict[str, list[int]] = {}
    for at, block in enumerate(blocks):
        key = _section_key(block)
        if key and _heading_level(block):
            named.setdefault(key, []).append(at)
    repeats = set()
    for key, places in named.items():
        heads = [at for at in places if _head_form(blocks[at])]
        if key.endswith("\u2026") or len(heads) < len(places):
            repeats.update(heads)  # the heading itself is there, or this head is cut short
        else:
            repeats.update(heads[1:])  # in head form only: the first one is the heading
    return repeats


def _head_form(block: str) -> bool:
    """``1.4. Title`` or ``1.4 TITLE``: how a page's head prints a section's heading."""
    number, title = block.strip().split(None, 1)
    return (number.endswith(".") and "." in number[:-1]) or (
        title.upper() == title and sum(c.isalpha() for c in title) >= 4
    )


def _section_key(block: str) -> str:
    """A numbered heading's section as a page head repeats it: ``1.4 packaging new
    software`` for ``1.4. Packaging New Software`` (number without its final dot, title
    case-folded); one cut short ends with ``…`` (``3.1 which debian distribution …``).
    ``""`` for a paragraph that is no numbered heading."""
    match = _HEADING_BLOCK.fullmatch(block.strip())
    if match is None or len(match.group(2).split()) > _title_words(match.group(2)):
        return ""
    number, title = match.groups()
    title = " ".join(title.replace("...", "\u2026").casefold().split())
    return f"{number} {title}"


def _title(reader: PdfReader) -> str:
    try:
        info = reader.metadata
    except (PyPdfError, ValueError, KeyError, TypeError):
        return ""
    return normalize_space(str(info.title or "")) if info is not None else ""


TITLE_CHARS = 120
_WORD = re.compile(r"[^\W\d_]{3,}")


def _first_line(pages: list[str]) -> str:
    """A PDF without a ``/Title`` (TeX's) is named by the first line with a word (three
    letters) of its pages less their running heads, not by its first paragraph (a title
    page's lines run into one: title, edition, date and authors), cut at a word to
    ``TITLE_CHARS``."""
    for page in pages:
        for line in page.splitlines():
            line = normalize_space(line)
            if _WORD.search(line):
                if len(line) <= TITLE_CHARS:
                    return line
                return line[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return ""


# A footnote's number set in superscript digits against its word ("ends in .zip⁶)", "⁴Having
# said that"): the word must stay a word a search and a quote can match.
_SUPERSCRIPT_AFTER = re.compile(r"(?<=[^\W_])([\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+)")
_SUPERSCRIPT_BEFORE = re.compile(r"([\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+)(?=[^\W\d_])")


def _typeset(text: str) -> str:
    """``text`` with the letters a reader types (:data:`_TYPESET`) and footnote numbers in
    superscript set apart from the words they touch."""
    text = text.translate(_TYPESET)
    return _SUPERSCRIPT_BEFORE.sub(r"\1 ", _SUPERSCRIPT_AFTER.sub(r" \1", text))


def _has_images(reader: PdfReader) -> bool:
    """Whether a page draws an image (a scan's pages are images)."""
    for page in reader.pages:
        try:
            resources: Any = page["/Resources"].get_object()
            objects: Any = resources.get("/XObject")
            if objects and any(
                objects[name].get_object().get("/Subtype") == "/Image" for name in objects
            ):
                return True
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            continue
    return False


def _repeated_lines_once(
    reader: PdfReader, pages: list[str], contents: set[int], url: str
) -> tuple[TextBuilder, list[str]]:
    """The text of a PDF whose every line was taken for a running head or a footer (the
    same few lines on every page: a form, a one-line notice repeated), read once, with the
    pages it came from; ``ExtractError`` when there is no text to read at all, or when the
    pages are images (a scan whose only text is its scanner's stamp: OCR it first)."""
    first = next((page for page in pages if page.strip()), "")
    if first and _has_images(reader):
        first = ""  # "Scanned with …" on each page of a scan is no text to index
    if not first:
        what = "only a table of contents" if contents else "no text layer (a scan?)"
        fix = "nothing to index" if contents else "run OCR on it first"
        raise ExtractError(f"{url or 'PDF'} has {what}: {fix}", url=url, kind="empty")
    builder = TextBuilder()
    for block in _paragraphs([first]):
        builder.paragraph(block)
    return builder, [first]


def extract_pdf(body: bytes, url: str = "") -> Document:
    """A :class:`Document` from PDF bytes; ``ExtractError`` kind ``pdf`` or ``empty``."""
    reader = _open(body, url)
    pages = _page_texts(reader, url)
    # a contents page is told by its leader lines in pypdf's text: pdfminer's layout cuts
    # its leaders and page numbers into boxes of their own (the Debian Reference's ten)
    contents = {number for number, text in enumerate(pages) if _contents_page(text)}
    run_together = [n for n, text in enumerate(pages) if n not in contents and glued(text)]
    if run_together:
        for number, text in _rebuilt(body, run_together).items():
            pages[number] = text
    pages = [
        "" if number in contents or _contents_page(text) else _typeset(text)
        for number, text in enumerate(pages)
    ]
    builder = TextBuilder()
    title = _title(reader)  # the document's own, also sought in its running heads
    bodies = _without_running_heads(pages, title)
    blocks = _paragraphs(bodies)
    repeats = _section_repeats(blocks)
    for at, block in enumerate(blocks):
        if at in repeats:
            continue  # a page's head naming its section again: not text
        level = _heading_level(block)
        if is_table(block):
            rows = [line for line in block.splitlines() if line.strip()]
            for row, line in enumerate(rows):
                builder.paragraph(line, tight=row > 0)
        elif level:
            builder.heading(level, block)
        else:
            builder.paragraph(block)
    text = builder.text()
    if not text.strip():
        builder, bodies = _repeated_lines_once(reader, pages, contents, url)
        text = builder.text()
    return Document(
        url=url,
        text=text,
        title=title or _first_line(bodies),
        language=detect_language(builder.prose_sample()),
        headings=tuple(builder.headings),
    )
