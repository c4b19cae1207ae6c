"""``python -m bench.answer --domains … --writer openai``: the per-domain table for a real
model at a configured OpenAI-compatible endpoint.

No model ships offline, so the endpoint here is a real HTTP server on 127.0.0.1 that
speaks the OpenAI protocol and plays a model that copies the passages' closest sentences
and plants one altered sentence per answer (:class:`bench.scripted_writer.PlantingModel`).
The run goes through the path an operator's model takes: the environment variables, the
generative writer, the claim verifier, on the gate's held-out wiki site.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.answer import main
from bench.answer_domains import evaluate, summarise_half
from bench.domains import load_domain
from bench.scripted_writer import PlantingModel, leaks

pytestmark = pytest.mark.quality


def test_the_configured_model_answers_and_its_planted_sentences_are_not_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = PlantingModel()
    try:
        monkeypatch.setenv("CALANQUE_BENCH_LLM_BASE_URL", model.url)
        monkeypatch.setenv("CALANQUE_BENCH_LLM_MODEL", "planted")
        domain = load_domain("wiki", half="held-out")
        result = evaluate(domain, halves=("held-out",), writer="openai")
    finally:
        model.close()
    half = result.halves["held-out"]
    questions = domain.halves()["held-out"]
    assert len(model.scripts) >= sum(o.answered for o in half.outcomes) > 0
    answers = {q.question: o.answer for q, o in zip(questions, half.outcomes, strict=True)}
    shown = leaks(model.scripts, answers)
    assert shown.planted > 0 and shown.shown == 0, shown
    assert shown.kept > 0, shown  # the model's faithful sentences reach the reader
    summary = summarise_half(half)
    assert summary.questions.citation_precision == 1.0, summary
    assert summary.turns is not None and summary.rewrite is not None, summary


@pytest.mark.parametrize("writer", ["extractive", "openai"])
def test_the_command_writes_each_writers_table(
    writer: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``python -m bench.answer --domains wiki --gate [--writer openai]`` as an operator runs
    it: the table's file is written, one per writer, with the held-out half's figures."""
    import bench._common

    monkeypatch.setattr(bench._common, "OUT_DIR", tmp_path)
    model = PlantingModel()
    try:
        monkeypatch.setenv("CALANQUE_BENCH_LLM_BASE_URL", model.url)
        if writer == "extractive":
            monkeypatch.delenv("CALANQUE_BENCH_LLM_BASE_URL")
        main(["--domains", "wiki", "--gate", "--writer", writer])
    finally:
        model.close()
    suffix = "" if writer == "extractive" else f"-{writer}"
    written = json.loads((tmp_path / f"answer-domains-gate{suffix}.json").read_text())
    measured = written["wiki"]["halves"]["held-out"]["questions"]
    assert measured["questions"] > 20 and measured["citation_precision"] == 1.0, measured
    assert bool(model.scripts) == (writer == "openai")
