"""Where the lexical search's time goes at scale: tantivy's top-k alone, by query.

Over an index built by ``bench/search.py`` (``--size``, default 1,000,000 chunks) and its
200 real questions, each query's tantivy search (the ``LexicalStore`` query, top-k,
``count=False``: the call ``Retriever`` makes, without the stored documents' fetch) is
timed alone on one thread, every variant in turn for each query, twice over the questions
after 20 warm-up queries. Variants: the shipped query; other top-k; the query without the
folded ``text`` field, without the title and heading fields, or with the stemmed text
fields only; terms found in more than 10 % or 5 % of the chunks dropped (20 % shipped); every
term kept, or at most 8 or 12 per field, the rarest (16 shipped); the question's function
words kept (left out since 2026-12-07).
A second table sorts the shipped queries by their number of term clauses (a question's
words under each field's analyzer). What each variant costs in answers is measured by
``bench/answer.py`` (docs/benchmarks.md, "Seventeenth round").

    python -m bench.search --sizes 1000000 --reuse --build-only   # once (about 25 min)
    python -m bench.lexical_cost [--size 1000000] [--markdown]

Writes ``bench/out/lexical-cost.json``.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from bench._common import console, print_table, write_json
from bench.search import _markdown, index_folder, load_average, load_queries, open_index

from calanque.index._lexical import (
    COMMON_TERM_SHARE,
    DEFAULT_FIELD_BOOSTS,
    DROP_FUNCTION_WORDS,
    MAX_FIELD_TERMS,
)

WARMUP = 20
REPEATS = 2
BUCKETS = {0: "0-19", 20: "20-44", 45: "45-79", 80: "80+"}  # term clauses, from: label


@dataclass(frozen=True)
class Variant:
    name: str
    k: int = 50
    fields: tuple[str, ...] = tuple(DEFAULT_FIELD_BOOSTS)
    common_share: float = COMMON_TERM_SHARE
    max_terms: int | None = MAX_FIELD_TERMS
    function_words: bool = not DROP_FUNCTION_WORDS  # kept in the query


VARIANTS = (
    Variant(
        "shipped (top-50, five fields, common share 0.2, 16 terms per field, "
        "function words left out)"
    ),
    Variant("function words kept (as before 2026-12-07)", function_words=True),
    Variant("top-30", k=30),
    Variant("top-20", k=20),
    Variant("without the folded text field", fields=("text_fr", "text_en", "meta_fr", "meta_en")),
    Variant("without title and heading fields", fields=("text_fr", "text_en", "text")),
    Variant("stemmed text fields only", fields=("text_fr", "text_en")),
    Variant("common share 0.1", common_share=0.1),
    Variant("common share 0.05", common_share=0.05),
    Variant("every term (no cap per field)", max_terms=None),
    Variant("at most 8 terms per field (the rarest)", max_terms=8),
    Variant("at most 12 terms per field", max_terms=12),
)


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and max of ``values``."""
    p50, p95 = np.percentile(np.asarray(values, dtype=float), [50, 95])
    return float(p50), float(p95), float(max(values))


def bucket_of(clauses: int) -> str:
    """The clause-count range that ``clauses`` falls in (``"20-44"``, ``"80+"``)."""
    return BUCKETS[max(low for low in BUCKETS if low <= clauses)]


def _query(lex: Any, text: str, variant: Variant) -> Any:
    """The variant's tantivy query for ``text``."""
    lex.field_boosts = {f: DEFAULT_FIELD_BOOSTS[f] for f in variant.fields}
    lex.common_term_share = variant.common_share
    lex.max_field_terms = variant.max_terms
    lex.drop_function_words = not variant.function_words
    try:
        return lex.text_query(text)
    finally:
        lex.field_boosts = dict(DEFAULT_FIELD_BOOSTS)
        lex.common_term_share = COMMON_TERM_SHARE
        lex.max_field_terms = MAX_FIELD_TERMS
        lex.drop_function_words = DROP_FUNCTION_WORDS


def _clauses(lex: Any, text: str) -> int:
    """Term clauses of the shipped query: each field's terms."""
    return sum(len(terms) for terms in lex.query_terms(text).values())


def measure(size: int) -> dict[str, Any]:
    index = open_index(index_folder(size))
    lex = index._lexical
    searcher = lex.index.searcher()
    queries = load_queries(200)
    built = {v.name: [_query(lex, q, v) for q in queries] for v in VARIANTS}
    clauses = [_clauses(lex, q) for q in queries]
    shipped = built[VARIANTS[0].name]
    for query in shipped[:WARMUP]:
        searcher.search(query, 50, count=False)
    timings: dict[str, list[float]] = defaultdict(list)
    by_length: dict[str, list[float]] = defaultdict(list)
    load_before = load_average()
    for _ in range(REPEATS):
        for i in range(len(queries)):
            for variant in VARIANTS:
                query = built[variant.name][i]
                t0 = time.perf_counter()
                searcher.search(query, variant.k, count=False)
                ms = 1000.0 * (time.perf_counter() - t0)
                timings[variant.name].append(ms)
                if variant is VARIANTS[0]:
                    by_length[bucket_of(clauses[i])].append(ms)
    return {
        "size": size,
        "queries": len(queries),
        "variants": {name: percentiles(v) for name, v in timings.items()},
        "by_clauses": {
            label: {
                "queries": len(by_length[label]) // REPEATS,
                "p50_p95_max": percentiles(by_length[label]),
            }
            for label in BUCKETS.values()
            if by_length[label]
        },
        "load": [load_before, load_average()],
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def report(result: dict[str, Any], markdown: bool) -> None:
    tables = [
        (
            f"tantivy alone at {result['size']:,} chunks (ms)",
            ["variant", "p50", "p95", "max"],
            [[name, *(f"{x:.2f}" for x in ms)] for name, ms in result["variants"].items()],
        ),
        (
            "the shipped query by its term clauses (ms)",
            ["clauses", "queries", "p50", "p95", "max"],
            [
                [name, str(v["queries"]), *(f"{x:.2f}" for x in v["p50_p95_max"])]
                for name, v in result["by_clauses"].items()
            ],
        ),
    ]
    for title, columns, rows in tables:
        print_table(title, columns, rows)
        if markdown:
            _markdown(columns, rows)
    console.print(f"load average before, after: {result['load']}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    folder = index_folder(args.size)
    if not (folder / "meta.json").exists():
        parser.error(
            f"no index in {folder}: run "
            f"`python -m bench.search --sizes {args.size} --reuse --build-only` first"
        )
    result = measure(args.size)
    write_json("lexical-cost.json", result)
    report(result, args.markdown)


if __name__ == "__main__":
    main()
