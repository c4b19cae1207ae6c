"""The CPU-bound part of collecting a page: extract, decide meta consent, split, sign, find links.

:func:`process_body` is a plain function of bytes so it can run in a worker
process (the crawler uses a process pool to keep both cores busy while the
event loop keeps fetching).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from calanque.chunk import split
from calanque.collect.consent import decide_page
from calanque.collect.links import extract_links
from calanque.errors import ExtractError
from calanque.extract import decode_html, extract
from calanque.extract.dedup import signature
from calanque.types import Chunk, ConsentDecision, Document

HTML_TYPES = ("text/html", "application/xhtml+xml")
_PUNCTUATION = str.maketrans({c: " " for c in ".,;:!?()[]{}«»\"'’/\\<>=|*`"})
_FR = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "de",
        "un",
        "une",
        "et",
        "est",
        "sont",
        "pour",
        "dans",
        "qui",
        "que",
        "sur",
        "avec",
        "pas",
        "par",
        "au",
        "aux",
        "ce",
        "cette",
        "il",
        "elle",
        "vous",
        "nous",
        "on",
        "ou",
        "mais",
        "plus",
        "leur",
        "être",
        "fait",
        "peut",
    ]
)
_EN = frozenset(
    [
        "the",
        "of",
        "and",
        "is",
        "are",
        "to",
        "in",
        "that",
        "for",
        "with",
        "this",
        "be",
        "by",
        "it",
        "as",
        "on",
        "or",
        "not",
        "can",
        "you",
        "from",
        "which",
        "have",
        "has",
        "was",
        "an",
        "if",
        "will",
        "its",
        "their",
    ]
)


def chunk_language(text: str, document_language: str) -> str:
    """French or English for a chunk of a French/English document, by function words.

    A full language identifier costs ~3 ms a chunk; this costs ~0.05 ms and only has to
    tell the two languages whose analysers differ apart. Other documents keep their language.
    """
    if document_language not in ("fr", "en"):
        return document_language
    words = text.lower().translate(_PUNCTUATION).split()
    fr = sum(w in _FR for w in words)
    en = sum(w in _EN for w in words)
    if fr + en < 8:
        return document_language
    return "fr" if fr > en else "en"


@dataclass(frozen=True)
class ProcessedPage:
    document: Document | None
    chunks: tuple[Chunk, ...] = ()
    minhash: bytes | None = None
    links: tuple[str, ...] = ()
    meta_decision: ConsentDecision | None = None
    error_kind: str = ""
    error_message: str = ""
    listing: bool = False  # a server's folder listing: its links are followed, it is not stored


# The titles web servers give the listings of a folder they generate (Apache's and nginx's
# autoindex, lighttpd, Python's http.server): file names, sizes and dates, nothing to read.
_LISTING_TITLE = re.compile(r"(?:index of|directory listing for) /", re.IGNORECASE)


def is_listing(title: str) -> bool:
    """Is a page with this title a folder listing that a web server generated?"""
    return bool(_LISTING_TITLE.match(title.strip()))


def process_body(
    body: bytes,
    url: str,
    content_type: str,
    charset: str | None,
    want_links: bool,
    headers: dict[str, str] | None = None,
) -> ProcessedPage:
    """Everything between the fetched bytes and the rows to store. Never raises.

    For HTML, the page-level consent (headers and ``<meta>``, meta first for TDMRep)
    is decided here, where the markup is parsed.
    """
    try:
        html = _decoded(body, url, content_type, charset, headers or {})
        if isinstance(html, ConsentDecision):
            return ProcessedPage(document=None, meta_decision=html)
        meta = None
        if html is not None:
            meta = decide_page(url, headers or {}, html, None)
            if not meta.allowed:
                return ProcessedPage(document=None, meta_decision=meta)
        document = extract(body, url, content_type, charset)
        links = tuple(extract_links(html, url)) if (html is not None and want_links) else ()
        if html is not None and is_listing(document.title):
            return ProcessedPage(document=None, links=links, meta_decision=meta, listing=True)
        return _finish(document, links, meta)
    except ExtractError as exc:
        return ProcessedPage(document=None, error_kind=exc.kind, error_message=str(exc))
    except Exception as exc:  # a hostile page must never stop the crawl
        return ProcessedPage(
            document=None, error_kind="extract-crash", error_message=f"{type(exc).__name__}: {exc}"
        )


def _decoded(
    body: bytes, url: str, content_type: str, charset: str | None, headers: dict[str, str]
) -> str | ConsentDecision | None:
    """An HTML body's text (None for other types); where it cannot be decoded, the
    headers' refusal if they refuse: an opt-out holds whatever the body (ExtractError
    otherwise)."""
    if content_type not in HTML_TYPES:
        return None
    try:
        return decode_html(body, charset)
    except ExtractError:
        refusal = decide_page(url, headers, None, None)
        if not refusal.allowed:
            return refusal
        raise


def _finish(
    document: Document, links: tuple[str, ...], meta: ConsentDecision | None
) -> ProcessedPage:
    if not document.text.strip():
        return ProcessedPage(
            document=None, error_kind="empty", error_message="no text found in the page"
        )
    document = replace(document, url=document.url)
    # Pages mix languages (a third of the French handbook is untranslated English): each
    # chunk carries its own language, which decides its lexical analysis.
    chunks = tuple(
        replace(chunk, language=chunk_language(chunk.text, document.language))
        for chunk in split(document)
    )
    return ProcessedPage(
        document=document,
        chunks=chunks,
        minhash=signature(document.text),
        links=links,
        meta_decision=meta,
    )
