"""The embedded backend (tantivy + usearch) against the shared Index contract, progressive part included."""

from __future__ import annotations

from pathlib import Path

from tests.contract.index_contract import ProgressiveIndexContract

from calanque.index.base import Index
from calanque.index.embedded import EmbeddedIndex


class TestEmbeddedIndex(ProgressiveIndexContract):
    def open_index(self, folder: Path, embedder_name: str, dim: int) -> Index:
        return EmbeddedIndex(folder, embedder_name=embedder_name, dim=dim)
