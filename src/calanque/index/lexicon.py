"""A French-English lexicon of common words, for the bridge between the two (words.py).

The word bridge translates a question's word by the nearest word of the corpus in the other
language, by the embedder's vectors of single words. A small multilingual model places a
common word by its letters as much as by its meaning: over the GNU Bash manual, ``fermer``
lands on ``promptvars``, ``touche`` on ``texts``, ``milieu`` on ``mimic``, ``tableau`` on
``tailor`` (docs/benchmarks.md, "Sixteenth round"). Technical words that share their roots
(``descripteur`` → ``descriptor``) it gets right; everyday words it often does not, and they
are what a French question over English pages is written in.

``data/lexicon-fr-en.tsv`` holds the 15,000 most used French word forms (wordfreq's list of
French, in order of use; function words and words under three letters left out) with up to
four English translations each, most common sense first, written for this project. The
lexicon is read both ways: an English word's French translations are the French forms that
list it, the most used first, by the rank of the English word in their lists. A word absent
from it is looked up by its stem (``fermées`` finds ``fermé``'s line). Only single words are
kept: a translation of several words (``get back``) gives its content words; expressions
of several words are the question gloss's own table (:mod:`calanque.answer.phrases`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from calanque.index.analysis import ENGLISH, FRENCH, STOPWORDS_BY_LANGUAGE, build_analyzers

LEXICON_FILE = "lexicon-fr-en.tsv"
_WORD = re.compile(r"[a-z]{3,}")


@dataclass(frozen=True)
class Lexicon:
    """Translations by word and by stem, per direction (``fr`` → English words, ``en`` →
    French words)."""

    words: dict[str, dict[str, tuple[str, ...]]]
    stems: dict[str, dict[str, tuple[str, ...]]]
    analyzers: dict[str, Any]

    def translate(self, word: str, language: str) -> tuple[str, ...]:
        """Words of the other language for ``word`` (a lower-case word of ``language``):
        its own line's, else those of the forms that share its stem; () when unknown."""
        table = self.words.get(language, {})
        found = table.get(word)
        if found is not None:
            return found
        return self.stems.get(language, {}).get(stem(self.analyzers, word, language), ())


def stem(analyzers: dict[str, Any], word: str, language: str) -> str:
    tokens = analyzers[FRENCH if language == "fr" else ENGLISH].analyze(word)
    return " ".join(tokens)


def parse(text: str, analyzers: dict[str, Any]) -> Lexicon:
    """A lexicon from the lines ``french<TAB>english, english…`` of ``text`` (most used
    French form first; ``#`` starts a comment line)."""
    english_stop = STOPWORDS_BY_LANGUAGE["en"]
    forward: dict[str, tuple[str, ...]] = {}
    backward: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for rank, line in enumerate(text.splitlines()):
        if not line.strip() or line.startswith("#"):
            continue
        french, _, rest = line.partition("\t")
        french = french.strip().lower()
        english: list[str] = []
        for translation in rest.split(","):
            english.extend(w for w in _WORD.findall(translation.lower()) if w not in english_stop)
        english = list(dict.fromkeys(english))
        if not french or not english:
            continue
        forward[french] = tuple(english)
        for position, word in enumerate(english):
            backward[word].append((position, rank, french))
    words = {
        "fr": forward,
        "en": {w: tuple(f for _, _, f in sorted(found)) for w, found in backward.items()},
    }
    stems: dict[str, dict[str, tuple[str, ...]]] = {}
    for language, table in words.items():
        by_stem: dict[str, list[str]] = defaultdict(list)
        for word, translations in table.items():  # most used first: insertion order
            by_stem[stem(analyzers, word, language)].extend(translations)
        stems[language] = {s: tuple(dict.fromkeys(t)) for s, t in by_stem.items()}
    return Lexicon(words, stems, analyzers)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped lexicon (read once per process: ~15 ms)."""
    text = resources.files("calanque.index").joinpath("data", LEXICON_FILE).read_text("utf-8")
    return parse(text, build_analyzers())
