"""Words of the corpus as a bridge between French and English (docs/architecture.md, step 8).

A French question over English-only pages shares no word with them: the lexical search
finds nothing, or only the French pages that happen to use the same words, and the fused
ranking pushes down the right English page that the dense search found. So the lexical
query of such a question also carries, for each of its content words, the nearest words of
the corpus in the other language, by the embedder's own vectors of single words
(multilingual e5 puts ``fichier`` next to ``file`` at 0.93, ``erreur`` next to ``error``
at 0.96). Only words the pages use are offered: a translation that is not in the corpus
cannot match anything.

:class:`WordBridge` keeps, in ``words.sqlite`` beside the index, how many chunks of each
language use each word (the :data:`MAX_WORDS` most used per language) and each word's
vector. The counts are made again from the index's stored chunks whenever the index
changed (``fingerprint``; :func:`calanque.index.sync.count_words`, after a lexical-only
catch-up, before and after the dense pass, and after a purge of deleted chunks), so a
word of a deleted page goes with it, vector and all; vectors are computed once per word
(:func:`calanque.index.sync.fill_words`), in the background like the chunks' own.

A question's language is told by its function words (``data/stopwords.json``), and each
content word (three letters or more, no digit) is translated into the other language when
the corpus holds pages in it. Where the corpus has (almost) no text in the question's
language, a word of the French-English lexicon (:mod:`calanque.index.lexicon`) is translated
by it: the lexicon's words the pages use, found by their stem, and no vector is needed for
it (a small model places everyday words by their letters: ``fermer`` → ``promptvars``);
other words, and every word elsewhere, by the vectors, as follows. A candidate is kept
when its cosine is at least :data:`TRANSLATION_COSINE`, within :data:`TRANSLATION_WITHIN`
of the best candidate's, the pages use it more in the other language than in the
question's (a French word quoted in an English chunk is no translation), and the query
does not match it already (same stem): :data:`TRANSLATIONS_PER_WORD` at most. Below the
cosines of true translations (0.93-0.98) lie near misses that the tune halves did not
punish (``doit`` → ``due`` 0.926): they add a word to a lexical query and a word a
sentence may hold, nothing more.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from calanque.index.analysis import (
    FUNCTION_WORDS_ONLY_IN,
    STOPWORDS_BY_LANGUAGE,
    build_analyzers,
    strip_elisions,
)
from calanque.index.lexicon import lexicon, stem

log = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
# Per language, the most used: the words a translation is needed for are common ones (file,
# line, network), a rare one (a command, a name) is mostly the same word in both languages.
# A question's words are compared with every one of them in one matrix product, in the
# lexical search's thread: with 10k words (15 MB of float32) eight words are translated in
# 2.8 ms, with 20k in 5.4 ms, with 50k in 15 ms (docs/benchmarks.md, "Eighth round").
MAX_WORDS = 10_000
# Chosen on the tune halves of the four answer sets (page MRR of their answerable questions,
# docs/benchmarks.md "Eighth round"): 0.90-0.93 within one question of each other; 0.86 and
# 0.88 half a question more, but below 0.90 a word's neighbours stop being translations
# (stocker → socket); a floor above the mean of a word's ten nearest (0.01, 0.02) lost one.
TRANSLATION_COSINE = 0.90
TRANSLATION_WITHIN = 0.02
TRANSLATIONS_PER_WORD = 2
# How the lexicon (lexicon.py) and the vectors share the work: "known" (the lexicon's
# translations the corpus uses, else the vectors' neighbours), "first" (the lexicon's, then
# the neighbours up to TRANSLATIONS_PER_WORD), "only" (a word the lexicon knows is never
# translated by the vectors), "off". The three gave the same tune answers (bash, where the
# gate below lets the lexicon in); "known" was first (docs/benchmarks.md, "Sixteenth
# round"); 1, 2 or 3 of the lexicon's words: the same.
LEXICON_MODE = "known"
LEXICON_PER_WORD = 2
# The lexicon serves a question only where the corpus has (almost) no text in its language:
# over the bilingual corpora it made the other language's sentences compete with the right
# ones (history, whose French pages are 12 % of its words, lost two tune answers at 0.2;
# at 0.1 only the English-only corpus changes). Shares of the corpus's counted words.
LEXICON_OWN_SHARE = 0.1
# While words are being embedded (the file changes every batch), searches read the tables
# again at most this often: reading 40k vectors costs tens of milliseconds.
RELOAD_EVERY_S = 5.0
_WORD = re.compile(r"[^\W\d_]{3,}")
_STOPWORDS = frozenset().union(*STOPWORDS_BY_LANGUAGE.values())


def content_words(text: str) -> list[str]:
    """The distinct lower-case words of ``text`` worth translating, in order."""
    found = (w.lower() for w in _WORD.findall(strip_elisions(text)))
    return list(dict.fromkeys(w for w in found if w not in _STOPWORDS))


def language_of(text: str, min_votes: int = 1) -> str:
    """``fr`` or ``en`` by the function words only either language has; ``""``: a tie, or
    fewer than ``min_votes`` of them (one word, ``comment`` in "yaml comment", says little)."""
    tokens = [w.lower() for w in _WORD.findall(strip_elisions(text))] + re.findall(
        r"\b\w{1,2}\b", text.lower()
    )
    votes = {
        language: sum(t in only for t in tokens)
        for language, only in FUNCTION_WORDS_ONLY_IN.items()
    }
    best = max(votes.values(), default=0)
    leaders = [language for language, count in votes.items() if count == best]
    return leaders[0] if best >= max(1, min_votes) and len(leaders) == 1 else ""


# letters English words do not carry: a word with one in an English page is quoted French
_NOT_ENGLISH = re.compile(r"[àâçéèêëîïôûùüÿœæ]")


def _looks(word: str, language: str) -> bool:
    """Could ``word`` be a word of ``language``? (Four letters at least: "due" and "thu"
    came up as translations of "deux" and "tube".)"""
    return len(word) >= 4 and not (language == "en" and _NOT_ENGLISH.search(word))


def _same_stem(candidate: str, word: str, language: str) -> bool:
    """Does the lexical query already match ``candidate`` through ``word`` (its stem in the
    candidate's language)? ``fichier`` quoted in an English page, for ``fichiers``."""
    analyzers = _analyzers()
    return stem(analyzers, candidate, language) == stem(analyzers, word, language)


@lru_cache(maxsize=1)
def _analyzers() -> dict[str, Any]:
    return build_analyzers()


def tally(
    chunks: Iterable[tuple[str, str]], counts: dict[str, Counter[str]] | None = None
) -> dict[str, Counter[str]]:
    """How many of ``chunks`` ((language, text) pairs) use each content word, per language
    (added to ``counts`` when given)."""
    counts = counts if counts is not None else {language: Counter() for language in LANGUAGES}
    for language, text in chunks:
        counts[_language_key(language)].update(content_words(text))
    return counts


def _nearest(similarities: np.ndarray, n: int) -> np.ndarray:
    """Rows of the ``n`` highest similarities, highest first."""
    if len(similarities) <= n:
        return np.argsort(-similarities)
    top = np.argpartition(-similarities, n)[:n]
    return top[np.argsort(-similarities[top])]


def _by_stem(counts: Counter[str], language: str) -> dict[str, str]:
    """The most used counted word of each stem."""
    analyzers = _analyzers()
    found: dict[str, str] = {}
    for word, _ in counts.most_common():
        found.setdefault(stem(analyzers, word, language), word)
    return found


def _language_key(language: str) -> str:
    return "fr" if language.startswith("fr") else "en"


@dataclass
class _Table:
    """The words of one language that have a vector, as a matrix (row i: words[i])."""

    words: list[str]
    matrix: np.ndarray
    row: dict[str, int]


_REPEATED_TABLE = "CREATE TABLE IF NOT EXISTS repeated (line INTEGER PRIMARY KEY)"


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        db.execute("PRAGMA secure_delete=ON")  # a deleted page's words leave no bytes
        db.executescript(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS words (word TEXT NOT NULL, language TEXT NOT NULL,"
            " chunks INTEGER NOT NULL, PRIMARY KEY (word, language));"
            "CREATE TABLE IF NOT EXISTS vectors (word TEXT PRIMARY KEY, vector BLOB NOT NULL);"
        )
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


class WordBridge:
    """The corpus's words and their vectors, in ``path`` (see the module)."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        try:
            self._db = _open(path)
        except sqlite3.DatabaseError as exc:
            # Derived data, counted again from the index: a damaged file (a full disk, a
            # copy cut short) is set aside and started afresh rather than stopping search.
            broken = path.with_name(path.name + ".broken")
            log.warning(
                "%s is unreadable (%s): moved to %s, the words are counted again",
                path,
                exc,
                broken.name,
            )
            os.replace(path, broken)
            self._db = _open(path)
        self._tables: dict[str, _Table] | None = None
        self._counts: dict[str, Counter[str]] = {}
        self._by_stem: dict[str, dict[str, str]] = {}
        self._share: dict[str, float] = {}
        self._repeated: frozenset[int] = frozenset()
        self._version = -1
        self._loaded_at = 0.0

    # -- writes ---------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write transaction, under the lock: the file is in autocommit mode, where each
        statement would be its own transaction (and its own sync to disk)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def fingerprint(self) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        return str(row[0]) if row else ""

    def replace(
        self,
        counts: dict[str, Counter[str]],
        fingerprint: str,
        repeated: Iterable[int] = (),
    ) -> None:
        """Keep these counts (:func:`tally`), the :data:`MAX_WORDS` most used per language;
        the vectors of words no chunk uses any more are dropped. ``repeated``: the keys of
        the lines the corpus's sites repeat on their pages
        (:class:`calanque.index.boilerplate.RepeatedLines`)."""
        rows = [
            (word, language, n)
            for language, counter in counts.items()
            for word, n in counter.most_common(MAX_WORDS)
        ]
        with self._writing():
            self._db.execute("DELETE FROM words")
            self._db.executemany("INSERT INTO words VALUES (?, ?, ?)", rows)
            self._db.execute("DELETE FROM vectors WHERE word NOT IN (SELECT word FROM words)")
            # made here, in the write transaction: a file of an earlier version opened
            # while another process writes it would wait on a lock at open time
            self._db.execute(_REPEATED_TABLE)
            self._db.execute("DELETE FROM repeated")
            self._db.executemany(
                "INSERT OR IGNORE INTO repeated VALUES (?)", [(k,) for k in repeated]
            )
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fingerprint,)
            )
            self._tables = None

    def pending(self, limit: int) -> list[str]:
        """Up to ``limit`` words without a vector, the most used first."""
        rows = self._db.execute(
            "SELECT word FROM words WHERE word NOT IN (SELECT word FROM vectors)"
            " GROUP BY word ORDER BY MAX(chunks) DESC, word LIMIT ?",
            (max(0, limit),),
        ).fetchall()
        return [str(word) for (word,) in rows]

    def add_vectors(self, words: Sequence[str], vectors: np.ndarray) -> None:
        """Keep these words' vectors, in one transaction: one commit (one sync to disk) per
        batch, where a commit per word took 18 of a first index's 400 seconds."""
        matrix = np.asarray(vectors, dtype=np.float16)
        with self._writing():
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                [(word, matrix[i].tobytes()) for i, word in enumerate(words)],
            )
            self._version = -1  # read again, within RELOAD_EVERY_S

    # -- reads ----------------------------------------------------------------

    def _loaded(self) -> dict[str, _Table]:
        """The in-memory tables, read again when this or another process changed the file
        (not more often than :data:`RELOAD_EVERY_S`)."""
        with self._lock:
            if self._tables is not None and time.monotonic() - self._loaded_at < RELOAD_EVERY_S:
                return self._tables
            version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
            if self._tables is not None and version == self._version:
                self._loaded_at = time.monotonic()
                return self._tables
            counts: dict[str, Counter[str]] = {language: Counter() for language in LANGUAGES}
            for word, language, n in self._db.execute("SELECT word, language, chunks FROM words"):
                counts[str(language)][str(word)] = int(n)
            tables = {}
            for language in LANGUAGES:
                rows = self._db.execute(
                    "SELECT v.word, v.vector FROM vectors v JOIN words w ON w.word = v.word"
                    " WHERE w.language = ? ORDER BY w.chunks DESC, v.word",
                    (language,),
                ).fetchall()
                words = [str(word) for word, _ in rows]
                matrix = (
                    np.vstack([np.frombuffer(blob, dtype=np.float16) for _, blob in rows]).astype(
                        np.float32
                    )
                    if rows
                    else np.zeros((0, 0), dtype=np.float32)
                )
                tables[language] = _Table(words, matrix, {w: i for i, w in enumerate(words)})
            if counts != self._counts:  # not when only vectors were added (every batch)
                self._by_stem = {
                    language: _by_stem(counts[language], language) for language in LANGUAGES
                }
                volume = {language: sum(counts[language].values()) for language in LANGUAGES}
                total = sum(volume.values())
                self._share = {
                    language: volume[language] / total if total else 0.0 for language in LANGUAGES
                }
            self._repeated = self._read_repeated()
            self._counts, self._tables, self._version = counts, tables, version
            self._loaded_at = time.monotonic()
            return tables

    def _read_repeated(self) -> frozenset[int]:
        try:
            rows = self._db.execute("SELECT line FROM repeated").fetchall()
        except sqlite3.OperationalError:  # counted by an earlier version: none yet
            return frozenset()
        return frozenset(int(line) for (line,) in rows)

    def repeated(self) -> frozenset[int]:
        """The keys of the lines the corpus's sites repeat on their pages (see
        :mod:`calanque.index.boilerplate`)."""
        self._loaded()
        return self._repeated

    def unknown_words(self, query: str) -> list[str]:
        """The query's content words that need a vector to be translated (none when the
        corpus has no page in the other language)."""
        plan = self._plan(query)
        if plan is None:
            return []
        language, words = plan
        tables = self._loaded()
        return [
            w
            for w in words
            if not any(w in t.row for t in tables.values()) and not self._lexicon(w, language)[0]
        ]

    def translations(
        self, query: str, vectors: dict[str, np.ndarray] | None = None
    ) -> dict[str, list[str]]:
        """Words of the corpus, in the other language, for each content word of the query
        that has some; ``vectors`` holds those of words the corpus does not use
        (:meth:`unknown_words`)."""
        plan = self._plan(query)
        if plan is None:
            return {}
        language, words = plan
        tables = self._loaded()
        other = "en" if language == "fr" else "fr"
        target = tables[other]
        own, theirs = self._counts.get(language, Counter()), self._counts.get(other, Counter())
        by_lexicon = {word: self._lexicon(word, language) for word in words}
        found = {word: kept for word, (_, kept) in by_lexicon.items() if kept}
        given = vectors or {}
        asked = [
            (w, v)
            for w in words
            if not by_lexicon[w][0] and (v := self._vector(w, tables, given)) is not None
        ]
        if not asked or not target.words:
            return found
        # one product for every word: the matrix is read once
        similarities = np.vstack([v for _, v in asked]) @ target.matrix.T
        for (word, _), sims in zip(asked, similarities, strict=True):
            kept = list(found.get(word, ()))
            best = 0.0
            for row in _nearest(sims, 10):
                if len(kept) >= TRANSLATIONS_PER_WORD:
                    break
                sim, candidate = float(sims[row]), target.words[row]
                if sim < max(TRANSLATION_COSINE, best - TRANSLATION_WITHIN):
                    break
                if candidate != word and _same_stem(candidate, word, other):
                    continue  # matched already, and no bar for the translations after it
                best = max(best, sim)  # the word itself, in both languages: no translation
                if (
                    candidate == word
                    or candidate in kept
                    or not _looks(candidate, other)
                    or own[candidate] > theirs[candidate]
                ):
                    continue
                kept.append(candidate)
            if kept:
                found[word] = kept
        return found

    def _plan(self, query: str) -> tuple[str, list[str]] | None:
        """The query's language and content words, or None when nothing can be translated."""
        tables = self._loaded()
        language = language_of(query)
        words = content_words(query)
        if not language:
            totals = {
                lang: sum(self._counts.get(lang, Counter())[w] for w in words) for lang in LANGUAGES
            }
            if totals["fr"] == totals["en"]:
                return None
            language = max(totals, key=lambda lang: totals[lang])
        other = "en" if language == "fr" else "fr"
        if not words or not (tables[other].words or self._counts.get(other)):
            return None
        return language, words

    def _lexicon(self, word: str, language: str) -> tuple[bool, list[str]]:
        """Is ``word`` settled by the lexicon (the pages use one of its translations, or the
        query matches one already: ``liste`` stems as ``list`` in the English field), and
        which of its translations do the pages use (their own form of the word, more in the
        other language than in ``language``)? In mode "only", a known word is settled."""
        if LEXICON_MODE == "off" or self._share.get(language, 0.0) >= LEXICON_OWN_SHARE:
            return False, []
        other = "en" if language == "fr" else "fr"
        own, theirs = self._counts.get(language, Counter()), self._counts.get(other, Counter())
        by_stem = self._by_stem.get(other, {})
        lex = lexicon()
        translations = lex.translate(word, language)
        kept: list[str] = []
        matched = False
        for translation in translations:
            form = by_stem.get(stem(lex.analyzers, translation, other))
            if form is None or form in kept or own[form] > theirs[form]:
                continue
            if _same_stem(form, word, other):
                matched = True  # the query matches it already
                continue
            kept.append(form)
            if len(kept) >= LEXICON_PER_WORD:
                break
        settled = bool(kept) or matched or (bool(translations) and LEXICON_MODE == "only")
        return settled and LEXICON_MODE != "first", kept

    @staticmethod
    def _vector(
        word: str, tables: dict[str, _Table], given: dict[str, np.ndarray]
    ) -> np.ndarray | None:
        for table in tables.values():
            row = table.row.get(word)
            if row is not None:
                return table.matrix[row]
        found = given.get(word)
        return None if found is None else np.asarray(found, dtype=np.float32)

    def counts(self) -> dict[str, int]:
        """Words counted per language, and how many still wait for a vector."""
        totals = dict(self._db.execute("SELECT language, COUNT(*) FROM words GROUP BY language"))
        waiting = self._db.execute(
            "SELECT COUNT(DISTINCT word) FROM words WHERE word NOT IN (SELECT word FROM vectors)"
        ).fetchone()[0]
        return {**{lang: int(totals.get(lang, 0)) for lang in LANGUAGES}, "waiting": int(waiting)}

    def close(self) -> None:
        with self._lock:
            self._db.close()
