"""Screenshot the web page with a space selected and an answer: docs/img/page-space.png.

Crawls and indexes the small corpus of the web page's tests (tests/e2e/page_corpus.py: a
handbook and a wiki served on 127.0.0.1) into a temporary folder with the real crawler
and embedder, serves it with Calanque on loopback, makes a space per source, and drives
Debian's chromium (Playwright): the "handbook" space picked, a question asked, the
answer, its source card and its quotes shown. Nothing leaves the machine.

    scripts/screenshot-page [--out docs/img/page-space.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTION = "How do I refresh the package lists and upgrade every installed package?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/img/page-space.png")
    args = parser.parse_args()

    import httpx
    from playwright.sync_api import expect, sync_playwright
    from tests.e2e.page_corpus import PAGES
    from tests.e2e.served import build_corpus, start_server
    from tests.e2e.test_web_browser import CHROMIUM_ARGS
    from tests.system import chromium_path

    with tempfile.TemporaryDirectory(prefix="calanque-shot-") as tmp:
        corpus = build_corpus(Path(tmp) / "corpus", PAGES)
        with start_server(corpus, Path(tmp) / "home") as served:
            spaces = (
                ("handbook", 1, "The server handbook: packages, upgrades and the apt cache."),
                ("wiki", 2, "The team wiki: SSH keys and database backups."),
            )
            for name, source, about in spaces:
                body = {"name": name, "description": about, "source_ids": [source]}
                httpx.post(served.url + "/v1/spaces", json=body, timeout=30).raise_for_status()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                page = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 900})
                page.goto(served.url + "/?space=handbook")
                expect(page.locator("#space-info")).to_be_visible()
                page.locator("#space-info > summary").click()
                page.fill("#question", QUESTION)
                page.press("#question", "Enter")
                expect(page.locator(".turn .source-card").first).to_be_visible()
                expect(page.locator(".turn .related-q").first).to_be_visible()
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out), full_page=True)
                browser.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
