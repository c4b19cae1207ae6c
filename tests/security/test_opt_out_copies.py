"""A publisher's opt-out leaves no copy of the page's text anywhere Calanque keeps data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.crawl_helpers import calanque_json, distinct_text, page
from tests.sites import Route, serve_site

from calanque.catalog import Catalog
from calanque.index._lexical import LexicalStore
from calanque.types import ConsentDecision

CANARY = "withdrawn-page-canary-3b8e"
URL = "https://example.org/docs/page"
TOKEN = "zqxcanary7731"  # one token: found in stored text and in term dictionaries alike
WORD = "zqxbeacon"  # letters only: a word of the pages (index/words.py) as well


def test_opted_out_page_text_is_removed_from_stored_thread_messages(tmp_path: Path) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        thread = catalog.threads.create("question")
        fragment = f"{URL}#:~:text={CANARY}"
        citation = {"n": 1, "url": URL, "title": f"Title {CANARY}", "quote": f"{CANARY}."}
        citation["fragment_url"] = fragment
        result = {"url": URL, "title": "t", "snippet": f"... {CANARY} ..."}
        payload = {"answer": f"{CANARY} [1]", "citations": [citation], "search_results": [result]}
        catalog.threads.add(thread, "assistant", f"{CANARY} [1]", payload)
        refusal = ConsentDecision(URL, False, "robots.txt", "Disallow: /docs/")
        catalog.delete_document_at(URL, refusal)
        [message] = catalog.threads.messages(thread)
    finally:
        catalog.close()
    assert CANARY not in repr(message)
    assert message.payload is not None
    assert message.payload["citations"][0]["url"] == URL
    assert "withdrawn by the publisher" in message.content


# ---- end to end: crawl, index, answer, opt out, then read every byte under CALANQUE_HOME ----

ROBOTS_OPEN = "User-agent: *\nAllow: /\n"
ROBOTS_CLOSED = "User-agent: *\nDisallow: /docs/lighthouse.html\n"
LIGHTHOUSE = (
    f"The {TOKEN} lighthouse guides fishing boats into the harbour every night. "
    f"Its keeper lights the {TOKEN} lamp at sunset and writes the weather in a logbook. "
    f"Visitors may climb the {WORD} tower on Sunday afternoons in summer."
)


def _routes(robots: str) -> dict[str, Route]:
    return {
        "/robots.txt": Route(body=robots, content_type="text/plain"),
        "/docs/index.html": Route(
            body=page("Harbour guide", distinct_text("harbour"), links=("lighthouse.html",))
        ),
        "/docs/lighthouse.html": Route(body=page("The lighthouse", LIGHTHOUSE)),
    }


def _calanque(home: Path, *args: str) -> Any:
    # the re-crawl reads the new robots.txt
    return calanque_json(home, *args, env={"CALANQUE_CRAWL_ROBOTS_CACHE_S": "0"})


def files_holding(home: Path, word: str) -> list[str]:
    """Every file under ``home`` whose bytes contain ``word`` (as typed or lowercased)."""
    needles = {word.encode(), word.lower().encode()}
    found = []
    for path in sorted(home.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(needle in data for needle in needles):
                found.append(str(path.relative_to(home)))
    return found


def term_in_lexical_index(home: Path, word: str) -> bool:
    """Whether a tantivy segment (deleted documents included) still holds ``word`` as a term."""
    store = LexicalStore(home / "index" / "lexical")
    searcher = store.index.searcher()
    return any(searcher.doc_freq(field, word.lower()) for field in ("text", "text_en", "text_fr"))


@pytest.mark.e2e
@pytest.mark.slow
def test_opted_out_page_leaves_no_copy_under_calanque_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with serve_site(_routes(ROBOTS_OPEN)) as site:
        _calanque(home, "add", f"{site.url}/docs/index.html")
        assert _calanque(home, "crawl")["fetched"] == 2
        answer = _calanque(
            home, "ask", "What guides the fishing boats into the harbour at night?", "--save"
        )
        assert TOKEN in json.dumps(answer), "the answer must quote the page, so a thread holds it"
        assert files_holding(home, TOKEN) and term_in_lexical_index(home, TOKEN)
        assert "index/words.sqlite" in files_holding(home, WORD)
        site.set("/robots.txt", Route(body=ROBOTS_CLOSED, content_type="text/plain"))
        summary = _calanque(home, "crawl", "--refresh")
    assert summary["deleted"] == 1 and summary["index"]["deleted"] >= 1
    assert files_holding(home, TOKEN) == []
    assert files_holding(home, WORD) == []
    assert not term_in_lexical_index(home, TOKEN)
    hits = _calanque(home, "search", "lighthouse keeper harbour", "--mode", "lexical")["hits"]
    assert all("lighthouse.html" not in hit["url"] for hit in hits)
