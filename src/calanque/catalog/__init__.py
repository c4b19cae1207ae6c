"""The catalog: Calanque's source of truth (SQLite by default, PostgreSQL to share it)."""

from calanque.catalog.frontier import Frontier, FrontierItem, NewURL
from calanque.catalog.store import Catalog, ChunkChange, PageRecord, SaveResult, text_hash

__all__ = [
    "Catalog",
    "ChunkChange",
    "Frontier",
    "FrontierItem",
    "NewURL",
    "PageRecord",
    "SaveResult",
    "text_hash",
]
