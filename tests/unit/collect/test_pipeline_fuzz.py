"""Fuzz the collect pipeline's entry point: no bytes, however malformed, may crash a crawl."""

from __future__ import annotations

import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calanque.collect.pipeline import HTML_TYPES, chunk_language, process_body

CONTENT_TYPES = [
    *HTML_TYPES,
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/markdown",
    "text/plain",
    "application/octet-stream",
]

html_fragments = st.lists(
    st.sampled_from(
        [
            "<html>",
            "<head>",
            "<title>",
            "</title>",
            "<meta name=robots content=noai>",
            "<body>",
            "<p>",
            "</p>",
            "<h1>",
            "</h1>",
            "<table><tr><td>",
            "<pre>",
            "<!--",
            "<script>",
            "</script>",
            "&amp;",
            "&#0;",
            "\x00",
            "é",
            "<a href='x'>",
            "<<>>",
            "<div class='navheader'>",
            "</div>",
            "mot ",
            "word ",
        ]
    ),
    max_size=60,
).map("".join)


def check(processed) -> None:
    if processed.document is None:
        assert processed.error_kind or processed.meta_decision is not None
        return
    text = processed.document.text
    for chunk in processed.chunks:
        assert text[chunk.start : chunk.end] == chunk.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=4000),
    content_type=st.sampled_from(CONTENT_TYPES),
    charset=st.sampled_from([None, "utf-8", "iso-8859-1", "bogus-charset", "utf-16"]),
)
def test_random_bytes_never_raise(body, content_type, charset):
    check(process_body(body, "http://h/x", content_type, charset, True, {}))


@settings(max_examples=150, deadline=None)
@given(html=html_fragments, content_type=st.sampled_from(list(HTML_TYPES)))
def test_malformed_html_never_raises(html, content_type):
    check(
        process_body(html.encode("utf-8", "surrogatepass"), "http://h/x", content_type, None, True)
    )


@settings(max_examples=60, deadline=None)
@given(junk=st.binary(min_size=1, max_size=2000))
def test_corrupt_pdf_and_docx_give_error_kinds(junk):
    pdf = process_body(b"%PDF-1.4\n" + junk, "http://h/x.pdf", "application/pdf", None, False)
    assert pdf.document is not None or pdf.error_kind in ("pdf", "empty")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", junk)
    docx = process_body(buffer.getvalue(), "http://h/x.docx", CONTENT_TYPES[3], None, False)
    assert docx.document is not None or docx.error_kind in ("docx", "empty", "binary")


def test_chunk_language_tells_french_from_english():
    french = "Le paquet est installé dans le système et les fichiers sont copiés pour la suite."
    english = "The package is installed in the system and the files are copied for this step."
    assert chunk_language(french, "en") == "fr"
    assert chunk_language(english, "fr") == "en"
    assert chunk_language("apt-get install", "fr") == "fr"  # too few words: the document's
    assert chunk_language(english, "de") == "de"
