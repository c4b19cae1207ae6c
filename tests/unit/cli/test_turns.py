"""What `ask` shows under an answer: its related questions under a heading in its language."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from calanque.cli import turns
from calanque.types import Answer, Citation, SearchResult


def shown(answer: Answer, monkeypatch: pytest.MonkeyPatch) -> str:
    buffer = io.StringIO()
    monkeypatch.setattr(turns, "out", Console(file=buffer, width=100, color_system=None))
    turns.show_sources(answer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("language", "heading"), [("fr", "Pour aller plus loin"), ("en", "Related")]
)
def test_related_questions_are_headed_in_the_answer_language(
    language: str, heading: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = Answer("q", "a", True, language, related_questions=["Où est le fichier ?"])
    text = shown(answer, monkeypatch)
    assert f"\n{heading}\n" in text and "• Où est le fichier ?" in text


def test_every_quote_of_a_source_is_shown_in_the_answers_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def cited(quote: str) -> Citation:
        return Citation(1, "http://h/apt.html", "APT", quote, 0, 1, f"http://h/#{quote}", True)

    answer = Answer(
        "q",
        "a",
        True,
        "en",
        citations=[cited("apt update downloads the lists."), cited("apt clean empties the cache.")],
        search_results=[SearchResult("http://h/apt.html", "APT", "")],
    )
    text = shown(answer, monkeypatch)
    first, second = text.index("« apt update downloads"), text.index("« apt clean empties")
    assert text.index("[1] APT") < first < second
