"""Long manuals asked in English and in French, as a user's trial.

    python -m bench.manual              # the zsh manual (HTML)
    python -m bench.manual --trial r    # four R manuals (PDF)
    python -m bench.manual --trial python  # Python's Tutorial, FAQ and HOWTOs (Sphinx)
    python -m bench.manual --trial french  # two French manuals (Debian Edu, aptitude)
    python -m bench.manual --trial pdf     # two PDFs, one French, one English

The answer domains were chosen by the project; these sets come from users' trials. The
manuals are served on 127.0.0.1, added and crawled in a fresh home as a user would
(``calanque add``, ``calanque crawl``, no politeness delay), then each question of the
trial's set (``tests/quality/sets/trials/``) is answered by the default engine. A helper
wrote each set from random pages before it saw an answer: 16 questions in the pages'
language, 16 in the other language, 4 that need two facts from two places, 8 the manuals
do not answer (checked with grep).

* ``zsh``: the Z Shell manual (Debian's zsh-doc, HTML written by texi2any: a page a node,
  bars of bracketed links, index pages). Its failures were read to choose rules: a tune
  set, whose figures say how answers over such a manual move, not how they generalise.
* ``r``: An Introduction to R, R Installation and Administration, the R FAQ and R Data
  Import/Export (Debian's r-doc-pdf: four PDFs typeset by texinfo, 35 to 105 pages, with
  running heads, page numbers and tables of contents).
* ``python``: Python 3.11's Tutorial, FAQ and HOWTOs (Debian's python3.11-doc: 46 Sphinx
  pages with navigation bars, sidebars and many code blocks; links to the rest of the
  documentation lead nowhere). Its questions were written from 16 random pages.
* ``french``: two manuals in French only, the other way round: the Debian Edu bookworm
  manual (debian-edu-doc-fr: one DocBook page of 286 kB, some sections left in English)
  and aptitude's user manual (aptitude-doc-fr: 88 DocBook pages), asked in French and in
  English over the French pages (groups F and E swap their roles).
* ``pdf``: two long PDFs, one in each language: expEYES-17's user manual in French
  (physics experiments with a measuring box, 99 pages typeset by Sphinx) and Auto
  Multiple Choice's manual in English (101 pages typeset by DocBook); half of each
  language's questions ask the other language's manual.

Prints a table per group and writes ``bench/out/manual.json`` (``manual-r.json``,
``manual-python.json``, ``manual-french.json``, ``manual-pdf.json``).
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench._common import console, print_table, write_json
from bench.notes import VERDICTS, _calanque, _holds, ask_all
from tests.corpora import (
    french_manuals_dir,
    pdf_manuals_dir,
    python_docs_dir,
    r_manuals_dir,
    zsh_manual_dir,
)

SETS = Path(__file__).resolve().parents[1] / "tests" / "quality" / "sets" / "trials"


# the groups of a trial's questions, by the first letter of their ids
GROUPS = {"E": "English", "F": "French over English", "T": "two facts", "U": "unanswerable"}
BOTH_LANGUAGES = {"E": "English", "F": "French", "T": "two facts", "U": "unanswerable"}
FRENCH_PAGES = {"F": "French", "E": "English over French", "T": "two facts", "U": "unanswerable"}


@dataclass(frozen=True)
class Trial:
    title: str
    questions: Path
    folder: Callable[[], Path]
    output: str
    groups: dict[str, str] = field(default_factory=lambda: GROUPS)


TRIALS = {
    "zsh": Trial("the zsh manual", SETS / "zsh.json", zsh_manual_dir, "manual.json"),
    "r": Trial("four R manuals (PDF)", SETS / "r_manuals.json", r_manuals_dir, "manual-r.json"),
    "python": Trial(
        "Python's Tutorial, FAQ and HOWTOs",
        SETS / "python_docs.json",
        python_docs_dir,
        "manual-python.json",
    ),
    "french": Trial(
        "two French manuals (Debian Edu, aptitude)",
        SETS / "french_manuals.json",
        french_manuals_dir,
        "manual-french.json",
        FRENCH_PAGES,
    ),
    "pdf": Trial(
        "two PDF manuals (expEYES-17 in French, Auto Multiple Choice in English)",
        SETS / "pdf_manuals.json",
        pdf_manuals_dir,
        "manual-pdf.json",
        BOTH_LANGUAGES,
    ),
}


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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trial", choices=sorted(TRIALS), default="zsh")
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also answer with the issue's naive pipeline (bench/naive.py, 3 and 5 sentences)",
    )
    args = parser.parse_args(argv)
    trial = TRIALS[args.trial]
    questions = json.loads(trial.questions.read_text(encoding="utf-8"))["questions"]
    folder = trial.folder()
    with tempfile.TemporaryDirectory(prefix="calanque-manual-") as tmp:
        home = Path(tmp) / "home"
        console.print(f"[dim]{trial.title}: serving, adding and crawling…[/dim]")
        started = time.perf_counter()
        with served(folder) as url:
            _calanque(home, "add", url + "index.html")
            _calanque(home, "crawl", env={"CALANQUE_CRAWL_MIN_DELAY": "0"})
        crawl_s = time.perf_counter() - started
        outcomes = ask_all(home, questions)
    rows = []
    for prefix, name in trial.groups.items():
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
        f"Answers over {trial.title} (crawled and indexed in {crawl_s:.0f} s)",
        ["questions", "n", *VERDICTS, "key fact in 1st quote"],
        rows,
        width=160,
    )
    results: dict[str, Any] = {"crawl_s": round(crawl_s, 1), "outcomes": outcomes}
    if args.peer:
        results["naive"] = peer_table(folder, questions, outcomes, trial.groups)
    write_json(trial.output, results)


def peer_table(
    folder: Path,
    questions: list[dict[str, Any]],
    outcomes: list[dict[str, Any]],
    groups: dict[str, str],
) -> dict[str, list[str]]:
    """Right answers per group: Calanque's, and the naive pipeline's with 3 and 5 sentences
    (it never refuses: an unanswerable question is never right for it). Returns the ids
    each pipeline answered right."""
    from bench.answer import shared_embedder
    from bench.naive import folder_pipeline

    right = {
        "Calanque": [
            o["id"] for o in outcomes if o["verdict"] in ("right", "refused (unanswerable)")
        ]
    }
    embedder = shared_embedder()
    try:
        pipeline = folder_pipeline(folder, embedder)
        for sentences in (3, 5):
            pipeline.sentences = sentences
            right[f"naive, {sentences}"] = [
                q["id"]
                for q in questions
                if q["kind"] != "unans" and _holds(q["expect"], pipeline.answer(q["q"], ()))
            ]
    finally:
        embedder.close()
    rows = [
        [name, len(part), *(sum(q["id"] in ids for q in part) for ids in right.values())]
        for prefix, name in groups.items()
        if (part := [q for q in questions if q["id"].startswith(prefix)])
    ]
    rows.append(["ALL", len(questions), *(len(ids) for ids in right.values())])
    print_table(
        "Right answers: Calanque and the issue's naive pipeline",
        ["questions", "n", *right],
        rows,
        width=120,
    )
    return right


if __name__ == "__main__":
    main()
