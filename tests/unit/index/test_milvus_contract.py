"""The Milvus backend (through Milvus Lite 2.5.1) against the shared Index contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.contract.index_contract import CHUNKS, NONE, IndexContract, vectors_for
from tests.conftest import HashEmbedder

from calanque.index.base import Index
from calanque.types import SearchFilters

milvus = pytest.importorskip("calanque.index.milvus", reason="needs calanque[milvus]")
pytest.importorskip("milvus_lite", reason="needs milvus-lite (calanque[milvus])")

pytestmark = pytest.mark.slow


class TestMilvusIndex(IndexContract):
    def open_index(self, folder: Path, embedder_name: str, dim: int) -> Index:
        return milvus.MilvusIndex(str(folder / "x.db"), embedder_name=embedder_name, dim=dim)
