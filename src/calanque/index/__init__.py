"""Search structures derived from the catalog: the Index protocol, backends, fusion."""

from calanque.index.base import Index, IndexInfo
from calanque.index.embedded import EmbeddedIndex
from calanque.index.retriever import MODES, RetrievalConfig, Retriever

__all__ = ["MODES", "EmbeddedIndex", "Index", "IndexInfo", "RetrievalConfig", "Retriever"]
