"""Answer latency with sentence vectors precomputed at index time, or embedded on first use.

For each domain's questions (both halves), in one process, alternated question by question
so that a shared machine's load falls on both alike:

* precomputed: the corpus's sentence store holds every chunk's sentence vectors (what
  ``index.precompute_sentences = true`` builds at index time);
* first use: a store that starts empty and keeps what it embeds, as a fresh install with
  ``index.precompute_sentences = false`` (the sentences of the passages an answer reads are
  embedded then, by the model itself, once, and looked up afterwards).

Which of the two answers a question first alternates (the second finds the catalog's and
the index's pages in memory).

Both answers must be the same (the vectors are the same); the table gives p50 / p95 / max
latency of each and the sentences embedded on first use.

    python -m bench.sentence_latency [--domains debian,wiki,history,debian_more]

Writes ``bench/out/sentence-latency.json``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench._common import Stopwatch, console, print_table, write_json
from bench.answer import LATENCY_WARMUP, Corpus, open_domain
from bench.domains import Asked, load_domain

from calanque.answer.engine import AnswerEngine
from calanque.answer.vectors import SentenceVectorStore
from calanque.runtime import make_writer

COLUMNS = (
    "domain",
    "questions",
    "mode",
    "p50 ms",
    "p95 ms",
    "max ms",
    "sentences embedded",
    "same answers",
)


@dataclass
class Timings:
    warm: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)
    same: int = 0
    embedded: int = 0


def engine_with(corpus: Corpus, store: SentenceVectorStore) -> AnswerEngine:
    """The corpus's engine, reading sentence vectors from ``store``.

    Its sentences are embedded by the bare model: through the corpus's passage cache they
    would be found there (every sentence the benchmarks ever embedded is), not embedded.
    """
    settings, model = corpus.settings.answer, corpus.embedder.inner
    writer = make_writer(settings, model, store, "not-needed")
    return AnswerEngine(corpus.retriever, corpus.catalog, model, settings, writer, store=store)


def timed_answer(engine: AnswerEngine, corpus: Corpus, question: Asked) -> tuple[float, str]:
    started = time.perf_counter()
    answer = engine.answer(question.question, filters=corpus.filters(question))
    return time.perf_counter() - started, answer.answer


def measure_domain(name: str) -> Timings:
    domain = load_domain(name)
    corpus = open_domain(domain, precompute=True)
    cold_store = SentenceVectorStore(None)  # in memory, empty: a fresh install
    try:
        warm, cold = corpus.engine(), engine_with(corpus, cold_store)
        for text in LATENCY_WARMUP:  # loads the model; the same questions for both
            warm.answer(text)
            cold.answer(text)
        cold_store.embedded = 0
        timings = Timings()
        questions = [q for half in domain.halves().values() for q in half]
        for number, question in enumerate(questions):
            if number % 2:  # whichever runs second finds the catalog and index pages cached
                cold_s, cold_text = timed_answer(cold, corpus, question)
                warm_s, warm_text = timed_answer(warm, corpus, question)
            else:
                warm_s, warm_text = timed_answer(warm, corpus, question)
                cold_s, cold_text = timed_answer(cold, corpus, question)
            timings.warm.append(warm_s)
            timings.cold.append(cold_s)
            timings.same += warm_text == cold_text
        timings.embedded = cold_store.embedded
    finally:
        corpus.close()
    return timings


def rows_of(name: str, t: Timings) -> list[list[object]]:
    rows = []
    for mode, samples, embedded in (("precomputed", t.warm, 0), ("first use", t.cold, t.embedded)):
        watch = Stopwatch(samples)
        rows.append(
            [
                name,
                len(samples),
                mode,
                watch.percentile_ms(50),
                watch.percentile_ms(95),
                1000 * max(samples),
                embedded,
                f"{t.same}/{len(samples)}",
            ]
        )
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", default="debian,wiki,history,debian_more")
    args = parser.parse_args(argv)
    rows: list[list[object]] = []
    results: dict[str, object] = {"load_average_start": os.getloadavg()}
    for name in args.domains.split(","):
        timings = measure_domain(name.strip())
        rows += rows_of(name, timings)
        results[name] = vars(timings)
    results["load_average_end"] = os.getloadavg()
    print_table(
        "Answer latency: sentence vectors precomputed or embedded on first use",
        COLUMNS,
        rows,
        width=150,
    )
    console.print(f"load average {results['load_average_start']} → {results['load_average_end']}")
    console.print(f"wrote {write_json('sentence-latency.json', results)}")


if __name__ == "__main__":
    main()
