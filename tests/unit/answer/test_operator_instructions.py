"""A space's instructions reach the generative prompt after the rules, which always win."""

from __future__ import annotations

from calanque.answer.prompt import build_messages


def test_instructions_follow_the_rules_and_never_replace_them() -> None:
    plain = build_messages("How?", [], "en")
    told = build_messages("How?", [], "en", instructions="Answer formally.")
    system = told[0]["content"]
    assert system.startswith(plain[0]["content"])
    assert "<operator_instructions>\nAnswer formally.\n</operator_instructions>" in system
    assert "rules 1 to 6, which always win" in system
    assert told[1] == plain[1]
