"""Crawl throughput: Calanque vs Scrapy on the Debian Administrator's Handbook.

Both peers crawl the fr-FR and en-US trees (~127 pages each) from one local
server on 127.0.0.1 (the project's threaded fixture server, with ETags), with
politeness delays off and 8 connections to the host, and both do the same three
things per page: fetch, extract the text, store it in SQLite.

- **calanque**: the real CLI in a subprocess with a fresh ``CALANQUE_HOME``:
  ``calanque add <url>/fr-FR/index.html``, ``calanque add <url>/en-US/index.html``
  (not timed), then ``calanque crawl --no-index --json`` (timed) with
  ``CALANQUE_CRAWL_MIN_DELAY=0`` and ``CALANQUE_CRAWL_PER_HOST_CONNECTIONS=8``.
  Its pages are the summary's ``fetched + duplicates`` (a near-duplicate is
  fetched, extracted and stored as an alias of its twin).
- **scrapy**: ``bench/scrapy_peer.py`` (a ``CrawlSpider`` + trafilatura in an
  item pipeline that writes SQLite), ``ROBOTSTXT_OBEY=True``, no autothrottle,
  ``DOWNLOAD_DELAY=0``, ``CONCURRENT_REQUESTS_PER_DOMAIN=8``.

Seconds are measured from process start to exit (imports and start-up
included); the crawl's own elapsed time (from each peer's JSON) is shown too.
Peak RSS is the sum over the process tree (Calanque extracts in a process pool),
sampled every 50 ms with psutil. Each peer runs ``--rounds`` times in
alternating order; the table shows medians.

    python -m bench.crawl                 # 3 rounds, ~2 minutes on 2 cores
    python -m bench.crawl --rounds 1 --markdown

Writes ``bench/out/crawl.json`` and ``docs/img/crawl.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
from bench._common import BENCH_DIR, console, print_table, write_json
from tests.corpora import handbook_dir
from tests.sites import serve_site

REPO = BENCH_DIR.parent
PLOT = REPO / "docs" / "img" / "crawl.png"
PEERS = ("calanque", "scrapy")
SAMPLE_S = 0.05
PER_HOST = 8


@dataclass(frozen=True)
class Run:
    """One measured crawl by one peer."""

    peer: str
    round: int
    pages: int
    wall_s: float  # process start to exit
    crawl_s: float  # the crawl's own elapsed time, from the peer's JSON
    peak_rss_mb: float  # whole process tree
    cpu_s: float  # user + system CPU of the whole process tree
    errors: int
    summary: dict[str, Any]

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s else 0.0

    @property
    def crawl_pages_per_s(self) -> float:
        return self.pages / self.crawl_s if self.crawl_s else 0.0


@dataclass(frozen=True)
class Median:
    """A peer's medians over its runs."""

    peer: str
    runs: int
    pages: int
    wall_s: float
    crawl_s: float
    pages_per_s: float
    crawl_pages_per_s: float
    peak_rss_mb: float
    cpu_s: float


@dataclass(frozen=True)
class Measured:
    stdout: str
    wall_s: float
    peak_rss_mb: float
    cpu_s: float


def children_cpu_s() -> float:
    """CPU seconds of every child (and grandchild) this process has waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_rss(proc: psutil.Process, cpu: dict[int, float] | None = None) -> int:
    """Resident bytes of ``proc`` and all its descendants (processes gone meanwhile count 0).

    With ``cpu``, also record each member's CPU seconds so far: processes that are never
    waited for by the tree (a ``forkserver`` and its workers) escape ``RUSAGE_CHILDREN``.
    """
    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
            if cpu is not None:
                times = member.cpu_times()
                cpu[member.pid] = times.user + times.system
        except psutil.Error:
            continue
    return total


def run_measured(cmd: Sequence[str], env: dict[str, str]) -> Measured:
    """Run ``cmd`` to completion; wall time and the peak RSS of its process tree."""
    peak = 0
    done = threading.Event()
    cpu_before = children_cpu_s()
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watched = psutil.Process(child.pid)

    sampled_cpu: dict[int, float] = {}

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(watched, sampled_cpu))
            done.wait(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise RuntimeError(
            f"{cmd[0]} exited {child.returncode}:\n{err.decode(errors='replace')[-3000:]}"
        )
    waited = children_cpu_s() - cpu_before  # the child and every process it reaped
    # Descendants the child never reaps (a forkserver and its workers): their last sampled
    # CPU time, up to 50 ms short each. Scrapy's tree is one process, so this adds nothing.
    descendants = sum(cpu for pid, cpu in sampled_cpu.items() if pid != child.pid)
    return Measured(out.decode(), wall, peak / 2**20, waited + descendants)


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any ``CALANQUE_*`` setting (except the corpora cache), plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CALANQUE_") or k == "CALANQUE_CORPORA"
    }
    env.update(extra)
    return env


def calanque_cmd() -> list[str]:
    script = Path(sys.executable).parent / "calanque"
    return [str(script)] if script.exists() else [sys.executable, "-m", "calanque"]


def run_calanque(base: str, langs: Sequence[str], workers: int, work: Path, round_: int) -> Run:
    home = work / f"calanque-{round_}"
    env = clean_env(
        CALANQUE_HOME=str(home),
        CALANQUE_CRAWL_MIN_DELAY="0",
        CALANQUE_CRAWL_PER_HOST_CONNECTIONS=str(PER_HOST),
        CALANQUE_CRAWL_EXTRACT_WORKERS=str(workers),
    )
    for lang in langs:
        subprocess.run(
            [*calanque_cmd(), "add", f"{base}/{lang}/index.html"],
            env=env,
            cwd=REPO,
            check=True,
            capture_output=True,
        )
    measured = run_measured([*calanque_cmd(), "crawl", "--no-index", "--json"], env)
    summary = json.loads(measured.stdout)
    pages = int(summary["fetched"]) + int(summary.get("duplicates", 0))
    return Run(
        "calanque",
        round_,
        pages,
        measured.wall_s,
        float(summary["elapsed_s"]),
        measured.peak_rss_mb,
        measured.cpu_s,
        int(summary.get("error_total", 0)),
        summary,
    )


def run_scrapy(base: str, langs: Sequence[str], work: Path, round_: int) -> Run:
    cmd = [
        sys.executable,
        str(BENCH_DIR / "scrapy_peer.py"),
        "--db",
        str(work / f"scrapy-{round_}.sqlite"),
    ]
    for lang in langs:
        cmd += ["--start", f"{base}/{lang}/index.html", "--allow", f"{base}/{lang}/"]
    measured = run_measured(cmd, clean_env())
    summary = json.loads(measured.stdout)
    return Run(
        "scrapy",
        round_,
        int(summary["pages"]),
        measured.wall_s,
        float(summary["elapsed_s"]),
        measured.peak_rss_mb,
        measured.cpu_s,
        int(summary["errors"]),
        summary,
    )


def median_of(peer: str, runs: Sequence[Run]) -> Median:
    mine = [r for r in runs if r.peer == peer]

    def med(values: list[float]) -> float:
        return float(statistics.median(values))

    return Median(
        peer=peer,
        runs=len(mine),
        pages=int(statistics.median([r.pages for r in mine])),
        wall_s=med([r.wall_s for r in mine]),
        crawl_s=med([r.crawl_s for r in mine]),
        pages_per_s=med([r.pages_per_s for r in mine]),
        crawl_pages_per_s=med([r.crawl_pages_per_s for r in mine]),
        peak_rss_mb=med([r.peak_rss_mb for r in mine]),
        cpu_s=med([r.cpu_s for r in mine]),
    )


def crawl_all(rounds: int, langs: Sequence[str], workers: int) -> list[Run]:
    """Serve the handbook and run every peer ``rounds`` times, alternating who goes first."""
    root = handbook_dir(langs[0]).parent
    runs: list[Run] = []
    with (
        tempfile.TemporaryDirectory(prefix="calanque-bench-crawl-") as tmp,
        serve_site(root=root) as site,
    ):
        work = Path(tmp)
        for round_ in range(rounds):
            order = PEERS if round_ % 2 == 0 else tuple(reversed(PEERS))
            for peer in order:
                if peer == "calanque":
                    run = run_calanque(site.url, langs, workers, work, round_)
                else:
                    run = run_scrapy(site.url, langs, work, round_)
                runs.append(run)
                console.print(
                    f"[dim]round {round_ + 1} {peer}: {run.pages} pages, {run.wall_s:.1f} s "
                    f"(crawl {run.crawl_s:.1f} s), {run.pages_per_s:.1f} pages/s, "
                    f"{run.peak_rss_mb:.0f} MB, {run.cpu_s:.1f} CPU s, {run.errors} errors[/dim]"
                )
    shutil.rmtree(work, ignore_errors=True)
    return runs


ROW_COLUMNS = (
    "peer",
    "pages",
    "seconds",
    "pages/s",
    "crawl s",
    "crawl pages/s",
    "peak RSS MB",
    "CPU s",
)


def rows(medians: Sequence[Median]) -> list[list[Any]]:
    return [
        [
            m.peer,
            m.pages,
            f"{m.wall_s:.1f}",
            f"{m.pages_per_s:.1f}",
            f"{m.crawl_s:.1f}",
            f"{m.crawl_pages_per_s:.1f}",
            f"{m.peak_rss_mb:.0f}",
            f"{m.cpu_s:.1f}",
        ]
        for m in medians
    ]


def markdown(medians: Sequence[Median], ratio: float, crawl_ratio: float) -> str:
    lines = ["| " + " | ".join(ROW_COLUMNS) + " |", "|" + "---|" * len(ROW_COLUMNS)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows(medians)]
    lines.append("")
    lines.append(
        f"Calanque / Scrapy: **{ratio:.2f}×** (process start to exit), "
        f"{crawl_ratio:.2f}× (crawl elapsed only)."
    )
    return "\n".join(lines)


def plot(medians: Sequence[Median], ratio: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [m.peer for m in medians]
    colors = ["#1f77b4", "#ff7f0e"][: len(names)]
    fig, (speed, memory, cpu) = plt.subplots(1, 3, figsize=(12, 3.6))
    width = 0.38
    xs = range(len(names))
    speed.bar(
        [x - width / 2 for x in xs],
        [m.pages_per_s for m in medians],
        width,
        color=colors,
        label="process start to exit",
    )
    speed.bar(
        [x + width / 2 for x in xs],
        [m.crawl_pages_per_s for m in medians],
        width,
        color=colors,
        alpha=0.5,
        hatch="//",
        label="crawl elapsed",
    )
    speed.set_xticks(list(xs), names)
    speed.set_ylabel("pages/s (higher is better)")
    speed.set_title(f"fetch + extract + store (Calanque/Scrapy {ratio:.2f}×)", fontsize=10)
    speed.legend(fontsize=8)
    memory.bar(names, [m.peak_rss_mb for m in medians], color=colors)
    memory.set_ylabel("peak RSS of the process tree, MB")
    memory.set_title("memory (lower is better)", fontsize=10)
    cpu.bar(names, [m.cpu_s for m in medians], color=colors)
    cpu.set_ylabel("user + system CPU seconds, process tree")
    cpu.set_title("CPU for the whole crawl (lower is better)", fontsize=10)
    fig.suptitle("Crawling the Debian handbook (fr-FR + en-US) from 127.0.0.1", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs per peer (default 3)")
    parser.add_argument("--langs", default="fr-FR,en-US", help="handbook trees to crawl")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="calanque crawl.extract_workers (0 = one per core, the default)",
    )
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--plot", type=Path, default=PLOT, help="where to write the bar plot")
    args = parser.parse_args(argv)
    langs = [lang.strip() for lang in args.langs.split(",") if lang.strip()]

    load_before = os.getloadavg()[0]
    runs = crawl_all(args.rounds, langs, args.workers)
    load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    medians = [median_of(peer, runs) for peer in PEERS]
    by_peer = {m.peer: m for m in medians}
    ratio = by_peer["calanque"].pages_per_s / by_peer["scrapy"].pages_per_s
    crawl_ratio = by_peer["calanque"].crawl_pages_per_s / by_peer["scrapy"].crawl_pages_per_s
    print_table(
        f"Crawl, median of {args.rounds} (cores: {os.cpu_count()}, load {load[0]:.1f}→{load[1]:.1f})",
        ROW_COLUMNS,
        rows(medians),
    )
    console.print(
        f"Calanque / Scrapy: [bold]{ratio:.2f}×[/bold] pages/s (process start to exit), "
        f"{crawl_ratio:.2f}× (crawl elapsed only); goal ≥ 1.0×"
    )
    out = write_json(
        "crawl.json",
        {
            "command": "python -m bench.crawl " + " ".join(sys.argv[1:] if argv is None else argv),
            "cpu_count": os.cpu_count(),
            "load_average_1m": load,  # before, after: other work on the machine skews wall times
            "langs": langs,
            "ratio": round(ratio, 3),
            "crawl_ratio": round(crawl_ratio, 3),
            "medians": [asdict(m) for m in medians],
            "runs": [{**asdict(r), "pages_per_s": r.pages_per_s} for r in runs],
        },
    )
    plot(medians, ratio, args.plot)
    console.print(f"[dim]wrote {out.relative_to(REPO)} and {args.plot}[/dim]")
    if args.markdown:
        print(markdown(medians, ratio, crawl_ratio))


if __name__ == "__main__":
    main()
