"""When to answer: the extractive writer's abstention policy, chosen on the tune halves.

For every question of the tune halves of the answer domains (all nine by default), the
extractive writer's draft is computed once with the shipped
selection weights: its :class:`~calanque.answer.extractive.Evidence` and whether the draft
holds the key fact. :func:`~calanque.answer.extractive.decide_answered` is then replayed
over a grid of :class:`~calanque.answer.extractive.AbstentionPolicy` values (it only reads
the evidence), and the cells are ranked by key fact + abstention on the tune halves. The
held-out halves are never read here.

    python -m bench.abstention                    # grid on the tune halves of every domain
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bench._common import console, print_table, write_json
from bench.answer import open_domain
from bench.domains import DOMAINS, key_facts, load_domain

from calanque.answer.extractive import AbstentionPolicy, Evidence, decide_answered
from calanque.answer.language import question_language
from calanque.answer.passages import build_passages

# The shipped cell sat on the grid's lower edge of four fields (2026-12-05, eight domains):
# the grid reaches below it there.
GRID = {
    "coverage_min": (0.5, 0.6, 0.7, 0.8),
    "coverage_weak": (0.1, 0.2, 0.3, 0.4),
    "margin_min": (0.02, 0.03, 0.04, 0.06, 0.08),
    "sentence_coverage_weak": (0.1, 0.2, 1 / 3),
    "dense_floor": (0.77, 0.80, 0.83, 0.85),
    "cross_lingual_dense": (0.80, 0.81, 0.83, 0.85),
}


@dataclass(frozen=True)
class Case:
    domain: str
    id: str
    answerable: bool
    evidence: Evidence
    holds_key_fact: bool  # the draft's text holds the key fact (if it is shown)


def normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def collect(names: Sequence[str]) -> list[Case]:
    cases = []
    for name in names:
        domain = load_domain(name)
        corpus = open_domain(domain, precompute=False)
        engine = corpus.engine()
        try:
            for q in domain.halves()["tune"]:
                language = question_language(q.question)
                hits = engine.retriever.search(
                    q.question, k=engine.settings.passages, filters=corpus.filters(q)
                )
                passages = build_passages(hits, corpus.catalog)
                vector = corpus.embedder.embed_query(q.question)
                translations = engine.retriever.translations(q.question)
                draft = engine.writer.write(  # type: ignore[union-attr]
                    q.question, language, passages, vector, translations
                )
                text = normalise(" ".join(s.text for s in draft.sentences))
                holds = any(normalise(f) in text for f in key_facts(q) if f)
                cases.append(Case(name, q.id, q.answerable, draft.evidence, holds))
        finally:
            corpus.close()
    return cases


@dataclass(frozen=True)
class Cell:
    policy: AbstentionPolicy
    key_fact: float
    abstention: float
    false_abstention: float

    right: int = 0  # answerable questions answered with the key fact + unanswerable refused
    total: int = 0

    @property
    def objective(self) -> float:
        """Questions handled right, each counting once (the goals weigh every question)."""
        return self.right / self.total if self.total else 0.0


def score(cases: Sequence[Case], policy: AbstentionPolicy) -> Cell:
    answerable = [c for c in cases if c.answerable]
    unanswerable = [c for c in cases if not c.answerable]
    answered = {c.id: decide_answered(c.evidence, policy) for c in cases}
    good = sum(answered[c.id] and c.holds_key_fact for c in answerable)
    refused = sum(not answered[c.id] for c in unanswerable)
    return Cell(
        policy,
        good / max(1, len(answerable)),
        refused / max(1, len(unanswerable)),
        sum(not answered[c.id] for c in answerable) / max(1, len(answerable)),
        good + refused,
        len(cases),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", default=",".join(DOMAINS))
    args = parser.parse_args(argv)
    cases = collect(args.domains.split(","))
    shipped = score(cases, AbstentionPolicy())
    cells = [
        score(cases, replace(AbstentionPolicy(), **dict(zip(GRID, values, strict=True))))
        for values in itertools.product(*GRID.values())
    ]
    cells.sort(key=lambda c: (c.objective, -c.false_abstention), reverse=True)
    rows = [
        [f"{c.policy}"[len("AbstentionPolicy(") : -1], c.objective, c.key_fact, c.abstention,
         c.false_abstention]
        for c in [shipped, *cells[:8]]
    ]  # fmt: skip
    print_table("Abstention policy on the tune halves (first row: shipped)",
                ["policy", "right", "key fact", "abstention", "false abst."], rows)  # fmt: skip
    console.print(f"{len(cases)} tune questions over {args.domains}")
    write_json(
        "abstention.json", [{"policy": str(c.policy), "objective": c.objective} for c in cells]
    )


if __name__ == "__main__":
    main()
