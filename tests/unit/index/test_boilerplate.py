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
    assert key(CREDIT) in lines and key(BANNER) in lines
    assert key(SEE_ALSO) not in lines  # on 2 pages of 12: a sentence pages share
    assert key("The builtin number 3 reads its arguments one by one.") not in lines


def test_a_line_few_pages_share_is_no_boilerplate_even_on_a_small_site() -> None:
    repeated = RepeatedLines()
    repeated.add(manual(site="small.example", pages=MIN_PAGES - 1))
    assert not repeated.lines()  # every page of four: too few to tell
    repeated.add(manual(site="other.example", pages=MIN_PAGES, first_page=50))
    assert key(BANNER, "other.example") in repeated.lines()
    assert key(BANNER, "small.example") not in repeated.lines()


def test_a_line_in_the_middle_of_pages_is_not_read() -> None:
    def one_chunk_page(page: int, at: int) -> IndexedChunk:
        lines = [f"Line {n} of page {page} says something." for n in range(7)]
        lines.insert(at, BANNER)
        (first,) = page_chunks("mid.example", page, 100 * page, [])[:1]
        return IndexedChunk(**{**first.__dict__, "text": "\n".join(lines)})

    middle, edge = RepeatedLines(), RepeatedLines()
    middle.add(one_chunk_page(page, at=3) for page in range(12))  # four lines from each end
    edge.add(one_chunk_page(page, at=2) for page in range(12))  # the third line
    assert key(BANNER, "mid.example") not in middle.lines()
    assert key(BANNER, "mid.example") in edge.lines()


def test_lines_too_short_or_too_long_have_no_key() -> None:
    assert key("Next chapter") is None
    assert key("word " * 100) is None
    assert key("  Zsh   VERSION 5.9, released on May 14, 2022. ") == key(BANNER)
    assert key(BANNER, "zsh.example") != key(BANNER, "shop.example")  # a key per site


def test_the_index_counts_them_with_its_words_and_forgets_them_with_their_pages(
    tmp_path: Path,
) -> None:
    index = EmbeddedIndex(tmp_path, embedder_name="test", dim=4)
    try:
        chunks = manual()
        index.upsert_lexical(chunks)
        index.commit(1)
        assert count_words(index)
        assert key(BANNER) in index.repeated_lines()
        # most pages deleted: three of twelve left, the banner is no site's boilerplate now
        index.delete([c.chunk_id for c in chunks if c.document_id > 3])
        index.commit(2)
        assert count_words(index)
        assert key(BANNER) not in index.repeated_lines()
    finally:
        index.close()


def test_words_counted_by_an_earlier_version_are_counted_again(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path, embedder_name="test", dim=4)
    try:
        index.upsert_lexical(manual())
        index.commit(1)
        assert count_words(index) and not count_words(index)
        with closing(sqlite3.connect(tmp_path / WORDS_FILE)) as db:
            db.execute("UPDATE meta SET value = '2:1:24' WHERE key = 'fingerprint'")
            db.execute("DROP TABLE repeated")
            db.commit()
        assert count_words(index)  # a file without the repeated lines: counted again
        assert key(BANNER) in index.repeated_lines()
    finally:
        index.close()


def key(line: str, site: str = "zsh.example") -> int | None:
    return line_key(line, f"https://{site}/page.html")


def test_a_passage_keeps_its_text_but_offers_no_sentence_on_such_a_line() -> None:
    text = f"The builtin reads its arguments one by one.\n{CREDIT}\n{BANNER}"
    hit = Hit(1, 1, "https://zsh.example/a.html", "", "", text, 1.0)
    passage = make_passage(1, hit)
    assert len(passage.sentences) == 3
    lines = frozenset({key(CREDIT), key(BANNER)})
    (kept,) = without_lines([passage], lines)
    assert [s.text for s in kept.sentences] == ["The builtin reads its arguments one by one."]
    assert kept.text == text
    assert without_lines([passage], frozenset()) == [passage]
    # a question about the banner is offered it
    (asked,) = without_lines([passage], lines, asked=lambda sentence: "5.9" in sentence)
    assert [s.text for s in asked.sentences][1:] == [BANNER]


def test_one_sites_boilerplate_is_another_sites_text() -> None:
    """Review: a line every page of one shop closes on was taken out of the other shop's
    page whose one fact it is."""
    hours = "The shop is open Monday to Friday from 9am to 6pm."
    repeated = RepeatedLines()
    repeated.add(
        IndexedChunk(
            chunk_id=page,
            document_id=page,
            text=f"Product {page} is sold here.\n{hours}",
            title="",
            url=f"https://shop-a.example/{page}",
            heading="",
            language="en",
            site="shop-a.example",
            source_id=1,
        )  # fmt: skip
        for page in range(1, 6)
    )
    hit = Hit(9, 9, "https://shop-b.example/hours", "", "", f"Opening hours\n{hours}", 1.0)
    (passage,) = without_lines([make_passage(1, hit)], repeated.lines())
    assert hours in [s.text for s in passage.sentences]


def test_an_old_words_file_opened_while_another_process_writes_is_not_set_aside(
    tmp_path: Path,
) -> None:
    """Review: the new table was made when the file was opened; an earlier version's file
    opened while another process held a write transaction waited out the lock, and the
    error moved the live file aside as damaged."""
    from calanque.index.words import WordBridge

    path = tmp_path / WORDS_FILE
    WordBridge(path).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("DROP TABLE IF EXISTS repeated")  # as an earlier version left it
    with closing(sqlite3.connect(path, timeout=0.1, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        bridge = WordBridge(path)
        assert bridge.repeated() == frozenset()
        other.execute("ROLLBACK")
    bridge.close()
    assert not path.with_name(path.name + ".broken").exists()
