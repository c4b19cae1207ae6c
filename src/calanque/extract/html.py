"""HTML to clean text that keeps *all* of the main content.

trafilatura is excellent at metadata but, measured on the Debian handbook, its
main-text extraction drops notes, tips, sidebars, code and command lines. So
the text comes from our own pass over the lxml tree:

1. decode (byte order mark > HTTP charset > ``<meta>`` charset > guess);
2. remove what is never content: scripts, styles, forms' controls, ``<nav>``,
   page headers and footers, and elements whose class or id names navigation
   (``navheader``, ``docnav``, ``breadcrumb``, ``menu``, ``cookie``, ``toc``...);
3. pick the content container: ``<main>`` / ``role=main``, else a single
   ``<article>``, else ``<body>`` (whose boilerplate step 2 removed);
4. walk it in document order, writing headings, paragraphs, list items, table
   rows (``a | b | c``) and ``<pre>`` blocks (whitespace kept) as blocks.

trafilatura's own text is used only when that pass finds no text at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

import courlan
import lxml.html
import trafilatura
from lxml import etree

from calanque.errors import ExtractError
from calanque.extract.language import page_language
from calanque.extract.text import (
    TextBuilder,
    bom_encoding,
    codec_name,
    decode_bytes,
    guess_encoding,
    normalize_space,
)
from calanque.types import Document

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.()-]+)""", re.IGNORECASE
)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
_DROP_TAGS = (
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed",
    "nav", "button", "select", "input", "textarea", "label", "dialog", "head", "menu",
)  # fmt: skip
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "menu", "menubar", "dialog"}
_NAV_WORDS = {
    "nav", "navbar", "navigation", "navheader", "navfooter", "docnav", "menu", "menubar",
    "breadcrumb", "breadcrumbs", "footer", "cookie", "cookies", "gdpr", "consent", "banner",
    "skiplink", "pagination", "pager", "share", "sharing", "social", "toc", "masthead",
    "topbar", "toolbar", "sidebarnav", "subnav", "advert", "advertisement", "ads", "popup",
}  # fmt: skip
_TOKEN_SPLIT = re.compile(r"[\s_-]+")
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "aside", "header", "footer", "blockquote",
    "figure", "figcaption", "li", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody",
    "tfoot", "caption", "address", "details", "summary", "hr", "center", "form", "fieldset",
    "legend", "body", "html", "tr", "td", "th", "noframes", "hgroup", "option",
}  # fmt: skip
_DEFINITION_BLOCKS = ("dd", "p", "div")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_CELL_BLOCKS = ("table", "p", "div", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "blockquote")
_MAX_GUARDED_SHARE = 0.3
_METADATA_CHARS = 200_000


def decode_html(body: bytes, header_charset: str | None) -> str:
    """Decode an HTML page: BOM > HTTP charset > ``<meta>``/XML charset > guess.

    A declared ``iso-8859-1`` (or ``ascii``) is read as Windows-1252, like
    browsers do, so curly quotes and the euro sign survive.
    """
    head = body[:4096]
    encoding = bom_encoding(body) or codec_name(header_charset)
    if encoding is None:
        declared = _META_CHARSET.search(head) or _XML_DECLARATION.search(head)
        encoding = codec_name(declared.group(1).decode("ascii")) if declared else None
    if encoding in {"utf-16", "utf-16-le", "utf-16-be"} and bom_encoding(body) is None:
        encoding = None  # an ASCII-readable page cannot really be UTF-16
    return decode_bytes(body, encoding or guess_encoding(body))


# C0 controls other than tab, newline and carriage return: XML (hence lxml's element API,
# which trafilatura writes through) refuses them. A form feed is whitespace in HTML; the
# others are noise. All become a space.
_XML_INCOMPATIBLE = dict.fromkeys((*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)), " ")


def parse_html(text: str, url: str = "") -> etree._Element:
    """Parse (possibly malformed) HTML into an lxml tree rooted at ``<html>``."""
    text = text.translate(_XML_INCOMPATIBLE)
    # huge_tree: libxml2 stops at 256 levels of nesting otherwise, and a template's 300
    # unclosed <div> lost the whole page (the body is already capped by max_body_bytes)
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
    )
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"{url or 'page'} has no HTML content", url=url, kind="empty") from exc
    if root is None:
        raise ExtractError(f"{url or 'page'} has no HTML content", url=url, kind="empty")
    return root


# --- 2. boilerplate ------------------------------------------------------------------


def _is_nav_name(element: etree._Element) -> bool:
    names = f"{element.get('class', '')} {element.get('id', '')}".lower()
    return any(part in _NAV_WORDS for part in _TOKEN_SPLIT.split(names) if part)


def _chars(element: etree._Element) -> int:
    """Length of an element's text, whitespace included (cheap, good enough for ratios)."""
    return len(element.text_content())


def _link_density(element: etree._Element) -> float:
    text = _chars(element)
    if text == 0:
        return 1.0
    return sum(_chars(a) for a in element.iter("a")) / text


# A heading's permalink (Sphinx and MkDocs "¶", Docusaurus "#", GitHub's "anchor"): an
# anchor link to the heading itself, which a reader never reads as part of its text.
_PERMALINK_CLASSES = {
    "headerlink", "anchor", "anchorjs-link", "hash-link", "permalink", "header-anchor",
    "heading-anchor", "anchor-link", "heading-link", "zola-anchor",
}  # fmt: skip
_PERMALINK_GLYPHS = {"", "¶", "#", "§", "🔗", "link", "permalink"}


def _is_permalink(element: etree._Element) -> bool:
    if not (element.get("href") or "").startswith("#"):
        return False
    text = element.text_content().strip().strip("\u200b")
    if text in ("¶", "§"):
        return True
    classes = set(element.get("class", "").lower().split())
    return bool(classes & _PERMALINK_CLASSES) and text.lower() in _PERMALINK_GLYPHS


def _is_boilerplate(element: etree._Element) -> bool:
    tag = element.tag
    if tag == "a" and _is_permalink(element):
        return True
    if any(a.tag in _HEADINGS for a in element.iterancestors()):
        return False  # a heading's words, even in a link back to the contents ("toc-backref")
    role = (element.get("role") or "").lower()
    if role in _DROP_ROLES or element.get("aria-hidden") == "true" or element.get("hidden"):
        return True
    if tag == "footer":
        return True
    if tag == "header":
        return not any(a.tag in ("article", "main", "section") for a in element.iterancestors())
    if tag == "aside" or role == "complementary":
        return _link_density(element) > 0.5
    if tag in ("table", "ul", "ol", "div") and _in_page_links(element):
        return True
    if tag == "table" and _index_table(element):
        return True
    if tag in ("table", "div", "p") and _link_bar(element):
        return True
    if tag in ("div", "p") and _steps_through_pages(element):
        return True
    return _is_nav_name(element)


_STEP_RELS = frozenset({"next", "prev", "previous", "up"})


def _steps_through_pages(element: etree._Element) -> bool:
    """Is ``element`` a manual's "Next: … Previous: … Up: …" bar (links with ``rel="next"``
    and the like, and little else)?"""
    rels = {(a.get("rel") or "").lower() for a in element.iter("a")}
    return bool(rels & _STEP_RELS) and _link_density(element) > 0.4


# What a navigation bar's links say: a direction or a place in the document, in words or
# in arrows ("[ << ] [ < ] [ Up ] [ > ] [ >> ] [Top] [Contents] [Index] [ ? ]").
_NAV_LINK_TEXTS = frozenset({
    "<<", "<", ">", ">>", "?", "«", "»", "‹", "›", "←", "→", "↑", "^", "up", "top", "home",
    "next", "prev", "previous", "back", "forward", "contents", "toc", "index", "about",
    "help", "first", "last", "suivant", "précédent", "precedent", "haut", "sommaire",
    "accueil", "retour", "table des matières", "début", "fin",
})  # fmt: skip
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_LETTERS = re.compile(r"[^\W\d_]")


def _link_bar(element: etree._Element) -> bool:
    """Is ``element`` one row of links that say where to go (``Up``, ``Next``, ``<<``,
    ``Contents``, ``Index``: at least half of them) with nothing but brackets, bars and
    spaces between them? texi2any's ``[ << ] [ < ] [ Up ] [ > ] … [Top] [Contents]
    [Index]``, whatever its markup says. Links that name things (``PDF | EPUB | HTML``,
    ``grep, sed, awk``, ``chmod(1)``) are the page's text, and so is a list of links."""
    links = element.xpath(".//a[@href]")  # an anchor without a target is no link
    if len(links) < 3 or next(element.iter("li"), None) is not None:
        return False
    if len(element.xpath(".//tr")) > 1:
        return False
    texts = [" ".join(a.text_content().split()).lower() for a in links]
    outside = "".join(element.xpath(".//text()[not(ancestor::a[@href])]"))
    if len(texts) >= 10 and all(len(t) == 1 and t.isalpha() for t in texts):
        # an index's "Jump to: A B C …" letters, a short label at most beside them
        return len(_LETTERS.findall(outside)) <= 12
    if _LETTER_OR_DIGIT.search(outside):
        return False
    return sum(t in _NAV_LINK_TEXTS for t in texts) * 2 >= len(texts)


def _index_table(element: etree._Element) -> bool:
    """Is ``element`` a manual's index (``ALIASES | 16.2.6 Input/Output``): a table of ten
    links or more, nearly all to a place in a page (``Options.html#index-ALIASES``), and
    next to no text besides them? Its rows name where things are said and say nothing
    themselves. A table of downloads or of documented functions links to files or says
    what each is: it stays."""
    hrefs = [a.get("href") or "" for a in element.xpath(".//a[@href]")]
    if len(hrefs) < 10 or sum("#" in h for h in hrefs) < 0.8 * len(hrefs):
        return False
    letters = len(_LETTERS.findall(element.text_content()))
    outside = len(_LETTERS.findall("".join(element.xpath(".//text()[not(ancestor::a)]"))))
    return letters > 0 and outside <= 0.1 * letters


def _in_page_links(element: etree._Element) -> bool:
    """Is ``element`` a page's own table of contents or index: ten links or more, nearly
    all to anchors of the same page (``#index-formatting-error-messages``), and little
    text besides them? Its rows ("formatting error messages: | Errors") say nothing."""
    targets = [a.get("href") or "" for a in element.iter("a")]
    if len(targets) < 10:
        return False
    inside = sum(t.startswith("#") for t in targets)
    return inside >= 0.8 * len(targets) and _link_density(element) > 0.6


def remove_boilerplate(root: etree._Element) -> None:
    """Delete never-content elements and navigation in place (their tails are kept)."""
    for element in list(root.iter(*_DROP_TAGS)):
        _drop(element)
    body_chars = max(_chars(root), 1)
    doomed: list[etree._Element] = []
    walker = etree.iterwalk(root, events=("start",))
    for _, element in walker:
        if element.tag in ("html", "body") or not isinstance(element.tag, str):
            continue
        if not _is_boilerplate(element):
            continue
        share = _chars(element) / body_chars
        if share > _MAX_GUARDED_SHARE and _link_density(element) < 0.3:
            continue  # a "nav" class on a wrapper of most of the page is not navigation
        doomed.append(element)
        walker.skip_subtree()
    for element in doomed:
        _drop(element)


def _drop(element: etree._Element) -> None:
    if element.getparent() is not None:
        element.drop_tree()


# --- 3. container ----------------------------------------------------------------------


def find_container(root: etree._Element) -> etree._Element:
    """The element holding the main content (``<main>``, one ``<article>``, or ``<body>``)."""
    body = root.find("body")
    if body is None:
        body = root
    total = _chars(body)
    mains = list(body.iter("main")) + body.xpath(".//*[@role='main' and not(self::main)]")
    articles = list(body.iter("article"))
    for candidates in (mains, articles):
        if len(candidates) == 1 and _chars(candidates[0]) >= 0.1 * total:
            return candidates[0]
    return body


# --- 4. walk ----------------------------------------------------------------------------


@dataclass
class _Walk:
    builder: TextBuilder
    inline: list[str]
    # a definition list's term waits for its definition, to be one paragraph with it
    # ("-n: Do not read commands", "Priority: required"), not a line of its own
    term: bool = False

    def flush(self, *, tight: bool = False) -> None:
        self.term = False
        if self.inline:
            self.builder.paragraph("".join(self.inline), tight=tight)
            self.inline.clear()

    def define(self, tag: str) -> bool:
        """At a block's start: does it go on the line of the term before it (a ``dd``, or
        the first block of one)?"""
        if not self.term or tag not in _DEFINITION_BLOCKS:
            return False
        if tag == "dd":
            term = "".join(self.inline).rstrip()
            self.inline[:] = [term, " " if term.endswith((":", ".", "?", "!")) else ": "]
        else:
            self.term = False  # the definition's first paragraph: the rest go as they are
        return True


def _is_data_row(row: etree._Element) -> bool:
    """A row of data, not of a layout table: no cell holds blocks. One paragraph in a cell
    is a cell's text, as Asciidoctor writes every cell (``<td><p class="tableblock">``)."""
    return not any(_holds_blocks(cell) for cell in row)


def _holds_blocks(cell: etree._Element) -> bool:
    if any(cell.find(f".//{tag}") is not None for tag in _CELL_BLOCKS if tag != "p"):
        return True
    return len(cell.findall(".//p")) > 1


def _is_first_row(row: etree._Element) -> bool:
    table = next(row.iterancestors("table"), None)
    return table is None or table.find(".//tr") is row


def _row_text(row: etree._Element) -> str:
    cells = [normalize_space(c.text_content()) for c in row if c.tag in ("td", "th")]
    return " | ".join(cell for cell in cells if cell)


def _start(walk: _Walk, walker: etree.iterwalk, element: etree._Element) -> None:
    tag = element.tag
    if tag in _HEADINGS:
        walk.flush()
        walk.builder.heading(_HEADINGS[tag], element.text_content())
        walker.skip_subtree()
    elif tag == "pre":
        walk.flush()
        walk.builder.verbatim(element.text_content())
        walker.skip_subtree()
    elif tag == "tr" and _is_data_row(element):
        walk.flush()
        walk.builder.paragraph(_row_text(element), tight=not _is_first_row(element))
        walker.skip_subtree()
    elif tag == "br":
        walk.flush(tight=True)
    elif tag in _BLOCK_TAGS:
        if not walk.define(tag):
            walk.flush()
        if element.text and element.text.strip():
            walk.term = False  # its own words: the definition began
        if element.text:
            walk.inline.append(element.text)
    elif element.text:
        walk.inline.append(element.text)


def write_blocks(container: etree._Element, builder: TextBuilder) -> None:
    """Walk ``container`` in document order and append its blocks to ``builder``."""
    walk = _Walk(builder=builder, inline=[])
    walker = etree.iterwalk(container, events=("start", "end"))
    for event, element in walker:
        if not isinstance(element.tag, str):
            continue
        if event == "start":
            _start(walk, walker, element)
            continue
        if element.tag == "dt" and "".join(walk.inline).strip():
            walk.term = True  # its definition's start decides (see _Walk.define)
        elif element.tag in _BLOCK_TAGS or element.tag in _HEADINGS or element.tag == "pre":
            walk.flush()
        if element.tail and element is not container:
            walk.inline.append(element.tail)
    walk.flush()


# --- metadata ------------------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """A URL without fragment or tracking parameters, host lowercased (courlan)."""
    url = urldefrag(url.strip())[0]
    try:
        return courlan.normalize_url(url) or url
    except (ValueError, AttributeError):
        return url


def canonical_url(root: etree._Element, url: str) -> str:
    """The page's declared canonical URL resolved against ``url``, else ``url``; normalized."""
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return normalize_url(urljoin(url, link.get("href", "")))
    return normalize_url(url) if url else ""


def _title(root: etree._Element) -> str:
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:title":
            title = normalize_space(meta.get("content") or "")
            if title:
                return title
    for tag in ("title", "h1"):
        element = root.find(f".//{tag}")
        if element is not None and normalize_space(element.text_content()):
            return normalize_space(element.text_content())
    return ""


@dataclass(frozen=True)
class PageMetadata:
    title: str
    author: str
    date: str
    canonical_url: str
    declared_language: str


def read_metadata(root: etree._Element, url: str, html: str) -> PageMetadata:
    """Title, author, date (htmldate via trafilatura), canonical URL, ``<html lang>``.

    On big pages trafilatura reads only the first ``_METADATA_CHARS`` (head and byline).
    """
    if len(html) > _METADATA_CHARS:
        root = parse_html(html[:_METADATA_CHARS], url)
    found = trafilatura.extract_metadata(root, default_url=url or None, extensive=False)
    declared = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    return PageMetadata(
        title=_title(root) or normalize_space(found.title or ""),
        author=normalize_space(found.author or ""),
        date=(found.date or "")[:10],
        canonical_url=canonical_url(root, url),
        declared_language=declared.split("-")[0].lower()[:2],
    )


def _trafilatura_text(text: str, url: str) -> str:
    return trafilatura.extract(text, url=url or None, favor_recall=True) or ""


def extract_html(text: str, url: str = "") -> Document:
    """A :class:`Document` from decoded HTML; ``ExtractError(kind="empty")`` if no text."""
    root = parse_html(text, url)
    metadata = read_metadata(root, url, text)
    remove_boilerplate(root)
    builder = TextBuilder()
    write_blocks(find_container(root), builder)
    if not builder.text().strip():
        fallback = _trafilatura_text(text, url)
        if fallback.strip():
            builder = TextBuilder()
            for block in fallback.split("\n"):
                builder.paragraph(block)
    body = builder.text()
    if not body.strip():
        raise ExtractError(f"{url or 'page'} has no text to index", url=url, kind="empty")
    language = page_language(builder.prose_sample(), metadata.declared_language)
    return Document(
        url=url,
        text=body,
        title=metadata.title or body.split("\n", 1)[0][:200],
        language=language,
        canonical_url=metadata.canonical_url,
        author=metadata.author,
        date=metadata.date,
        headings=tuple(builder.headings),
    )
