"""The users' trial sets (``tests/quality/sets/trials/``) that ``python -m bench.manual``
asks: each question scorable, each group as the benchmark's table counts it."""

from __future__ import annotations

import json

import pytest
from bench.manual import TRIALS


@pytest.mark.parametrize("name", sorted(TRIALS))
def test_a_trial_set_holds_scorable_questions_of_every_group(name: str) -> None:
    trial = TRIALS[name]
    questions = json.loads(trial.questions.read_text(encoding="utf-8"))["questions"]
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids)), "question ids must be unique"
    assert {i[0] for i in ids} == set(trial.groups)
    for q in questions:
        assert q["lang"] in ("en", "fr"), q["id"]
        if q["id"].startswith("U"):
            assert q["kind"] == "unans" and q["expect"] == [], q["id"]
        else:
            assert q["kind"] == "ans" and q["expect"], q["id"]
            assert all(group and all(alt.strip() for alt in group) for group in q["expect"])
        if q["id"].startswith("F"):
            assert q["lang"] == "fr", q["id"]
        if q["id"].startswith("E"):
            assert q["lang"] == "en", q["id"]
