"""Load on the HTTP API over loopback: /v1/search and extractive /v1/chat/completions.

Starts ``calanque serve`` (no access log, rate limit off) on a copy of an indexed home,
then runs ``--clients`` concurrent httpx clients for ``--duration`` seconds per endpoint,
cycling through a fixed bilingual question list (one warm-up pass first, so query vectors
are cached as they are for repeated questions in production). Reports requests/s,
p50/p95 latency, errors (must be 0) and the server's RSS (process tree) before and after.

    python -m bench.serve                         # the e2e test corpus (built, ~20 s)
    python -m bench.serve --home ~/my-home --workers 2 --duration 15 --markdown
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
from bench._common import print_table, write_json

QUESTIONS = [
    "How do I upgrade all installed packages?",
    "Comment redémarrer le réseau ?",
    "Where are the nftables firewall rules kept?",
    "How do I create an SSH key?",
    "Où est enregistré le nom d'hôte ?",
    "How are home folders backed up?",
    "Comment sauvegarder les bases PostgreSQL ?",
    "Which file lists the apt mirrors?",
    "How do I list the firewall ruleset?",
    "Comment restaurer une sauvegarde ?",
    "How do I copy a public key to a server?",
    "Quels serveurs DNS sont utilisés ?",
]


@dataclass
class Load:
    endpoint: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    def row(self) -> dict[str, Any]:
        ms = np.asarray(self.latencies) * 1000 if self.latencies else np.zeros(1)
        return {
            "endpoint": self.endpoint,
            "requests": len(self.latencies),
            "req_per_s": round(len(self.latencies) / self.elapsed, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "errors": self.errors,
        }


def body_for(endpoint: str, question: str) -> dict[str, Any]:
    if endpoint == "/v1/search":
        return {"query": question, "k": 10}
    return {"model": "calanque-extractive", "messages": [{"role": "user", "content": question}]}


async def client_loop(http: httpx.AsyncClient, load: Load, stop_at: float, offset: int) -> None:
    n = offset
    while time.monotonic() < stop_at:
        question = QUESTIONS[n % len(QUESTIONS)]
        n += 1
        started = time.perf_counter()
        try:
            response = await http.post(load.endpoint, json=body_for(load.endpoint, question))
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        load.latencies.append(time.perf_counter() - started)
        load.errors += 0 if ok else 1


async def run_load(url: str, endpoint: str, clients: int, duration: float) -> Load:
    load = Load(endpoint)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        for question in QUESTIONS * 2:  # warm-up: every worker embeds each question once
            await http.post(endpoint, json=body_for(endpoint, question))
        started = time.monotonic()
        await asyncio.gather(
            *(client_loop(http, load, started + duration, i) for i in range(clients))
        )
        load.elapsed = time.monotonic() - started
    return load


def tree_rss_mb(pid: int) -> float:
    parent = psutil.Process(pid)
    procs = [parent, *parent.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20


def build_home(target: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.e2e.served import corpus

    return corpus(target).home


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env["CALANQUE_SERVER_RATE_LIMIT_PER_MINUTE"] = "0"
    command = [
        sys.executable,
        "-m",
        "calanque",
        "--home",
        str(home),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(
        f"the server did not start: {process.stderr.read().decode() if process.stderr else ''}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, help="an indexed Calanque home (copied first)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="calanque-bench-serve-") as tmp:
        source = args.home.expanduser() if args.home else build_home(Path(tmp))
        home = Path(tmp) / "served"
        shutil.copytree(source, home)
        port = args.port or free_port()
        server = start_server(home, port, args.workers)
        try:
            url = f"http://127.0.0.1:{port}"
            rss_before = tree_rss_mb(server.pid)
            rows = []
            for endpoint in ("/v1/search", "/v1/chat/completions"):
                load = asyncio.run(run_load(url, endpoint, args.clients, args.duration))
                rows.append(load.row())
            rss_after = tree_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    for row in rows:
        row.update(rss_before_mb=round(rss_before, 1), rss_after_mb=round(rss_after, 1))
    columns = list(rows[0])
    if args.markdown:
        print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
        for row in rows:
            print("| " + " | ".join(str(row[c]) for c in columns) + " |")
    else:
        print_table(
            f"serve: {args.clients} clients, {args.duration:.0f} s, {args.workers} workers",
            columns,
            [[row[c] for c in columns] for row in rows],
        )
    write_json(
        "serve",
        {
            "clients": args.clients,
            "duration_s": args.duration,
            "workers": args.workers,
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
