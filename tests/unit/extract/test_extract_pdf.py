"""PDF text comes out; broken PDFs are a clear ``pdf`` error."""

from __future__ import annotations

import io
import time
import zlib

import pytest

from calanque.errors import ExtractError
from calanque.extract import extract
from calanque.extract.pdf import (
    TABLE_MARK,
    _cut_short_head,
    _heading_level,
    _paragraphs,
    _rebuilt,
    _section_repeats,
    glued,
    is_table,
)


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def make_pdf(pages: list[list[str]], title: str = "") -> bytes:
    """A minimal valid PDF: one Helvetica text line per entry, one page per list."""
    return _pdf_bytes(
        [
            "BT /F1 12 Tf 72 720 Td 16 TL "
            + " ".join(f"{_pdf_string(line)} Tj T*" for line in lines)
            + " ET"
            for lines in pages
        ],
        title,
    )


def _pdf_bytes(contents: list[str], title: str = "") -> bytes:
    """A minimal valid PDF of one page per content stream, Helvetica as ``/F1``."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(contents))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{n} 0 R" for n in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(contents)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for content in contents:
        stream = content.encode("latin-1")
        page_id = 4 + len(objects) - 3
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(f"<< /Title {_pdf_string(title)} >>".encode("latin-1"))
    return _assembled(objects, info=len(objects))


def _assembled(objects: list[bytes], info: int = 0) -> bytes:
    """A PDF file of ``objects`` (numbered from 1, the catalog first), its cross-reference
    table and trailer; ``info``: the number of its ``/Info`` object (0: none)."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    extra = b" /Info %d 0 R" % info if info else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_pdf_text_and_title() -> None:
    body = make_pdf(
        [
            ["Le paquet apt installe des logiciels.", "Il lit le fichier sources.list."],
            ["Second page about mirrors and updates."],
        ],
        title="Guide APT",
    )
    doc = extract(body, "http://h/guide.pdf", "application/pdf")
    assert "Le paquet apt installe des logiciels." in doc.text
    assert "Il lit le fichier sources.list." in doc.text
    assert doc.text.index("apt installe") < doc.text.index("Second page")
    assert doc.title == "Guide APT"


def test_a_pdf_without_a_title_is_named_by_its_first_line() -> None:
    """TeX's PDFs carry no /Title: the Bash manual's title page is one paragraph, and all of
    it (191 characters: edition, date, authors) was the title shown for each of its passages."""
    body = make_pdf(
        [
            [
                "Bash Reference Manual",
                "Reference Documentation for Bash",
                "Edition 5.2, for Bash Version 5.2.",
                "September 2022",
            ],
            ["Bash is the shell, or command language interpreter, for the GNU system."],
        ]
    )
    doc = extract(body, "http://h/bashref.pdf", "application/pdf")
    assert doc.title == "Bash Reference Manual"
    assert "Edition 5.2" in doc.text  # the title page is still text
    # a first line that is a whole sentence is cut to a title's length, at a word
    long_line = "This document describes " + "the many options of a long manual " * 8
    doc = extract(make_pdf([[long_line.strip() + "."]]), "http://h/x.pdf", "application/pdf")
    assert 60 < len(doc.title) <= 120 and doc.title.endswith("…")
    cut = doc.title.removesuffix("…")
    assert long_line.startswith(cut) and long_line[len(cut)] == " "  # at a word
    # a head printed on every page and a roman folio are no title (the review's)
    pages = [["ACME Corp internal document", "ii", "Installation Guide for the Widget"]]
    pages += [["ACME Corp internal document", f"Page text number {n}."] for n in range(5)]
    doc = extract(make_pdf(pages), "http://h/acme.pdf", "application/pdf")
    assert doc.title == "Installation Guide for the Widget"


def test_pdf_served_as_html_is_sniffed() -> None:
    body = make_pdf([["Un document servi avec le mauvais type de contenu, mais lisible."]])
    doc = extract(body, "http://h/x", "text/html")
    assert "mauvais type de contenu" in doc.text


@pytest.mark.parametrize(
    "body",
    [
        b"%PDF-1.4\nthis is not a pdf at all",
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        make_pdf([["truncated in the middle of the file"]])[:150],
    ],
)
def test_unreadable_pdf_is_a_pdf_error(body: bytes) -> None:
    with pytest.raises(ExtractError) as caught:
        extract(body, "http://h/broken.pdf", "application/pdf")
    assert caught.value.kind == "pdf"
    assert caught.value.url == "http://h/broken.pdf"


def test_pdf_without_text_is_empty() -> None:
    with pytest.raises(ExtractError) as caught:
        extract(make_pdf([[]]), "http://h/scan.pdf", "application/pdf")
    assert caught.value.kind == "empty"


def test_running_heads_are_dropped_and_cut_paragraphs_joined() -> None:
    pages = [
        [
            "Guide APT",
            f"Paragraph {n} says that mirrors carry the archive and that apt reads them",
            f"in order, as the sources list gives them ({n}).",
            "",
            f"Page {n} / 5",
        ]
        for n in range(1, 6)
    ]
    pages[1] = ["Guide APT", "A sentence cut by the end of the page, which goes", "Page 2 / 5"]
    pages[2] = ["Guide APT", "on at the top of the next one.", "", "Page 3 / 5"]
    doc = extract(make_pdf(pages), "http://h/guide.pdf", "application/pdf")
    assert "Guide APT" not in doc.text and "/ 5" not in doc.text
    assert "which goes on at the top of the next one." in doc.text
    assert "apt reads them in order, as the sources list gives them (1)." in doc.text


def test_heads_that_change_by_chapter_go_by_their_page_number() -> None:
    # a book's front matter shifts the printed numbers: the fifth page prints "1"
    pages = [["Title page of the manual."], ["Copyright notice."], ["i", "Contents"]]
    pages.append(["ii", "More contents"])
    for n in range(1, 9):
        chapter = "Getting Help" if n < 4 else "Legal Matters"
        lines = [f"Chapter {1 + n // 4}: {chapter} {n}"] if n % 2 else [f"{n} The Manual"]
        topic = ("mailing lists", "bug reports", "releases", "web pages", "copyright papers",
                 "legal advice", "patches", "licenses")[n - 1]  # fmt: skip
        lines += [f"This page explains how maintainers handle {topic} with", "care and patience."]
        pages.append(lines)
    pages[6].append("See https://")
    pages[6].append("www.gnu.org/help/ for the GPL-")
    pages[6].append("compatible licenses.")
    doc = extract(make_pdf(pages), "http://h/manual.pdf", "application/pdf")
    assert "Chapter" not in doc.text and "Legal Matters" not in doc.text
    assert "The Manual" not in doc.text
    assert "This page explains how maintainers handle releases with care and patience." in doc.text
    assert "https://www.gnu.org/help/" in doc.text
    assert "GPL-compatible licenses." in doc.text


def test_heads_with_the_title_and_footers_numbered_at_either_end_go() -> None:
    # The Ubuntu Packaging Guide's layout: the title beside the chapter or section name
    # at the top, the page number before or after the copyright line (or on its own
    # line) at the bottom; no one form of either is on half the pages.
    topics = ("mirrors", "patches", "changelogs", "uploads", "sponsors", "builds", "tests")
    pages = []
    for n in range(1, 10):
        top = (
            f"1.{n}. Working with {topics[n % len(topics)]} Example Guide"
            if n % 2
            else f"Example Guide Chapter {n // 4 + 1}. {('Articles', 'Knowledge', 'Reading')[n // 4]}"
        )
        topic = topics[(n + 3) % len(topics)]
        body = [f"This part explains how contributors handle {topic}", "with care, every day."]
        notice = "© 2010-2017, Example Developers, CC BY-SA 3.0"
        bottom = [[f"{n} {notice}"], [f"{notice} {n}"], [notice, str(n)]][n % 3]
        pages.append([top, *body, *bottom])
    doc = extract(make_pdf(pages, title="Example Guide"), "http://h/g.pdf", "application/pdf")
    assert "Example Guide" not in doc.text and "Example Developers" not in doc.text
    assert "Chapter" not in doc.text and "Working with" not in doc.text
    assert "This part explains how contributors handle sponsors with care, every day." in doc.text
    assert not any(line.strip().isdigit() for line in doc.text.split("\n"))


def test_a_contents_page_goes_whole() -> None:
    # wrapped entries and entries that fit without leaders are no prose either
    contents = ["Contents", "4 Compatibility issues 15"]
    contents += [
        f"4.{n} Does Debian run on machine number {n}? . . . . . . . . 16" for n in range(6)
    ]
    contents += ["4.7 Can I use packages of another distribution on a Debian", "system?", "17"]
    answer = "Debian runs on many architectures, from small boards to mainframes."
    doc = extract(make_pdf([contents, [answer]]), "http://h/faq.pdf", "application/pdf")
    assert doc.text.strip() == answer


def test_numbered_headings_stand_apart_and_contents_lines_go() -> None:
    pages = [
        [
            "Table of Contents",
            "6.1 Copyright Papers . . . . . . . . . . 5",
            "6.2 Legally Significant Changes . . . . . . 6",
        ],  # fmt: skip
        [
            "6.2 Legally Significant Changes",
            "If a person contributes more than around 15",
            "lines of code, we need copyright papers.",
            "2. Compose a message with the following",
            "information about the release.",
        ],  # fmt: skip
    ]
    doc = extract(make_pdf(pages), "http://h/maintain.pdf", "application/pdf")
    assert ". . ." not in doc.text
    assert "\n6.2 Legally Significant Changes\n" in f"\n{doc.text}\n"
    assert "\nIf a person contributes more than around 15 lines of code" in doc.text
    # a numbered step whose sentence goes on is no heading
    assert "2. Compose a message with the following information about the release." in doc.text


def test_a_section_heading_stands_apart_whatever_case_follows() -> None:
    pages = [
        [
            "8.1.3 aptitude",
            "aptitude is a package manager for Debian systems that provides a",
            "frontend to the apt infrastructure.",
            "2. Compose a message with the following",
            "information about the release.",
        ]
    ]
    doc = extract(make_pdf(pages), "http://h/faq.pdf", "application/pdf")
    assert "\n8.1.3 aptitude\n" in f"\n{doc.text}\n"
    assert "\naptitude is a package manager for Debian systems that provides a frontend" in doc.text
    assert "2. Compose a message with the following information about the release." in doc.text


def test_a_label_line_stands_apart_from_the_sentence_after_it() -> None:
    """A reference manual's section labels ("Description", "See Also") and a note's have no
    number; a capitalised line after one starts a sentence of its own (it read "Details If
    na.rm is TRUE…"). A lead-in before an example, and a label before code, stay."""
    pages = [
        [
            "mad Median Absolute Deviation",
            "Description",
            "Compute the median absolute deviation, i.e., the",
            "median of the absolute deviations from the median.",
            "Usage",
            "mad(x, center = median(x))",
            "Details",
            "If na.rm is TRUE then NA values are stripped before",
            "the computation proceeds.",
            "For example",
            "> mad(c(1, 2, 3))",
            "See Also",
            "Median and IQR.",
        ]
    ]
    text = f"\n{extract(make_pdf(pages), 'http://h/refman.pdf', 'application/pdf').text}\n"
    for label in ("Description", "Details", "See Also"):
        assert f"\n{label}\n" in text
    assert "\nCompute the median absolute deviation, i.e., the median of the absolute" in text
    assert "\nIf na.rm is TRUE then NA values are stripped before the computation" in text
    assert "\nMedian and IQR." in text
    assert "Usage mad(x, center = median(x))" in text
    assert "For example > mad(c(1, 2, 3))" in text


def test_a_heading_that_its_layout_wrapped_is_one_heading() -> None:
    """A rebuilt page sets a FAQ question's second line apart like a paragraph (its large
    font leaves a gap): the end of the question goes back to it, hyphenated words joined,
    instead of standing alone as a fragment (``des paquets ?``) quoted in answers. A title
    that is no question, and a short heading, keep their body apart, whatever its case."""
    page = (
        "5.3 How can I get a current list of programs that have been\n\n"
        "packaged for Debian?\n\n"
        "A complete list is available from any of the Debian mirrors.\n\n"
        "4.1 Sur quelle architecture matérielle fonctionne Debian GNU/Li-\n\n"
        "nux ?\n\n"
        "Debian fonctionne sur neuf architectures.\n\n"
        "1.3 D’accord, maintenant je sais ce qu’est Debian, qu’est-ce que\n\n"
        "Linux ?\n\n"
        "2.3 Configuring the network interfaces by hand\n\n"
        "Why would you want to do this?\n\n"
        "3.2 Installing packages from the command line\n\n"
        "sudo apt install nginx\n\n"
        "8.1.4 synaptic\n\n"
        "synaptic is a graphical package manager.\n\n"
        "2.4 The release notes are the first thing to read in\n\n"
        "every case. They are short.\n"
    )
    blocks = [" ".join(b.split()) for b in _paragraphs([page])]
    assert blocks[:4] == [
        "5.3 How can I get a current list of programs that have been packaged for Debian?",
        "A complete list is available from any of the Debian mirrors.",
        "4.1 Sur quelle architecture matérielle fonctionne Debian GNU/Linux ?",
        "Debian fonctionne sur neuf architectures.",
    ]
    assert "1.3 D’accord, maintenant je sais ce qu’est Debian, qu’est-ce que Linux ?" in blocks
    for apart in (
        "2.3 Configuring the network interfaces by hand",
        "Why would you want to do this?",
        "3.2 Installing packages from the command line",
        "sudo apt install nginx",
        "8.1.4 synaptic",
        "synaptic is a graphical package manager.",
    ):
        assert apart in blocks
    assert _heading_level(blocks[0]) == 2 and _heading_level(blocks[2]) == 2
    # a sentence is no title's end
    assert blocks[-1] == "every case. They are short."


def _placed_pdf(runs: list[tuple[float, float, str]]) -> bytes:
    """A one-page PDF with each text run placed at (x, y): a table's columns."""
    return _pdf_bytes(
        [" ".join(f"BT /F1 10 Tf {x} {y} Td {_pdf_string(t)} Tj ET" for x, y, t in runs)]
    )


def test_a_table_read_column_by_column_comes_out_row_by_row() -> None:
    """pdfminer reads a table's columns as boxes side by side; their lines at one height
    are a row, so ``apt-get dist-upgrade`` stays with ``apt full-upgrade``, each row one
    paragraph as an HTML table's is. Prose beside nothing, and two lines side by side (a
    page head), are left as they are."""
    old = ["apt-get update", "apt-get upgrade", "apt-get dist-upgrade", "apt-get remove pkg"]
    new = ["apt update", "apt upgrade", "apt full-upgrade", "apt remove pkg"]
    runs = [(72.0, 760.0, "CHAPTER 8. PACKAGE TOOLS"), (400.0, 760.0, "8.1. PROGRAMS")]
    runs += [(72.0, 700.0 - 14 * i, cell) for i, cell in enumerate(old)]
    runs += [(250.0, 700.0 - 14 * i, cell) for i, cell in enumerate(new)]
    runs.append((72.0, 600.0, "The apt tool merges the functions of apt-get and apt-cache."))
    page = _rebuilt(_placed_pdf(runs), [0])[0]
    blocks = _paragraphs([page])
    table = [b for b in blocks if is_table(b)]
    assert len(table) == 1
    assert [row for row in table[0].splitlines() if row.strip()] == [
        f"{a} | {b}" for a, b in zip(old, new, strict=True)
    ]
    assert "The apt tool merges the functions of apt-get and apt-cache." in blocks
    assert "CHAPTER 8. PACKAGE TOOLS" in blocks and "8.1. PROGRAMS" in blocks


def test_columns_of_prose_and_a_note_beside_prose_are_no_table() -> None:
    """Three narrow columns of prose at the same heights, and a paragraph with a margin
    note of one or two words a line, are read as they are, not as rows."""
    columns = [
        [
            "The new release brings many",
            "changes to the installer and",
            "to the desktop, which",
            "now starts faster.",
        ],
        [
            "Upgrading from the previous",
            "release is supported, but you",
            "should read the notes",
            "before you start.",
        ],
        [
            "Support for the old release",
            "ends one year after the new",
            "one is published, as",
            "announced before.",
        ],
    ]
    runs = [
        (72.0 + 170 * c, 700.0 - 14 * i, line)
        for c, col in enumerate(columns)
        for i, line in enumerate(col)
    ]
    page = _rebuilt(_placed_pdf(runs), [0])[0]
    assert not any(is_table(b) for b in _paragraphs([page]))
    prose = [
        "The installer configures the boot loader on the first disk it finds,",
        "unless you choose another one; the choice is remembered for the next",
        "upgrades, and you can change it later with the configuration tool of its own.",
    ]
    note = ["slow", "disks", "see", "below"]
    runs = [(72.0, 700.0 - 14 * i, line) for i, line in enumerate(prose)]
    runs += [(470.0, 700.0 - 14 * i, line) for i, line in enumerate(note)]
    page = _rebuilt(_placed_pdf(runs), [0])[0]
    assert not any(is_table(b) for b in _paragraphs([page]))


def test_a_table_stays_whole_after_a_dropped_head_and_its_rows_are_no_headings() -> None:
    """A table continued at the top of a page, where a running head was dropped, is still a
    table; a row that starts like a numbered heading is a row, and a hyphen ending a cell
    is the cell's."""
    table = "\n".join(
        [
            TABLE_MARK,
            "1.1 Authentication | required",
            "1.2 Logging | optional-",
            "1.3 Backups | required",
        ]
    )
    blocks = _paragraphs(["The settings, row by row:", f"\n{table}"])
    assert blocks[0] == "The settings, row by row:"
    assert len(blocks) == 2 and is_table(blocks[1])
    rows = [row for row in blocks[1].splitlines() if row.strip()]
    assert rows == [
        "1.1 Authentication | required",
        "1.2 Logging | optional-",
        "1.3 Backups | required",
    ]


def test_a_latex_opening_quote_read_as_a_grave_accent_is_a_quote() -> None:
    [paragraph] = _paragraphs(
        ["Packages in the \u0300stable\u2019 distribution; d\u00e8s que, fe\u0300ve."]
    )
    assert paragraph == "Packages in the \u2018stable\u2019 distribution; d\u00e8s que, fe\u0300ve."


def test_glued_words_are_detected() -> None:
    prose = "When you file a bug report, please use the reportbug command first. " * 5
    glued_text = (
        "Whenyoufileabugreport,pleaseuse reportbug(1)command. "
        "RepositorybasedpackagemanagementoperationsontheDebiansystemcanbeperformed. "
    ) * 5 + prose
    assert not glued(prose)
    assert glued(glued_text)
    # two lines of a long page justified without spaces (the Ubuntu Packaging Guide)
    page = (
        prose * 6 + "Itisveryimportanttodocumentyourchange sufficiently. Inourverysparseexample. "
    )
    assert glued(page)
    assert not glued(prose * 6 + "Internationalization is a long word. ")
    # a builtin's option letters (the Bash manual's "set [-abefhkmnptuvxBCEHPT] [-o
    # option-name]"): sorted letters, no words, and read by pypdf as they are; its pages
    # rebuilt by pdfminer lost the option names before their meanings ("-e" / "Exit
    # immediately if…" in boxes of their own)
    synopsis = "set [-abefhkmnptuvxBCEHPT] [-o option-name] [--] [-] [argument ...]\n"
    assert not glued(prose + synopsis * 2)
    assert not glued(prose + "declare [-aAfFgilnrtuxIOPRSTUVW] name\n" * 2)


@pytest.fixture(scope="module")
def reference_pages() -> bytes:
    """Six pages of the Debian Reference's PDF (dblatex), whose words pypdf runs together."""
    from pypdf import PdfReader, PdfWriter
    from tests.corpora import reference_dir

    reader = PdfReader(reference_dir("en") / "debian-reference.en.pdf")
    writer = PdfWriter()
    for number in range(58, 64):
        writer.add_page(reader.pages[number])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_words_a_pdf_places_by_position_are_rebuilt(reference_pages: bytes) -> None:
    from pypdf import PdfReader

    raw = "".join(p.extract_text() for p in PdfReader(io.BytesIO(reference_pages)).pages)
    assert glued(raw)  # what pypdf alone gives: "Forthereplacementexpression,…"
    doc = extract(reference_pages, "http://h/debian-reference.pdf", "application/pdf")
    assert "For the replacement expression, some characters have special meanings." in doc.text
    assert not glued(doc.text)
    assert "Debian Reference" not in doc.text  # the running head of every page


def test_numbered_headings_are_the_document_s_headings() -> None:
    """Passages are cut at sections and carry their title, as an HTML page's are; a
    numbered step is no heading."""
    pages = [
        [
            "8.6 Removing data packages",
            "Some packages are split in program and data, and the data package is",
            "shared by several programs.",
            "2. Compose a message with the following",
            "information about the release.",
        ],
        ["8.7 Installing Debian", "Debian installs from a small image that fetches the rest."],
    ]
    doc = extract(make_pdf(pages), "http://h/faq.pdf", "application/pdf")
    assert [(h.level, h.text) for h in doc.headings] == [
        (2, "8.6 Removing data packages"),
        (2, "8.7 Installing Debian"),
    ]
    for heading in doc.headings:
        assert doc.text[heading.start : heading.start + len(heading.text)] == heading.text


@pytest.mark.parametrize(
    ("block", "level"),
    [
        ("8.6 Why is foo-data not removed when I uninstall foo?", 2),  # a FAQ's question
        ("3 Installing Debian", 1),
        ("12.4.1 aptitude", 3),
        ("2. Compose a message with the following information.", 0),  # a step
        ("3 installing the base system takes a while", 0),  # one level: capitalised only
        ("1. Is this a step?", 0),
        ("1. Open a terminal", 0),  # a step, however short
        ("3.5 million people use Debian at home", 0),  # a number, not a section
        ("8.1.3 aptitude", 3),
        ("6.2 This title goes on and on and on for far more words than a title holds", 0),
        # a FAQ's question is longer than a title
        ("5.3 How can I get a current list of programs that have been packaged for Debian?", 2),
        ("The package is built.", 0),
    ],
)
def test_which_paragraphs_are_numbered_headings(block: str, level: int) -> None:
    assert _heading_level(block) == level


def test_a_page_head_that_repeats_its_section_goes() -> None:
    """LaTeX heads a page with its section (``1.4. Packaging New Software``) or chapter in
    capitals, cut short to fit: not text, and no second heading."""
    body = "This page explains how a package is built from its sources, step by step"
    pages = [
        ["1.4. PACKAGING NEW SOFTWARE", "1.4 Packaging New Software", f"{body} (1)."],
        ["1.4. Packaging New Software", f"{body} (2), and the sentence", "goes on."],
        ["CHAPTER 1. GETTING AND INSTALLING ...", "on the next page, where it ends."],
        ["CHAPITRE 2. DÉFINITIONS ET VUE D'ENSEMBLE", f"{body} (4)."],
    ]
    doc = extract(make_pdf(pages), "http://h/guide.pdf", "application/pdf")
    assert [h.text for h in doc.headings] == ["1.4 Packaging New Software"]
    assert "PACKAGING" not in doc.text and "1.4. Packaging" not in doc.text
    assert "CHAPTER" not in doc.text and "CHAPITRE" not in doc.text
    assert "(2), and the sentence goes on." in doc.text


@pytest.mark.parametrize(
    ("line", "head"),
    [
        ("CHAPTER 3. CHOOSING A DEBIAN …", True),
        ("CHAPITRE 1. DÉFINITIONS ET VUE D’ENSEMBLE", True),
        ("3.2. WHAT ABOUT …", True),
        ("WARNING: THIS ERASES EVERY FILE ON THE DISK...", False),  # the page's text
        ("7.1. IN NO EVENT SHALL THE AUTHORS BE LIABLE", False),
        ("Chapter 3. Choosing a Debian …", False),
    ],
)
def test_which_edge_lines_are_latex_page_heads(line: str, head: bool) -> None:
    assert _cut_short_head(line) is head


def test_a_step_said_twice_stays_and_only_a_head_form_copy_goes() -> None:
    blocks = [
        "1.4. Packaging New Software",  # the head of the page where 1.4 begins
        "1.4 Packaging New Software",
        "2.1 Open a terminal",
        "Type the command.",
        "2.1 Open a terminal",  # the same step in another procedure: text
        "1.4. Packaging New Software",
    ]
    assert _section_repeats(blocks) == {0, 5}


def test_a_file_path_cut_after_a_slash_is_one_path() -> None:
    """The maint-guide's PDF wraps lines inside paths ("usr/share/lintian/ overrides/package",
    "/usr/share/ doc/devscripts/README.gz"): a key fact or a quote of the path matched
    nothing. A listing's lines, each a whole path, stay apart, and so does a path that a
    word follows."""
    pages = [
        [
            "It is installed into usr/share/lintian/",
            "overrides/package by the dh_lintian command.",
            "Read the guide (/usr/share/",
            "doc/devscripts/README.gz) first.",
            "The foo.install file might look like:",
            "usr/bin/",
            "usr/lib/foo/*.so",
            "Configuration files live in /etc/",
            "directory trees of their own.",
        ]
    ]
    doc = extract(make_pdf(pages), "http://h/guide.pdf", "application/pdf")
    assert "into usr/share/lintian/overrides/package by" in doc.text
    assert "(/usr/share/doc/devscripts/README.gz)" in doc.text
    assert "usr/bin/usr/lib" not in doc.text
    assert "/etc/directory" not in doc.text


def test_a_link_cut_after_its_colon_or_a_slash_is_one_link() -> None:
    """The Debian FAQ's PDFs cut links after the scheme's colon (``https:`` / ``//www…``), at
    a page end too, and after a slash of the path: the link came out as two words, so a
    quote of it was no link and its address was in no sentence."""
    pages = [
        [
            "The Installation Guide (https:",
            "//www.debian.org/releases/stable/installmanual) explains it.",
            "The Security Manual (https://www.debian.org/doc/",
            "manuals/securing-debian-howto/) covers hardening.",
            "Read more at https://www.gnu.org/",
            "The next sentence starts here.",
            "The last version is on the Debian web site at https:",
        ],
        ["//www.debian.org/doc/FAQ/.", "It is also available for download."],
    ]
    doc = extract(make_pdf(pages), "http://h/faq.pdf", "application/pdf")
    assert "(https://www.debian.org/releases/stable/installmanual)" in doc.text
    assert "(https://www.debian.org/doc/manuals/securing-debian-howto/)" in doc.text
    assert "https://www.debian.org/doc/FAQ/." in doc.text
    assert "https://www.gnu.org/The" not in doc.text  # a sentence after a link stays apart
    assert "The next sentence starts here." in doc.text


def test_a_word_cut_at_a_page_end_is_one_word() -> None:
    """A word hyphenated across a page (or across two of pdfminer's boxes) came out as
    ``con- trol``: a word no search or quote could match."""
    pages = [
        ["Maintainers who package this software are listed in the Debian con-"],
        ["trol file that comes with each package, on 32-"],
        ["bit PCs too."],
    ]
    doc = extract(make_pdf(pages), "http://h/faq.pdf", "application/pdf")
    assert "listed in the Debian control file that comes with each package" in doc.text
    assert "32-bit PCs" in doc.text  # a hyphen after a digit is the word's own


def _pdf_with_to_unicode(line: str, mapping: dict[str, str]) -> bytes:
    """A one-line PDF whose font maps the byte ``key`` to the character ``mapping[key]``
    (a ``/ToUnicode`` CMap, as TeX's and groff's PDFs carry for their ligatures)."""
    chars = " ".join(f"<{ord(k):02X}> <{ord(v):04X}>" for k, v in mapping.items())
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /L def\n"
        "1 begincodespacerange <00> <FF> endcodespacerange\n"
        f"{len(mapping)} beginbfchar {chars} endbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    content = f"BT /F1 12 Tf 72 720 Td {_pdf_string(line)} Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    ]
    return _assembled(objects)


def test_ligatures_and_minus_signs_are_the_letters_a_reader_types() -> None:
    """groff's and TeX's PDFs (bash.pdf of Debian's bash-doc: 978 "ﬁ") write "ﬁle" with one
    ligature character and options with minus signs ("−−login"): no search for "file" or
    "--login", no quote and no key fact matched them. The Debian New Maintainers' Guide sets
    its footnotes' numbers in superscript digits against the word (".zip⁶")."""
    line = "The \x01le con\x01guration is read \x01rst. Start it with \x03\x03login or \x03s, a \x02ag."
    line += " Unpack any .zip\x04 file."  # a footnote's number in superscript
    mapping = {"\x01": "\ufb01", "\x02": "\ufb02", "\x03": "\u2212", "\x04": "\u2076"}
    text = extract(_pdf_with_to_unicode(line, mapping), "http://h/b.pdf", "application/pdf").text
    assert "The file configuration is read first." in text
    assert "Start it with --login or -s, a flag." in text
    assert "Unpack any .zip \u2076 file." in text  # ".zip" is a word again


def test_a_link_and_the_words_after_it_on_its_line_stay_apart() -> None:
    """A space inside a line is no cut: "…/ and/or", "…/ et/ou" after a link were glued
    to it, and so were a list item ("2. ") and a one-word sentence after a link that ends
    its line."""
    pages = [
        [
            "See https://www.debian.org/ and/or the mirror list.",
            "Voir https://www.debian.org/ et/ou la liste des miroirs.",
            "1. Open https://www.debian.org/",
            "2. Download the image from https://cdimage.debian.org/",
            "Thanks.",
        ]
    ]
    text = extract(make_pdf(pages), "http://h/faq.pdf", "application/pdf").text
    assert "https://www.debian.org/ and/or the mirror list." in text
    assert "https://www.debian.org/ et/ou la liste" in text
    assert "https://www.debian.org/ 2. Download" in text
    assert "https://cdimage.debian.org/ Thanks." in text


def test_link_mends_take_linear_time() -> None:
    """A link start each few characters (``http://http://…``) or a long run of spaces after
    ``https:`` took seconds per 100,000 characters: each start read to the run's end."""
    glued_links = "http://" * 15_000
    spaces = "https:" + " " * 100_000 + "x"
    start = time.perf_counter()
    _paragraphs([glued_links, spaces])
    assert time.perf_counter() - start < 1.0


def test_a_contents_page_whose_words_pdfminer_rebuilds_still_goes() -> None:
    """The Debian Reference's contents pages are told by their leader lines in pypdf's text;
    pdfminer.six, which rebuilds the words of its pages, cuts the leaders and the page
    numbers into boxes of their own, so the pages came back as ". . ." lines and section
    titles read as the document's headings."""
    from pypdf import PdfReader, PdfWriter
    from tests.corpora import reference_dir

    reader = PdfReader(reference_dir("en") / "debian-reference.en.pdf")
    writer = PdfWriter()
    for number in (4, 5, *range(58, 64)):  # two pages of contents, six of text
        writer.add_page(reader.pages[number])
    out = io.BytesIO()
    writer.write(out)
    doc = extract(out.getvalue(), "http://h/debian-reference.pdf", "application/pdf")
    assert ". . . ." not in doc.text
    assert "Customization of MC" not in doc.text  # a contents entry of page 5
    assert "For the replacement expression, some characters have special meanings." in doc.text
    assert not any("Customization of MC" in h.text for h in doc.headings)


def test_a_page_that_cannot_be_read_costs_that_page_only() -> None:
    """A drawing whose stream inflates past pypdf's limit made the whole PDF fail."""
    text = "BT /F1 12 Tf 72 720 Td {} Tj ET"
    packer = zlib.compressobj(9)
    line = b"0 0 m 1 1 l S " * 10_000
    drawing = b"".join(packer.compress(line) for _ in range(600)) + packer.flush()  # 84 MB
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R 6 0 R 8 0 R] /Count 3 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    streams = [
        text.format(_pdf_string("Quokkas live on Rottnest Island near Perth.")).encode(),
        drawing,
        text.format(_pdf_string("Numbats eat termites every single day.")).encode(),
    ]
    for n, stream in enumerate(streams):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * n)
        )
        flate = b" /Filter /FlateDecode" if stream is drawing else b""
        objects.append(
            b"<< /Length %d%s >>\nstream\n" % (len(stream), flate) + stream + b"\nendstream"
        )
    doc = extract(_assembled(objects), "file:///animals.pdf", "application/pdf")
    assert "Rottnest Island" in doc.text and "termites" in doc.text


def test_a_pdf_of_the_same_lines_on_every_page_is_read_once() -> None:
    """Every line repeats on five pages, so every line was taken for a running head: the
    PDF was refused as "a scan?" though it has text."""
    notice = ["Notice to users", "The lending service closes on Saturday at noon."]
    doc = extract(make_pdf([notice] * 5), "http://h/notice.pdf", "application/pdf")
    assert doc.text.count("The lending service closes on Saturday at noon.") == 1
    assert doc.language == "en"


def test_a_scan_whose_only_text_is_a_stamp_on_every_page_is_still_a_scan() -> None:
    """Pages that are images with the scanner's line on each: not the stamp alone stored
    (the operator would lose the hint to run OCR)."""
    image = b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
    image += b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream"
    content = b"q 612 0 0 792 0 0 cm /Im1 Do Q BT /F1 8 Tf 72 20 Td (Scanned with CamScanner) Tj ET"
    count = 6
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (5 + 2 * i) for i in range(count)), count),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        image,
    ]
    for i in range(count):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
            b"<< /F1 3 0 R >> /XObject << /Im1 4 0 R >> >> /Contents %d 0 R >>" % (6 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    with pytest.raises(ExtractError, match="a scan") as caught:
        extract(_assembled(objects), "http://h/contract.pdf", "application/pdf")
    assert caught.value.kind == "empty"


def test_a_pdf_of_only_a_contents_page_says_so() -> None:
    contents = ["Contents"] + [
        f"{n} Chapter number {n} . . . . . . . . . . . {10 * n}" for n in range(1, 9)
    ]
    with pytest.raises(ExtractError, match="only a table of contents") as caught:
        extract(make_pdf([contents]), "http://h/toc.pdf", "application/pdf")
    assert caught.value.kind == "empty"
    with pytest.raises(ExtractError, match="no text layer"):
        extract(make_pdf([[]]), "http://h/scan.pdf", "application/pdf")
