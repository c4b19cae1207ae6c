"""The web page in a real browser (Playwright driving Debian's chromium) over the real corpus."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.e2e.served import Served, corpus, start_server
from tests.system import chromium_path

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    source = corpus(tmp_path_factory.getbasetemp())
    with start_server(source, tmp_path_factory.mktemp("web") / "home") as running:
        yield running


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright (shared by the page tests)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def english_page() -> Iterator[Page]:
    """A page of its own chromium, in English, 1200 × 900 (for a module's ``page``)."""
    with launched_chromium() as browser:
        context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
        yield context.new_page()
        context.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def ask(page: Page, question: str, box: str = "#question") -> None:
    page.fill(box, question)
    page.press(box, "Enter")


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_ask_stream_chips_and_follow_up(page: Page, served: Served) -> None:
    page.goto(served.url + "/")
    ask(page, "How do I upgrade all installed packages?")
    turn = page.locator(".turn").first
    expect(turn.locator(".ai-label")).to_contain_text("AI-generated answer")
    expect(turn.locator(".answer")).to_contain_text("apt full-upgrade")
    expect(turn.locator(".sources li").first).to_contain_text("Upgrading packages with apt")
    expect(turn.locator(".related-q")).to_have_count(3)
    chip = turn.locator(".chip").first
    chip.hover()
    tip = turn.locator(".tip").first
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("apt update")
    shot(page, "answer-hover")
    page.mouse.move(0, 0)
    chip.focus()  # keyboard users see the quote too
    expect(tip).to_be_visible()
    with page.context.expect_page() as opened:
        chip.click()
    source = opened.value
    assert "#:~:text=" in source.url and "/docs/apt.html" in source.url
    source.close()
    ask(page, "Where are the package lists downloaded from?", box="#followup")
    second = page.locator(".turn").nth(1)
    expect(second.locator(".ai-label")).not_to_be_empty()
    expect(second.locator(".answer")).to_contain_text("sources.list")
    expect(page.locator("#threads .thread").first).to_contain_text("upgrade all installed packages")
    shot(page, "follow-up")


def test_language_switch_is_remembered(page: Page, served: Served) -> None:
    page.goto(served.url + "/")
    expect(page.locator("#ask-button")).to_have_text("Ask")
    page.select_option("#ui-lang", "fr")
    expect(page.locator("#ask-button")).to_have_text("Demander")
    expect(page.locator("label[for=f-recency]")).to_have_text("Date")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.reload()
    expect(page.locator("#ask-button")).to_have_text("Demander")
    ask(page, "Comment redémarrer le réseau ?")
    expect(page.locator(".turn .ai-label").first).to_contain_text("Réponse générée par IA")
    shot(page, "french")


def test_crawled_script_and_onerror_do_not_run(page: Page, served: Served) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(served.url + "/")
    ask(page, "Where are the nftables firewall rules kept?")
    turn = page.locator(".turn").first
    expect(turn.locator(".answer")).to_contain_text("<script>window.__xss=1;alert(1)</script>")
    expect(turn.locator(".answer")).to_contain_text('<img src=x onerror="window.__xss=2">')
    turn.locator(".chip").first.hover()
    expect(turn.locator(".tip").first).to_contain_text("<script>")
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []
    assert page.locator("#turns script, #turns img").count() == 0
    shot(page, "xss-escaped")


def test_phone_width_and_labelled_controls(browser: Browser, served: Served) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(served.url + "/")
    expect(page.locator("#ask-button")).to_have_text("Demander")  # from navigator.language
    ask(page, "Comment redémarrer le réseau ?")
    expect(page.locator(".turn .answer").first).to_contain_text("systemctl restart networking")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 376, f"horizontal scroll at 375 px: {width}px"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, button')]
             .filter(n => !n.closest('[hidden]'))
             .filter(n => !(n.labels && n.labels.length) && !n.getAttribute('aria-label')
                          && !n.textContent.trim())
             .map(n => n.id || n.outerHTML)"""
    )
    assert unlabelled == []
    shot(page, "phone-375")
    context.close()


def test_admin_page_charts_citations_per_publisher(page: Page, served: Served) -> None:
    """An answer cites the corpus's host (stored in a thread or not): its bar is on the page."""
    question = {"messages": [{"role": "user", "content": "Where are the APT sources listed?"}]}
    host = httpx.URL(served.corpus.docs_url).netloc.decode()

    def cited_count() -> int:
        reports = httpx.get(served.url + "/v1/publishers").json()["data"]
        return sum(int(p["cited"]) for p in reports if p["host"] == host)

    before = cited_count()
    reply = httpx.post(served.url + "/v1/chat/completions", json=question, timeout=120)
    citations = [c for c in reply.json()["search_results"] if host in c["url"]]
    assert reply.json()["citations"] and citations, reply.text
    assert cited_count() > before  # an answer that is not stored is counted too
    cited = {"cited": cited_count()}
    page.goto(served.url + "/admin")
    bar = page.locator("#publishers li", has_text=host)
    expect(bar).to_have_attribute("aria-label", f"{host}: {cited['cited']} citations")
    # the page may lay the bar out a moment after its label (the stylesheet, a refresh)
    width = 0.0
    for _ in range(50):  # at most 5 s
        width = bar.locator(".bar").evaluate("n => n.getBoundingClientRect().width")
        if width > 0:
            break
        page.wait_for_timeout(100)
    assert width > 0
    expect(page.locator("#no-citations")).to_be_hidden()
    shot(page, "admin-publishers")


def test_admin_page_shows_sources_and_ledger(page: Page, served: Served) -> None:
    page.goto(served.url + "/admin")
    expect(page.locator("#sources tr")).to_have_count(2)
    expect(page.locator("#sources")).to_contain_text(served.corpus.docs_url)
    page.uncheck("#refused-only")
    expect(page.locator("#ledger tr").first).to_contain_text("robots.txt")
    expect(page.locator("#counts")).to_contain_text("documents")
    shot(page, "admin")


def test_a_part_of_the_question_the_sources_leave_out_is_named(page: Page, served: Served) -> None:
    """A question that asks two things, one the sources answer: the answer says which part
    it leaves out, beside the answer, not only in the API's JSON."""
    page.goto(served.url + "/")
    ask(page, "How do I upgrade all installed packages, and how much does an Oracle licence cost?")
    turn = page.locator(".turn").first
    expect(turn.locator(".answer")).to_contain_text("apt full-upgrade")
    notes = turn.locator(".warnings li")
    expect(notes).to_have_count(1)
    expect(notes.first).to_contain_text("how much does an Oracle licence cost?")
    expect(turn.locator(".answer")).not_to_contain_text("Oracle")
    ask(page, "Where are the package lists downloaded from?", box="#followup")
    second = page.locator(".turn").nth(1)
    expect(second.locator(".answer")).to_contain_text("sources.list")
    expect(second.locator(".warnings")).to_be_hidden()
