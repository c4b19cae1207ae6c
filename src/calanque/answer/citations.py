"""Citation markers in generated text, and text-fragment links to quotes.

:func:`parse_citations` cuts an answer into sentences and reads the passage
numbers each one cites: ``[1]``, ``[1, 2]``, ``[1][2]``, ``[1-3]``, ``【1】`` and
``[^1]``. Markers right after a sentence's final punctuation belong to it; a
line holding only markers belongs to the sentence before.

:func:`text_fragment_url` builds ``url#:~:text=...`` (the WICG/URL Fragment Text
Directive) so a browser scrolls to and highlights the quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote as percent_encode

from calanque.answer.sentences import MARKER, split_sentences, strip_markers

_MARKER = re.compile(MARKER)
_NUMBER = re.compile(r"\d+")
_RANGE = re.compile(r"(\d+)\s*[–-]\s*(\d+)")
_MAX_RANGE = 20
FRAGMENT_WORDS = 5  # words on each side of a textStart,textEnd fragment
FRAGMENT_MAX_CHARS = 80  # longer quotes use the textStart,textEnd form


@dataclass(frozen=True)
class CitedSentence:
    """One sentence of an answer: its text without markers and the passages it cites."""

    text: str
    citations: tuple[int, ...]
    start: int  # offsets of the raw sentence (with its markers) in the answer
    end: int


def marker_numbers(marker: str) -> list[int]:
    """The passage numbers in one marker: ``"[1-3, 5]"`` → ``[1, 2, 3, 5]``."""
    numbers: list[int] = []
    rest = marker
    for match in _RANGE.finditer(marker):
        low, high = int(match.group(1)), int(match.group(2))
        if low <= high and high - low <= _MAX_RANGE:
            numbers.extend(range(low, high + 1))
        else:
            numbers.extend((low, high))
        rest = rest.replace(match.group(0), " ")
    numbers.extend(int(n) for n in _NUMBER.findall(rest))
    return numbers


def cited_numbers(text: str) -> tuple[int, ...]:
    """Distinct passage numbers cited anywhere in ``text``, in order of appearance."""
    found: list[int] = []
    for match in _MARKER.finditer(text):
        found.extend(marker_numbers(match.group(0)))
    return tuple(dict.fromkeys(found))


def parse_citations(text: str) -> list[CitedSentence]:
    """Sentences of a generated answer with the passage numbers each cites."""
    out: list[CitedSentence] = []
    for span in split_sentences(text, markers=True):
        numbers = cited_numbers(span.text)
        clean = strip_markers(span.text)
        if not any(ch.isalnum() for ch in clean):
            if out and numbers:  # a marker on its own: it cites for the sentence before
                last = out[-1]
                merged = tuple(dict.fromkeys(last.citations + numbers))
                out[-1] = CitedSentence(last.text, merged, last.start, span.end)
            continue
        out.append(CitedSentence(clean, numbers, span.start, span.end))
    return out


# a definition list's term as the extractor joins it to its definition (extract/html.py)
_TERM = re.compile(r"[^\s:]{1,40}(?:::[^\s:]+)*: (?=\S)")


def _encode(text: str) -> str:
    """Percent-encode for a text directive: '-', ',' and '&' are syntax there."""
    return percent_encode(text, safe="").replace("-", "%2D")


def text_fragment_url(url: str, quote: str) -> str:
    """``url`` with a text fragment that highlights ``quote``.

    Short quotes are given whole (``#:~:text=quote``); longer ones as
    ``textStart,textEnd`` (first and last words), which browsers match over any
    text in between. The page's text is what is looked for: a definition's term that the
    extractor joined to its definition is left out, and a table row is a range from its
    first cell to its last. An existing ``#fragment`` is kept before the directive.
    """
    flat = " ".join(quote.split())
    if not flat:
        return url
    # what the page does not write: a definition's term joined to it ("ERR_RETURN: If…",
    # from <dt>/<dd>) is left out, and a table row's cells ("a | b") are a range from the
    # first cell to the last (a text directive's start or end stays within one block)
    term = _TERM.match(flat)
    cells = [cell for cell in flat[term.end() if term else 0 :].split(" | ") if cell.strip()]
    cells = cells or [flat]
    tokens = " ".join(cells).split(" ")
    if len(cells) > 1:
        head = " ".join(cells[0].split(" ")[:FRAGMENT_WORDS])
        tail = " ".join(cells[-1].split(" ")[-FRAGMENT_WORDS:])
        directive = f"{_encode(head)},{_encode(tail)}"
    elif len(cells[0]) <= FRAGMENT_MAX_CHARS or len(tokens) <= 2 * FRAGMENT_WORDS:
        directive = _encode(cells[0])
    else:
        head = " ".join(tokens[:FRAGMENT_WORDS])
        tail = " ".join(tokens[-FRAGMENT_WORDS:])
        directive = f"{_encode(head)},{_encode(tail)}"
    base, _, fragment = url.partition("#")
    fragment = fragment.split(":~:", 1)[0]
    return f"{base}#{fragment}:~:text={directive}"
