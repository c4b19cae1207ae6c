"""French and English text analysis for the lexical index (tantivy).

Each chunk is analysed in its own language, and every query in both, so a French
query word finds "écoles", "école" and "ecole", and "running" finds "run":

* ``calanque_fr``: split on non-alphanumerics, lowercase, Snowball French stemmer,
  then ASCII folding (stemming first keeps accented suffixes such as "-ée", "-ité"
  right: "installée" and "installer" both become "install").
* ``calanque_en``: the same with the Snowball English stemmer.
* ``calanque_folded``: lowercase and ASCII folding without stemming, for exact word
  forms in any language (names, commands, unaccented queries).

tantivy has no elision filter, so French elisions (l', d', qu', j', n', s', c', m',
t') are cut by :func:`strip_elisions` in Python, on documents and queries alike.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import tantivy

FRENCH = "calanque_fr"
ENGLISH = "calanque_en"
FOLDED = "calanque_folded"
_MAX_TOKEN_CHARS = 40

# Function words of each language: not worth matching, and a vote for the language of a
# short text (answer/language.py, index/words.py). Data, not code: data/stopwords.json.
STOPWORDS_BY_LANGUAGE: dict[str, frozenset[str]] = {
    language: frozenset(words)
    for language, words in json.loads(
        resources.files("calanque.index").joinpath("data/stopwords.json").read_text("utf-8")
    ).items()
    if not language.startswith("_")
}
# ... and those only one language has: a vote for that language
FUNCTION_WORDS_ONLY_IN: dict[str, frozenset[str]] = {
    language: words.difference(*(w for o, w in STOPWORDS_BY_LANGUAGE.items() if o != language))
    for language, words in STOPWORDS_BY_LANGUAGE.items()
}

_ELISION = re.compile(r"\b(?:qu|[ldjnsctm])['’](?=\w)", re.IGNORECASE)


def strip_elisions(text: str) -> str:
    """Remove French elided articles/pronouns: ``"l'école d'été"`` → ``"école été"``."""
    return _ELISION.sub("", text)


def _build(*filters: Any) -> Any:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    for item in (tantivy.Filter.remove_long(_MAX_TOKEN_CHARS), tantivy.Filter.lowercase()):
        builder = builder.filter(item)
    for item in filters:
        builder = builder.filter(item)
    return builder.build()


def build_analyzers() -> dict[str, Any]:
    """The named tantivy analyzers to register on an index."""
    return {
        FRENCH: _build(tantivy.Filter.stemmer("french"), tantivy.Filter.ascii_fold()),
        ENGLISH: _build(tantivy.Filter.stemmer("english"), tantivy.Filter.ascii_fold()),
        FOLDED: _build(tantivy.Filter.ascii_fold()),
    }


def register_analyzers(index: Any, analyzers: dict[str, Any]) -> None:
    for name, analyzer in analyzers.items():
        index.register_tokenizer(name, analyzer)


class QueryAnalyzer:
    """Turns a query string into the terms of each analysed field."""

    def __init__(self, analyzers: dict[str, Any] | None = None) -> None:
        self._analyzers = analyzers or build_analyzers()

    def terms(self, text: str, analyzer: str) -> list[str]:
        """Distinct terms of ``text`` under ``analyzer``, in order of appearance."""
        tokens = self._analyzers[analyzer].analyze(strip_elisions(text))
        return list(dict.fromkeys(t for t in tokens if t))


# Operators and options as shells and languages write them, which the word tokenizer cuts
# or drops: ``~1``, ``-s``, ``!-1``, ``=~``, ``[[``, ``&&``, ``$?``, ``!!``, ``2>&1``,
# ``--help``. Links, e-mail addresses, numbers (``50%``, ``+33``, ``-5``) and footnote marks
# (``[1]``) are no such thing: the claim checks read them (answer/claims.py).
_SYMBOL_CHARS = re.compile(r"[~$%&|!;<>*#@^=+\[\]{}]|^-{1,2}[^\W\d]")
_NOT_SYMBOLS = re.compile(r"://|@\w|^[+-]?\d[\d.,]*(?:%|°\w*)?$|^\[\d+\]$")
_AROUND = "()‘’“”«»\"'`"
_TRAILING = ",.;:!?"


def _symbol(token: str) -> str | None:
    """``token`` as an operator or an option, without the quotes around it and the
    punctuation after it (``‘~1’,`` → ``~1``, ``$?.`` → ``$?``), or None."""
    found = token.strip(_AROUND)
    while len(found) > 2 and found[-1] in _TRAILING + _AROUND and _SYMBOL_CHARS.search(found[:-1]):
        found = found[:-1]
    if len(found) < 2 or _NOT_SYMBOLS.search(found):
        return None
    # "debian/watch;" is a path and a semicolon; "!!" and "$?" are operators whole
    if _SYMBOL_CHARS.search(found.rstrip(_TRAILING)) or not any(c.isalnum() for c in found):
        return found
    return None


# A text without any of these holds no operator (a superset of what :func:`_symbol` reads:
# a symbol character, a token opening with a dash, or a token of punctuation only), and
# most sentences hold none (79 % of the handbook's): one search instead of reading each
# token, 13 against 24 µs a handbook sentence on average, for every candidate of an answer.
_MAYBE_SYMBOLS = re.compile(
    r"[~$%&|!;<>*#@^=+\[\]{}]|(?:^|\s)[()‘’“”«»\"'`]*-|(?:^|\s)(?:[^\w\s]|_){2,}(?=\s|$)"
)


def symbols(text: str) -> set[str]:
    """The operators and options of ``text`` (see above), matched as written."""
    if not _MAYBE_SYMBOLS.search(text):
        return set()
    return {found for token in text.split() if (found := _symbol(token)) is not None}
