"""Answers over small folders of notes (``python -m bench.notes``).

The nine answer domains are manuals and sites of hundreds of pages; an operator's first
source is often a folder of a few notes, where a corpus holds a few dozen sentences and
every cosine is near every other. ``tests/quality/sets/notes/`` holds three such folders
(a company's IT notes, a sailing club, a town hall; French and English; Markdown, text,
HTML and DOCX) and 83 questions over them, written by a helper before it saw an answer.
Each folder is added and crawled as a user would (``calanque add``, ``calanque crawl``,
in a fresh home), then every question is answered by the default engine.

The set was read to choose rules (its failures were looked at): it is a tune set, and
its figures say how answers over small folders move, not how they generalise. Prints a
table per folder and writes ``bench/out/notes.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from bench._common import console, print_table, write_json

NOTES_DIR = Path(__file__).resolve().parents[1] / "tests" / "quality" / "sets" / "notes"
FOLDERS = ("it", "club", "mairie")
VERDICTS = ("right", "refused", "wrong", "refused (unanswerable)", "answered (unanswerable)")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u202f", " ").replace("\xa0", " ")
    return " ".join(text.split()).casefold()


def _holds(expect: list[list[str]], text: str) -> bool:
    """One alternative of every group of ``expect`` is in ``text``."""
    return all(any(_norm(alt) in _norm(text) for alt in group) for group in expect)


def _calanque(home: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """``python -m calanque ARGS`` on ``home`` (no other ``CALANQUE_`` variable but ``env``)."""
    settings = {"CALANQUE_HOME": str(home), **(env or {})}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env.update(settings)
    subprocess.run(
        [sys.executable, "-m", "calanque", *args], env=env, check=True, capture_output=True
    )


def score(question: dict[str, Any], answered: bool, text: str, first_quote: str) -> dict:
    if question["kind"] != "ans":
        verdict = "answered (unanswerable)" if answered else "refused (unanswerable)"
        return {"verdict": verdict, "first": False}
    if not answered:
        return {"verdict": "refused", "first": False}
    right = _holds(question["expect"], text)
    first = right and _holds(question["expect"], first_quote)
    return {"verdict": "right" if right else "wrong", "first": first}


def run_folder(name: str, questions: list[dict[str, Any]], root: Path) -> list[dict[str, Any]]:
    home = root / name
    _calanque(home, "add", str(NOTES_DIR / name))
    _calanque(home, "crawl")
    return ask_all(home, questions)


def ask_all(home: Path, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each question (``q``, ``kind``, ``expect``) answered by the default engine over
    ``home``, scored (:func:`score`), with the answer, the pages cited and the time."""
    os.environ["CALANQUE_HOME"] = str(home)
    from calanque.config import load_settings
    from calanque.runtime import Runtime

    engine = Runtime(load_settings()).engine("extractive")
    out = []
    for q in questions:
        start = time.perf_counter()
        answer = engine.answer(q["q"])
        first = answer.citations[0].quote if answer.citations else ""
        out.append(
            {
                "id": q["id"],
                "question": q["q"],
                **score(q, answer.answered, answer.answer, first),
                "answer": answer.answer,
                "cited": [c.url.rsplit("/", 1)[-1] for c in answer.citations],
                "ms": round((time.perf_counter() - start) * 1000, 1),
            }
        )
    return out


def main() -> None:
    data = json.loads((NOTES_DIR / "questions.json").read_text(encoding="utf-8"))
    results: dict[str, Any] = {}
    rows = []
    with tempfile.TemporaryDirectory(prefix="calanque-notes-") as tmp:
        for name in FOLDERS:
            console.print(f"[dim]{name}: adding, crawling and asking…[/dim]")
            outcomes = run_folder(name, data["questions"][name], Path(tmp))
            counts = Counter(o["verdict"] for o in outcomes)
            right = counts["right"]
            rows.append(
                [
                    name,
                    len(outcomes),
                    *(counts[v] for v in VERDICTS),
                    f"{sum(o['first'] for o in outcomes)}/{right}",
                ]
            )
            results[name] = {"counts": dict(counts), "outcomes": outcomes}
    totals = [sum(r[i] for r in rows) for i in range(1, 2 + len(VERDICTS))]
    firsts = sum(int(r[-1].split("/")[0]) for r in rows)
    rows.append(["ALL", *totals, f"{firsts}/{totals[1]}"])
    print_table(
        "Answers over small folders of notes (a tune set)",
        ["folder", "questions", *VERDICTS, "key fact in 1st quote"],
        rows,
        width=160,
    )
    write_json("notes.json", results)


if __name__ == "__main__":
    main()
