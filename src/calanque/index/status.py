"""What is stored and what is indexed, each way (``calanque status``, ``GET /v1/status``)."""

from __future__ import annotations

from typing import Any

from calanque.catalog import Catalog
from calanque.index.base import Index, index_state


def index_status(catalog: Catalog, index: Index) -> dict[str, Any]:
    """Pages and chunks stored; chunks searchable lexically, with a vector, waiting for one;
    catalog changes the index has not applied yet; ``complete`` when nothing waits; and,
    where the backend keeps them (index/words.py), the words counted per language and
    those still without a vector (as of the last count: ``calanque index`` counts again)."""
    counts = catalog.counts()
    state = index_state(index)
    head = catalog.last_seq()
    changes = max(0, head - state.position)
    words = getattr(index, "word_counts", None)
    return {
        **({"words": words()} if callable(words) else {}),
        # pages with stored text, as `calanque pages` lists them (an empty file's error is
        # a page row too, and made the two disagree)
        "pages": sum(catalog.page_counts().values()),
        "chunks": counts["chunks"],
        "lexical": state.lexical,
        "dense": state.dense,
        "dense_pending": state.dense_pending,
        "changes_pending": changes,
        "position": state.position,
        "head": head,
        "complete": state.complete and changes == 0,
    }
