"""Crawl throughput with 1 and 2 ``calanque worker`` processes sharing a PostgreSQL catalog.

Several fixture hosts (one local server per host: another port is another host)
serve generated pages linked as a binary tree from ``/index.html``, so pages are
discovered as the crawl goes. Every run gets a fresh database on the server that
``scripts/postgres-start`` runs (or ``$CALANQUE_TEST_POSTGRES_URL``), the same
sources, and N workers started together (``python -m calanque worker --json``)
with a per-host politeness delay. Pages/s is the pages stored divided by the
wall time from the workers' start to the last one's exit (start-up included);
"crawl pages/s" divides by the longest crawl time the workers report.

    python -m bench.workers                        # 8 hosts x 60 pages, delay 0.05 s, 4 hosts per worker
    python -m bench.workers --hosts 8 --pages 40 --rounds 3 --markdown

Writes ``bench/out/workers.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench._common import console, print_table, write_json
from tests.e2e.crawl_helpers import add_site, distinct_text, page
from tests.postgres import fresh_database, start_worker, worker_env
from tests.sites import Route, Site, serve_site

from calanque.catalog import Catalog
from calanque.catalog.schema import documents


@dataclass(frozen=True)
class Run:
    workers: int
    pages: int
    wall_s: float
    crawl_s: float
    per_worker: list[int]

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s

    @property
    def crawl_pages_per_s(self) -> float:
        return self.pages / self.crawl_s


def site_routes(name: str, count: int) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for i in range(count):
        links = tuple(f"p{j}.html" for j in (2 * i + 1, 2 * i + 2) if j < count)
        path = "/index.html" if i == 0 else f"/p{i}.html"
        routes[path] = Route(
            body=page(f"{name} page {i}", distinct_text(f"{name}-{i}", 20), links=links)
        )
    return routes


def run_once(sites: Sequence[Site], workers: int, crawl: dict[str, Any], home: Path) -> Run:
    with fresh_database("calanque_bench") as url:
        catalog = Catalog.open(url)
        for site in sites:
            add_site(catalog, f"{site.url}/index.html")
        started = time.perf_counter()
        procs = [
            start_worker(worker_env(url, home / f"{workers}-{n}", f"bench{n}", **crawl))
            for n in range(workers)
        ]
        outputs = [proc.communicate(timeout=600) for proc in procs]
        wall = time.perf_counter() - started
        for proc in procs:
            if proc.returncode != 0:
                raise SystemExit(f"a worker failed ({proc.returncode}):\n{proc.log_text()[-2000:]}")
        summaries = [json.loads(stdout) for stdout, _ in outputs]
        with catalog.engine.connect() as conn:
            stored = int(
                conn.execute(sa.select(sa.func.count()).select_from(documents)).scalar_one()
            )
        catalog.close()
    return Run(
        workers,
        stored,
        wall,
        max(s["elapsed_s"] for s in summaries),
        [int(s["fetched"]) for s in summaries],
    )


def markdown(args: argparse.Namespace, medians: Sequence[Run]) -> str:
    lines = [
        f"{args.hosts} hosts x {args.pages} pages, politeness delay {args.delay} s per host, "
        f"concurrency {args.concurrency} per worker, {args.extract_workers} extraction worker(s), "
        f"median of {args.rounds} round(s):",
        "",
        "| workers | pages | wall s | pages/s | crawl pages/s | pages per worker |",
        "|---|---|---|---|---|---|",
    ]
    for run in medians:
        lines.append(
            f"| {run.workers} | {run.pages} | {run.wall_s:.2f} | {run.pages_per_s:.1f} | "
            f"{run.crawl_pages_per_s:.1f} | {' / '.join(map(str, run.per_worker))} |"
        )
    return "\n".join(lines)


def median_run(runs: Sequence[Run]) -> Run:
    return sorted(runs, key=lambda r: r.wall_s)[len(runs) // 2]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--pages", type=int, default=60, help="pages per host")
    parser.add_argument("--delay", type=float, default=0.05, help="politeness delay per host (s)")
    parser.add_argument("--concurrency", type=int, default=4, help="hosts in flight per worker")
    parser.add_argument(
        "--extract-workers", type=int, default=1, help="extraction processes per worker"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    args = parser.parse_args(argv)
    crawl = {
        "min_delay": args.delay,
        "concurrency": args.concurrency,
        "extract_workers": args.extract_workers,
        "lease_s": 30,
    }
    runs: dict[int, list[Run]] = {1: [], 2: []}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
                sites = [
                    stack.enter_context(serve_site(site_routes(f"host{h}", args.pages)))
                    for h in range(args.hosts)
                ]
                run = run_once(sites, workers, crawl, Path(tmp))
                runs[workers].append(run)
                console.print(
                    f"[dim]round {round_ + 1}: {workers} worker(s) {run.pages} pages "
                    f"in {run.wall_s:.2f} s[/dim]"
                )
    medians = [median_run(runs[1]), median_run(runs[2])]
    print_table(
        f"crawl workers on one PostgreSQL catalog ({args.hosts} hosts x {args.pages} pages, "
        f"delay {args.delay} s)",
        ["workers", "pages", "wall s", "pages/s", "crawl pages/s", "pages per worker"],
        [
            (
                r.workers,
                r.pages,
                r.wall_s,
                r.pages_per_s,
                r.crawl_pages_per_s,
                " / ".join(map(str, r.per_worker)),
            )
            for r in medians
        ],
    )
    console.print(
        f"speed-up with 2 workers: {medians[1].pages_per_s / medians[0].pages_per_s:.2f}x"
    )
    data = {
        "settings": vars(args),
        "runs": {str(k): [asdict(r) for r in v] for k, v in runs.items()},
        "median": [
            dict(
                asdict(r),
                pages_per_s=round(r.pages_per_s, 2),
                crawl_pages_per_s=round(r.crawl_pages_per_s, 2),
            )
            for r in medians
        ],
    }
    path = write_json("workers.json", data)
    console.print(f"[dim]wrote {path}[/dim]")
    if args.markdown:
        print(markdown(args, medians))


if __name__ == "__main__":
    main()
