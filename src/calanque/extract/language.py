"""Language identification with lingua (its models ship inside the wheel).

The detector is built once, lazily, for the languages an operator is likely to
crawl, in low-accuracy mode (fast, and accurate on paragraphs). Long texts are
classified on a few windows spread over the text, so a page that opens with an
English quotation is still seen as French when most of it is French.
"""

from __future__ import annotations

import threading
from collections import Counter

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGES = (
    Language.FRENCH,
    Language.ENGLISH,
    Language.GERMAN,
    Language.SPANISH,
    Language.ITALIAN,
    Language.DUTCH,
    Language.PORTUGUESE,
    Language.CATALAN,
    Language.POLISH,
    Language.SWEDISH,
    Language.DANISH,
    Language.RUSSIAN,
    Language.ARABIC,
    Language.CHINESE,
    Language.JAPANESE,
)
_MAX_BLOCKS = 40
_MIN_BLOCK_CHARS = 40
_BLOCK_SAMPLE = 400
_MIN_LETTERS = 12
# English leaks into pages written in other languages (untranslated paragraphs,
# quotations, commands); the reverse is rare. A text that is mostly English but
# holds at least this share of one other language is in that language.
_SECOND_LANGUAGE_SHARE = 0.3
# lingua's low-accuracy mode guesses on short texts ("CUPS manages printers; its web
# interface listens on port 631." is French at 0.31, Danish at 0.25): below this many
# characters a page's own declaration wins over a guess this unsure.
_SHORT_TEXT = 200
_SURE = 0.5
_detector: LanguageDetector | None = None
_lock = threading.Lock()


def _get_detector() -> LanguageDetector:
    global _detector
    with _lock:
        if _detector is None:
            _detector = (
                LanguageDetectorBuilder.from_languages(*LANGUAGES).with_low_accuracy_mode().build()
            )
        return _detector


def _blocks(text: str) -> list[str]:
    """Paragraphs worth classifying, at most ``_MAX_BLOCKS`` spread over the text."""
    blocks = [block for block in text.split("\n") if len(block) >= _MIN_BLOCK_CHARS]
    if not blocks:
        return [text]
    if len(blocks) > _MAX_BLOCKS:
        step = len(blocks) / _MAX_BLOCKS
        blocks = [blocks[int(i * step)] for i in range(_MAX_BLOCKS)]
    return blocks


def language_shares(text: str) -> dict[str, float]:
    """Share of the text in each language, classified paragraph by paragraph.

    Each paragraph weighs its length; only its first ``_BLOCK_SAMPLE``
    characters are read.
    """
    blocks = _blocks(text)
    found = _get_detector().detect_languages_in_parallel_of([b[:_BLOCK_SAMPLE] for b in blocks])
    votes: Counter[str] = Counter()
    for block, language in zip(blocks, found, strict=True):
        if language is not None:
            votes[language.iso_code_639_1.name.lower()] += len(block)
    total = sum(votes.values())
    return {code: count / total for code, count in votes.most_common()} if total else {}


def page_language(text: str, declared: str) -> str:
    """The language of a page's ``text``, which declares ``declared`` (``<html lang>``,
    may be empty): detected, except on a short text the detector is unsure of."""
    if declared and len(text.strip()) < _SHORT_TEXT:  # one look at the whole text
        values = _get_detector().compute_language_confidence_values(text)
        sure = bool(values) and values[0].value >= _SURE
        return values[0].language.iso_code_639_1.name.lower() if sure else declared
    return detect_language(text) or declared


def detect_language(text: str) -> str:
    """ISO 639-1 code (``"fr"``, ``"en"``...) of the text's main language, ``""`` if unknown.

    Each paragraph is classified and weighted by its length; see
    ``_SECOND_LANGUAGE_SHARE`` for how English mixed into another language counts.
    """
    if sum(ch.isalpha() for ch in text[:2000]) < _MIN_LETTERS:
        return ""
    ranked = list(language_shares(text).items())
    if not ranked:
        return ""
    if ranked[0][0] == "en" and len(ranked) > 1 and ranked[1][1] >= _SECOND_LANGUAGE_SHARE:
        return ranked[1][0]
    return ranked[0][0]
