"""Reading result pages (httpx.MockTransport, no sockets), choosing their passages, and the
answer engine's scopes with a stand-in web source."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pytest
from tests.conftest import HashEmbedder

from calanque.answer.engine import AnswerEngine
from calanque.answer.extractive import ExtractiveWriter
from calanque.answer.passages import Passage, WebEvidence
from calanque.answer.vectors import SentenceVectorStore
from calanque.catalog import Catalog
from calanque.config import load_settings
from calanque.errors import ConfigError
from calanque.types import Chunk, Document, SearchFilters, SearchResult
from calanque.web.fetch import FetchedPage, PageReader
from calanque.web.passages import PageChunk, choose_passages, lexical_scores
from calanque.web.search import allowed_by_filters, recency_of, unused_results

HTML = (
    "<!doctype html><html lang='en'><head><title>{title}</title>{head}</head><body><main>"
    "<h1>{title}</h1><p>{text}</p></main></body></html>"
)
PAGES = {
    "/ok": ({}, "", "To upgrade packages, run apt full-upgrade as root on the machine."),
    "/header": ({"x-robots-tag": "noindex"}, "", "secret header text about apt upgrades"),
    "/meta": ({}, '<meta name="CalanqueBot" content="noai">', "secret meta text"),
    "/usage": ({"content-usage": "ai=n"}, "", "secret usage text"),
    "/gone": ({}, "", ""),
}


def handler(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/robots.txt":
        return httpx.Response(200, text="User-agent: *\nDisallow: /private\n")
    if path == "/.well-known/tdmrep.json":
        return httpx.Response(404)
    if path == "/gone":
        return httpx.Response(404, text="gone")
    if path not in PAGES:
        return httpx.Response(
            200, text="secret private text", headers={"content-type": "text/html"}
        )
    headers, head, text = PAGES[path]
    body = HTML.format(title=path, head=head, text=text)
    return httpx.Response(200, text=body, headers={"content-type": "text/html", **headers})


@pytest.fixture
def catalog(tmp_path: Path):
    opened = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    yield opened
    opened.close()


def result(path: str) -> SearchResult:
    return SearchResult(f"http://site.test{path}", path, "snippet", provider="searxng", used=False)


async def test_each_page_is_read_or_refused_with_its_reason(tmp_path: Path, catalog: Catalog):
    settings = load_settings({"home": tmp_path, "web": {"allow_private": True}}, environ={})
    paths = ["/ok", "/header", "/meta", "/usage", "/gone", "/private/x"]
    async with PageReader(settings, catalog, httpx.MockTransport(handler)) as reader:
        pages = await reader.read_all([result(p) for p in paths], wanted=5, budget_s=5.0)
    reasons = {p.result.url.rsplit("/", 1)[1]: p.result.reason for p in pages}
    assert reasons == {
        "ok": "",
        "header": "noindex",
        "meta": "noai",
        "usage": "content-usage",
        "gone": "fetch-error",
        "x": "robots.txt",
    }
    [read] = [p for p in pages if p.document is not None]
    assert "apt full-upgrade" in read.document.text and read.chunks
    assert all(p.result.snippet == "" for p in pages if p.document is None)
    ledger = {e["url"]: e["action"] for e in catalog.consent_ledger()}
    assert ledger["http://site.test/private/x"] == "web-refused"
    assert ledger["http://site.test/ok"] == "web-fetched"


async def test_reading_stops_once_enough_pages_were_read(tmp_path: Path, catalog: Catalog):
    settings = load_settings({"home": tmp_path, "web": {"allow_private": True}}, environ={})
    async with PageReader(settings, catalog, httpx.MockTransport(handler)) as reader:
        pages = await reader.read_all([result("/ok"), result("/meta"), result("/usage")], 1, 5.0)
    assert [p.result.reason for p in pages] == ["", "not-fetched", "not-fetched"]


def page_chunk(url: str, text: str) -> PageChunk:
    document = Document(url=url, text=f"Intro.\n{text}", title="T", language="en")
    chunk = Chunk(0, 0, text, 7, 7 + len(text), ("Part",), "en")
    return PageChunk(result(url), document, chunk)


def test_passages_are_ranked_by_words_then_embedded_few():
    chunks = [
        page_chunk("http://a/1", "Bananas grow in warm countries."),
        page_chunk("http://a/2", "Run apt full-upgrade to upgrade every package."),
        page_chunk("http://a/3", "Upgrade the firmware from the vendor site."),
    ]
    scores = lexical_scores("How do I upgrade every package?", "en", chunks)
    assert scores[1] > scores[2] > scores[0] == 0
    embedder = HashEmbedder()
    passages = choose_passages("upgrade every package", "en", chunks, embedder, 1, 2)
    assert embedder.passages_embedded == 2  # the word-less chunk is never embedded
    [best] = passages
    assert (best.n, best.url, best.start, best.heading) == (1, "http://a/2", 7, "Part")
    assert best.sentences[0].start == 7  # offsets into the page's text


def test_a_chunk_ranks_by_its_sentence_closest_to_the_question():
    """One sentence that answers is not drowned by the rest of its chunk (a whole-chunk
    vector would rank the half-matching chunk first)."""
    answering = page_chunk(
        "http://a/1",
        "Upgrade every package with apt. Bananas grow in warm wet countries near the sea. "
        "Mangoes ripen in summer under the tropical sun. Coconuts float across oceans.",
    )
    partial = page_chunk("http://a/2", "Every firmware upgrade comes from the vendor site.")
    embedder = HashEmbedder()
    whole = embedder.embed_passages([answering.embedded_text, partial.embedded_text])
    query = embedder.embed_query("upgrade every package")
    assert float(whole[0] @ query) < float(whole[1] @ query)
    passages = choose_passages("upgrade every package", "en", [partial, answering], embedder, 2, 2)
    assert [p.url for p in passages] == ["http://a/1", "http://a/2"]


def test_chosen_passages_leave_their_sentence_vectors_to_the_writer():
    store = SentenceVectorStore()
    embedder = HashEmbedder()
    chunks = [
        page_chunk("http://a/1", "Run apt full-upgrade as root. It upgrades every package."),
        page_chunk("http://a/2", "Upgrade the firmware from the vendor site first."),
        page_chunk("http://a/3", "apt"),  # no candidate sentence: embedded whole, not stored
    ]
    query = "How do I upgrade every package?"
    passages = choose_passages(query, "en", chunks, embedder, 3, 3, store)
    assert store.embedded == 3  # the candidate sentences of the shortlisted chunks
    assert embedder.passages_embedded == 4  # and the sentence-less chunk, once
    assert store.known(["apt"], embedder.name) == 0
    before = embedder.passages_embedded
    draft = ExtractiveWriter(embedder, store).write(query, "en", passages)
    assert draft.sentences and embedder.passages_embedded == before  # nothing embedded again


def test_search_filters_and_recency():
    filters = SearchFilters(
        sites=("a.example",), exclude_sites=("b.a.example",), since="2025-01-01"
    )
    assert allowed_by_filters(SearchResult("https://www.a.example/", "", ""), filters)
    assert not allowed_by_filters(SearchResult("https://b.a.example/", "", ""), filters)
    assert not allowed_by_filters(SearchResult("https://c.example/", "", ""), filters)
    assert recency_of(filters, today=date(2025, 1, 5)) == "week"
    assert recency_of(filters, today=date(2025, 6, 5)) == "year"
    assert recency_of(None) == ""


class FakeWeb:
    def __init__(self, passages: list[Passage], unused: list[SearchResult]) -> None:
        self.evidence = WebEvidence(passages, unused, ["web search provider brave is down"])

    def gather(self, query, language, filters, count, *, asker="operator") -> WebEvidence:
        return self.evidence


class NoIndex:
    def search(self, query, k=10, filters=None):
        return []


def test_engine_web_scope_lists_unused_results_after_the_numbered_sources():
    chunk = page_chunk("http://a/2", "Run apt full-upgrade to upgrade every package.")
    passage = choose_passages("upgrade", "en", [chunk], HashEmbedder(), 1, 1)[0]
    refused = SearchResult(
        "http://r/", "R", "", provider="searxng", used=False, reason="robots.txt"
    )
    engine = AnswerEngine(NoIndex(), None, HashEmbedder(), web=FakeWeb([passage], [refused]))
    answer = engine.answer("How do I upgrade every package?", scope="web")
    assert [(r.url, r.used, r.reason) for r in answer.search_results] == [
        ("http://a/2", True, ""),
        ("http://r/", False, "robots.txt"),
    ]
    assert answer.search_results[0].provider == "searxng"
    assert answer.warnings == ["web search provider brave is down"]
    with pytest.raises(ConfigError, match="web.searxng_url"):
        AnswerEngine(NoIndex(), None, HashEmbedder()).answer("apt?", scope="web")


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return super().embed_query(text)


def test_the_engine_reuses_the_query_vector_of_the_web_source():
    chunk = page_chunk("http://a/2", "Run apt full-upgrade to upgrade every package.")
    embedder = CountingEmbedder()
    vector = embedder.embed_query("How do I upgrade every package?")
    passage = choose_passages("upgrade", "en", [chunk], embedder, 1, 1, None, vector)[0]
    web = FakeWeb([passage], [])
    web.evidence = replace(web.evidence, query_vector=vector)
    answer = AnswerEngine(NoIndex(), None, embedder, web=web).answer(
        "How do I upgrade every package?", scope="web"
    )
    assert answer.search_results[0].used  # answered or not, the writer weighed the passage
    assert embedder.queries == ["How do I upgrade every package?"]
    embedder.queries.clear()  # without a vector from the web source, the engine embeds it
    AnswerEngine(NoIndex(), None, embedder, web=FakeWeb([passage], [])).answer(
        "How do I upgrade every package?", scope="web"
    )
    assert embedder.queries == ["How do I upgrade every package?"]


def test_unused_results_name_pages_read_but_not_needed():
    chunk = page_chunk("http://a/2", "text")
    pages = [FetchedPage(result("/x"), chunk.document, (chunk.chunk,))]
    [unused] = unused_results(pages, [])
    assert (unused.used, unused.reason, unused.snippet) == (False, "not-needed", "")
