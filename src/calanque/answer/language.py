"""The question's language and its key terms (stemmed, stopwords removed).

Language identification models are unreliable on a five-word question, so
:func:`question_language` first counts French and English function words (and
French accents); only when that is a tie does it ask the page-level detector.

Key terms are what must be covered for an answer to count as found. A term is
the Snowball stem (French or English, ASCII-folded, via the index's tantivy
analyzers) of a word that is not a stopword or a question word; technical tokens
(``apt-get``, ``/etc/apt/sources.list``, ``8080``) are kept whole and weigh more.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from calanque.answer.phrases import Phrases, phrases
from calanque.index.analysis import FUNCTION_WORDS_ONLY_IN, STOPWORDS_BY_LANGUAGE

_FR_ONLY = FUNCTION_WORDS_ONLY_IN["fr"]
_EN_ONLY = FUNCTION_WORDS_ONLY_IN["en"]
STOPWORDS = STOPWORDS_BY_LANGUAGE["fr"] | STOPWORDS_BY_LANGUAGE["en"]
_TOKEN = re.compile(r"[^\W_](?:[\w.+/~-]*[\w/+~])?")
_FR_ACCENTS = re.compile(r"[éèêàçùâîôûœ]", re.IGNORECASE)
_ELISION = re.compile(r"\b(?:qu|[ldjnsctm])['’]", re.IGNORECASE)


# A word's first letters that a French word and its English cognate share
# (``événements``/``events``, ``système``/``system``): read by the extractive writer and
# the verifier alike.
COGNATE_LETTERS = 4


def fold(text: str) -> str:
    """Lowercase without accents: ``"Écoles"`` → ``"ecoles"`` (compatibility decomposition,
    then every combining mark dropped). Read for every candidate sentence of an answer,
    several times: ASCII text is its own decomposition, and the marks go in one pass."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return _combining_marks().sub("", unicodedata.normalize("NFKD", lowered))


@lru_cache(maxsize=1)
def _combining_marks() -> re.Pattern[str]:
    """Every character with a combining class in this Python's Unicode tables (what
    ``unicodedata.combining`` tells one character at a time), as one class."""
    runs: list[list[int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.combining(chr(code)):
            if runs and runs[-1][1] == code - 1:
                runs[-1][1] = code
            else:
                runs.append([code, code])
    members = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs
    )
    return re.compile(f"[{members}]+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens; elisions cut, technical tokens kept whole."""
    return [m.group(0).lower() for m in _TOKEN.finditer(_ELISION.sub(" ", text))]


# Fewer words than this and no French or English function word: a language identifier's
# guess is noise ("Albatros backup?" read as Polish, "VLAN printers?" as Swedish)
_SURE_WORDS = 6


def question_language(text: str, default: str = "en") -> str:
    """``"fr"``, ``"en"`` or another ISO code; short texts by function words first, and
    ``default`` for a short text that has none (a few names and nouns)."""
    tokens = words(text)
    french = sum(t in _FR_ONLY for t in tokens) + len(_FR_ACCENTS.findall(text))
    english = sum(t in _EN_ONLY for t in tokens)
    if french != english and (french >= 1 or english >= 1):
        return "fr" if french > english else "en"
    try:
        from calanque.extract import detect_language
    except ImportError:  # pragma: no cover - the extract stage is part of the package
        return default
    detected = detect_language(text) or default
    if detected not in ("fr", "en") and len(tokens) < _SURE_WORDS:
        return default
    return detected


def is_technical(token: str) -> bool:
    """A command, path, option, version or number: matched as is, never stemmed."""
    return any(not ch.isalpha() for ch in token)


@lru_cache(maxsize=4)
def _analyzer(language: str) -> Any:
    from calanque.index.analysis import ENGLISH, FRENCH, build_analyzers

    return build_analyzers()[FRENCH if language == "fr" else ENGLISH]


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """Snowball stem of one lower-case word, ASCII-folded (``fr`` or else English)."""
    if is_technical(word):
        return fold(word)
    tokens = _analyzer("fr" if language == "fr" else "en").analyze(word)
    return str(tokens[0]) if tokens else fold(word)


@dataclass(frozen=True)
class Term:
    """A key term: its stem (what is matched), a surface form, and its weight."""

    stem: str
    surface: str
    weight: float


# "est-il", "doivent-ils", "a-t-il", "peut-on": a French verb with its inverted subject
_INVERTED = re.compile(r"^(\w+)-(?:t-)?(?:il|elle|ils|elles|on|je|tu|nous|vous)$")


def function_compound(token: str) -> bool:
    """A French compound of function words (``eux-mêmes``, ``peut-être``, ``celui-ci``):
    prose, not a command. English compounds (``do-while``, ``how-to``) are left as terms."""
    parts = token.split("-")
    return len(parts) > 1 and all(part in STOPWORDS_BY_LANGUAGE["fr"] for part in parts)


def key_terms(text: str, language: str) -> list[Term]:
    """Distinct content terms of ``text`` in order, stopwords and 1-letter words removed.

    An inverted French subject is no term: ``est-il`` counts as ``est`` (a stopword),
    ``doivent-ils`` as ``doivent``.
    """
    out: dict[str, Term] = {}
    for token in words(text):
        inverted = _INVERTED.match(token)
        if inverted:
            token = inverted.group(1)
        if token in STOPWORDS or len(token) < 2 or token.isdigit() and len(token) < 2:
            continue
        if function_compound(token):
            continue
        key = stem(token, language)
        if len(key) < 2 or key in out:
            continue
        weight = 2.0 if is_technical(token) else 1.0
        out[key] = Term(key, token, weight)
    return list(out.values())


def lexicon_gloss(text: str, language: str) -> str:
    """``text``'s key terms in the other language: an expression of several words by the
    phrase table (:mod:`calanque.answer.phrases`: "mot de passe" → "password"), each other
    word by its first translation in the French-English lexicon
    (:mod:`calanque.index.lexicon`), a technical token or a word the lexicon lacks as
    written ("Un paquet peut-il accéder au réseau ?" → "package access network"). No
    sentence, but a query: its words and its vector find the other language's pages, which
    the question's own words and the embedder's vector reach poorly; "" for a language the
    tables do not hold, or when nothing changes."""
    if language not in ("fr", "en"):
        return ""
    from calanque.index.lexicon import lexicon  # the index's data, read on first use

    table, expressions = lexicon(), phrases(words)
    out: list[str] = []
    seen: set[str] = set()  # stems glossed already
    changed = False
    for translation, plain in _expressions(words(text), language, expressions):
        for term in key_terms(" ".join(plain), language):
            if term.stem in seen:
                continue
            seen.add(term.stem)
            found = () if is_technical(term.surface) else table.translate(term.surface, language)
            out.append(found[0] if found else term.surface)
            changed = changed or bool(found)
        if translation:
            out.append(translation)
            changed = True
    return " ".join(out) if changed else ""


def _expressions(
    tokens: list[str], language: str, expressions: Phrases
) -> Iterator[tuple[str, list[str]]]:
    """``tokens`` cut at the expressions of the table: for each, the words before it (to
    gloss word by word) and its translation; last, the words after the last one and "".
    An expression of stopwords alone (*from*, *au moins*) is left to the words."""
    plain: list[str] = []
    start = 0
    while start < len(tokens):
        found = expressions.match(tokens, start, language)
        if found is None or all(t in STOPWORDS for t in tokens[start : start + found[0]]):
            plain.append(tokens[start])
            start += 1
            continue
        yield found[1], plain
        plain = []
        start += found[0]
    yield "", plain


def stems(text: str, language: str) -> set[str]:
    """Every stem of ``text`` (stopwords included: cheap, and harmless for matching)."""
    found = {stem(token, language) for token in words(text)}
    # A technical token also matches its parts: "apt-get" covers "apt" and "get".
    for token in words(text):
        if is_technical(token):
            found.update(stem(part, language) for part in re.split(r"[^\w]+", token) if part)
    return found


def coverage(terms: list[Term], present: set[str]) -> float:
    """Weighted share of ``terms`` whose stem is in ``present`` (1.0 when no terms)."""
    total = sum(t.weight for t in terms)
    if total == 0:
        return 1.0
    return sum(t.weight for t in terms if t.stem in present) / total
