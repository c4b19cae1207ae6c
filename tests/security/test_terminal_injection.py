"""Crawled text must not drive the terminal: Rich markup and escape sequences in a crawled
title or header are printed as the literal text by the CLI.

A real crawl of pages served on 127.0.0.1, then the real ``calanque`` CLI in a
subprocess, with Rich forced to write for a terminal (where links would be emitted).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.e2e.crawl_helpers import LOREM_EN, add_site, crawl, make_settings, open_catalog, page
from tests.sites import Route, serve_site

pytestmark = [pytest.mark.e2e]

MARKUP = "[bold] [/] [link=http://evil]x[/link]"
OSC8 = "\x1b]8;;http://evil\x1b\\"
HOSTILE = f"Guide {MARKUP} {OSC8}click"


def calanque(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "400", "TERM": "xterm-256color"}
    command = [sys.executable, "-m", "calanque", "--home", str(home), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("terminal") / "home"
    routes = {
        "/site/": Route(body=page(HOSTILE, LOREM_EN * 3, links=("refused.html",))),
        "/site/refused.html": Route(
            body=page("Refused", LOREM_EN), headers={"X-Robots-Tag": f"noai {MARKUP}"}
        ),
    }
    with serve_site(routes) as site:
        settings = make_settings(home)
        catalog = open_catalog(settings)
        try:
            add_site(catalog, f"{site.url}/site/")
            crawl(catalog, settings)
        finally:
            catalog.close()
        return home, f"{site.url}/site/refused.html"


def assert_literal(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    visible = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # colours are not content
    assert text in visible
    assert "\x1b]8;" not in result.stdout  # no terminal hyperlink
    assert "\x1b]" not in result.stdout.replace("\x1b[", "")  # no OSC of any kind


def test_crawled_header_markup_does_not_crash_consent(crawled: tuple[Path, str]) -> None:
    home, refused = crawled
    assert_literal(calanque(home, "consent", refused), MARKUP)


def test_crawled_title_is_not_a_terminal_link_in_pages(crawled: tuple[Path, str]) -> None:
    home, _ = crawled
    assert_literal(calanque(home, "pages"), "[link=http://evil]x[/link]")
