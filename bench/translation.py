"""The corpus's words as a bridge between languages (index/words.py): what it gains, what it costs.

    python -m bench.translation                         # four domains, both halves, latency
    python -m bench.translation --cuts 0.86,0.9,0.92,0.94  # the cosine cut, tune halves only
    python -m bench.translation --lexicon off,known,first,only  # lexicon and vectors, tune

For each domain's corpus (built or reused as in :mod:`bench.answer`) and half, the page
MRR, R@1 and cross-lingual MRR of the answerable questions (hybrid+rescore top 10) with
translation off and on, in the same run; then search and answer latency, off and on
interleaved, with the query embedded each time (an empty query cache per search and per
answer). ``--cuts`` scores each cosine cut by the sum of the tune halves' MRR (the held-out
halves never choose). The CPU is named with every table.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
from bench._common import console, print_table, write_json
from bench.abstention import normalise
from bench.answer import Corpus, open_domain
from bench.domains import DOMAINS, HALVES, key_facts, load_domain
from bench.embed import cpu_description

import calanque.index.words as words
from calanque.embed.cache import CachedEmbedder
from calanque.index.retriever import Retriever
from calanque.types import SearchFilters

LATENCY_ROUNDS = 3


@dataclass(frozen=True)
class Ranks:
    mrr: float
    at_1: int
    asked: int
    cross_mrr: float
    cross_asked: int
    fact_mrr: float = 0.0  # the first passage holding the key fact (long single pages)


def ranks(corpus: Corpus, half: str, translate: bool) -> Ranks:
    """Page ranks of one half's answerable questions, translation off or on."""
    base = corpus.retriever
    retriever = Retriever(base.index, base.embedder, replace(base.config, translate=translate))
    reciprocal: list[float] = []
    cross: list[float] = []
    facts: list[float] = []
    for q in corpus.domain.halves()[half]:
        if not q.answerable or not q.gold_pages:
            continue
        hits = retriever.search(q.question, k=10, filters=corpus.filters(q))
        rank = next(
            (i for i, h in enumerate(hits) if corpus.domain.is_gold(h.url, q.gold_pages)), None
        )
        value = 0.0 if rank is None else 1 / (rank + 1)
        reciprocal.append(value)
        if q.kind == "cross-lingual":
            cross.append(value)
        wanted = [normalise(f) for f in key_facts(q) if f]
        fact = next(
            (i for i, h in enumerate(hits) if any(f in normalise(h.text) for f in wanted)), None
        )
        facts.append(0.0 if fact is None else 1 / (fact + 1))
    return Ranks(
        mrr=float(np.mean(reciprocal)) if reciprocal else 0.0,
        at_1=sum(v == 1.0 for v in reciprocal),
        asked=len(reciprocal),
        cross_mrr=float(np.mean(cross)) if cross else 0.0,
        cross_asked=len(cross),
        fact_mrr=float(np.mean(facts)) if facts else 0.0,
    )


def latency(corpus: Corpus) -> dict[str, dict[bool, list[float]]]:
    """Search and answer milliseconds, off and on interleaved, each query embedded afresh
    (a new query cache for every search and every answer)."""
    base = corpus.retriever
    questions = corpus.domain.halves()["tune"]
    times: dict[str, dict[bool, list[float]]] = {
        "search": {False: [], True: []},
        "answer": {False: [], True: []},
    }
    try:
        for round_ in range(LATENCY_ROUNDS):
            for q in questions:
                for translate in (False, True) if round_ % 2 == 0 else (True, False):
                    embedder = CachedEmbedder(corpus.embedder.inner, corpus.embedder.cache)
                    config = replace(base.config, translate=translate)
                    retriever = Retriever(base.index, embedder, config)
                    filters = corpus.filters(q) or SearchFilters()
                    started = time.perf_counter()
                    retriever.search(q.question, k=6, filters=filters)
                    times["search"][translate].append((time.perf_counter() - started) * 1000)
                    corpus.retriever = retriever
                    engine = corpus.engine(fresh=True)
                    started = time.perf_counter()
                    engine.answer(q.question, filters=corpus.filters(q))
                    times["answer"][translate].append((time.perf_counter() - started) * 1000)
    finally:
        corpus.retriever = base
    return times


@contextmanager
def word_setting(name: str, value: object) -> Iterator[None]:
    """``calanque.index.words.<name>`` set to ``value`` for the block."""
    kept = getattr(words, name)
    setattr(words, name, value)
    try:
        yield
    finally:
        setattr(words, name, kept)


def lexicon_modes(names: Sequence[str], values: Sequence[str]) -> dict[str, object]:
    """Page MRR of the tune halves (and of their cross-lingual questions) by the way the
    lexicon and the vectors share the translation (words.LEXICON_MODE)."""
    rows, data = [], {}
    totals = dict.fromkeys(values, 0.0)
    fact_totals = dict.fromkeys(values, 0.0)
    for name in names:
        corpus = open_domain(load_domain(name), precompute=False)
        try:
            cells = []
            for value in values:
                with word_setting("LEXICON_MODE", value):
                    result = ranks(corpus, "tune", True)
                totals[value] += result.mrr * result.asked
                fact_totals[value] += result.fact_mrr * result.asked
                data[f"{name} {value}"] = result.__dict__
                cells.append(f"{result.mrr:.3f} ({result.cross_mrr:.3f}) {result.fact_mrr:.3f}")
            rows.append((name, *cells))
        finally:
            corpus.close()
    sums = (f"{totals[v]:.2f}, {fact_totals[v]:.2f}" for v in values)
    rows.append(("Σ MRR, Σ fact MRR", *sums))
    print_table(
        "Page MRR (cross-lingual page MRR), key-fact passage MRR, tune halves, by lexicon mode",
        ("domain", *values),
        rows,
    )
    return {"modes": data, "totals": totals, "fact_totals": fact_totals}


def compare(names: Sequence[str]) -> dict[str, object]:
    rows, timing, data = [], [], {}
    for name in names:
        corpus = open_domain(load_domain(name), precompute=False)
        try:
            for half in HALVES:
                off, on = ranks(corpus, half, False), ranks(corpus, half, True)
                data[f"{name} {half}"] = {"off": off.__dict__, "on": on.__dict__}
                rows.append(
                    (
                        f"{name} ({half})",
                        f"{off.mrr:.3f} → {on.mrr:.3f}",
                        f"{off.at_1} → {on.at_1} of {on.asked}",
                        f"{off.cross_mrr:.3f} → {on.cross_mrr:.3f} ({on.cross_asked})",
                    )
                )
            times = latency(corpus)
            timing.append(
                (
                    name,
                    *(
                        f"{np.percentile(times[kind][t], 50):.1f} / "
                        f"{np.percentile(times[kind][t], 95):.1f}"
                        for kind in ("search", "answer")
                        for t in (False, True)
                    ),
                )
            )
            data[f"{name} latency_ms"] = {
                f"{kind} {'on' if t else 'off'}": times[kind][t]
                for kind in ("search", "answer")
                for t in (False, True)
            }
        finally:
            corpus.close()
    cpu = cpu_description()
    print_table(
        f"Page ranks, translation off → on (hybrid+rescore top 10) — {cpu['model']}",
        ("domain (half)", "MRR", "R@1", "cross-lingual MRR"),
        rows,
    )
    print_table(
        f"p50 / p95 ms, query embedded each time — {cpu['model']} ({' '.join(cpu['flags'])})",
        ("domain", "search off", "search on", "answer off", "answer on"),
        timing,
    )
    return {"cpu": cpu, **data}


def cuts(names: Sequence[str], values: Sequence[float]) -> dict[str, object]:
    totals = {value: 0.0 for value in values}
    off = 0.0
    for name in names:
        corpus = open_domain(load_domain(name), precompute=False)
        try:
            result = ranks(corpus, "tune", False)
            off += result.mrr * result.asked
            for value in values:
                with word_setting("TRANSLATION_COSINE", value):
                    result = ranks(corpus, "tune", True)
                totals[value] += result.mrr * result.asked
        finally:
            corpus.close()
    rows = [("off", f"{off:.2f}")] + [(f"{v:.2f}", f"{t:.2f}") for v, t in totals.items()]
    print_table("Σ reciprocal rank, tune halves, by cosine cut", ("cut", "Σ MRR"), rows)
    return {"off": off, "cuts": {str(v): t for v, t in totals.items()}}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--domains", default=",".join(DOMAINS))
    parser.add_argument("--cuts", default="", help="cosine cuts to score on the tune halves")
    parser.add_argument(
        "--lexicon", default="", help="lexicon modes to score on the tune halves (off,known,…)"
    )
    args = parser.parse_args(argv)
    names = [n for n in args.domains.split(",") if n]
    values = [float(v) for v in args.cuts.split(",") if v]
    modes = [m for m in args.lexicon.split(",") if m]
    if modes:
        result = lexicon_modes(names, modes)
    else:
        result = cuts(names, values) if values else compare(names)
    console.print(f"wrote {write_json('translation.json', result)}")


if __name__ == "__main__":
    main()
