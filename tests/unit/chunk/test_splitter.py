"""Chunking: exact offsets, full ordered coverage, token bounds, heading paths."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calanque.chunk import estimate_tokens, split
from calanque.extract.text import TextBuilder
from calanque.types import Chunk, Document, Heading

MIN, TARGET, MAX, OVERLAP = 200, 280, 350, 30

words = st.text(alphabet="abcdeéàçœxyz", min_size=1, max_size=9)
sentences = st.lists(words, min_size=1, max_size=30).map(lambda ws: " ".join(ws) + ".")
paragraphs = st.lists(sentences, min_size=1, max_size=12).map(" ".join)
code_blocks = st.lists(st.lists(words, min_size=0, max_size=8), min_size=1, max_size=40).map(
    lambda lines: "\n".join("    " + " ".join(line) for line in lines)
)


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    blocks: list[tuple[str, str]]  # ("p" | "pre", text)


sections = st.builds(
    Section,
    level=st.integers(min_value=1, max_value=4),
    title=st.lists(words, min_size=1, max_size=6).map(" ".join),
    blocks=st.lists(
        st.tuples(st.sampled_from(["p", "p", "p", "pre"]), st.one_of(paragraphs, code_blocks)),
        min_size=0,
        max_size=8,
    ),
)


@dataclass(frozen=True)
class Built:
    document: Document
    paths: list[tuple[int, tuple[str, ...]]]  # (heading start, expected heading path)


def build(preamble: list[str], outline: list[Section]) -> Built:
    builder = TextBuilder()
    for text in preamble:
        builder.paragraph(text)
    paths: list[tuple[int, tuple[str, ...]]] = []
    stack: list[tuple[int, str]] = []
    for section in outline:
        stack = [(level, title) for level, title in stack if level < section.level]
        stack.append((section.level, " ".join(section.title.split())))
        builder.heading(section.level, section.title)
        paths.append((builder.headings[-1].start, tuple(title for _, title in stack)))
        for kind, text in section.blocks:
            if kind == "pre":
                builder.verbatim(text)
            else:
                builder.paragraph(text)
    document = Document(
        url="http://h/d", text=builder.text(), headings=tuple(builder.headings), language="fr", id=7
    )
    return Built(document, paths)


documents = st.builds(build, st.lists(paragraphs, max_size=3), st.lists(sections, max_size=12))


def expected_path(built: Built, position: int) -> tuple[str, ...]:
    path: tuple[str, ...] = ()
    for start, heading_path in built.paths:
        if start <= position:
            path = heading_path
    return path


def chunks_of(document: Document) -> list[Chunk]:
    return split(
        document, target_tokens=TARGET, max_tokens=MAX, min_tokens=MIN, overlap_tokens=OVERLAP
    )


@settings(max_examples=80, deadline=None)
@given(documents)
def test_offsets_map_back_to_the_text_exactly(built: Built) -> None:
    text = built.document.text
    for chunk in chunks_of(built.document):
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text and not chunk.text[0].isspace() and not chunk.text[-1].isspace()
        assert chunk.start == 0 or text[chunk.start - 1].isspace()  # never inside a word
        assert chunk.end == len(text) or text[chunk.end].isspace()


@settings(max_examples=80, deadline=None)
@given(documents)
def test_chunks_cover_the_document_in_order(built: Built) -> None:
    text = built.document.text
    chunks = chunks_of(built.document)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(c.document_id == 7 and c.language == "fr" for c in chunks)
    if not text.strip():
        assert chunks == []
        return
    assert not text[: chunks[0].start].strip() and not text[chunks[-1].end :].strip()
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.start < after.start and before.end < after.end
        assert not text[before.end : after.start].strip()  # only whitespace between
        overlap = before.end - after.start
        assert estimate_tokens(text[after.start : before.end]) <= OVERLAP if overlap > 0 else True


@settings(max_examples=80, deadline=None)
@given(documents)
def test_token_bounds(built: Built) -> None:
    chunks = chunks_of(built.document)
    for chunk in chunks:
        assert estimate_tokens(chunk.text) <= MAX
    for chunk in chunks[:-1]:
        assert estimate_tokens(chunk.text) >= MIN


@settings(max_examples=80, deadline=None)
@given(documents)
def test_heading_paths(built: Built) -> None:
    for chunk in chunks_of(built.document):
        assert chunk.heading_path == expected_path(built, chunk.start)


def _section(title: str, sentences_count: int, word: str) -> Section:
    sentence = " ".join([word] * 9) + "."
    return Section(level=2, title=title, blocks=[("p", " ".join([sentence] * sentences_count))])


def test_sections_long_enough_each_start_a_chunk() -> None:
    outline = [_section(f"Part {i}", 20, f"w{i}") for i in range(4)]  # ~260 tokens each
    built = build([], outline)
    chunks = chunks_of(built.document)
    assert [c.heading_path for c in chunks] == [(f"Part {i}",) for i in range(4)]
    assert [c.start for c in chunks] == [h.start for h in built.document.headings]


def test_short_sections_merge_under_the_first_heading() -> None:
    outline = [_section(f"Part {i}", 3, f"w{i}") for i in range(6)]  # ~40 tokens each
    chunks = chunks_of(build([], outline).document)
    assert len(chunks) == 1
    assert chunks[0].heading_path == ("Part 0",)
    assert "Part 5" in chunks[0].text


def test_long_paragraph_without_punctuation_is_cut_between_words_with_overlap() -> None:
    text = " ".join(f"mot{i}" for i in range(1000))
    chunks = split(Document(url="u", text=text))
    assert len(chunks) >= 4
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start < before.end  # overlap
    assert all(estimate_tokens(c.text) <= 350 for c in chunks)


def test_chunks_do_not_end_on_a_heading_line() -> None:
    body = " ".join(["Une phrase de dix mots pour remplir le texte ici."] * 14)
    outline = [
        Section(2, "Avant", [("p", body)]),
        Section(2, "Titre", [("p", body + " " + body)]),
    ]
    built = build([], outline)
    for chunk in chunks_of(built.document):
        assert not chunk.text.endswith("Titre")


def test_empty_and_tiny_documents() -> None:
    assert split(Document(url="u", text="")) == []
    assert split(Document(url="u", text="  \n\n ")) == []
    doc = Document(url="u", text="Deux mots", headings=(Heading(1, "Deux mots", 0),))
    [chunk] = split(doc)
    assert (chunk.text, chunk.start, chunk.end, chunk.heading_path) == (
        "Deux mots",
        0,
        9,
        ("Deux mots",),
    )
    assert chunk.document_id == 0


def test_invalid_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        split(Document(url="u", text="x"), min_tokens=300, target_tokens=200, max_tokens=350)


def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("un deux  trois\n quatre") == 6  # 4 words × 1.3 = 5.2 → 6
