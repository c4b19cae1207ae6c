"""Exports over the real route and the real CLI: the owner only, every quote and link, the
withdrawn note instead of a withdrawn quote, and a PDF printed by chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.security.test_roles_and_owners import catalog_of, open_app
from tests.security.test_space_keys import PAGES, QUESTION, Api, save_page

from calanque.answer.citations import text_fragment_url
from calanque.catalog.conversations import WITHDRAWN, withdraw_from_threads
from calanque.types import Answer, Citation, Scope
from calanque.views import answer_json


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with open_app(tmp_path / "home") as client:
        catalog = catalog_of(client)
        for url, text in PAGES.items():
            source = catalog.add_source("site", url, Scope(mode="prefix", prefix=url)).id
            save_page(catalog, source, url + "ferry.html", text)
        client.app.state.services.catch_up()  # type: ignore[attr-defined]
        yield Api(client, {name: catalog.api_keys.create(name) for name in ("boss", "alice")})


def cited_answer(thread_id: str) -> Answer:
    """An answer quoting both pages (the hash embedder makes the extractive writer abstain)."""
    citations = [
        Citation(
            n,
            url + "ferry.html",
            "Ferry",
            text,
            0,
            len(text),
            text_fragment_url(url + "ferry.html", text),
            True,
        )
        for n, (url, text) in enumerate(PAGES.items(), 1)
    ]
    return Answer(
        QUESTION,
        "It leaves at nine [1]. Or at ten [2].",
        True,
        "en",
        citations=citations,
        thread_id=thread_id,
    )


def stored_thread(api: Api) -> tuple[str, list[dict[str, str]]]:
    """A thread alice made over the API, whose last answer cites both pages."""
    reply = api.ask("alice", store=True)
    assert reply.status_code == 200, reply.text
    thread = reply.json()["thread_id"]
    answer = cited_answer(thread)
    catalog_of(api.client).threads.add(thread, "user", QUESTION)
    catalog_of(api.client).threads.add(thread, "assistant", answer.answer, answer_json(answer))
    return thread, answer_json(answer)["citations"]


def test_the_owner_exports_every_quote_and_link(api: Api) -> None:
    thread, citations = stored_thread(api)
    markdown = api.call("alice", "GET", f"/v1/threads/{thread}/export", params={"format": "md"})
    page = api.call("alice", "GET", f"/v1/threads/{thread}/export", params={"format": "html"})
    assert markdown.status_code == page.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for citation in citations:
        assert citation["quote"] in markdown.text and citation["fragment_url"] in markdown.text
        assert citation["quote"] in page.text
        assert citation["fragment_url"].replace("&", "&amp;") in page.text
    assert "AI-generated answer" in markdown.text and "consent:" in markdown.text


def test_another_key_gets_404_and_a_bad_format_422(api: Api) -> None:
    thread, _ = stored_thread(api)
    assert api.call("boss", "GET", f"/v1/threads/{thread}/export").status_code == 404
    bad = api.call("alice", "GET", f"/v1/threads/{thread}/export", params={"format": "pdf"})
    assert bad.status_code == 422


def test_a_withdrawn_source_exports_the_note_not_the_quote(api: Api) -> None:
    thread, citations = stored_thread(api)
    catalog = catalog_of(api.client)
    with catalog.engine.begin() as conn:
        for url in {c["url"] for c in citations}:
            withdraw_from_threads(conn, url)
    for fmt in ("md", "html"):
        text = api.call("alice", "GET", f"/v1/threads/{thread}/export?format={fmt}").text
        assert f"{WITHDRAWN}: its quote was removed." in text
        assert all(c["quote"] not in text and "#:~:text=" not in text for c in citations)


@pytest.mark.e2e
def test_the_html_export_prints_to_pdf_in_chromium(api: Api, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright
    from tests.e2e.test_web_browser import CHROMIUM_ARGS
    from tests.system import chromium_path

    thread, _ = stored_thread(api)
    page_html = api.call("alice", "GET", f"/v1/threads/{thread}/export?format=html").text
    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.set_content(page_html)
        assert "harbour ferry" in page.inner_text("body")
        pdf = page.pdf(path=str(tmp_path / "thread.pdf"))
        browser.close()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    assert requested == [], "a standalone page fetches nothing"
