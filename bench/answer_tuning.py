"""Tuning the extractive writer and the verifier on the Debian set (``python -m bench.answer --tune``).

Only the ``tune`` half of the questions is used (``bench.answer.split_halves``); the
held-out half is reported by ``python -m bench.answer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
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
from calanque.answer.language import coverage, key_terms, question_language, stems
from calanque.answer.passages import build_passages
from calanque.answer.sentences import split_sentences
from calanque.answer.vectors import MAX_CHARS
from calanque.answer.verify import SupportPolicy, required_tokens
from calanque.index.retriever import Retriever
from calanque.types import Chunk, Hit, SearchFilters


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


# -- the verifier's support thresholds ------------------------------------------------------


@dataclass(frozen=True)
class SupportCase:
    """A sentence checked against a passage: a translation of it (support) or not."""

    sentence: str
    language: str
    similarity: float  # best cosine with a sentence of the passage
    lexical: float  # key terms of the sentence found in the passage
    supported: bool


def _technical(sentence: str) -> set[str]:
    return {t for t in required_tokens(sentence, False) if len(t) > 4 and not t.isdigit()}


def _aligned(fr: Sequence[Chunk], en: Sequence[Chunk]) -> list[tuple[str, Chunk, str, Chunk]]:
    """Sentence pairs of one page in both trees holding the same rare technical token."""
    sides = []
    for chunks in (fr, en):
        where: dict[str, list[tuple[str, Chunk]]] = {}
        for chunk in chunks:
            for span in split_sentences(chunk.text):
                if len(span.text.split()) >= 5 and len(span.text) <= MAX_CHARS:
                    for token in _technical(span.text):
                        where.setdefault(token, []).append((span.text, chunk))
        sides.append({t: v[0] for t, v in where.items() if len(v) == 1})
    shared = sorted(set(sides[0]) & set(sides[1]))
    return [(*sides[0][t], *sides[1][t]) for t in shared if sides[0][t][0] != sides[1][t][0]]


def support_cases(corpus: Corpus, pages: Sequence[str], limit: int = 60) -> list[SupportCase]:
    """Translation pairs (supported) and the same sentence vs another passage (not)."""
    by_name: dict[str, dict[str, list[Chunk]]] = {}
    for doc_id, url in _documents(corpus):
        name, tree = url.rsplit("/", 1)[-1], url.rsplit("/", 2)[-2]
        if name in pages and tree in ("en-US", "fr-FR"):
            by_name.setdefault(name, {})[tree] = corpus.catalog.document_chunks(doc_id)
    cases: list[SupportCase] = []
    for name in sorted(by_name):
        trees = by_name[name]
        if len(trees) < 2 or len(cases) >= 2 * limit:
            continue
        for fr_text, _fr_chunk, _en_text, en_chunk in _aligned(trees["fr-FR"], trees["en-US"]):
            others = [c for c in trees["en-US"] if c.id != en_chunk.id and len(c.text) > 200]
            cases.append(_case(corpus, fr_text, "fr", en_chunk, True))
            if others:
                cases.append(_case(corpus, fr_text, "fr", others[len(others) // 2], False))
    return cases


def _documents(corpus: Corpus) -> list[tuple[int, str]]:
    import sqlalchemy as sa

    from calanque.catalog import schema

    with corpus.catalog.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.documents.c.id, schema.documents.c.url)).all()
    return [(int(r[0]), str(r[1])) for r in rows]


def _case(corpus: Corpus, text: str, language: str, chunk: Chunk, supported: bool) -> SupportCase:
    spans = [s.text for s in split_sentences(chunk.text) if len(s.text.split()) >= 2]
    vector = corpus.embedder.embed_passages([text])[0]
    sims = corpus.store.vectors(spans, corpus.embedder) @ vector
    lexical = coverage(key_terms(text, language), stems(chunk.text, language))
    return SupportCase(text, language, float(np.max(sims)), lexical, supported)


def support_rates(cases: Sequence[SupportCase], policy: SupportPolicy) -> tuple[float, float]:
    """(share of supported cases accepted, share of unsupported cases accepted)."""

    def accepted(c: SupportCase) -> bool:
        return c.similarity >= policy.sim_strong or (
            c.similarity >= policy.sim_min and c.lexical >= policy.lexical_min
        )

    good = [c for c in cases if c.supported]
    bad = [c for c in cases if not c.supported]
    return (
        sum(map(accepted, good)) / max(1, len(good)),
        sum(map(accepted, bad)) / max(1, len(bad)),
    )


def show_support(cases: Sequence[SupportCase]) -> None:
    rows = []
    for strong in (0.86, 0.88, 0.90, 0.92):
        for low in (0.80, 0.82, 0.84):
            policy = SupportPolicy(sim_strong=strong, sim_min=low, lexical_min=0.5)
            accept, false_accept = support_rates(cases, policy)
            rows.append([f"strong {strong} min {low}", accept, false_accept])
    quantiles = {
        kind: np.percentile([c.similarity for c in cases if c.supported is kind], [5, 50, 95])
        for kind in (True, False)
    }
    print_table("Support thresholds (translation pairs)", ("policy", "accepted", "false"), rows)
    for kind, q in quantiles.items():
        label = "translation" if kind else "other passage"
        print(f"{label}: cosine p5/p50/p95 = {q[0]:.3f} / {q[1]:.3f} / {q[2]:.3f}")
    write_json("answer-support.json", [asdict(c) for c in cases])


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
