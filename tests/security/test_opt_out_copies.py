"""A publisher's opt-out leaves no copy of the page's text in stored thread messages."""

from __future__ import annotations

from pathlib import Path

from calanque.catalog import Catalog
from calanque.types import ConsentDecision

CANARY = "withdrawn-page-canary-3b8e"
URL = "https://example.org/docs/page"


def test_opted_out_page_text_is_removed_from_stored_thread_messages(tmp_path: Path) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        thread = catalog.threads.create("question")
        citation = {"n": 1, "url": URL, "title": f"Title {CANARY}", "quote": f"{CANARY}."}
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
