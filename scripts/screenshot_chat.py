"""Regenerate docs/img/chat.png from a real ``calanque chat`` session (run by
scripts/screenshot-chat).

The test corpus of tests/e2e/served.py is crawled and indexed (the real crawler and
embedder, on 127.0.0.1), the chat runs in a pseudo-terminal (tests/e2e/terminal.py), a
question and a follow-up are typed, and pyte's screen, colours included, is written as an
HTML page that headless Chromium photographs. Needs Debian's chromium.
"""

from __future__ import annotations

import html
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from playwright.sync_api import sync_playwright  # noqa: E402
from tests.e2e.served import corpus  # noqa: E402
from tests.e2e.terminal import Terminal  # noqa: E402
from tests.system import chromium_path  # noqa: E402

COLUMNS, LINES = 100, 24
QUESTIONS = ("What does apt update download?", "Where are they listed?")
LABEL = "AI-generated answer"
PALETTE = {  # pyte's colour names -> a dark theme (Tango)
    "default": "#d3d7cf",
    "black": "#2e3436",
    "red": "#ef2929",
    "green": "#8ae234",
    "brown": "#fce94f",
    "blue": "#729fcf",
    "magenta": "#ad7fa8",
    "cyan": "#34e2e2",
    "white": "#eeeeec",
}
BACKGROUND = "#1e1e1e"
DIM = "#8a8a8a"


def colour(name: str, default: str) -> str:
    if name == "default":
        return default
    if name in PALETTE:
        return PALETTE[name]
    name = name.removeprefix("bright")
    if name in PALETTE:
        return PALETTE[name]
    return f"#{name}" if len(name) == 6 else default


def session(home: Path, workdir: Path) -> Terminal:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env |= {"TERM": "xterm-256color", "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT / "src")}
    command = ["-m", "calanque", "--home", str(home), "chat"]
    terminal = Terminal(sys.executable, command, env, workdir, columns=COLUMNS, lines=LINES)
    terminal.screen.dim_colour = DIM
    terminal.wait_for("›")
    for question in QUESTIONS:
        terminal.wait_for(LABEL, terminal.type_line(question))
    terminal.wait_for("›", terminal.row)
    return terminal


def screen_html(terminal: Terminal) -> str:
    rows = []
    for y in range(terminal.screen.lines):
        line = terminal.screen.buffer[y]
        spans, last, text = [], None, ""
        for x in range(terminal.screen.columns):
            char = line[x]
            style = (colour(char.fg, PALETTE["default"]), char.bold, char.italics)
            if style != last and text:
                spans.append(span(last, text))
                text = ""
            last, text = style, text + char.data
        if text:
            spans.append(span(last, text))
        rows.append("".join(spans).rstrip())
    body = "\n".join(rows).rstrip()
    return (
        "<!doctype html><meta charset='utf-8'><style>"
        f"body{{margin:0;background:#fff}}pre{{margin:0;padding:14px 18px;background:{BACKGROUND};"
        f"color:{PALETTE['default']};font:14px/1.35 'DejaVu Sans Mono',monospace;"
        "display:inline-block;border-radius:6px}</style>"
        f"<pre id='screen'>{body}</pre>"
    )


def span(style: tuple[str, bool, bool] | None, text: str) -> str:
    fg, bold, italics = style or (PALETTE["default"], False, False)
    css = (
        f"color:{fg}"
        + (";font-weight:bold" if bold else "")
        + (";font-style:italic" if italics else "")
    )
    return f"<span style='{css}'>{html.escape(text)}</span>"


def photograph(page_html: str, output: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "chat.html"
        page_file.write_text(page_html, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium_path(), args=["--headless=new", "--no-sandbox"]
            )
            page = browser.new_page(device_scale_factor=1)
            page.goto(page_file.as_uri())
            page.locator("#screen").screenshot(path=str(output))
            browser.close()


def main() -> int:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img" / "chat.png"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        home = root / "home"
        shutil.copytree(corpus(root).home, home)
        terminal = session(home, root)
        try:
            page_html = screen_html(terminal)
        finally:
            terminal.close()
    photograph(page_html, output)
    print(f"screenshot-chat: wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
