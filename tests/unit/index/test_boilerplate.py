"""A site's boilerplate: the lines most of its pages open or close on
(calanque.index.boilerplate), counted with the corpus's words and left out of what a writer
may quote."""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from pathlib import Path

from calanque.answer.passages import make_passage, without_lines
from calanque.index.boilerplate import MIN_PAGES, RepeatedLines, line_key
from calanque.index.embedded import WORDS_FILE, EmbeddedIndex
from calanque.index.sync import count_words
from calanque.types import Hit, IndexedChunk

CREDIT = "This document was generated on February 5, 2023 using texi2any."
BANNER = "Zsh version 5.9, released on May 14, 2022."
SEE_ALSO = "See the list of options for the details."


def page_chunks(site: str, page: int, first_id: int, tail: list[str]) -> list[IndexedChunk]:
    """A page of two chunks: its own text, then more of it followed by ``tail``."""
    texts = [
        f"Chapter {page}\n\nThe builtin number {page} reads its arguments one by one.",
        "\n".join([f"It then prints {page} lines of output to the terminal.", *tail]),
    ]
    return [
        IndexedChunk(
            chunk_id=first_id + i,
            document_id=page,
            text=text,
            title=f"Chapter {page}",
            url=f"https://{site}/chapter{page}.html",
            heading="",
            language="en",
            site=site,
            source_id=1,
        )  # fmt: skip
        for i, text in enumerate(texts)
    ]


def manual(site: str = "zsh.example", pages: int = 12, first_page: int = 1) -> list[IndexedChunk]:
    chunks = []
    for page in range(first_page, first_page + pages):
        tail = [CREDIT, BANNER] + ([SEE_ALSO] if page < first_page + 2 else [])
        chunks += page_chunks(site, page, 100 * page, tail)
    return chunks


def test_the_lines_most_pages_of_a_site_close_on_are_its_boilerplate() -> None:
    chunks = manual()
    random.Random(7).shuffle(chunks)  # the index hands them over in any order
    repeated = RepeatedLines()
    repeated.add(chunks)
    lines = repeated.lines()
    assert line_key(CREDIT) in lines and line_key(BANNER) in lines
    assert line_key(SEE_ALSO) not in lines  # on 2 pages of 12: a sentence pages share
    assert line_key("The builtin number 3 reads its arguments one by one.") not in lines


def test_a_line_few_pages_share_is_no_boilerplate_even_on_a_small_site() -> None:
    repeated = RepeatedLines()
    repeated.add(manual(site="small.example", pages=MIN_PAGES - 1))
    assert not repeated.lines()  # every page of four: too few to tell
    repeated.add(manual(site="other.example", pages=MIN_PAGES, first_page=50))
    assert line_key(BANNER) in repeated.lines()


def test_a_line_in_the_middle_of_pages_is_not_read() -> None:
    def one_chunk_page(page: int, at: int) -> IndexedChunk:
        lines = [f"Line {n} of page {page} says something." for n in range(7)]
        lines.insert(at, BANNER)
        (first,) = page_chunks("mid.example", page, 100 * page, [])[:1]
        return IndexedChunk(**{**first.__dict__, "text": "\n".join(lines)})

    middle, edge = RepeatedLines(), RepeatedLines()
    middle.add(one_chunk_page(page, at=3) for page in range(12))  # four lines from each end
    edge.add(one_chunk_page(page, at=2) for page in range(12))  # the third line
    assert line_key(BANNER) not in middle.lines()
    assert line_key(BANNER) in edge.lines()


def test_lines_too_short_or_too_long_have_no_key() -> None:
    assert line_key("Next chapter") is None
    assert line_key("word " * 100) is None
    assert line_key("  Zsh   VERSION 5.9, released on May 14, 2022. ") == line_key(BANNER)


def test_the_index_counts_them_with_its_words_and_forgets_them_with_their_pages(
    tmp_path: Path,
) -> None:
    index = EmbeddedIndex(tmp_path, embedder_name="test", dim=4)
    try:
        chunks = manual()
        index.upsert_lexical(chunks)
        index.commit(1)
        assert count_words(index)
        assert line_key(BANNER) in index.repeated_lines()
        # most pages deleted: three of twelve left, the banner is no site's boilerplate now
        index.delete([c.chunk_id for c in chunks if c.document_id > 3])
        index.commit(2)
        assert count_words(index)
        assert line_key(BANNER) not in index.repeated_lines()
    finally:
        index.close()


def test_words_counted_by_an_earlier_version_are_counted_again(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path, embedder_name="test", dim=4)
    try:
        index.upsert_lexical(manual())
        index.commit(1)
        assert count_words(index) and not count_words(index)
        with closing(sqlite3.connect(tmp_path / WORDS_FILE)) as db:
            db.execute("UPDATE meta SET value = '1:24' WHERE key = 'fingerprint'")
            db.execute("DELETE FROM repeated")
            db.commit()
        assert count_words(index)  # a file without the repeated lines: counted again
        assert line_key(BANNER) in index.repeated_lines()
    finally:
        index.close()


def test_a_passage_keeps_its_text_but_offers_no_sentence_on_such_a_line() -> None:
    text = f"The builtin reads its arguments one by one.\n{CREDIT}\n{BANNER}"
    hit = Hit(
        chunk_id=1, document_id=1, url="https://a/b", title="", heading="", text=text, score=1.0
    )
    passage = make_passage(1, hit)
    assert len(passage.sentences) == 3
    (kept,) = without_lines([passage], frozenset({line_key(CREDIT), line_key(BANNER)}))
    assert [s.text for s in kept.sentences] == ["The builtin reads its arguments one by one."]
    assert kept.text == text
    assert without_lines([passage], frozenset()) == [passage]
