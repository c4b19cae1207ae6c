"""Optional reranking of fused candidates (default: dense rescoring)."""

from calanque.rerank.base import DenseRescorer, Reranker, rescore

__all__ = ["DenseRescorer", "Reranker", "rescore"]
