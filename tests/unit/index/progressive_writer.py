"""Builds a catalog, then indexes it lexically first and densely behind; the crash test
kills it with SIGKILL at some moment and checks that a restart converges.

Run as ``python progressive_writer.py HOME DOCUMENTS``: creates the catalog (when new),
then runs ``catch_up(dense=False)`` and ``fill_dense`` with a slow embedder.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tests.conftest import HashEmbedder

from calanque.catalog import Catalog, PageRecord
from calanque.index import EmbeddedIndex
from calanque.index.sync import catch_up, fill_dense
from calanque.types import Chunk, Document, Scope


class SlowEmbedder(HashEmbedder):
    """Embeds like HashEmbedder, 20 ms a batch: the kill lands in the middle of a pass."""

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(0.02)
        return super().embed_passages(texts)


def open_all(home: Path) -> tuple[Catalog, EmbeddedIndex, SlowEmbedder]:
    catalog = Catalog.open(f"sqlite:///{home / 'catalog.db'}")
    embedder = SlowEmbedder()
    return catalog, EmbeddedIndex.for_embedder(home / "index", embedder), embedder


def save_page(catalog: Catalog, source_id: int, n: int, version: str = "") -> None:
    text = f"page {n} {version} about subject{n} with shared words in every page"
    url = f"http://x.test/{n}"
    half = len(text) // 2
    chunks = [Chunk(0, 0, text[:half], 0, half), Chunk(0, 1, text[half:], half, len(text))]
    catalog.save_document(
        PageRecord(url=url, source_id=source_id, status=200),
        Document(url=url, text=text, title=f"Page {n}", language="en"),
        chunks,
        None,
    )


def fill_catalog(catalog: Catalog, documents: int) -> None:
    if catalog.last_seq():
        return
    source = catalog.add_source("site", "http://x.test/", Scope())
    for n in range(documents):
        save_page(catalog, source.id, n)


if __name__ == "__main__":
    home, documents = Path(sys.argv[1]), int(sys.argv[2])
    catalog, index, embedder = open_all(home)
    fill_catalog(catalog, documents)
    print("start", flush=True)
    catch_up(catalog, index, embedder, dense=False, batch=16)
    print("lexical", flush=True)
    fill_dense(catalog, index, embedder, batch=8, save_every_s=0.05)
    print("dense", flush=True)
