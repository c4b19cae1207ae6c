"""Snippets: the part of a passage that shows why it matched, with the matched words marked."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    [
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "un",
        "une",
        "et",
        "en",
        "est",
        "que",
        "qui",
        "pour",
        "dans",
        "sur",
        "par",
        "au",
        "aux",
        "ce",
        "cette",
        "comment",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "a",
        "an",
        "for",
        "on",
        "with",
        "how",
        "what",
        "which",
        "does",
        "do",
        "can",
        "i",
        "my",
        "it",
        "by",
        "as",
        "are",
        "be",
    ]
)


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_stems(query: str) -> set[str]:
    """Crude, language-agnostic stems (first five folded letters) of the query's content words."""
    return {fold(w)[:5] for w in _WORD.findall(query) if fold(w) not in _STOP and len(w) > 1}


@dataclass(frozen=True)
class Snippet:
    text: str
    marks: tuple[tuple[int, int], ...]  # (start, end) of matched words inside ``text``

    def markup(self, open_tag: str = "[bold]", close_tag: str = "[/bold]") -> str:
        out, last = [], 0
        for start, end in self.marks:
            out += [self.text[last:start], open_tag, self.text[start:end], close_tag]
            last = end
        out.append(self.text[last:])
        return "".join(out)


def snippet(text: str, query: str, width: int = 220) -> Snippet:
    """The ``width``-character window of ``text`` holding the most query words."""
    stems = query_stems(query)
    words = [(m.start(), m.end()) for m in _WORD.finditer(text) if fold(m.group())[:5] in stems]
    start = _best_window(words, width) if words else 0
    start = max(0, text.rfind(" ", 0, start) + 1) if start else 0
    end = min(len(text), start + width)
    if end < len(text):
        end = max(start + 1, text.rfind(" ", start, end) if " " in text[start:end] else end)
    window = " ".join(text[start:end].split())
    marks = tuple(
        (m.start(), m.end()) for m in _WORD.finditer(window) if fold(m.group())[:5] in stems
    )
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix)
    return Snippet(prefix + window + suffix, tuple((a + shift, b + shift) for a, b in marks))


def _best_window(words: list[tuple[int, int]], width: int) -> int:
    best_start, best_count, left = words[0][0], 0, 0
    for right in range(len(words)):
        while words[right][1] - words[left][0] > width:
            left += 1
        if right - left + 1 > best_count:
            best_count, best_start = right - left + 1, words[left][0]
    return max(0, best_start - width // 5)
