"""Search defaults chosen on the tune halves of every domain, reported on the held-out halves.

    python -m bench.retrieval_domains                      # debian,wiki,history,debian_more
    python -m bench.retrieval_domains --domains wiki,history

Each domain's corpus is built (or reused) as in :mod:`bench.answer_domains`. A grid of
:class:`~calanque.index.retriever.RetrievalConfig` values (RRF constant, lexical weight,
candidates per method, rescoring share) is run over the answerable questions of every
domain's **tune** half; the score of a configuration is pooled page recall@10 plus pooled
cross-lingual recall@10 (a French question whose gold page is English, or the reverse).
The best configuration (ties: the one nearest the current defaults) is then measured on
the **held-out** halves next to the current defaults; the held-out half never chooses.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from bench._common import console, print_table, write_json
from bench.answer import Corpus, open_domain
from bench.answer_domains import recall_at_k
from bench.domains import load_domain

from calanque.index.retriever import RetrievalConfig, Retriever

GRID = {
    "rrf_k": (10.0, 20.0, 40.0),
    "lexical_weight": (0.6, 1.0, 1.5),
    "candidates": (50, 100),
    "rescore_weight": (0.7, 0.8, 0.9, 1.0),
}


@dataclass(frozen=True)
class Recall:
    found: int
    asked: int
    cross_found: int
    cross_asked: int

    @property
    def score(self) -> float:
        return self.found / max(1, self.asked) + self.cross_found / max(1, self.cross_asked)

    def __add__(self, other: Recall) -> Recall:
        return Recall(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


def astuple(recall: Recall) -> tuple[int, int, int, int]:
    return recall.found, recall.asked, recall.cross_found, recall.cross_asked


def measure(corpus: Corpus, half: str, config: RetrievalConfig) -> Recall:
    """Page recall@10 of one half's answerable questions under ``config``."""
    base = corpus.retriever
    corpus.retriever = Retriever(base.index, base.embedder, config)
    try:
        recalled = recall_at_k(corpus, corpus.domain.halves()[half])
    finally:
        corpus.retriever = base
    cross = [r for r in recalled if r.cross_lingual]
    return Recall(
        sum(r.found for r in recalled), len(recalled), sum(r.found for r in cross), len(cross)
    )


def configurations(default: RetrievalConfig) -> list[RetrievalConfig]:
    """The grid, nearest the defaults first (so that ties keep what is there)."""
    names = list(GRID)
    configs = [
        replace(default, **dict(zip(names, values, strict=True)))
        for values in itertools.product(*GRID.values())
    ]

    def distance(config: RetrievalConfig) -> int:
        return sum(getattr(config, n) != getattr(default, n) for n in names)

    return sorted(configs, key=distance)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", default="debian,wiki,history,debian_more")
    args = parser.parse_args(argv)
    corpora = [open_domain(load_domain(n.strip())) for n in args.domains.split(",")]
    try:
        default = corpora[0].retriever.config
        grid = configurations(default)
        with console.status(f"{len(grid)} configurations on the tune halves") as status:
            tune: dict[RetrievalConfig, Recall] = {}
            for i, config in enumerate(grid, start=1):
                status.update(f"configuration {i}/{len(grid)} on the tune halves")
                tune[config] = sum(
                    (measure(c, "tune", config) for c in corpora), Recall(0, 0, 0, 0)
                )
        best = max(grid, key=lambda c: tune[c].score)  # max keeps the first of equals
        rows, results = [], {"grid": GRID, "chosen": asdict(best), "default": asdict(default)}
        for label, config in (("default", default), ("chosen on tune", best)):
            for corpus in corpora:
                for half in ("tune", "held-out"):
                    r = measure(corpus, half, config)
                    rows.append(
                        [label, corpus.domain.name, half, f"{r.found}/{r.asked}",
                         round(r.found / max(1, r.asked), 3),
                         f"{r.cross_found}/{r.cross_asked}",
                         round(r.cross_found / max(1, r.cross_asked), 3)]
                    )  # fmt: skip
                    results[f"{label}/{corpus.domain.name}/{half}"] = asdict(r)
        changed = {n: getattr(best, n) for n in GRID if getattr(best, n) != getattr(default, n)}
        console.print(f"chosen on the tune halves: {changed or 'the current defaults'}")
        print_table(
            "Page recall@10 per domain and half",
            ("config", "domain", "half", "found", "recall@10", "x-ling found", "x-ling recall@10"),
            rows,
        )
        console.print(f"wrote {write_json('retrieval-domains.json', results)}")
    finally:
        for corpus in corpora:
            corpus.close()


if __name__ == "__main__":
    main()
