"""Tuning the extractive writer and the verifier on the Debian set (``python -m bench.answer --tune``).

Only the ``tune`` half of the questions is used (``bench.answer.split_halves``); the
held-out half is reported by ``python -m bench.answer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from bench._common import print_table, write_json
from bench.answer import Corpus, Summary, score, summarise
from tests.quality.datasets import DebianQuestion

from calanque.answer.engine import AnswerEngine
from calanque.answer.extractive import (
    AbstentionPolicy,
    Evidence,
    ExtractiveWriter,
    SelectionWeights,
    decide_answered,
)
from calanque.answer.language import question_language
from calanque.answer.passages import build_passages
from calanque.index.retriever import Retriever
from calanque.types import Hit, SearchFilters


class MemoSearcher:
    """Remembers hits per query, so a grid of writer settings replays the same passages."""

    def __init__(self, inner: Retriever) -> None:
        self.inner = inner
        self._hits: dict[tuple[str, int, SearchFilters | None], list[Hit]] = {}

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[Hit]:
        key = (query, k, filters)
        if key not in self._hits:
            self._hits[key] = self.inner.search(query, k=k, filters=filters)
        return self._hits[key]


@dataclass(frozen=True)
class Trial:
    weights: SelectionWeights
    policy: AbstentionPolicy
    passages: int
    summary: Summary

    @property
    def objective(self) -> float:
        """Key facts found and abstentions right; a citation below 0.95 precision is out."""
        s = self.summary
        if s.citation_precision < 0.95:
            return -1.0
        return s.correctness + s.abstention - 0.5 * s.false_abstention


def trial_engine(
    corpus: Corpus, searcher: MemoSearcher, weights: SelectionWeights, policy: AbstentionPolicy,
    passages: int,
) -> AnswerEngine:  # fmt: skip
    settings = replace(corpus.settings.answer, passages=passages)
    writer = ExtractiveWriter(
        corpus.embedder, corpus.store, settings.max_sentences, policy, weights
    )
    return AnswerEngine(
        searcher, corpus.catalog, corpus.embedder, settings, writer, store=corpus.store
    )


def grid() -> list[tuple[SelectionWeights, AbstentionPolicy, int]]:
    base_w, base_p = SelectionWeights(), AbstentionPolicy()
    out = []
    for novel in (0.0, 0.5, 1.0, 1.5):
        out.append((replace(base_w, novel=novel), base_p, 6))
    return out


def tune(corpus: Corpus, questions: Sequence[DebianQuestion]) -> list[Trial]:
    """Replay the grid on ``questions`` (the tune half); best first."""
    searcher = MemoSearcher(corpus.retriever)
    trials = []
    for weights, policy, passages in grid():
        engine = trial_engine(corpus, searcher, weights, policy, passages)
        outcomes = [
            score(q, engine.answer(q.question, filters=corpus.filters(q)), corpus.catalog, 0.0)
            for q in questions
        ]
        trials.append(Trial(weights, policy, passages, summarise(outcomes)))
    return sorted(trials, key=lambda t: t.objective, reverse=True)


def show_trials(trials: Sequence[Trial], top: int = 15) -> None:
    rows = [
        [f"lex {t.weights.lexical} int {t.weights.intent} keep {t.weights.keep_within} "
         f"k {t.passages}", t.objective, t.summary.correctness, t.summary.citation_precision,
         t.summary.abstention, t.summary.false_abstention]
        for t in trials[:top]
    ]  # fmt: skip
    print_table("Tuning (tune half)", ("setting", "objective", "key fact", "precision",
                                       "abstention", "false abst."), rows)  # fmt: skip
    write_json("answer-tuning.json", [asdict(t) | {"objective": t.objective} for t in trials])


# -- abstention evidence ----------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRow:
    id: str
    answerable: bool
    evidence: Evidence


def evidence_rows(
    corpus: Corpus, searcher: MemoSearcher, questions: Sequence[DebianQuestion]
) -> list[EvidenceRow]:
    """What :func:`decide_answered` sees for each question (default weights)."""
    writer = ExtractiveWriter(corpus.embedder, corpus.store)
    rows = []
    for q in questions:
        language = question_language(q.question)
        hits = searcher.search(
            q.question, k=corpus.settings.answer.passages, filters=corpus.filters(q)
        )
        passages = build_passages(hits, corpus.catalog)
        draft = writer.write(
            q.question, language, passages, corpus.embedder.embed_query(q.question)
        )
        rows.append(EvidenceRow(q.id, q.answerable, draft.evidence))
    return rows


def policy_rates(rows: Sequence[EvidenceRow], policy: AbstentionPolicy) -> tuple[float, float]:
    """(abstention on unanswerable, false abstention on answerable) under ``policy``."""
    good = [r for r in rows if r.answerable]
    bad = [r for r in rows if not r.answerable]
    refused_bad = sum(not decide_answered(r.evidence, policy) for r in bad)
    refused_good = sum(not decide_answered(r.evidence, policy) for r in good)
    return refused_bad / max(1, len(bad)), refused_good / max(1, len(good))


def show_evidence(rows: Sequence[EvidenceRow]) -> None:
    table = [
        [r.id, str(r.answerable), r.evidence.coverage, r.evidence.best_dense, r.evidence.margin,
         str(r.evidence.cross_lingual), str(r.evidence.intent_met)]
        for r in sorted(rows, key=lambda r: (r.answerable, r.evidence.coverage))
    ]  # fmt: skip
    print_table("Abstention evidence", ("id", "answerable", "coverage", "best dense", "margin",
                                        "cross", "intent"), table)  # fmt: skip
    write_json("answer-evidence.json", [asdict(r) for r in rows])
