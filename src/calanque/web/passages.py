"""The passages a question needs from the fetched pages: ranked by words, then by meaning.

Embedding every chunk of every fetched page would cost seconds on a CPU, so the chunks are
ranked lexically first (BM25 over the stems of the question's key terms, IDF over the
fetched chunks), and only the best ``shortlist`` are ranked by meaning: each by the cosine
of its sentence closest to the question. Those sentence vectors come from the answer's
:class:`~calanque.answer.vectors.SentenceVectorStore`, where the extractive writer and the
verifier find them again, so a sentence is embedded once per question (and once at all
when the store is the index folder's): a chunk is never embedded as a whole, unless none of
its sentences is a candidate (a table, a code block), for a generative writer's sake.
Passages keep their chunk's offsets in the page's text, so citations quote the fetched
text exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from calanque.answer.language import key_terms, stems
from calanque.answer.passages import Passage
from calanque.answer.sentences import split_sentences
from calanque.answer.vectors import SentenceVectorStore, candidate_sentences
from calanque.embed.base import Embedder
from calanque.types import Chunk, Document, SearchResult

BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class PageChunk:
    """A chunk of a fetched page, with the page it belongs to."""

    result: SearchResult
    document: Document
    chunk: Chunk

    @property
    def embedded_text(self) -> str:
        """What the embedder sees: title and heading give context (as in the index)."""
        heading = " > ".join(self.chunk.heading_path)
        context = " — ".join(part for part in (self.document.title, heading) if part)
        return f"{context}\n{self.chunk.text}" if context else self.chunk.text


def lexical_scores(query: str, language: str, chunks: Sequence[PageChunk]) -> list[float]:
    """BM25 of each chunk for the question's key terms, on stems."""
    terms = key_terms(query, language)
    bags = [stems(c.chunk.text, c.chunk.language or language) for c in chunks]
    lengths = [len(c.chunk.text.split()) for c in chunks]
    mean = sum(lengths) / len(lengths) if lengths else 1.0
    scores = [0.0] * len(chunks)
    for term in terms:
        holding = [i for i, bag in enumerate(bags) if term.stem in bag]
        idf = math.log(1 + (len(chunks) - len(holding) + 0.5) / (len(holding) + 0.5))
        for i in holding:
            norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[i] / max(mean, 1.0))
            scores[i] += term.weight * idf * (BM25_K1 + 1) / (1 + norm)
    return scores


def choose_passages(
    query: str,
    language: str,
    chunks: Sequence[PageChunk],
    embedder: Embedder,
    count: int,
    shortlist: int,
    store: SentenceVectorStore | None = None,
    query_vector: np.ndarray | None = None,
) -> list[Passage]:
    """The ``count`` chunks closest to the question, numbered 1, 2, ... best first.

    The ``shortlist`` best chunks by words are ranked by meaning: the cosine with the
    question of their closest candidate sentence, whose vectors go to ``store``.
    ``query_vector``: the question's, when the caller already has it."""
    if not chunks or count <= 0:
        return []
    lexical = lexical_scores(query, language, chunks)
    order = sorted(range(len(chunks)), key=lambda i: -lexical[i])
    # Chunks without the question's words still come: the writer weighs each sentence
    # against the others, as with the index's passages.
    kept = order[: max(shortlist, count)]
    cosine = meaning_scores(
        [chunks[i] for i in kept],
        embedder.embed_query(query) if query_vector is None else query_vector,
        embedder,
        store if store is not None else SentenceVectorStore(),
    )
    best = sorted(zip(kept, cosine, strict=True), key=lambda pair: -pair[1])[:count]
    return [make_web_passage(n, chunks[i], score) for n, (i, score) in enumerate(best, 1)]


def meaning_scores(
    chunks: Sequence[PageChunk],
    query_vector: np.ndarray,
    embedder: Embedder,
    store: SentenceVectorStore,
) -> list[float]:
    """Each chunk's cosine with the question: its closest candidate sentence's, or its
    whole text's when it has no candidate sentence (embedded then, not stored)."""
    sentences = [candidate_sentences(c.chunk.text) for c in chunks]
    distinct = list(dict.fromkeys(s for group in sentences for s in group))
    query = np.asarray(query_vector, dtype=np.float32)
    by_text = dict(zip(distinct, (store.vectors(distinct, embedder) @ query).tolist(), strict=True))
    whole = [i for i, group in enumerate(sentences) if not group]
    if whole:
        matrix = np.asarray(embedder.embed_passages([chunks[i].embedded_text for i in whole]))
        by_chunk = dict(zip(whole, (matrix.astype(np.float32) @ query).tolist(), strict=True))
    else:
        by_chunk = {}
    return [
        max(by_text[s] for s in group) if group else by_chunk[i]
        for i, group in enumerate(sentences)
    ]


def make_web_passage(n: int, item: PageChunk, score: float) -> Passage:
    chunk, document = item.chunk, item.document
    return Passage(
        n=n,
        url=document.url,
        title=document.title or item.result.title,
        text=chunk.text,
        start=chunk.start,
        heading=" > ".join(chunk.heading_path),
        date=document.date or item.result.date,
        language=chunk.language or document.language,
        score=float(score),
        provider=item.result.provider,
        cached=item.result.cached,
        sentences=tuple(split_sentences(chunk.text, base=chunk.start)),
    )
