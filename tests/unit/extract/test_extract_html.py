"""HTML extraction keeps all of the main content and drops navigation."""

from __future__ import annotations

import pytest

from calanque.errors import ExtractError
from calanque.extract import extract
from calanque.extract.html import extract_html

PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<title>Configuring APT sources</title>
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2023-04-05T10:00:00Z">
<link rel="canonical" href="../guide/apt.html?utm_source=feed#top">
<script>var tracking = "SCRIPTWORD";</script><style>.x{color:red}</style>
</head><body>
<header class="site-header"><a href="/">HEADERWORD home</a></header>
<nav><ul><li><a href="/a">NAVWORD one</a></li><li><a href="/b">NAVWORD two</a></li></ul></nav>
<div class="breadcrumb"><a href="/">Home</a> &gt; <a href="/docs">CRUMBWORD</a></div>
<main>
  <h1>Configuring APT sources</h1>
  <p>The file <code>/etc/apt/sources.list</code> lists where packages come from.</p>
  <div class="note"><p class="title"><strong>NOTE</strong> Mirrors</p>
    <p>Pick a mirror close to you; NOTEWORD matters.</p></div>
  <aside class="tip"><p>TIPWORD: run <kbd>apt update</kbd> after any change to the list.</p></aside>
  <h2>Syntax</h2>
  <pre class="screen"><code>deb http://deb.debian.org/debian bookworm main
    deb-src   http://deb.debian.org/debian bookworm main</code></pre>
  <ul><li>first ITEMWORD</li><li>second item</li></ul>
  <table><tr><th>Field</th><th>Meaning</th></tr>
    <tr><td>deb</td><td>binary packages</td></tr></table>
  <h3>Components</h3>
  <p>main, contrib and non-free<br>are the components.</p>
</main>
<aside class="related"><a href="/x">Related one</a> <a href="/y">Related two</a></aside>
<footer><p>FOOTERWORD Copyright 2024</p></footer>
<div id="cookie-banner">COOKIEWORD we use cookies</div>
</body></html>"""


@pytest.fixture(scope="module")
def document():
    return extract(PAGE.encode(), "http://example.org/docs/apt/index.html", "text/html")


def test_navigation_and_boilerplate_are_dropped(document) -> None:
    for word in ("SCRIPTWORD", "HEADERWORD", "NAVWORD", "CRUMBWORD", "FOOTERWORD", "COOKIEWORD"):
        assert word not in document.text
    assert "Related one" not in document.text


def test_notes_asides_lists_and_tables_are_kept(document) -> None:
    assert "The file /etc/apt/sources.list lists where packages come from." in document.text
    assert "Pick a mirror close to you; NOTEWORD matters." in document.text
    assert "TIPWORD: run apt update after any change to the list." in document.text
    assert "first ITEMWORD" in document.text
    assert "Field | Meaning\ndeb | binary packages" in document.text


def test_code_blocks_keep_their_whitespace(document) -> None:
    code = (
        "deb http://deb.debian.org/debian bookworm main\n"
        "    deb-src   http://deb.debian.org/debian bookworm main"
    )
    assert code in document.text


def test_headings_are_lines_with_exact_offsets(document) -> None:
    outline = [(h.level, h.text) for h in document.headings]
    assert outline == [(1, "Configuring APT sources"), (2, "Syntax"), (3, "Components")]
    for heading in document.headings:
        assert document.text[heading.start : heading.start + len(heading.text)] == heading.text
        assert heading.start == 0 or document.text[heading.start - 2 : heading.start] == "\n\n"


def test_metadata(document) -> None:
    assert document.title == "Configuring APT sources"
    assert document.author == "Jane Doe"
    assert document.date == "2023-04-05"
    assert document.language == "en"
    assert document.canonical_url == "http://example.org/docs/guide/apt.html"


def test_without_canonical_the_page_url_is_normalized() -> None:
    html = "<html><head><title>t</title></head><body><p>Some words here.</p></body></html>"
    doc = extract_html(html, "HTTP://Example.ORG/a/page.html?utm_medium=x#part")
    assert doc.canonical_url == "http://example.org/a/page.html"


def test_docbook_page_without_main_element() -> None:
    html = """<html><body><ul class="docnav top"><li><a href="p.html">Prev</a></li></ul>
    <div class="section"><h2 class="title">6.2. APT</h2>
    <div class="para">Le paquet <code>apt</code> sert à installer.</div>
    <div class="sidebar"><p class="title"><strong>ASTUCE</strong> Mise à jour</p>
    <div class="para">Utilisez <code class="command">apt full-upgrade</code> régulièrement.</div></div>
    <div class="toc"><dl><dt><a href="a.html">6.2.1. TOCWORD</a></dt></dl></div>
    </div><ul class="docnav"><li class="next"><a href="n.html">Suivant NEXTWORD</a></li></ul>
    </body></html>"""
    doc = extract_html(html, "http://h/x.html")
    assert doc.text.startswith("6.2. APT\n\nLe paquet apt sert à installer.")
    assert "Utilisez apt full-upgrade régulièrement." in doc.text
    assert "ASTUCE Mise à jour" in doc.text
    for word in ("Prev", "NEXTWORD", "TOCWORD"):
        assert word not in doc.text


def test_a_nav_class_on_a_wrapper_of_the_page_does_not_drop_the_content() -> None:
    prose = "Ceci est un long paragraphe de contenu. " * 30
    html = f'<html><body class="menu-open"><div id="nav-wrapper"><p>{prose}</p></div></body></html>'
    assert "long paragraphe de contenu" in extract_html(html).text


def test_layout_tables_are_read_as_blocks() -> None:
    html = """<html><body><table><tr><td><p>First paragraph in a cell.</p>
    <p>Second paragraph.</p></td></tr></table></body></html>"""
    doc = extract_html(html)
    assert "First paragraph in a cell.\n\nSecond paragraph." in doc.text


def test_a_row_whose_cells_hold_one_paragraph_each_is_one_line() -> None:
    """Asciidoctor (KiCad's manuals, Git's) writes every cell as ``<td><p class="tableblock">``:
    read cell by cell, a file's extension and what it holds were two sentences apart."""
    cell = '<td class="tableblock"><p class="tableblock">{}</p></td>'
    rows = "".join(
        f"<tr>{cell.format(name)}{cell.format(what)}</tr>"
        for name, what in [("*.kicad_pro", "Project file"), ("*.kicad_sch", "Schematic file")]
    )
    html = f"<html><body><p>KiCad uses these files.</p><table><tbody>{rows}</tbody></table></body></html>"
    doc = extract_html(html)
    assert "*.kicad_pro | Project file\n*.kicad_sch | Schematic file" in doc.text


def test_malformed_html_is_read() -> None:
    html = b"<html><body><div><p>Unclosed <b>bold <i>and italic<p>Next para</div></span></body>"
    doc = extract(html, "http://h/m.html", "text/html")
    assert "Unclosed bold and italic" in doc.text
    assert "Next para" in doc.text


def test_xml_declaration_with_encoding_is_accepted() -> None:
    body = '<?xml version="1.0" encoding="UTF-8"?><html><body><p>Déjà vu.</p></body></html>'
    assert "Déjà vu." in extract(body.encode(), "http://h/", "application/xhtml+xml").text


@pytest.mark.parametrize(
    "html", [b"", b"   ", b"<html><head><title>t</title></head><body> </body></html>"]
)
def test_a_page_without_text_is_empty(html: bytes) -> None:
    with pytest.raises(ExtractError) as caught:
        extract(html, "http://h/e.html", "text/html")
    assert caught.value.kind == "empty"
    assert caught.value.url == "http://h/e.html"


def test_a_10_mb_page_is_extracted_whole() -> None:
    paragraph = "<p>" + "mot " * 50 + "<a href='#'>lien</a> <em>fin</em>.</p>\n"
    section = "<div class='section'><h2>Section</h2>" + paragraph * 10 + "</div>"
    html = ("<html><body><main>" + section * 4100 + "</main></body></html>").encode()
    assert len(html) > 10_000_000
    doc = extract(html, "http://h/big.html", "text/html")
    assert len(doc.headings) == 4100


def test_a_manuals_own_index_and_step_bar_are_dropped() -> None:
    entries = "".join(
        f'<tr><td><a href="#index-{n}">entry {n}</a>:</td><td><a href="#S{n}">Section {n}</a></td>'
        "</tr>"
        for n in range(12)
    )
    links = "".join(
        f'<li><a href="https://other.example/{n}">Other site {n}</a></li>' for n in range(12)
    )
    html = (
        "<html><body><div class='header'><p>Next: <a href='#b' rel='next'>Errors</a>, "
        "Up: <a href='#top' rel='up'>Top</a> [<a href='#toc'>Contents</a>]</p></div>"
        "<h1>Formatting Error Messages</h1>"
        "<p>Error messages from compilers should look like this: sourcefile:lineno: message."
        " Line numbers should start from 1 at the beginning of the file.</p>"
        f"<table class='index-cp'>{entries}</table>"
        f"<h2>See also</h2><ul>{links}</ul></body></html>"
    )
    doc = extract_html(html, "https://gnu.example/standards.html")
    assert "Line numbers should start from 1" in doc.text
    assert "entry 3" not in doc.text and "Section 7" not in doc.text
    assert "Next:" not in doc.text and "Up:" not in doc.text
    assert "Other site 5" in doc.text  # links to other pages are not the page's own index


def test_heading_permalinks_are_not_text() -> None:
    """Sphinx and MkDocs end every heading with a ``¶`` link to itself, Docusaurus with a
    ``#``: they were part of every heading, so of every passage's context and prompt."""
    html = (
        "<html><body><main>"
        '<h1>2. Applying<a class="headerlink" href="#applying" title="Permalink">¶</a></h1>'
        "<p>Reading the GNU Manifesto would also be a good idea.</p>"
        '<h2 id="s">2.3. Registering<a class="hash-link" href="#s">#</a></h2>'
        '<dl><dt>dget<a class="headerlink" href="#dget">¶</a></dt><dd>Fetches a source package'
        " from a URL.</dd></dl>"
        '<p>See <a href="#s">section 2.3</a> and the <a class="anchor" href="#x">anchor</a>'
        " term, and <a href='#notes'>#</a> alone.</p>"
        "</main></body></html>"
    )
    doc = extract_html(html, "https://docs.example/new-maintainer.html")
    assert [h.text for h in doc.headings] == ["2. Applying", "2.3. Registering"]
    assert "¶" not in doc.text and "Registering#" not in doc.text
    assert "dget" in doc.text
    assert "See section 2.3 and the anchor term" in doc.text  # links that say something stay
    assert "and # alone" in doc.text  # a bare "#" without a permalink class is left


def test_a_heading_that_links_back_to_the_table_of_contents_keeps_its_words() -> None:
    """Sphinx's FAQs write every heading as a link back to the page's contents
    (``<a class="toc-backref" role="doc-backlink">``): its "toc" class read as navigation,
    and every question of the Python FAQ lost its heading, so each answer its question."""
    html = (
        "<html><body><main>"
        '<h1><a class="toc-backref" href="#id1" role="doc-backlink">Library FAQ</a>'
        '<a class="headerlink" href="#library-faq">¶</a></h1>'
        '<nav class="contents"><p>Contents</p><ul><li><a href="#unix">Unix</a></li></ul></nav>'
        '<h3><a class="toc-backref" href="#id5" role="doc-backlink">How do I make a Python'
        " script executable on Unix?</a></h3>"
        "<p>You need to do two things: the mode must be executable, and the first line must"
        " begin with #!.</p>"
        "</main></body></html>"
    )
    doc = extract_html(html, "https://docs.example/faq/library.html")
    assert [h.text for h in doc.headings] == [
        "Library FAQ",
        "How do I make a Python script executable on Unix?",
    ]
    assert "Contents" not in doc.text  # the table of contents itself is still navigation


def test_a_definition_list_s_term_and_definition_are_one_paragraph() -> None:
    """Option lists (texinfo, man pages, DocBook's variable lists) put the term in a ``dt``
    and what it means in a ``dd``: as two paragraphs, "alert (bell)" or "Do not read
    commands." was quoted without saying what it was about."""
    html = (
        "<html><body><main><h1>Options</h1><dl>"
        "<dt><code>-n</code></dt><dd><p>Read commands but do not execute them.</p>"
        "<p>This may be used to check a script for syntax errors.</p></dd>"
        "<dt>Priority:</dt><dd>required</dd>"
        "<dt>-a</dt><dt>-b</dt><dd>Both options mark the variable.</dd>"
        "<dt>Comment installer ?</dt><dd><p>Avec apt.</p></dd>"
        "</dl><p>After the list.</p></main></body></html>"
    )
    text = extract_html(html, "https://h.example/opts").text
    assert "-n: Read commands but do not execute them." in text
    assert "\n\nThis may be used to check a script for syntax errors." in text
    assert "Priority: required" in text
    assert "-a\n\n-b: Both options mark the variable." in text  # a term alone stays alone
    assert "Comment installer ? Avec apt." in text
    assert "\n\nAfter the list." in text


def test_a_page_nested_deeper_than_libxml2_s_default_keeps_its_text() -> None:
    """300 unclosed <div> of a broken template: libxml2 stops at 256 levels, and the page
    was "empty"."""
    prose = "The real text of this page is here and long enough to be kept. " * 5
    html = "<html><body>" + "<div>" * 300 + f"<p>{prose}</p></body></html>"
    assert "real text of this page" in extract_html(html).text


def _texi2any_page(content: str) -> str:
    """A page as texi2any writes GNU manuals: a bar of bracketed links above and below the
    chapter (no ``nav``, no ``rel``, class ``header``), then the generator's footer (which
    stays: nothing tells it from a page's last paragraph)."""
    cells = "".join(
        f'<td>[<a href="{href}" title="{title}"> {text} </a>]</td>'
        for href, title, text in [
            ("prev.html", "Beginning of this chapter or previous chapter", "&lt;&lt;"),
            ("prev.html#s", "Previous section in reading order", "&lt;"),
            ("index.html", "Up section", "Up"),
            ("#next", "Next section in reading order", "&gt;"),
            ("index.html", "Cover (top) of document", "Top"),
            ("toc.html", "Table of contents", "Contents"),
            ("Concept-Index.html", "Index", "Index"),
        ]
    )
    bar = f'<table class="header" border="0"><tr>{cells}<td> &nbsp; </td></tr></table>'
    return (
        f'<html><body lang="en"><div class="chapter">{bar}<h1>16 Options</h1>{content}</div>'
        f"<hr>{bar}<p><font size='-1'>This document was generated on <em>February 5, 2023"
        "</em> using <a href='https://www.gnu.org/software/texinfo/'><em>texi2any</em></a>."
        "</font></p><font size='-1'>Zsh version 5.9, released on May 14, 2022.</font>"
        "</body></html>"
    )


def test_a_texinfo_manual_s_link_bars_and_index_are_dropped() -> None:
    """The Z Shell manual (texi2any): its "[ << ] | [ < ] | [ Up ] …" bars were in a quarter
    of the chunks, and its index pages' rows ("ALIASES | 16.2.6 Input/Output") were quoted
    as answers."""
    prose = (
        "<p>Options are primarily referred to by name. These names are case insensitive and "
        "underscores are ignored.</p><dl><dt>AUTO_CD</dt><dd><p>If a command is a directory, "
        "cd to it.</p></dd></dl>"
    )
    doc = extract_html(_texi2any_page(prose), "https://zsh.example/Options.html")
    assert "Options are primarily referred to by name." in doc.text
    assert "AUTO_CD: If a command is a directory, cd to it." in doc.text
    for boilerplate in ("<<", "[ Up ]", "Contents"):
        assert boilerplate not in doc.text, boilerplate
    letters = "".join(f'<a href="#letter-{c}"><b>{c}</b></a> ' for c in "ABCDEFGHIKLM")
    rows = "".join(
        f'<tr><td><a href="Options.html#index-{n}"><code>OPTION_{n}</code></a></td>'
        f'<td>&nbsp;</td><td><a href="Options.html#S{n}">16.2.{n} Section</a></td></tr>'
        for n in range(12)
    )
    index = (
        f"<table><tr><th>Jump to: &nbsp;</th><td>{letters}</td></tr></table>"
        f'<table class="index-op"><tr><th>Index Entry</th><th>Section</th></tr>{rows}</table>'
    )
    doc = extract_html(_texi2any_page(index), "https://zsh.example/Options-Index.html")
    assert "OPTION_3" not in doc.text and "16.2.7 Section" not in doc.text
    assert "Jump to" not in doc.text


PROSE = "Calanque keeps all of the main content of a page when it indexes it. " * 3


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        # a row of links that name formats, then the page's content
        (
            "<h1>Chapter one</h1><table><tr><td><a href='a.pdf'>PDF</a></td><td><a "
            "href='a.epub'>EPUB</a></td><td><a href='a.html'>HTML</a></td></tr></table>"
            "<p>Install with apt install foo.</p>",
            ["PDF", "Install with apt install foo."],
        ),
        # code whose line numbers link to themselves (Pygments' anchorlinenos)
        (
            f"<p>{PROSE}</p><table class='highlighttable'><tr><td class='linenos'><pre>"
            + "".join(f"<a href='#L-{n}'>{n}</a>\n" for n in range(1, 13))
            + "</pre></td><td class='code'><pre>step 7 of the build\n</pre></td></tr></table>",
            ["step 7 of the build"],
        ),
        # a paragraph's footnote references
        (
            "<p>"
            + "".join(f"Claim {n} holds<a href='#fn{n}'><sup>{n}</sup></a>. " for n in range(12))
            + "</p>",
            ["Claim 11 holds"],
        ),
        # a table of downloads: links to files, not to places in pages
        (
            f"<p>{PROSE}</p><table>"
            + "".join(
                f"<tr><td><a href='/r/{n}'>calanque-1.{n}.0.tar.gz</a></td><td>3 MB</td></tr>"
                for n in range(12)
            )
            + "</table>",
            ["calanque-1.7.0.tar.gz"],
        ),
        # a manual page's SEE ALSO
        (
            f"<p>{PROSE}</p><h2>SEE ALSO</h2><p><a href='chflags.1.html'>chflags(1)</a>, "
            "<a href='chmod.1.html'>chmod(1)</a>, <a href='sort.1.html'>sort(1)</a></p>",
            ["chmod(1)"],
        ),
    ],
)
def test_rows_of_links_that_are_the_page_s_text_are_kept(body: str, kept: list[str]) -> None:
    """A review's pages: only links that say where to go make a bar, only a table of links
    to places in pages with next to no other text is an index."""
    doc = extract_html(f"<html><body>{body}</body></html>", "https://example.org/page.html")
    for text in kept:
        assert text in doc.text, (text, doc.text)


def test_a_short_page_after_a_top_bar_and_a_row_of_words_are_kept() -> None:
    """A bar at the top of a short page is followed by the page itself, not by a footer;
    three short links in a sentence are prose."""
    bar = '<p>[<a href="a">Up</a>] [<a href="b">Next</a>] [<a href="c">Index</a>]</p>'
    html = (
        f"<html><body>{bar}<p>Run <a href='apt.html'>apt</a> or <a href='dpkg.html'>dpkg</a>"
        " with <a href='sudo.html'>sudo</a> to install a package.</p></body></html>"
    )
    doc = extract_html(html, "https://example.org/short.html")
    assert "Run apt or dpkg with sudo to install a package." in doc.text
    assert "Next" not in doc.text
