"""The benchmark domains' site generators serve every gold page, linked from its index.

Fast: the sites are written to a temporary folder, nothing is crawled or embedded (the
Debian packages are unpacked once into ``~/.cache/calanque-corpora`` by tests/corpora.py).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from bench.domains import HALVES, Domain, key_facts, load_domain

from calanque.extract import extract

GATED = ("wiki", "history", "debian_more")
SITES: list[tuple[str, str | None]] = [(name, None) for name in GATED]
SITES += [(name, half) for name in GATED for half in HALVES]
SITES += [("pdf", None), ("devref", None), ("install", None)]  # every page, whatever the half
_TAG = re.compile(r"<[^>]+>")


def _text(path: Path) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", path.read_text(encoding="utf-8"))).split())


def _written(domain: Domain, folder: Path) -> Path:
    root = domain.write_site(folder)
    assert root.is_dir()
    return root


@pytest.mark.parametrize(("name", "half"), SITES)
def test_every_gold_page_is_served_and_linked(name: str, half: str | None, tmp_path: Path) -> None:
    domain = load_domain(name, half=half)
    root = _written(domain, tmp_path)
    gold = {p for q in domain.questions for p in q.gold_pages}
    gold |= {p for t in domain.threads for turn in t.turns for p in turn.gold_pages}
    assert gold
    for page in sorted(gold):
        files = [root / path.lstrip("/") for path in domain.gold_paths(page)]
        served = [file for file in files if file.is_file()]
        # a half's smaller site serves a handbook page only in the tree it is asked in
        assert served == files if half is None else served, f"{name}: {page} is not served"
        for file in served:
            index = (file.parent / "index.html").read_text(encoding="utf-8")
            assert f'href="{quote(file.name)}"' in index, f"{file} is not linked"
    assert set(domain.sources) == {p.split("/", 1)[0] for p in domain.pages}


@pytest.mark.parametrize("half", HALVES)
def test_a_half_serves_fewer_pages(half: str) -> None:
    for name in GATED:
        assert len(load_domain(name, half=half).pages) < len(load_domain(name).pages)


def test_wiki_pages_hold_their_key_facts(tmp_path: Path) -> None:
    domain = load_domain("wiki")
    root = _written(domain, tmp_path)
    assert len(domain.pages) == len(set(domain.pages)) >= 2 * 150
    for q in domain.questions:
        if not q.answerable:
            continue
        texts = [_text(root / page).casefold() for page in q.gold_pages]
        assert any(q.key_fact.casefold() in text for text in texts), q.id
    page = (root / "fr" / "The_Dark_Side_of_the_Moon.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page
    assert "<title>The Dark Side of the Moon</title>" in page
    assert "<h1>The Dark Side of the Moon</h1>" in page


def _read_as_calanque(domain: Domain, root: Path, mime: str) -> dict[str, str]:
    """Each page's text as Calanque extracts it, whitespace collapsed, case folded."""
    from calanque.extract import extract

    return {
        page: " ".join(extract((root / page).read_bytes(), page, mime).text.split()).casefold()
        for page in domain.pages
    }


def _holds(texts: dict[str, str], facts: tuple[str, ...], paths: list[str]) -> bool:
    return any(" ".join(f.split()).casefold() in texts[p] for f in facts for p in paths)


def test_pdf_key_facts_are_in_the_text_calanque_reads(tmp_path: Path) -> None:
    # The key facts were written from another extractor's text: each must survive ours
    # (running heads, contents pages, rebuilt words), or the set measures the extraction.
    domain = load_domain("pdf")
    texts = _read_as_calanque(domain, _written(domain, tmp_path), "application/pdf")
    items = [(q.id, q.gold_pages, key_facts(q)) for q in domain.questions if q.answerable]
    items += [(t.id, turn.gold_pages, key_facts(turn)) for t in domain.threads for turn in t.turns]
    assert len(items) >= 48
    for name, gold, facts in items:
        assert _holds(texts, facts, list(gold)), name
    assert "ubuntu packaging guide" not in texts["pdf/packaging-guide.en.pdf"]  # its head


@pytest.mark.parametrize("name", ["devref", "install"])
def test_translated_trees_key_facts_are_in_the_text_calanque_reads(
    name: str, tmp_path: Path
) -> None:
    # Written from the pages' tag-stripped text: each fact must survive our extraction of
    # the long Sphinx chapters (navigation, code blocks, tables) and of the DocBook pages,
    # in the tree searched.
    domain = load_domain(name)
    texts = _read_as_calanque(domain, _written(domain, tmp_path), "text/html")
    every_tree = tuple(domain.lang_trees.values())
    assert len(domain.questions) >= 48 and len(domain.threads) >= 4
    for q in domain.questions:
        if q.answerable:
            paths = [
                f"{tree}/{page}" for tree in domain.scope(q) or every_tree for page in q.gold_pages
            ]
            assert _holds(texts, key_facts(q), paths), q.id
    for thread in domain.threads:
        for turn in thread.turns:
            paths = [f"{tree}/{page}" for tree in every_tree for page in turn.gold_pages]
            assert _holds(texts, key_facts(turn), paths), thread.id
    crossing = [q for q in domain.questions if q.kind == "cross-lingual"]
    assert crossing and all(domain.scope(q) == (domain.lang_trees[q.gold_lang],) for q in crossing)
    assert all(q.lang != q.gold_lang for q in crossing)


def test_bash_key_facts_are_in_the_manual_s_page_as_calanque_reads_it(tmp_path: Path) -> None:
    # Written from lxml's text of the texinfo page: each fact must survive our extraction
    # (definition lists, examples), in the HTML page, which the crawl keeps (the PDF, a
    # near-copy of it, is stored as another address of the same document).
    domain = load_domain("bash")
    root = _written(domain, tmp_path)
    page = "bash/bashref.html"
    texts = {page: " ".join(extract((root / page).read_bytes(), page, "text/html").text.split())}
    texts[page] = texts[page].casefold()
    assert len(domain.questions) >= 48 and len(domain.threads) >= 4
    items = [(q.id, key_facts(q)) for q in domain.questions if q.answerable]
    items += [(t.id, key_facts(turn)) for t in domain.threads for turn in t.turns]
    for name, facts in items:
        assert _holds(texts, facts, [page]), name
    assert all(q.kind != "cross-lingual" or q.lang == "fr" for q in domain.questions)


def test_maint_key_facts_are_in_the_guide_s_pdf_as_calanque_reads_it(tmp_path: Path) -> None:
    # Written from pypdf's text, which drops many spaces: each fact must survive our
    # extraction of the 63-page PDF too; every French question is over English text.
    domain = load_domain("maint")
    texts = _read_as_calanque(domain, _written(domain, tmp_path), "application/pdf")
    assert len(domain.questions) >= 48 and len(domain.threads) >= 4
    items = [(q.id, key_facts(q)) for q in domain.questions if q.answerable]
    items += [(t.id, key_facts(turn)) for t in domain.threads for turn in t.turns]
    for name, facts in items:
        assert _holds(texts, facts, list(domain.pages)), name
    assert all(q.kind != "cross-lingual" or q.lang == "fr" for q in domain.questions)


def test_gold_pages_match_urls_by_their_unquoted_path() -> None:
    wiki, more = load_domain("wiki"), load_domain("debian_more")
    url = "http://127.0.0.1:8000/en/Michelson%E2%80%93Morley_experiment.html"
    assert wiki.is_gold(url, ["en/Michelson–Morley_experiment.html"])
    assert not wiki.is_gold(url, ["fr/Michelson–Morley_experiment.html"])
    assert more.is_gold("http://h/fr-FR/sect.apt-get.html", ["sect.apt-get.html"])
    assert more.is_gold("http://h/reference/ch09.en.html", ["reference/ch09.en.html"])
    assert not more.is_gold("http://h/reference/sect.apt-get.html", ["sect.apt-get.html"])


def test_gold_lang_restricts_only_handbook_trees() -> None:
    more = load_domain("debian_more")
    by_id = {q.id: q for q in more.questions}
    assert more.scope(by_id["deb2-x-en-001"]) == ("fr-FR",)
    assert more.scope(by_id["deb2-x-fr-004"]) == ("en-US",)
    assert more.scope(by_id["deb2-ref-en-001"]) == ()
    assert all(load_domain("wiki").scope(q) == () for q in load_domain("wiki").questions)
