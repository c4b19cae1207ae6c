"""Soak: mixed traffic against a real ``calanque serve`` for a bounded time.

Starts ``calanque serve`` (one worker, rate limit off, private sources allowed: the fixture
site is on loopback) on a copy of an indexed home, then for ``--duration`` seconds runs
``--clients`` concurrent clients cycling through search, non-streamed answers and streamed
answers (extractive), while a crawl runs in the background over the API (``POST /v1/sources``
then ``POST /v1/crawl``) against a generated fixture site of a few dozen pages, one section
after another. Every loop is bounded in count and time.

Reports the errors (must be 0), the p95 latency of each 5-second window, the server's RSS
(process tree) sampled every second, and its growth after the warm-up (MB and MB/min: memory
must be flat). Prints rich tables, writes ``bench/out/soak.json`` and ``docs/img/soak.png``.

    python -m bench.soak                          # 60 s, 8 clients, the e2e test corpus
    python -m bench.soak --duration 30 --clients 8 --home ~/my-home
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
from bench._common import BENCH_DIR, OUT_DIR, print_table

sys.path.insert(0, str(BENCH_DIR.parent))  # tests.sites and tests.e2e.served

from bench.serve import QUESTIONS, free_port, tree_rss_mb  # noqa: E402

WINDOW_S = 5.0
REQUEST_TIMEOUT_S = 60.0
MAX_REQUESTS_PER_CLIENT = 100_000
KINDS = ("search", "answer", "stream")
_VOCABULARY = (
    "archive backup bridge buffer cache certificate cluster compiler config container "
    "cron daemon database debug disk domain driver editor encryption export filesystem "
    "firewall gateway graph group hash header host image index journal kernel keyring "
    "ledger library limit locale logger mailbox manifest mirror module monitor mount "
    "network package parser partition patch pipeline policy printer process profile proxy "
    "queue quota record registry release replica report resolver router sandbox scheduler "
    "schema script sensor server service session shell signal snapshot socket spool "
    "storage switch syslog table template terminal thread timer token tunnel upgrade "
    "volume watchdog widget worker zone "
)
WORDS = tuple(_VOCABULARY.split())


# ---- results -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    at_s: float  # since the start of the measured run
    kind: str  # search | answer | stream | crawl
    latency_s: float
    ok: bool


@dataclass(frozen=True)
class Window:
    start_s: float
    requests: int
    errors: int
    p95_ms: float
    rss_mb: float  # the last RSS sample in the window


@dataclass
class SoakResult:
    duration_s: float
    clients: int
    requests: int
    errors: int
    error_messages: list[str]
    by_kind: dict[str, dict[str, float]]
    windows: list[Window]
    rss: list[tuple[float, float]]  # (seconds, MB), every second
    warmup_s: float
    rss_after_warmup_mb: float
    rss_end_mb: float
    rss_growth_mb: float
    rss_growth_pct: float
    rss_slope_mb_per_min: float
    crawl: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---- the fixture site crawled during the run ---------------------------------------------------
def _paragraph(rng: random.Random, words: int = 45) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def soak_site_pages(sections: int, pages: int, seed: int = 7) -> dict[str, str]:
    """``sections`` sections of ``pages`` pages each; ``/s<k>/`` links its pages."""
    rng = random.Random(seed)
    site: dict[str, str] = {}
    for s in range(sections):
        names = [f"page{i}.html" for i in range(pages)]
        links = "".join(f'<li><a href="{n}">{n}</a></li>' for n in names)
        site[f"/s{s}/"] = f"<html><body><h1>Section {s}</h1><ul>{links}</ul></body></html>"
        for i, name in enumerate(names):
            body = "".join(f"<p>{_paragraph(rng)}</p>" for _ in range(3))
            site[f"/s{s}/{name}"] = (
                f'<!doctype html><html lang="en"><head><title>Soak {s}.{i} '
                f"{rng.choice(WORDS)}</title></head><body><main><article>"
                f"<h1>Soak page {s}.{i}</h1>{body}</article></main></body></html>"
            )
    return site


# ---- the server --------------------------------------------------------------------------
@dataclass
class ServerProcess:
    """A ``calanque serve`` subprocess; its stdout and stderr go to ``log_path``."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """kill -9 (no shutdown: what a crash does)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def serve_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without CALANQUE_* variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env.update(extra or {})
    return env


def start_serve(
    home: Path,
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    access_log: bool = True,
    timeout_s: float = 120.0,
) -> ServerProcess:
    """Start ``calanque --home HOME serve`` on a free loopback port; wait for /health."""
    port = free_port()
    command = [sys.executable, "-m", "calanque", "--home", str(home), "serve", "--port", str(port)]
    command.append("--access-log" if access_log else "--no-access-log")
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=serve_env(env), stdout=log, stderr=subprocess.STDOUT
        )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"calanque serve did not start in {timeout_s:.0f} s:\n{server.log()}")


# ---- the traffic ---------------------------------------------------------------------------
@dataclass
class Recorder:
    started: float
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str, began: float, ok: bool, error: str = "") -> None:
        now = time.monotonic()
        self.samples.append(Sample(began - self.started, kind, now - began, ok))
        if not ok and len(self.errors) < 20:
            self.errors.append(f"{kind}: {error}")


def chat_body(question: str, stream: bool, store: bool = False) -> dict[str, Any]:
    return {
        "model": "calanque-extractive",
        "messages": [{"role": "user", "content": question}],
        "stream": stream,
        "store": store,
    }


async def read_stream(response: httpx.Response) -> str:
    """ "" when the SSE stream ended with a final chunk and [DONE], else what was wrong."""
    final = done = False
    async for line in response.aiter_lines():
        if line == "data: [DONE]":
            done = True
        elif line.startswith("data: "):
            data = json.loads(line[6:])
            if "error" in data:
                return f"error event {data['error']}"
            final = final or data["choices"][0]["finish_reason"] == "stop"
    return "" if final and done else f"stream ended early (final={final}, done={done})"


async def one_request(http: httpx.AsyncClient, kind: str, question: str, n: int) -> str:
    """Send one request of ``kind``; "" when it succeeded, else the problem."""
    if kind == "search":
        response = await http.post("/v1/search", json={"query": question, "k": 10})
    elif kind == "answer":
        response = await http.post("/v1/chat/completions", json=chat_body(question, False))
    else:
        body = chat_body(question, True, store=n % 10 == 0)
        async with http.stream("POST", "/v1/chat/completions", json=body) as streamed:
            if streamed.status_code != 200:
                await streamed.aread()
                return f"HTTP {streamed.status_code}: {streamed.text[:200]}"
            return await read_stream(streamed)
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    return ""


async def client_loop(http: httpx.AsyncClient, rec: Recorder, stop_at: float, offset: int) -> None:
    for n in range(offset, offset + MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= stop_at:
            return
        kind = KINDS[n % len(KINDS)]
        question = QUESTIONS[(n // len(KINDS)) % len(QUESTIONS)]
        began = time.monotonic()
        try:
            problem = await one_request(http, kind, question, n)
        except (httpx.HTTPError, ValueError, KeyError, IndexError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        rec.add(kind, began, not problem, problem)


async def sample_rss(
    pid: int, started: float, stop_at: float, out: list[tuple[float, float]]
) -> None:
    while time.monotonic() < stop_at:
        try:
            out.append((time.monotonic() - started, tree_rss_mb(pid)))
        except psutil.Error:
            return
        await asyncio.sleep(1.0)


async def crawl_sections(
    http: httpx.AsyncClient, site_url: str, sections: int, rec: Recorder, stop_at: float
) -> dict[str, Any]:
    """Add and crawl one section after another while there is time; the last crawl status."""
    report: dict[str, Any] = {"sections_started": 0, "pages_fetched": 0, "errors": []}
    for s in range(sections):
        if time.monotonic() >= stop_at - 2:
            break
        began = time.monotonic()
        added = await http.post("/v1/sources", json={"url": f"{site_url}/s{s}/", "kind": "site"})
        started = await http.post("/v1/crawl", json={})
        ok = added.status_code == 201 and started.status_code == 202
        rec.add("crawl", began, ok, f"add {added.status_code}, crawl {started.status_code}")
        if not ok:
            break
        report["sections_started"] += 1
        status = await wait_for_crawl(http, stop_at)
        report["pages_fetched"] += int(status.get("summary", {}).get("fetched", 0))
        report["last"] = status
        if status.get("error"):
            report["errors"].append(status["error"])
    return report


async def wait_for_crawl(http: httpx.AsyncClient, give_up_at: float) -> dict[str, Any]:
    status: dict[str, Any] = {}
    while time.monotonic() < give_up_at:
        status = (await http.get("/v1/crawl")).json()
        if not status.get("running"):
            break
        await asyncio.sleep(1.0)
    return status


async def warm_up(http: httpx.AsyncClient) -> None:
    """Each question once per kind (query vectors cached, as for repeated questions)."""
    for n, question in enumerate(QUESTIONS):
        for kind in KINDS:
            await one_request(http, kind, question, n + 1)


async def drive(
    url: str, pid: int, site_url: str, duration_s: float, clients: int, sections: int
) -> tuple[Recorder, list[tuple[float, float]], dict[str, Any]]:
    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits) as http:
        await warm_up(http)
        started = time.monotonic()
        stop_at = started + duration_s
        rec = Recorder(started)
        rss: list[tuple[float, float]] = []
        tasks = [client_loop(http, rec, stop_at, i * 7) for i in range(clients)]
        sampler = sample_rss(pid, started, stop_at, rss)
        crawl, *_ = await asyncio.gather(
            crawl_sections(http, site_url, sections, rec, stop_at), sampler, *tasks
        )
    return rec, rss, crawl


# ---- the numbers ---------------------------------------------------------------------------
def p95_ms(latencies: list[float]) -> float:
    return round(float(np.percentile(np.asarray(latencies), 95)) * 1000, 1) if latencies else 0.0


def windows(
    samples: list[Sample], rss: list[tuple[float, float]], duration_s: float
) -> list[Window]:
    out = []
    for start in np.arange(0.0, duration_s, WINDOW_S):
        inside = [s for s in samples if start <= s.at_s < start + WINDOW_S]
        memory = [mb for at, mb in rss if at < start + WINDOW_S]
        out.append(
            Window(
                start_s=float(start),
                requests=len(inside),
                errors=sum(not s.ok for s in inside),
                p95_ms=p95_ms([s.latency_s for s in inside]),
                rss_mb=round(memory[-1], 1) if memory else 0.0,
            )
        )
    return out


@dataclass(frozen=True)
class Growth:
    start_mb: float
    end_mb: float
    growth_mb: float
    growth_pct: float
    slope_mb_per_min: float


def memory_growth(rss: list[tuple[float, float]], warmup_s: float) -> Growth:
    """Growth after the warm-up: mean of the last 3 samples minus mean of the first 3."""
    after = [(at, mb) for at, mb in rss if at >= warmup_s] or rss
    if len(after) < 2:
        mb = after[0][1] if after else 0.0
        return Growth(mb, mb, 0.0, 0.0, 0.0)
    start = float(np.mean([mb for _, mb in after[:3]]))
    end = float(np.mean([mb for _, mb in after[-3:]]))
    times = np.asarray([at for at, _ in after]) / 60.0
    slope = float(np.polyfit(times, np.asarray([mb for _, mb in after]), 1)[0])
    return Growth(
        round(start, 1),
        round(end, 1),
        round(end - start, 1),
        round(100.0 * (end - start) / start, 2),
        round(slope, 2),
    )


def by_kind(samples: list[Sample]) -> dict[str, dict[str, float]]:
    out = {}
    for kind in (*KINDS, "crawl"):
        mine = [s for s in samples if s.kind == kind]
        out[kind] = {
            "requests": len(mine),
            "errors": sum(not s.ok for s in mine),
            "p95_ms": p95_ms([s.latency_s for s in mine]),
        }
    return out


def summarise(
    rec: Recorder,
    rss: list[tuple[float, float]],
    crawl: dict[str, Any],
    duration_s: float,
    clients: int,
) -> SoakResult:
    warmup_s = max(5.0, 0.2 * duration_s)
    growth = memory_growth(rss, warmup_s)
    return SoakResult(
        duration_s=duration_s,
        clients=clients,
        requests=len(rec.samples),
        errors=sum(not s.ok for s in rec.samples) + len(crawl.get("errors", [])),
        error_messages=rec.errors + list(crawl.get("errors", [])),
        by_kind=by_kind(rec.samples),
        windows=windows(rec.samples, rss, duration_s),
        rss=[(round(at, 2), round(mb, 1)) for at, mb in rss],
        warmup_s=warmup_s,
        rss_after_warmup_mb=growth.start_mb,
        rss_end_mb=growth.end_mb,
        rss_growth_mb=growth.growth_mb,
        rss_growth_pct=growth.growth_pct,
        rss_slope_mb_per_min=growth.slope_mb_per_min,
        crawl=crawl,
    )


# ---- output --------------------------------------------------------------------------------
def print_result(result: SoakResult) -> None:
    print_table(
        f"soak: {result.clients} clients, {result.duration_s:.0f} s (p95 per {WINDOW_S:.0f} s window)",
        ["window s", "requests", "errors", "p95 ms", "RSS MB"],
        [[f"{w.start_s:.0f}", w.requests, w.errors, w.p95_ms, w.rss_mb] for w in result.windows],
    )
    print_table(
        "soak: by kind",
        ["kind", "requests", "errors", "p95 ms"],
        [[k, int(v["requests"]), int(v["errors"]), v["p95_ms"]] for k, v in result.by_kind.items()],
    )
    summary = {
        "requests": result.requests,
        "errors": result.errors,
        "crawled pages": result.crawl.get("pages_fetched", 0),
        "RSS after warm-up, MB": result.rss_after_warmup_mb,
        "RSS at the end, MB": result.rss_end_mb,
        "growth after warm-up, MB": result.rss_growth_mb,
        "growth after warm-up, %": result.rss_growth_pct,
        "slope after warm-up, MB/min": result.rss_slope_mb_per_min,
    }
    print_table("soak: summary", ["measure", "value"], [[k, v] for k, v in summary.items()])
    for message in result.error_messages:
        print(f"error: {message}")


def plot(result: SoakResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (latency, memory) = plt.subplots(1, 2, figsize=(11, 3.6))
    starts = [w.start_s + WINDOW_S / 2 for w in result.windows]
    latency.plot(starts, [w.p95_ms for w in result.windows], marker="o")
    latency.set_xlabel("seconds")
    latency.set_ylabel(f"p95 latency per {WINDOW_S:.0f} s window, ms")
    latency.set_ylim(bottom=0)
    latency.set_title(f"{result.requests} requests, {result.errors} errors", fontsize=10)
    memory.plot([at for at, _ in result.rss], [mb for _, mb in result.rss])
    memory.axvline(result.warmup_s, color="grey", linestyle="--", label="end of warm-up")
    memory.set_xlabel("seconds")
    memory.set_ylabel("server RSS (process tree), MB")
    memory.set_ylim(bottom=0)
    memory.set_title(
        f"growth after warm-up {result.rss_growth_mb:+.1f} MB ({result.rss_growth_pct:+.1f} %)",
        fontsize=10,
    )
    memory.legend(fontsize=8)
    fig.suptitle(
        f"Soak: {result.clients} clients (search, answers, streamed answers) + a background crawl",
        fontsize=11,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---- the run -------------------------------------------------------------------------------
@contextmanager
def soak_site(sections: int, pages: int) -> Iterator[str]:
    from tests.sites import Route, serve_site

    routes = {path: Route(body=body) for path, body in soak_site_pages(sections, pages).items()}
    with serve_site(routes) as site:
        yield site.url


def default_home(tmp: Path) -> Path:
    from tests.e2e.served import corpus

    return corpus(tmp).home


def run_soak(
    duration_s: float = 60.0,
    clients: int = 8,
    *,
    home: Path | None = None,
    sections: int = 3,
    pages_per_section: int = 16,
    json_path: Path | None = None,
    plot_path: Path | None = None,
) -> SoakResult:
    """Run the soak on a copy of ``home`` (default: the e2e corpus, built) and measure it."""
    with tempfile.TemporaryDirectory(prefix="calanque-soak-") as tmp:
        source = home or default_home(Path(tmp))
        served = Path(tmp) / "served"
        shutil.copytree(source, served)
        env = {
            "CALANQUE_SERVER_RATE_LIMIT_PER_MINUTE": "0",
            "CALANQUE_SERVER_ALLOW_PRIVATE_SOURCES": "1",
            "CALANQUE_CRAWL_MIN_DELAY": "0.1",
        }
        with soak_site(sections, pages_per_section) as site_url:
            server = start_serve(served, Path(tmp) / "serve.log", env=env, access_log=False)
            try:
                rec, rss, crawl = asyncio.run(
                    drive(server.url, server.process.pid, site_url, duration_s, clients, sections)
                )
            finally:
                server.stop()
    result = summarise(rec, rss, crawl, duration_s, clients)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    if plot_path is not None:
        plot(result, plot_path)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of traffic")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--home", type=Path, help="an indexed Calanque home (copied first)")
    parser.add_argument("--sections", type=int, default=3, help="fixture site sections")
    parser.add_argument("--pages", type=int, default=16, help="pages per section")
    args = parser.parse_args()
    result = run_soak(
        args.duration,
        args.clients,
        home=args.home.expanduser() if args.home else None,
        sections=args.sections,
        pages_per_section=args.pages,
        json_path=OUT_DIR / "soak.json",
        plot_path=BENCH_DIR.parent / "docs" / "img" / "soak.png",
    )
    print_result(result)
    if result.errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
