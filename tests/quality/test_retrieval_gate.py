"""Retrieval quality gate: hybrid search must stay above the floors in floors.json.

CI-sized sets (cold embedding cache: about 2,600 passages to embed, a few minutes on
2 cores): the French Debian FAQ in full, 300 Wikipedia articles and 100 queries per
language, and the hand-written Debian handbook questions over both handbook trees.
The full benchmark is ``python -m bench.retrieval``. Passage vectors are cached in
``$CALANQUE_BENCH_CACHE`` (default ``~/.cache/calanque-bench``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.retrieval import SINGLE, Metrics, SetReport, default_embedder, evaluate_set
from tests.quality.datasets import (
    EvalSet,
    debian_questions,
    debian_set,
    faq_set,
    handbook_dir,
    handbook_page,
    wiki_set,
)

from calanque.embed.cache import CachedEmbedder
from calanque.index.retriever import RetrievalConfig

pytestmark = pytest.mark.quality

FLOORS_FILE = Path(__file__).with_name("floors.json")
CI_SETS: dict[str, Callable[[], EvalSet]] = {
    "faq-fr": lambda: faq_set("fr"),
    "wiki-fr": lambda: wiki_set("fr", corpus_size=300, queries=100),
    "wiki-en": lambda: wiki_set("en", corpus_size=300, queries=100),
    "debian": debian_set,
}


def retrieval_floors() -> dict[str, Any]:
    return json.loads(FLOORS_FILE.read_text(encoding="utf-8"))["retrieval"]


# -- the hand-written question set is what it claims to be -------------------------------


def test_question_set_has_the_promised_shape() -> None:
    questions = debian_questions()
    answerable = [q for q in questions if q.answerable]
    by_lang = Counter(q.lang for q in answerable)
    unanswerable_langs = Counter(q.lang for q in questions if not q.answerable)
    assert len(answerable) >= 40 and by_lang["fr"] >= 20 and by_lang["en"] >= 20
    assert sum(q.cross_lingual for q in answerable) >= 8
    assert {q.lang for q in answerable if q.cross_lingual} == {"fr", "en"}
    assert sum(unanswerable_langs.values()) >= 6 and set(unanswerable_langs) == {"fr", "en"}
    assert len({q.id for q in questions}) == len(questions)


def test_every_key_fact_is_in_its_gold_pages() -> None:
    missing = []
    for q in debian_questions():
        if not q.answerable:
            assert not q.gold_pages and not q.key_fact
            continue
        assert q.gold_pages and q.key_fact, q.id
        for tree in q.gold_trees:
            for page in q.gold_pages:
                assert (handbook_dir(tree) / page).is_file(), f"{q.id}: no {tree}/{page}"
                if q.key_fact not in handbook_page(tree, page).text:
                    missing.append(f"{q.id}: {q.key_fact!r} not in {tree}/{page}")
    assert not missing, "\n".join(missing)


def test_faq_set_pairs_questions_with_their_answers() -> None:
    eval_set = faq_set("fr")
    assert len(eval_set.queries) >= 110
    assert all(q.text.endswith("?") for q in eval_set.queries)
    docs = {d.doc_id: d for d in eval_set.docs}
    for query in eval_set.queries:
        (gold,) = query.gold_keys
        assert query.text not in docs[gold].document.text  # the heading is not in its answer


def test_wiki_subsets_are_deterministic_and_nested() -> None:
    small, large = wiki_set("fr", 50, 10), wiki_set("fr", 100, 10)
    assert [d.doc_id for d in small.docs] == [d.doc_id for d in large.docs[:50]]
    assert [q.text for q in small.queries] == [q.text for q in large.queries]
    assert all(q.gold_keys <= {d.key for d in small.docs} for q in small.queries)


# -- the gate ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedder() -> Iterator[CachedEmbedder]:
    cached = default_embedder()
    yield cached
    cached.close()


@pytest.fixture(scope="module")
def reports(embedder: CachedEmbedder) -> dict[str, SetReport]:
    return {}


def _report(name: str, embedder: CachedEmbedder, reports: dict[str, SetReport]) -> SetReport:
    if name not in reports:
        reports[name] = evaluate_set(CI_SETS[name](), embedder, RetrievalConfig(), tune=False)
    return reports[name]


def _show(report: SetReport) -> str:
    lines = [f"{report.name} ({report.queries} queries, {report.chunks} chunks)"]
    rows = list(report.methods.items()) + [
        (f"{m} cross-lingual", v) for m, v in report.cross_lingual.items()
    ]
    for method, m in rows:
        lines.append(f"  {method:28} nDCG {m.ndcg:.3f}  MRR {m.mrr:.3f}  R@10 {m.recall:.3f}")
    return "\n".join(lines)


def _below(measured: Metrics, floor: dict[str, float], label: str) -> list[str]:
    return [
        f"{label} {metric} {getattr(measured, metric):.3f} < floor {value:.3f}"
        for metric, value in floor.items()
        if getattr(measured, metric) < value
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CI_SETS))
def test_hybrid_stays_above_the_floors(
    name: str, embedder: CachedEmbedder, reports: dict[str, SetReport]
) -> None:
    report = _report(name, embedder, reports)
    print("\n" + _show(report))
    floors = retrieval_floors()["sets"][name]
    failures = []
    for method, floor in floors.get("methods", {}).items():
        failures += _below(report.methods[method], floor, method)
    for method, floor in floors.get("cross_lingual", {}).items():
        failures += _below(report.cross_lingual[method], floor, f"{method} cross-lingual")
    assert not failures, "\n".join(failures) + "\n" + _show(report)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CI_SETS))
def test_default_mode_is_at_least_the_best_single_method(
    name: str, embedder: CachedEmbedder, reports: dict[str, SetReport]
) -> None:
    report = _report(name, embedder, reports)
    epsilon = retrieval_floors()["epsilon"]
    default = report.methods[RetrievalConfig().mode]
    best_method = max(SINGLE, key=lambda m: report.methods[m].ndcg)
    best = report.methods[best_method]
    assert default.ndcg >= best.ndcg - epsilon, (
        f"{name}: default mode {RetrievalConfig().mode} nDCG@10 {default.ndcg:.3f} is below "
        f"{best_method} {best.ndcg:.3f} - {epsilon}: retune the fusion defaults "
        f"(python -m bench.retrieval)\n{_show(report)}"
    )
