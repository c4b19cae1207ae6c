"""Folder sources against a real catalog: nested folders, and the files a scan skips.

A file belongs to the innermost folder source that holds it, whatever the order in which
the folders were added and crawled; a file skipped at scan time is named in the page errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import sqlalchemy as sa
from tests.conftest import HashEmbedder
from tests.e2e.crawl_helpers import distinct_text

from calanque.catalog import Catalog, PageRecord
from calanque.catalog import schema as t
from calanque.collect.crawler import Crawler
from calanque.collect.summary import CrawlSummary
from calanque.config import Settings, load_settings
from calanque.index import EmbeddedIndex
from calanque.index.sync import SyncReport, catch_up
from calanque.types import Chunk, Document, Scope, SearchFilters

WORDS = {"a.md": "quokka", "sub/b.md": "narwhal", "sub/deep/c.md": "axolotl"}


class Home:
    """A catalog, crawled in-process, and an embedded index that follows it."""

    def __init__(self, tmp_path: Path, **crawl: int) -> None:
        self.tree = tmp_path / "f"
        home = tmp_path / "home"
        home.mkdir()
        self.settings: Settings = load_settings(
            {"home": home, "crawl": {"min_delay": 0.0, **crawl}}, environ={}
        )
        self.catalog = Catalog.open(self.settings.catalog_url)
        self.embedder = HashEmbedder()
        self.index = EmbeddedIndex.for_embedder(tmp_path / "index", self.embedder)

    def close(self) -> None:
        self.index.close()
        self.catalog.close()

    def add(self, folder: Path) -> int:
        return self.catalog.add_source("folder", f"file://{folder.resolve()}", Scope("any")).id

    def crawl(self) -> CrawlSummary:
        return asyncio.run(Crawler(self.catalog, self.settings, extract_workers=1).run())

    def sync(self) -> SyncReport:
        return catch_up(self.catalog, self.index, self.embedder)

    def name(self, url: str) -> str:
        return Path(unquote(urlsplit(url).path)).relative_to(self.tree.resolve()).as_posix()

    def owners(self) -> dict[str, int]:
        """Each stored file's source, after checking that documents, pages and files agree."""
        with self.catalog.engine.connect() as conn:
            docs = dict(conn.execute(sa.select(t.documents.c.url, t.documents.c.source_id)).all())
            files = dict(conn.execute(sa.select(t.files.c.path, t.files.c.source_id)).all())
            pages = dict(
                conn.execute(
                    sa.select(t.pages.c.url, t.pages.c.source_id).where(
                        t.pages.c.document_id.is_not(None)
                    )
                ).all()
            )
        assert docs == files == pages
        return {self.name(url): int(source) for url, source in docs.items()}

    def indexed(self) -> dict[str, int]:
        """Each indexed file's source, as the index filters by it."""
        chunks = self.index.stored_chunks(sorted(self.index.chunk_ids()))
        return {self.name(c.url): c.source_id for c in chunks}

    def found(self, name: str, source_id: int) -> bool:
        hits = self.index.search_lexical(WORDS[name], 5, SearchFilters(source_ids=(source_id,)))
        return any(self.name(hit.url) == name for hit in hits)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    made = Home(tmp_path)
    for name, word in WORDS.items():
        path = made.tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {word.title()}\n\nThe {word} page. " + distinct_text(name))
    yield made
    made.close()


@pytest.mark.parametrize("first", ["outer", "inner"])
def test_a_file_belongs_to_the_innermost_folder_whatever_the_order(home: Home, first: str) -> None:
    """Before: with `/f` crawled first, `/f/sub` never took its files (it showed no page),
    and removing `/f` took them out of search."""
    folders = {"outer": home.tree, "inner": home.tree / "sub"}
    second = "inner" if first == "outer" else "outer"
    ids = {first: home.add(folders[first])}
    home.crawl()
    home.sync()
    ids[second] = home.add(folders[second])
    summary = home.crawl()
    outer, inner = ids["outer"], ids["inner"]
    expected = {"a.md": outer, "sub/b.md": inner, "sub/deep/c.md": inner}
    assert home.owners() == expected
    # taken over as they were: nothing read, extracted or stored again
    assert summary.files == (1 if first == "inner" else 0) and summary.deleted == 0
    assert home.catalog.page_counts() == {outer: 1, inner: 2}
    report = home.sync()
    assert report.embedded == summary.files  # the files taken over keep their vectors
    assert home.indexed() == expected
    assert home.found("sub/b.md", inner) and not home.found("sub/b.md", outer)

    again = home.crawl()
    assert (again.files, again.unchanged, again.deleted) == (0, 3, 0)
    assert home.owners() == expected

    assert home.catalog.remove_source(outer) == 1
    home.sync()
    assert home.indexed() == {"sub/b.md": inner, "sub/deep/c.md": inner}
    assert home.found("sub/b.md", inner) and home.found("sub/deep/c.md", inner)


def test_removing_the_inner_folder_gives_its_files_back_to_the_outer_one(home: Home) -> None:
    outer, inner = home.add(home.tree), home.add(home.tree / "sub")
    first = home.crawl()
    assert first.files == 3
    assert home.owners() == {"a.md": outer, "sub/b.md": inner, "sub/deep/c.md": inner}
    assert home.catalog.remove_source(inner) == 2
    assert home.owners() == {"a.md": outer}
    summary = home.crawl()  # the next crawl of the outer folder takes them again
    assert summary.files == 2
    assert home.owners() == {"a.md": outer, "sub/b.md": outer, "sub/deep/c.md": outer}


def test_removing_the_outer_folder_before_a_crawl_keeps_the_inner_folders_files(
    home: Home,
) -> None:
    outer = home.add(home.tree)
    home.crawl()
    inner = home.add(home.tree / "sub")
    assert home.catalog.remove_source(outer) == 1  # a.md only
    assert home.owners() == {"sub/b.md": inner, "sub/deep/c.md": inner}
    summary = home.crawl()
    assert (summary.files, summary.unchanged, summary.deleted) == (0, 2, 0)


def test_a_file_deleted_before_the_inner_folder_was_added_is_forgotten_in_one_crawl(
    home: Home,
) -> None:
    outer = home.add(home.tree)
    home.crawl()
    (home.tree / "sub" / "deep" / "c.md").unlink()
    inner = home.add(home.tree / "sub")
    summary = home.crawl()
    assert summary.deleted == 1
    assert home.owners() == {"a.md": outer, "sub/b.md": inner}


def test_a_nested_folder_that_is_gone_keeps_its_files_stored(home: Home) -> None:
    """Unmounted: neither folder deletes the inner one's files."""
    outer, inner = home.add(home.tree), home.add(home.tree / "sub")
    home.crawl()
    (home.tree / "sub").rename(home.tree.parent / "elsewhere")
    summary = home.crawl()
    assert summary.deleted == 0 and summary.errors["folder-missing"] == 1
    assert home.owners() == {"a.md": outer, "sub/b.md": inner, "sub/deep/c.md": inner}


def _errors(catalog: Catalog) -> dict[str, tuple[str, str]]:
    return {
        Path(unquote(urlsplit(e["url"]).path)).name: (e["kind"], e["message"])
        for e in catalog.page_errors()
    }


def test_files_skipped_at_scan_time_are_named_in_the_page_errors(tmp_path: Path) -> None:
    """Before: only counted (`file-too-large: 1`), with nothing saying which file."""
    home = Home(tmp_path, max_body_bytes=4096)
    try:
        docs = home.tree
        docs.mkdir()
        (docs / "kept.md").write_text("# Kept\n\n" + distinct_text("kept"))
        (docs / "grows.md").write_text("# Grows\n\n" + distinct_text("grows"))
        (docs / "big.txt").write_text("x " * 4000)
        (docs / "image.png").write_bytes(b"\x89PNG")
        outside = tmp_path / "elsewhere" / "notes.md"
        outside.parent.mkdir()
        outside.write_text("# Outside\n\nnot in the folder")
        (docs / "escape.md").symlink_to(outside)
        (docs / "dangling.md").symlink_to(docs / "missing.md")
        source = home.add(docs)
        first = home.crawl()
        assert first.files == 2
        errors = _errors(home.catalog)
        assert set(errors) == {"big.txt", "escape.md", "dangling.md"}  # not image.png
        kind, message = errors["big.txt"]
        assert kind == "file-too-large"
        assert "big.txt" in message and "8000 bytes" in message
        assert "crawl.max_body_bytes" in message and "4096" in message
        kind, message = errors["escape.md"]
        assert kind == "file-outside-folder"
        assert "escape.md" in message and str(outside) in message
        assert "copy the file into the folder" in message
        assert f"calanque add {outside.parent}" in message
        kind, message = errors["dangling.md"]
        assert kind == "file-unreadable" and "dangling.md" in message

        # a stored file that grew past the limit: named, and what was stored stays
        (docs / "grows.md").write_text("# Grows\n\n" + "y " * 4000)
        second = home.crawl()
        assert second.deleted == 0
        assert _errors(home.catalog)["grows.md"][0] == "file-too-large"
        titles = {p["title"]: p["source_id"] for p in home.catalog.list_pages()}
        assert titles == {"Kept": source, "Grows": source}

        # fixed: the errors go away
        (docs / "escape.md").unlink()
        (docs / "dangling.md").unlink()
        (docs / "big.txt").unlink()
        (docs / "grows.md").write_text("# Grows\n\n" + distinct_text("grows again"))
        third = home.crawl()
        assert third.files == 1 and third.errors == {"file-unsupported": 1}
        assert _errors(home.catalog) == {}
    finally:
        home.close()


def test_an_error_recorded_by_another_source_leaves_the_stored_page_to_its_source(
    tmp_path: Path,
) -> None:
    """Before: the page moved to the source that recorded the error, and removing that
    source took the page of a document it did not hold (out of `calanque pages`)."""
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        holder = catalog.add_source("folder", "file:///srv/docs", Scope("any")).id
        other = catalog.add_source("folder", "file:///srv/other", Scope("any")).id
        url = "file:///srv/docs/a.md"
        catalog.save_document(
            PageRecord(url=url, source_id=holder, status=200),
            Document(url=url, text="Stored text of a.", title="A", language="en"),
            [Chunk(0, 0, "Stored text of a.", 0, 17)],
            None,
        )
        catalog.record_error(url, other, "file-too-large", "a.md is too large")
        assert catalog.page_errors()[0]["kind"] == "file-too-large"
        assert catalog.remove_source(other) == 0
        assert [(p["title"], p["source_id"]) for p in catalog.list_pages()] == [("A", holder)]
    finally:
        catalog.close()


def test_an_error_on_a_stored_file_goes_once_its_cause_is_gone(tmp_path: Path) -> None:
    """crawl.max_body_bytes lowered for a while, then raised: the file is as it was stored
    ("unchanged", never read again), and its too-large error stayed on its page for ever."""
    home = Home(tmp_path, max_body_bytes=100_000)
    try:
        home.tree.mkdir()
        (home.tree / "report.md").write_text(
            "# Report\n\n" + distinct_text("report") + " filler" * 1000
        )
        home.add(home.tree)
        assert home.crawl().files == 1

        def limit(max_bytes: int) -> Settings:
            crawl = {"min_delay": 0.0, "max_body_bytes": max_bytes}
            return load_settings({"home": tmp_path / "home", "crawl": crawl}, environ={})

        home.settings = limit(4096)
        home.crawl()
        assert [e["kind"] for e in home.catalog.page_errors()] == ["file-too-large"]
        home.settings = limit(100_000)
        again = home.crawl()
        assert again.unchanged == 1 and not again.errors
        assert home.catalog.page_errors() == []
        assert [p["title"] for p in home.catalog.list_pages()] == ["Report"]
    finally:
        home.close()


def test_a_folder_whose_path_became_a_symlink_settles_once(home: Home, tmp_path: Path) -> None:
    """/tree and /tree/sub added, then /tree moved and its path made a symlink to where it
    went: the outer source scanned the moved folder without leaving sub/ to the inner one,
    and the two took the files from each other at every crawl."""
    outer, inner = home.add(home.tree), home.add(home.tree / "sub")
    home.crawl()
    moved = tmp_path / "moved"
    home.tree.rename(moved)
    home.tree.symlink_to(moved)
    home.crawl()  # the files are at new URLs: read once more
    with home.catalog.engine.connect() as conn:
        head = conn.execute(sa.select(sa.func.max(t.chunk_log.c.seq))).scalar()
    again = home.crawl()
    assert (again.files, again.unchanged, again.deleted) == (0, 3, 0)
    with home.catalog.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.max(t.chunk_log.c.seq))).scalar() == head
    home.tree = moved
    assert home.owners() == {"a.md": outer, "sub/b.md": inner, "sub/deep/c.md": inner}
