"""Folder sources: a file swapped for a symlink after the scan is not read.

The scan (``scan_folder``) and the read happen at different times; the test swaps the
files in between, as a local user racing the crawl could.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.e2e.crawl_helpers import distinct_text

from calanque.catalog import Catalog
from calanque.catalog import schema as t
from calanque.collect import ingest
from calanque.collect.crawler import Crawler
from calanque.config import load_settings
from calanque.types import Scope

CANARY = "outside-the-folder-canary-91c2"


def crawl_folder_swapping_after_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swaps: dict[str, str]
) -> tuple[dict[str, int], str, list[str]]:
    """Crawl a folder of three files; after the scan, replace ``swaps`` by symlinks."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.md", "b.md", "c.md"):
        (docs / name).write_text(f"# {name}\n\n" + distinct_text(name))
    real_scan = ingest.scan_folder

    def scan_then_swap(root: Path, **kwargs: Any) -> Iterator[Any]:
        found = list(real_scan(root, **kwargs))
        for name, target in swaps.items():
            (docs / name).unlink()
            (docs / name).symlink_to(target)
        return iter(found)

    monkeypatch.setattr(ingest, "scan_folder", scan_then_swap)
    home = tmp_path / "home"
    home.mkdir()
    settings = load_settings({"home": home, "crawl": {"min_delay": 0.0}}, environ={})
    catalog = Catalog.open(settings.catalog_url)
    try:
        catalog.add_source("folder", f"file://{docs.resolve()}", Scope(mode="any"))
        summary = asyncio.run(Crawler(catalog, settings, extract_workers=1).run())
        with catalog.engine.connect() as conn:
            texts = " ".join(conn.execute(sa.select(t.chunks.c.text)).scalars())
            recorded = conn.execute(
                sa.select(t.pages.c.error_kind).where(t.pages.c.error_kind.is_not(None))
            ).scalars()
            kinds = [str(kind) for kind in recorded]
    finally:
        catalog.close()
    return {"files": summary.files, **summary.errors}, texts, kinds


def test_file_swapped_for_a_symlink_outside_the_folder_after_the_scan_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(f"# Secret\n\n{CANARY} " * 20)
    counts, texts, recorded = crawl_folder_swapping_after_scan(
        tmp_path, monkeypatch, {"a.md": str(secret)}
    )
    assert CANARY not in texts
    assert counts["file-outside-folder"] == 1 and recorded == ["file-outside-folder"]
    assert counts["files"] == 2  # b.md and c.md: the crawl went on


def test_file_swapped_for_a_symlink_to_dev_zero_after_the_scan_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts, _, recorded = crawl_folder_swapping_after_scan(
        tmp_path, monkeypatch, {"b.md": "/dev/zero"}
    )
    assert counts["file-outside-folder"] == 1 and recorded == ["file-outside-folder"]
    assert counts["files"] == 2  # a.md and c.md: the crawl went on
