"""Chunking: documents into passages along headings and paragraphs (data-flow step 5)."""

from calanque.chunk.splitter import estimate_tokens, split

__all__ = ["estimate_tokens", "split"]
