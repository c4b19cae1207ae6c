"""Helpers shared by the benchmark scripts: timing, memory, caches, tables, JSON output."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from rich.console import Console
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
console = Console()


def cache_dir() -> Path:
    """Where benchmarks keep what is slow to compute (``$CALANQUE_BENCH_CACHE`` overrides)."""
    env = os.environ.get("CALANQUE_BENCH_CACHE")
    path = Path(env) if env else Path.home() / ".cache" / "calanque-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def rss_mb() -> float:
    """Resident memory of this process, in MiB."""
    return psutil.Process().memory_info().rss / 2**20


@dataclass
class Stopwatch:
    """Collects durations (seconds) of repeated operations."""

    samples: list[float] = field(default_factory=list)

    @contextmanager
    def time(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.samples.append(time.perf_counter() - start)

    def percentile_ms(self, q: float) -> float:
        if not self.samples:
            return 0.0
        return float(np.percentile(np.asarray(self.samples), q) * 1000.0)

    @property
    def total_s(self) -> float:
        return float(sum(self.samples))


@contextmanager
def timed(label: str) -> Iterator[None]:
    """Print how long the block took."""
    start = time.perf_counter()
    try:
        yield
    finally:
        console.print(f"[dim]{label}: {time.perf_counter() - start:.1f} s[/dim]")


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], width: int | None = None
) -> None:
    """A rich table; floats are shown with 3 decimals (``width``: wider than the terminal)."""
    table = Table(title=title)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
    (Console(width=width) if width else console).print(table)


def write_json(name: str, data: Any) -> Path:
    """Write ``data`` to ``bench/out/<name>`` and return the path."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
