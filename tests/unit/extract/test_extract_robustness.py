"""Whatever the bytes, extraction returns a Document or raises ExtractError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from calanque.errors import ExtractError
from calanque.extract import extract

TYPES = ["text/html", "text/plain", "text/markdown", "application/pdf", "", "application/xhtml+xml"]
TAGS = ["<p>", "</p>", "<div class='nav'>", "</div>", "<pre>", "</pre>", "<h2>", "</h2>",
        "<table><tr><td>", "</td></tr>", "<br>", "<!--", "-->", "<script>", "</script>", "&amp;",
        "<li>", "<main>", "</main>", "<?xml version='1.0' encoding='latin-1'?>", "<meta charset=x>"]  # fmt: skip
html_soup = st.lists(st.one_of(st.sampled_from(TAGS), st.text(max_size=20)), max_size=40).map(
    "".join
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(TYPES))
def test_arbitrary_bytes(body: bytes, content_type: str) -> None:
    try:
        document = extract(body, "http://h/x", content_type)
    except ExtractError as exc:
        assert exc.kind in {"binary", "empty", "pdf", "docx", "encoding"}
    else:
        assert document.text.strip()


@settings(max_examples=200, deadline=None)
@given(html_soup)
def test_tag_soup(html: str) -> None:
    try:
        document = extract(html.encode("utf-8", "surrogatepass"), "http://h/x", "text/html")
    except ExtractError as exc:
        assert exc.kind in {"binary", "empty", "encoding"}
    else:
        for heading in document.headings:
            assert document.text[heading.start : heading.start + len(heading.text)] == heading.text


def test_deeply_nested_markup() -> None:
    html = (
        "<html><body>" + "<div>" * 50_000 + "deep text here" + "</div>" * 50_000 + "</body></html>"
    )
    try:
        document = extract(html.encode(), "http://h/deep", "text/html")
    except ExtractError as exc:
        assert exc.kind == "empty"  # libxml2 may refuse to nest that deep
    else:
        assert "deep text here" in document.text


def test_form_feed_in_a_heading_is_whitespace() -> None:
    # Found by hypothesis: a form feed in an <h2> reached lxml's element API through
    # trafilatura's title reader and raised "All strings must be XML compatible".
    document = extract(
        b"<h2>\x0cTitle\x01here</h2><p>Some text about the title.</p>", "http://h/x", "text/html"
    )
    assert "\x0c" not in document.title and "\x01" not in document.text
