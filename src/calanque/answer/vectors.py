"""Sentence vectors for the extractive writer, embedded once and kept by content.

By default (``index.precompute_sentences = false``) a sentence is embedded the first time
an answer reads its passage, then stored: indexing skips a second pass over every
sentence, and the first answer on unread passages pays for their sentences (≈ 55 of
them, 0.5-1.8 s at p50 on two busy cores: docs/benchmarks.md, "Sentence vectors").
With ``true`` the indexer embeds them all ahead of time and answering looks them up
(about a millisecond).
The store maps ``sha256(model name + NUL + sentence text)`` to a float16 vector in
``sentences.sqlite`` in the index folder (the same format as the passage cache,
:class:`calanque.embed.cache.EmbeddingCache`), with an in-memory layer on top.

With precompute on, the indexer calls :func:`precompute_sentence_vectors` on new chunks;
sentences it never saw are embedded lazily when first needed, and stored.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from calanque.answer.sentences import split_sentences
from calanque.embed.base import Embedder, normalize_rows
from calanque.embed.cache import EmbeddingCache, content_key

SENTENCE_FILE = "sentences.sqlite"
MIN_WORDS = 3  # shorter sentences (headings, fragments) are never answer candidates
MAX_CHARS = 600  # longer "sentences" (tables, run-on lists) are not candidates either
_MEMORY_SIZE = 50_000
_BATCH = 64


class HasText(Protocol):
    text: str


def candidate_sentences(text: str) -> list[str]:
    """The sentences of a chunk worth a vector (enough words, not too long)."""
    return [
        span.text
        for span in split_sentences(text)
        if len(span.text.split()) >= MIN_WORDS and len(span.text) <= MAX_CHARS
    ]


class SentenceVectorStore:
    """Vectors of sentences by content; ``path=None`` keeps them in memory only."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._disk = EmbeddingCache(path) if path is not None else None
        self._memory: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self.embedded = 0  # sentences this store had to embed (index time or lazily)

    @classmethod
    def in_folder(cls, folder: Path) -> SentenceVectorStore:
        return cls(folder / SENTENCE_FILE)

    def vectors(self, texts: Sequence[str], embedder: Embedder) -> np.ndarray:
        """Unit vectors for ``texts`` (rows in order), embedding the unknown ones."""
        keys = [content_key(embedder.name, t) for t in texts]
        found = self._lookup(keys)
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if missing:
            fresh = self._embed(list(missing.items()), embedder)
            found.update(fresh)
        out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out

    def known(self, texts: Sequence[str], model_name: str) -> int:
        """How many of ``texts`` already have a vector."""
        return len(self._lookup([content_key(model_name, t) for t in texts]))

    def forget(self, texts: Sequence[str], keep: Sequence[str], model_name: str) -> int:
        """Drop the vectors of the candidate sentences of ``texts`` (deleted chunks) that
        are not sentences of ``keep`` (chunks still indexed); returns how many.

        A sentence shared with another live chunk of other text is dropped too: it is
        embedded again, and stored, the first time an answer needs it.
        """
        kept = {content_key(model_name, s) for t in keep for s in candidate_sentences(t)}
        gone = {content_key(model_name, s) for t in texts for s in candidate_sentences(t)}
        gone -= kept
        for key in gone:
            self._memory.pop(key, None)
        return self._disk.delete_many(sorted(gone)) if self._disk is not None else len(gone)

    def _lookup(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found = {k: self._memory[k] for k in keys if k in self._memory}
        rest = [k for k in dict.fromkeys(keys) if k not in found]
        if rest and self._disk is not None:
            from_disk = self._disk.get_many(rest)
            self._remember(from_disk)
            found.update(from_disk)
        return found

    def _embed(self, items: list[tuple[bytes, str]], embedder: Embedder) -> dict[bytes, np.ndarray]:
        fresh: dict[bytes, np.ndarray] = {}
        for start in range(0, len(items), _BATCH):
            part = items[start : start + _BATCH]
            vectors = normalize_rows(embedder.embed_passages([t for _, t in part]))
            fresh.update(zip((k for k, _ in part), vectors, strict=True))
        if self._disk is not None:
            self._disk.put_many(fresh)
        self._remember(fresh)
        self.embedded += len(fresh)
        return fresh

    def _remember(self, items: dict[bytes, np.ndarray]) -> None:
        for key, vector in items.items():
            self._memory[key] = np.asarray(vector, dtype=np.float32)
        while len(self._memory) > _MEMORY_SIZE:
            self._memory.popitem(last=False)

    def close(self) -> None:
        if self._disk is not None:
            self._disk.close()


def precompute_sentence_vectors(
    chunks: Iterable[HasText | str], embedder: Embedder, store: SentenceVectorStore
) -> int:
    """Embed the candidate sentences of ``chunks`` not yet in ``store``; return how many.

    Call it from the indexer with the new or changed chunks (any object with a
    ``text`` attribute, or plain strings). Sentences already stored cost a lookup.
    """
    before = store.embedded
    batch: list[str] = []
    for chunk in chunks:
        batch.extend(candidate_sentences(chunk if isinstance(chunk, str) else chunk.text))
        if len(batch) >= 8 * _BATCH:
            store.vectors(list(dict.fromkeys(batch)), embedder)
            batch = []
    if batch:
        store.vectors(list(dict.fromkeys(batch)), embedder)
    return store.embedded - before
