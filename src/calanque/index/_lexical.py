"""The tantivy half of the embedded index: schema, documents, queries, stored fields."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import tantivy

from calanque.errors import IndexBackendError
from calanque.index.analysis import (
    ENGLISH,
    FOLDED,
    FRENCH,
    STOPWORDS_BY_LANGUAGE,
    QueryAnalyzer,
    build_analyzers,
    register_analyzers,
    strip_elisions,
)
from calanque.index.fusion import date_number, host_of, site_domains
from calanque.index.words import language_of
from calanque.types import Hit, IndexedChunk, SearchFilters

# (field, analyzer, boost) searched by a lexical query
DEFAULT_FIELD_BOOSTS: dict[str, float] = {
    "text_fr": 1.0,
    "text_en": 1.0,
    "text": 0.3,
    "meta_fr": 0.5,
    "meta_en": 0.5,
}
_FIELD_ANALYZER = {
    "text_fr": FRENCH,
    "text_en": ENGLISH,
    "text": FOLDED,
    "meta_fr": FRENCH,
    "meta_en": ENGLISH,
    "title": FOLDED,
    "heading": FOLDED,
}
_FIELD_LANGUAGE = {"text_fr": "fr", "meta_fr": "fr", "text_en": "en", "meta_en": "en"}
_WRITER_HEAP = 64_000_000


# ids are i64 fields: tantivy-py builds i64 terms from Python ints, so u64 deletes miss
COMMON_TERM_SHARE = 0.2
# A long question's rarest terms per field (None: every term). Chosen on the tune halves of
# the eight answer domains against 8, 12 and 20 (docs/benchmarks.md, "Search speed"):
# tantivy's time grows with the term clauses, and the long questions set the p95.
MAX_FIELD_TERMS: int | None = 16
# Where the common-term cut applies (a corpus of 1,000 chunks or more), the question's
# function words (``how``, ``which``, ``quel``, ``comment``: data/stopwords.json, those of
# each field's language and of the question's, matched as written:
# LexicalStore.function_words) are left out of the lexical query as well when it has other
# words: their posting lists are long and they say nothing of the subject
# (docs/benchmarks.md, "Search speed").
DROP_FUNCTION_WORDS = True
_SMALL_CORPUS = 1000  # chunks: below this, every term of the question is looked for
# a question's words as written, split where a word ends (``apt-get``, ``/etc/fstab`` and
# ``dois-je`` are one word each: a compound's part is no function word)
_QUERY_WORD = re.compile(r"[^\s?!,;:()\[\]{}\"«»“”]+")


def _folded_word(word: str) -> str:
    """``word`` as function words are listed: lower case, without the full stop or quote
    a sentence puts around it."""
    return word.strip(".'’`").lower()


def _names(words: list[str]) -> set[int]:
    """The positions of the words written in capitals, which name something where they
    are function words too (*the WHO*, *IT*, the *C* language): none where most of the
    question is written in capitals, and not a one-letter word opening it (*À quoi…*,
    *A package…*)."""
    found = {at for at, word in enumerate(words) if word.isupper()}
    if len(found) * 2 > len(words):
        return set()
    return {at for at in found if at > 0 or len(words[at]) > 1}


@cache
def _query_keeps() -> frozenset[str]:
    """Function words that also name things, kept in a lexical query (data)."""
    raw = json.loads(
        resources.files("calanque.index").joinpath("data/query_keeps.json").read_text("utf-8")
    )
    return frozenset(
        _folded_word(w) for lang, ws in raw.items() if not lang.startswith("_") for w in ws
    )


def build_schema() -> Any:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("chunk_id", stored=True, indexed=True, fast=True)
    sb.add_integer_field("document_id", stored=True)
    sb.add_integer_field("source_id", stored=True, indexed=True, fast=True)
    sb.add_integer_field("day", indexed=True, fast=True)
    for name in ("language", "site", "url", "date"):
        sb.add_text_field(name, stored=True, tokenizer_name="raw")
    sb.add_text_field("domains", tokenizer_name="raw")
    for name in ("text", "title", "heading"):
        sb.add_text_field(name, stored=True, tokenizer_name=FOLDED)
    for name in ("text_fr", "text_en", "meta_fr", "meta_en"):
        sb.add_text_field(name, tokenizer_name=_FIELD_ANALYZER[name])
    return sb.build()


def _language_fields(language: str) -> tuple[str, ...]:
    """The stemmed fields a chunk goes into: its language's, or both when unknown."""
    if language.startswith("fr"):
        return ("fr",)
    if language.startswith("en"):
        return ("en",)
    return ("fr", "en")


def chunk_document(chunk: IndexedChunk) -> Any:
    site = (chunk.site or host_of(chunk.url)).lower()
    doc = tantivy.Document()
    doc.add_integer("chunk_id", chunk.chunk_id)
    doc.add_integer("document_id", chunk.document_id)
    doc.add_integer("source_id", chunk.source_id)
    doc.add_integer("day", date_number(chunk.date))
    for name, value in (("language", chunk.language), ("site", site), ("url", chunk.url)):
        doc.add_text(name, value)
    doc.add_text("date", chunk.date)
    for domain in site_domains(site):
        doc.add_text("domains", domain)
    doc.add_text("text", chunk.text)
    doc.add_text("title", chunk.title)
    doc.add_text("heading", chunk.heading)
    body = strip_elisions(chunk.text)
    meta = strip_elisions(f"{chunk.title}\n{chunk.heading}")
    for lang in _language_fields(chunk.language):
        doc.add_text(f"text_{lang}", body)
        doc.add_text(f"meta_{lang}", meta)
    return doc


class LexicalStore:
    """A tantivy index in ``folder``; the writer is opened on the first change.

    A deleted document stays in its segment (stored text, terms) until tantivy merges that
    segment, and tantivy-py offers no call to merge. :meth:`purge_deleted` does the
    equivalent: it adds the live documents of every segment holding deletions again, so
    those segments hold no live document, are dropped at the commit, and their files are
    removed. It costs as much as indexing those segments' documents once.
    """

    def __init__(self, folder: Path, field_boosts: dict[str, float] | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.schema = build_schema()
        analyzers = build_analyzers()
        try:
            self.index = tantivy.Index(self.schema, path=str(folder), reuse=True)
        except ValueError as exc:
            raise IndexBackendError(
                f"cannot open the lexical index in {folder}: {exc}; run `calanque reindex`"
            ) from exc
        register_analyzers(self.index, analyzers)
        self.analyzer = QueryAnalyzer(analyzers)
        self.field_boosts = dict(field_boosts or DEFAULT_FIELD_BOOSTS)
        self.common_term_share = COMMON_TERM_SHARE
        self.max_field_terms = MAX_FIELD_TERMS
        self.drop_function_words = DROP_FUNCTION_WORDS
        self._function_words: dict[tuple[str, str], frozenset[str]] = {}
        self._writer: Any = None
        self.dirty = False

    def _writer_or_open(self) -> Any:
        if self._writer is None:
            try:
                self._writer = self.index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            except ValueError as exc:
                raise IndexBackendError(
                    f"the lexical index is locked by another writer ({exc}); "
                    "wait for the other `calanque index` run to finish"
                ) from exc
        return self._writer

    def upsert(self, chunks: Sequence[IndexedChunk]) -> None:
        writer = self._writer_or_open()
        for chunk in chunks:
            writer.delete_documents_by_term("chunk_id", chunk.chunk_id)
            writer.add_document(chunk_document(chunk))
        self.dirty = True

    def delete(self, chunk_ids: Sequence[int]) -> None:
        writer = self._writer_or_open()
        for chunk_id in chunk_ids:
            writer.delete_documents_by_term("chunk_id", int(chunk_id))
        self.dirty = True

    def commit(self) -> None:
        if self.dirty:
            self._writer_or_open().commit()
            self.dirty = False
        self.index.reload()

    def reload(self) -> None:
        self.index.reload()

    def count(self) -> int:
        return int(self.index.searcher().num_docs)

    def query_terms(self, query: str) -> dict[str, list[str]]:
        """The terms a lexical query for ``query`` looks for, by field."""
        searcher = self.index.searcher()
        words = (
            _QUERY_WORD.findall(strip_elisions(query))
            if self.drop_function_words and int(searcher.num_docs) >= _SMALL_CORPUS
            else []
        )
        language = language_of(query, min_votes=2) if words else ""
        names = _names(words)
        folded = [_folded_word(w) for w in words]
        out = {}
        for field in self.field_boosts:
            text = query
            if words:  # the words as written: "utilisé", "uses", "moyenne" are no "utilise"…
                function = self.function_words(field, language)
                kept = [
                    w for at, w in enumerate(words) if folded[at] not in function or at in names
                ]
                text = " ".join(kept) if kept else query
            out[field] = self._informative(
                searcher, field, self.analyzer.terms(text, _FIELD_ANALYZER[field])
            )
        return out

    def text_query(self, query: str) -> Any | None:
        clauses = []
        for field, terms in self.query_terms(query).items():
            boost = self.field_boosts[field]
            for term in terms:
                term_query = tantivy.Query.term_query(self.schema, field, term)
                if boost != 1.0:  # a boost of 1 would only wrap the scorer (slower, same score)
                    term_query = tantivy.Query.boost_query(term_query, boost)
                clauses.append((tantivy.Occur.Should, term_query))
        return tantivy.Query.boolean_query(clauses) if clauses else None

    def _informative(self, searcher: Any, field: str, terms: list[str]) -> list[str]:
        """Drop terms found in more than ``common_term_share`` of the chunks (le, the, de…;
        :data:`COMMON_TERM_SHARE`, kept against 0.1 and 0.05 on the answer sets:
        docs/benchmarks.md, "Sixth round" and "Seventeenth round").

        Their BM25 weight is next to nothing, but their posting lists are the longest: at
        300k chunks this cut a query from 4.4 to 1.5 ms (bench/search.py). A query made only
        of such terms keeps them all.

        Of what is left, at most ``max_field_terms`` (:data:`MAX_FIELD_TERMS`) are kept, the
        rarest (the highest IDF, what BM25 weighs most), in the question's order: a long
        question (or one grown by its translations) makes 80 or more term clauses over the
        five fields, and at 1M chunks tantivy's p95 fell from 16.4 to 11.9 ms with 16
        (bench/lexical_cost.py).
        """
        total = int(searcher.num_docs)
        if total < _SMALL_CORPUS or len(terms) < 2:
            return terms
        share = self.common_term_share
        counts = {t: searcher.doc_freq(field, t) for t in terms}
        rare = [t for t in terms if counts[t] <= share * total] or terms
        most = self.max_field_terms
        if most is not None and len(rare) > most:
            kept = set(sorted(rare, key=lambda t: counts[t])[:most])
            rare = [t for t in rare if t in kept]
        return rare

    def function_words(self, field: str, language: str = "") -> frozenset[str]:
        """The words a question's lexical query leaves out of ``field`` (as written, lower
        case): the function words of ``field``'s language and of the question's, when
        ``language`` names it (for the folded field, which holds both languages, those of
        the question's language, or those both languages have when it is unclear), less
        those that are also nouns (``data/query_keeps.json``: *été*, *moyen*, *fait*). So
        in a French question *but* (a goal) and *or* (gold) stay in the French
        fields and go from the English ones, where they would match the conjunctions."""
        key = (field, language)
        found = self._function_words.get(key)
        if found is None:
            own = _FIELD_LANGUAGE.get(field, "")
            if own or language:
                found = frozenset().union(
                    *(STOPWORDS_BY_LANGUAGE[lang] for lang in {own, language} - {""})
                )
            else:
                found = frozenset.intersection(*STOPWORDS_BY_LANGUAGE.values())
            found = frozenset(_folded_word(w) for w in found) - _query_keeps()
            self._function_words[key] = found
        return found

    def filter_clauses(self, filters: SearchFilters) -> list[tuple[Any, Any]]:
        """Boolean clauses (scoring nothing) that keep only chunks passing ``filters``."""
        must, must_not = tantivy.Occur.Must, tantivy.Occur.MustNot
        clauses: list[tuple[Any, Any]] = []
        if filters.sites:
            clauses.append((must, self._set("domains", [s.lower() for s in filters.sites])))
        if filters.exclude_sites:
            clauses.append(
                (must_not, self._set("domains", [s.lower() for s in filters.exclude_sites]))
            )
        if filters.languages:
            clauses.append((must, self._set("language", list(filters.languages))))
        if filters.source_ids:
            clauses.append((must, self._set("source_id", [int(s) for s in filters.source_ids])))
        if filters.since or filters.until:
            low = date_number(filters.since) if filters.since else 1
            high = date_number(filters.until) if filters.until else 99_991_231
            days = tantivy.Query.range_query(
                self.schema, "day", tantivy.FieldType.Integer, max(low, 1), high
            )
            clauses.append((must, tantivy.Query.const_score_query(days, 0.0)))
        return clauses

    def _set(self, field: str, values: list[Any]) -> Any:
        return tantivy.Query.const_score_query(
            tantivy.Query.term_set_query(self.schema, field, values), 0.0
        )

    def search(self, query: Any, filters: SearchFilters, limit: int) -> list[tuple[float, Any]]:
        """(score, stored document) of the best ``limit`` matches of ``query`` ∧ filters."""
        filtering = self.filter_clauses(filters)
        if filtering:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *filtering])
        # without filters the query runs as is: wrapping it in a one-clause boolean costs
        # ~1.5 ms at 1M chunks for the same ranking (bench/search.py)
        searcher = self.index.searcher()
        result = searcher.search(query, limit, count=False)
        return [(float(score), searcher.doc(address)) for score, address in result.hits]

    def fetch(self, chunk_ids: Sequence[int], filters: SearchFilters) -> dict[int, Any]:
        """Stored documents of ``chunk_ids`` that pass ``filters``, by chunk id."""
        if not chunk_ids:
            return {}
        ids = self._set("chunk_id", [int(c) for c in chunk_ids])
        found = self.search(ids, filters, len(chunk_ids))
        return {int(doc.get_first("chunk_id")): doc for _, doc in found}

    def all_ids(self) -> set[int]:
        searcher = self.index.searcher()
        total = int(searcher.num_docs)
        if total == 0:
            return set()
        result = searcher.search(tantivy.Query.all_query(), total, count=False)
        return {int(searcher.doc(address).get_first("chunk_id") or 0) for _, address in result.hits}

    def stored_chunks(self, chunk_ids: Sequence[int]) -> list[IndexedChunk]:
        """The chunks as stored here (what was embedded for them), for ids still held."""
        docs = self.fetch(chunk_ids, SearchFilters())
        return [stored_chunk(doc) for doc in docs.values()]

    def purge_deleted(self) -> int:
        """Rewrite the segments that hold deleted documents (see the class); returns how
        many live documents were added again."""
        self.close()  # wait for running merges: they may copy documents deleted since
        self.index.reload()
        segments = self._segments_with_deletions()
        if not segments:
            return 0
        searcher = self.index.searcher()
        everything = searcher.search(tantivy.Query.all_query(), max(1, searcher.num_docs))
        docs = [searcher.doc(a) for _, a in everything.hits if a.segment_ord in segments]
        writer = self._writer_or_open()
        for chunk in (stored_chunk(doc) for doc in docs):
            writer.delete_documents_by_term("chunk_id", chunk.chunk_id)
            writer.add_document(chunk_document(chunk))
        writer.commit()
        self.close()  # merges started by the commit end before the files are collected
        self._writer_or_open().garbage_collect_files()
        self.index.reload()
        return len(docs)

    def _segments_with_deletions(self) -> set[int]:
        """Ordinals (as the searcher numbers segments) of segments with deleted documents.

        tantivy lists the segments in ``meta.json`` in the searcher's order; when the live
        counts disagree with that list, every segment is taken.
        """
        meta = json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))
        segments = meta.get("segments", [])
        if not any(segment.get("deletes") for segment in segments):
            return set()
        searcher = self.index.searcher()
        if int(searcher.num_segments) != len(segments):
            return set(range(int(searcher.num_segments)))
        live = [
            s["max_doc"] - ((s.get("deletes") or {}).get("num_deleted_docs") or 0) for s in segments
        ]
        counted = [0] * len(segments)
        for _, address in searcher.search(
            tantivy.Query.all_query(), max(1, searcher.num_docs)
        ).hits:
            counted[address.segment_ord] += 1
        if counted != live:
            return set(range(len(segments)))
        return {ordinal for ordinal, s in enumerate(segments) if s.get("deletes")}

    def close(self) -> None:
        if self._writer is not None:
            if self.dirty:
                self._writer.rollback()
            self._writer.wait_merging_threads()
            self._writer = None


def stored_chunk(doc: Any) -> IndexedChunk:
    """The chunk a stored document was made from (every field it needs is stored)."""
    hit = document_hit(doc, 0.0)
    return IndexedChunk(
        chunk_id=hit.chunk_id,
        document_id=hit.document_id,
        text=hit.text,
        title=hit.title,
        url=hit.url,
        heading=hit.heading,
        language=hit.language,
        site=hit.site,
        source_id=hit.source_id,
        date=hit.date,
    )


def document_hit(doc: Any, score: float) -> Hit:
    def text(name: str) -> str:
        value = doc.get_first(name)
        return "" if value is None else str(value)

    return Hit(
        chunk_id=int(doc.get_first("chunk_id")),
        document_id=int(doc.get_first("document_id")),
        url=text("url"),
        title=text("title"),
        heading=text("heading"),
        text=text("text"),
        score=score,
        language=text("language"),
        date=text("date"),
        site=text("site"),
        source_id=int(doc.get_first("source_id") or 0),
    )
