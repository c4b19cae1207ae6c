"""Local folder scanning: what is listed, what is skipped and why, path safety."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from calanque.collect.folders import (
    LocalFile,
    SkippedFile,
    file_fingerprint,
    resolve_inside,
    scan_folder,
)
from calanque.errors import SourceError


def _write(path: Path, text: str = "hello") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    _write(root / "b.md", "# B")
    _write(root / "a.html", "<p>A</p>")
    _write(root / "sub" / "deep" / "z.txt")
    _write(root / "sub" / "c.PDF", "%PDF-1.4")
    _write(root / "sub" / "notes.docx")
    _write(root / "zz" / "page.htm")
    _write(root / "image.png", "binary")
    _write(root / ".git" / "config.txt")
    _write(root / ".hidden.md")
    _write(root / "big.txt", "x" * 2_000)
    _write(tmp_path / "secret.txt", "outside")
    return root


def _files(items: list[LocalFile | SkippedFile]) -> list[str]:
    return [i.relpath for i in items if isinstance(i, LocalFile)]


def _skips(items: list[LocalFile | SkippedFile]) -> dict[str, str]:
    return {i.path.name: i.reason for i in items if isinstance(i, SkippedFile)}


def test_nested_files_in_deterministic_depth_first_order(tree: Path) -> None:
    items = list(scan_folder(tree, max_file_bytes=1_000))
    assert _files(items) == [
        "a.html",
        "b.md",
        "sub/c.PDF",
        "sub/notes.docx",
        "sub/deep/z.txt",
        "zz/page.htm",
    ]
    assert items == list(scan_folder(tree, max_file_bytes=1_000))


def test_local_file_fields(tree: Path) -> None:
    first = next(i for i in scan_folder(tree) if isinstance(i, LocalFile))
    assert first.path == tree.resolve() / "a.html"
    assert first.size == len("<p>A</p>")
    assert first.mtime_ns == (tree / "a.html").stat().st_mtime_ns
    assert first.url == (tree / "a.html").resolve().as_uri()
    assert first.url.startswith("file:///")


def test_unsupported_and_too_large_are_reported_hidden_ignored(tree: Path) -> None:
    items = list(scan_folder(tree, max_file_bytes=1_000))
    assert _skips(items) == {"image.png": "unsupported", "big.txt": "too-large"}
    names = {i.path.name for i in items}
    assert "config.txt" not in names and ".hidden.md" not in names
    assert "big.txt" in _files(list(scan_folder(tree, max_file_bytes=10_000)))


def test_symlink_escaping_the_folder_is_skipped_with_reason(tree: Path) -> None:
    (tree / "escape.txt").symlink_to(tree.parent / "secret.txt")
    (tree / "escape_dir").symlink_to(tree.parent)
    (tree / "dangling.md").symlink_to(tree / "missing.md")
    (tree / "alias.md").symlink_to(tree / "b.md")  # inside: same file, listed once
    items = list(scan_folder(tree, max_file_bytes=1_000))
    skips = _skips(items)
    assert skips["escape.txt"] == "outside-folder"
    assert skips["escape_dir"] == "outside-folder"
    assert skips["dangling.md"] == "unreadable"
    assert "secret.txt" not in {i.path.name for i in items}
    urls = [i.url for i in items if isinstance(i, LocalFile)]
    assert len(urls) == len(set(urls)) == 6


def test_symlinked_folder_inside_is_not_walked_twice(tree: Path) -> None:
    (tree / "again").symlink_to(tree / "sub")
    assert _files(list(scan_folder(tree, max_file_bytes=1_000))).count("sub/deep/z.txt") == 1


def test_missing_folder_or_file_root_raises(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        list(scan_folder(tmp_path / "nope"))
    with pytest.raises(SourceError, match="not a folder"):
        list(scan_folder(_write(tmp_path / "f.txt")))


def test_fingerprint_changes_when_file_is_modified(tree: Path) -> None:
    def fingerprint_of(name: str) -> str:
        found = [i for i in scan_folder(tree) if isinstance(i, LocalFile) and i.relpath == name]
        return file_fingerprint(found[0])

    before = fingerprint_of("b.md")
    assert before == f"{len('# B')}:{(tree / 'b.md').stat().st_mtime_ns}"
    assert fingerprint_of("b.md") == before  # stable while untouched
    (tree / "b.md").write_text("# C", encoding="utf-8")  # same size
    os.utime(tree / "b.md", ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_001))
    after = fingerprint_of("b.md")
    assert after != before
    (tree / "b.md").write_text("# longer", encoding="utf-8")
    os.utime(tree / "b.md", ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_001))
    assert fingerprint_of("b.md") not in (before, after)  # size alone changes it too


def test_resolve_inside_accepts_paths_within(tree: Path) -> None:
    root = tree.resolve()
    assert resolve_inside(tree, "sub/deep/z.txt") == root / "sub" / "deep" / "z.txt"
    assert resolve_inside(tree, "sub/../a.html") == root / "a.html"
    assert resolve_inside(tree, root / "b.md") == root / "b.md"
    assert resolve_inside(tree, "not-yet-created.md") == root / "not-yet-created.md"


@pytest.mark.parametrize(
    "candidate", ["../secret.txt", "sub/../../secret.txt", "/etc/passwd", ".."]
)
def test_resolve_inside_rejects_escapes(tree: Path, candidate: str) -> None:
    with pytest.raises(SourceError, match="outside the folder"):
        resolve_inside(tree, candidate)


def test_resolve_inside_rejects_symlink_escape_and_nul(tree: Path) -> None:
    (tree / "link").symlink_to(tree.parent)
    with pytest.raises(SourceError, match="outside the folder"):
        resolve_inside(tree, "link/secret.txt")
    with pytest.raises(SourceError):
        resolve_inside(tree, "a\x00b")


def test_a_nested_sources_folder_is_left_out_symlinks_into_it_too(tree: Path) -> None:
    (tree / "link.md").symlink_to(tree / "sub" / "deep" / "z.txt")
    items = list(scan_folder(tree, max_file_bytes=1_000, leave_out=[tree.resolve() / "sub"]))
    assert _files(items) == ["a.html", "b.md", "zz/page.htm"]
    assert "link.md" not in _skips(items)
    assert list(scan_folder(tree / "sub", leave_out=[tree.resolve()])) == []  # same folder


def test_a_skip_says_where_its_error_goes_and_why(tree: Path) -> None:
    (tree / "escape.txt").symlink_to(tree.parent / "secret.txt")
    skips = {i.path.name: i for i in scan_folder(tree, max_file_bytes=1_000)}
    big = skips["big.txt"]
    assert isinstance(big, SkippedFile) and big.size == 2_000
    assert big.url == (tree / "big.txt").resolve().as_uri()
    escape = skips["escape.txt"]
    assert isinstance(escape, SkippedFile)
    assert escape.url == (tree.resolve() / "escape.txt").as_uri()  # the link, not its target
    assert escape.target == (tree.parent / "secret.txt").resolve()
