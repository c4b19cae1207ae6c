"""Extraction recall on the real Debian Administrator's Handbook (fr-FR and en-US).

For every page, the reference is the text of the page's content area, computed
here independently and simply: ``<body>`` minus the navigation that DocBook
(publican) puts around and inside it — the ebook banner, the logo line, the
``docnav`` previous/next lists and the ``toc`` link lists. Recall is the share
of the reference's words (a bag: each occurrence counts) found in the extracted
``Document.text``. trafilatura's own recall is measured on the same pages for
comparison; it is printed, not asserted.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest
import trafilatura
from tests.corpora import handbook_dir

from calanque.extract import extract

pytestmark = pytest.mark.e2e

_WORD = re.compile(r"\w+")
_NAVIGATION = (
    "./div[@id='banner'] | ./p[@id='title'] | .//ul[contains(@class, 'docnav')]"
    " | .//div[@class='toc'] | .//script | .//style"
)
MIN_RECALL = 0.98


def words(text: str) -> Counter[str]:
    return Counter(word.lower() for word in _WORD.findall(text))


def content_area_text(body: bytes) -> str:
    root = lxml.html.document_fromstring(body)
    content = root.find("body")
    assert content is not None
    for element in content.xpath(_NAVIGATION):
        element.drop_tree()
    return " ".join(content.itertext())


def page_title(body: bytes) -> str:
    title = lxml.html.document_fromstring(body).findtext(".//title") or ""
    return " ".join(title.split())


def recall(reference: Counter[str], extracted: Counter[str]) -> float:
    total = sum(reference.values())
    found = sum(min(count, extracted[word]) for word, count in reference.items())
    return found / total if total else 1.0


@dataclass(frozen=True)
class Measure:
    page: str
    words: int
    ours: float
    trafilatura: float
    language: str
    title_ok: bool


def measure(path: Path, lang: str) -> Measure:
    body = path.read_bytes()
    reference = words(content_area_text(body))
    document = extract(body, f"http://127.0.0.1/{lang}/{path.name}", "text/html")
    theirs = trafilatura.extract(body.decode("utf-8"), favor_recall=True) or ""
    return Measure(
        page=path.name,
        words=sum(reference.values()),
        ours=recall(reference, words(document.text)),
        trafilatura=recall(reference, words(theirs)),
        language=document.language,
        title_ok=document.title == page_title(body),
    )


def weighted(measures: list[Measure], field: str) -> float:
    total = sum(m.words for m in measures)
    return sum(getattr(m, field) * m.words for m in measures) / total


@pytest.mark.parametrize(
    ("lang", "code", "min_share"), [("fr-FR", "fr", 0.75), ("en-US", "en", 1.0)]
)
def test_handbook_extraction_recall(lang: str, code: str, min_share: float) -> None:
    pages = sorted(handbook_dir(lang).glob("*.html"))
    assert len(pages) >= 100
    measures = [measure(path, lang) for path in pages]
    ours, theirs = weighted(measures, "ours"), weighted(measures, "trafilatura")
    worst = min(measures, key=lambda m: m.ours)
    in_language = sum(m.language == code for m in measures) / len(measures)
    print(
        f"\n{lang}: {len(measures)} pages, {sum(m.words for m in measures)} words; "
        f"recall ours {ours:.4f} (worst {worst.ours:.4f} {worst.page}), "
        f"trafilatura favor_recall {theirs:.4f} "
        f"(worst {min(m.trafilatura for m in measures):.4f}); "
        f"language {code}: {in_language:.0%} ({Counter(m.language for m in measures)})"
    )
    below = [(m.page, round(m.ours, 4)) for m in measures if m.ours < MIN_RECALL]
    assert not below, f"pages under {MIN_RECALL} recall: {below}"
    assert ours >= MIN_RECALL
    assert [m.page for m in measures if not m.title_ok] == []
    assert in_language >= min_share
