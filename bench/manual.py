"""A long English manual asked in English and in French (``python -m bench.manual``).

The answer domains were chosen by the project; this set comes from a user's trial. The Z
Shell manual (Debian's zsh-doc, HTML written by texi2any: a page a node, bars of
bracketed links, index pages) is served on 127.0.0.1, added and crawled in a fresh home as
a user would (``calanque add``, ``calanque crawl``, no politeness delay), then each of the
44 questions of ``tests/quality/sets/trials/zsh.json`` is answered by the default engine.
A helper wrote them from 15 random pages before it saw an answer: 16 English, 16 French
over the English pages, 4 that need two facts from two places, 8 the manual does not
answer (checked with grep). Their failures were read to choose rules: a tune set, whose
figures say how answers over such a manual move, not how they generalise.

Prints a table per group and writes ``bench/out/manual.json``.
"""

from __future__ import annotations

import functools
import json
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench._common import console, print_table, write_json
from bench.notes import VERDICTS, _calanque, ask_all
from tests.corpora import zsh_manual_dir

SET = Path(__file__).resolve().parents[1] / "tests" / "quality" / "sets" / "trials" / "zsh.json"
GROUPS = {"E": "English", "F": "French over English", "T": "two facts", "U": "unanswerable"}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` served on 127.0.0.1 (a free port) while the block runs: its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    questions = json.loads(SET.read_text(encoding="utf-8"))["questions"]
    folder = zsh_manual_dir()
    with tempfile.TemporaryDirectory(prefix="calanque-manual-") as tmp:
        home = Path(tmp) / "home"
        console.print("[dim]zsh manual: serving, adding and crawling…[/dim]")
        started = time.perf_counter()
        with served(folder) as url:
            _calanque(home, "add", url + "index.html")
            _calanque(home, "crawl", env={"CALANQUE_CRAWL_MIN_DELAY": "0"})
        crawl_s = time.perf_counter() - started
        outcomes = ask_all(home, questions)
    rows = []
    for prefix, name in GROUPS.items():
        part = [o for o in outcomes if o["id"].startswith(prefix)]
        counts = Counter(o["verdict"] for o in part)
        firsts = sum(o["first"] for o in part)
        rows.append(
            [name, len(part), *(counts[v] for v in VERDICTS), f"{firsts}/{counts['right']}"]
        )
    totals = [sum(r[i] for r in rows) for i in range(1, 2 + len(VERDICTS))]
    firsts = sum(int(r[-1].split("/")[0]) for r in rows)
    rows.append(["ALL", *totals, f"{firsts}/{totals[1]}"])
    print_table(
        f"Answers over the zsh manual (a tune set; crawled and indexed in {crawl_s:.0f} s)",
        ["questions", "n", *VERDICTS, "key fact in 1st quote"],
        rows,
        width=160,
    )
    write_json("manual.json", {"crawl_s": round(crawl_s, 1), "outcomes": outcomes})


if __name__ == "__main__":
    main()
