"""French-English expressions of several words, for the question's gloss.

The word lexicon (:mod:`calanque.index.lexicon`) translates one word at a time, and an
expression is not the sum of its words: word for word, *mot de passe* is "word pass",
*mise à jour* "setting day", *ligne de commande* "line order", *chemin de fer* "path
iron"; and the other way, *password* stayed as it is ("changer password").
``data/phrases-fr-en.tsv`` holds common expressions (computing, administration, news and
encyclopaedic vocabulary, fixed prepositional phrases) with their translations, most
common first, written for this project from general knowledge. The table is read both
ways: an English expression's French one is the first French line that lists it.

Expressions are matched on the words the caller cuts (the gloss: lower case, elisions cut,
:func:`calanque.answer.language.words`: *droits d'auteur* is ``droits auteur``), longest
first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

PHRASES_FILE = "phrases-fr-en.tsv"
MAX_WORDS = 6  # the longest expression the table may hold, per side


@dataclass(frozen=True)
class Phrases:
    """Expressions by language (``fr`` → English, ``en`` → French), keyed by their words."""

    table: dict[str, dict[tuple[str, ...], str]]

    def match(self, tokens: Sequence[str], start: int, language: str) -> tuple[int, str] | None:
        """The longest expression of ``language`` that starts at ``tokens[start]``: how many
        tokens it spans and its translation; None when none does."""
        table = self.table.get(language, {})
        for length in range(min(MAX_WORDS, len(tokens) - start), 0, -1):
            found = table.get(tuple(tokens[start : start + length]))
            if found is not None:
                return length, found
        return None


def parse(text: str, tokens: Callable[[str], list[str]]) -> Phrases:
    """Expressions from the lines ``french<TAB>english, english…`` of ``text`` (``#``
    starts a comment line); ``tokens`` cuts an expression into the words it is matched on.
    Raises ValueError naming the line for one without a tab or with an empty side."""
    forward: dict[tuple[str, ...], str] = {}
    backward: dict[tuple[str, ...], str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        french, tab, rest = line.partition("\t")
        english = [e.strip() for e in rest.split(",") if e.strip()]
        key = tuple(tokens(french))
        if not tab or not key or not english:
            raise ValueError(
                f"{PHRASES_FILE}, line {number}: expected 'french<TAB>english[, english…]', "
                f"got {line!r}"
            )
        forward.setdefault(key, english[0])
        for translation in english:
            backward.setdefault(tuple(tokens(translation)), french.strip())
    return Phrases({"fr": forward, "en": backward})


@lru_cache(maxsize=2)
def phrases(tokens: Callable[[str], list[str]]) -> Phrases:
    """The shipped table, its expressions cut by ``tokens`` (read once per process)."""
    text = resources.files("calanque.answer").joinpath("data", PHRASES_FILE).read_text("utf-8")
    return parse(text, tokens)
