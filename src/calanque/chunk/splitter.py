"""Split a document into passages of about 200-350 tokens along its structure.

Tokens are *estimated*, cheaply and without a tokenizer: one whitespace-separated
word counts 1.3 tokens (``estimate_tokens``), which is close to what subword
tokenizers give for French and English prose.

The text is seen as a sequence of words with, between two words, a boundary
of some strength: a heading start (strongest), a paragraph break, a line
break, a sentence end, or nothing. Starting from a word, a chunk ends:

1. at the first heading start once the chunk holds ``min_tokens`` (shorter
   sections are merged into the next, under the first one's heading path);
2. else, when the rest of the document fits in ``max_tokens``, at its end;
3. else at the strongest boundary between ``min_tokens`` and ``max_tokens``,
   the one closest to ``target_tokens`` among equals.

A chunk that does not end at a heading is followed by one that starts
``overlap_tokens`` earlier (at a sentence start when there is one in that
window). Words are never cut, and ``document.text[start:end] == chunk.text``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from calanque.types import Chunk, Document, Heading

TOKENS_PER_WORD = 1.3
_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?…;:][\"'»”’)\]]*$")
HEADING, PARAGRAPH, LINE, SENTENCE, NONE = 4, 3, 2, 1, 0


def estimate_tokens(text: str) -> int:
    """Estimated token count: whitespace-separated words × 1.3, rounded up."""
    return _words_to_tokens(len(_WORD.findall(text)))


def _words_to_tokens(words: int) -> int:
    return (words * 13 + 9) // 10


def _max_words(tokens: int) -> int:
    """The most words whose estimate stays within ``tokens``."""
    return max(1, tokens * 10 // 13)


def _min_words(tokens: int) -> int:
    """The fewest words whose estimate reaches ``tokens``."""
    return max(1, -(-tokens * 10 // 13))


@dataclass(frozen=True)
class _Words:
    starts: list[int]
    ends: list[int]
    strength: list[int]  # strength[k]: boundary between word k-1 and word k


def _heading_words(starts: list[int], headings: tuple[Heading, ...]) -> dict[int, int]:
    """Index of each heading's first word -> index just past its last word."""
    spans: dict[int, int] = {}
    for heading in headings:
        first = bisect.bisect_left(starts, heading.start)
        if first < len(starts):
            spans[first] = first + max(1, len(heading.text.split()))
    return spans


_END_CHARS = frozenset(".!?…;:\"'»”’)]")


def _strength(text: str, previous_end: int, start: int) -> int:
    if start - previous_end == 1:  # one separator, the common case: decide without a regex
        if text[previous_end] == "\n":
            return LINE
        if text[previous_end - 1] not in _END_CHARS:
            return NONE
    gap = text[previous_end:start]
    newlines = gap.count("\n")
    if newlines >= 2:
        return PARAGRAPH
    if newlines == 1:
        return LINE
    if _SENTENCE_END.search(text[max(previous_end - 4, 0) : previous_end]):
        return SENTENCE
    return NONE


def _scan(document: Document) -> _Words:
    text = document.text
    matches = list(_WORD.finditer(text))
    starts = [m.start() for m in matches]
    ends = [m.end() for m in matches]
    strength = [HEADING] + [_strength(text, ends[k - 1], starts[k]) for k in range(1, len(starts))]
    for first, past in _heading_words(starts, document.headings).items():
        strength[first] = HEADING
        if past < len(strength) and strength[past] != HEADING:
            strength[past] = NONE  # never end a chunk right after a heading line
    return _Words(starts, ends, strength)


@dataclass(frozen=True)
class _Limits:
    min_words: int
    target_words: int
    max_words: int
    overlap_words: int


def _cut(words: _Words, start: int, limits: _Limits) -> int:
    """Index (exclusive) of the last word of the chunk starting at word ``start``."""
    total = len(words.starts)
    low = min(start + limits.min_words, total)
    high = min(start + limits.max_words, total)
    for k in range(low, high + 1):
        if k < total and words.strength[k] == HEADING:
            return k
    if high == total:
        return total
    # Leave enough after the cut for the last chunk to reach min_tokens when possible.
    spare = total - limits.min_words + limits.overlap_words
    if low <= spare < high:
        high = spare
    target = start + limits.target_words
    best = max(range(low, high + 1), key=lambda k: (words.strength[k], -abs(k - target)))
    return best


def _overlap_start(words: _Words, cut: int, limits: _Limits, floor: int) -> int:
    window_start = max(cut - limits.overlap_words, floor + 1)
    for k in range(window_start, cut):
        if words.strength[k] >= SENTENCE:
            return k
    return window_start


def _heading_path(headings: tuple[Heading, ...], position: int) -> tuple[str, ...]:
    stack: list[Heading] = []
    for heading in headings:
        if heading.start > position:
            break
        while stack and stack[-1].level >= heading.level:
            stack.pop()
        stack.append(heading)
    return tuple(h.text for h in stack)


def _limits(min_tokens: int, target_tokens: int, max_tokens: int, overlap_tokens: int) -> _Limits:
    if not 0 < min_tokens <= target_tokens <= max_tokens:
        raise ValueError("chunk sizes need 0 < min_tokens <= target_tokens <= max_tokens")
    min_words, max_words = _min_words(min_tokens), _max_words(max_tokens)
    if min_words > max_words:
        raise ValueError("min_tokens and max_tokens are too close to hold a whole word")
    overlap = min(_max_words(overlap_tokens) if overlap_tokens > 0 else 0, min_words - 1)
    target = min(max(_min_words(target_tokens), min_words), max_words)
    return _Limits(min_words, target, max_words, overlap)


def split(
    document: Document,
    *,
    target_tokens: int = 280,
    max_tokens: int = 350,
    min_tokens: int = 200,
    overlap_tokens: int = 30,
) -> list[Chunk]:
    """Chunks of ``document`` in order, each with exact offsets and its heading path."""
    limits = _limits(min_tokens, target_tokens, max_tokens, overlap_tokens)
    words = _scan(document)
    chunks: list[Chunk] = []
    start = 0
    while start < len(words.starts):
        cut = _cut(words, start, limits)
        begin, end = words.starts[start], words.ends[cut - 1]
        chunks.append(
            Chunk(
                document_id=document.id or 0,
                ordinal=len(chunks),
                text=document.text[begin:end],
                start=begin,
                end=end,
                heading_path=_heading_path(document.headings, begin),
                language=document.language,
            )
        )
        if cut >= len(words.starts) or words.strength[cut] == HEADING or not limits.overlap_words:
            start = cut
        else:
            start = _overlap_start(words, cut, limits, start)
    return chunks
