"""``EmbeddedIndex``: the default, serverless index (tantivy BM25 + usearch HNSW).

Folder layout::

    <folder>/meta.json           embedder, dim, vector dtype, position of each part
    <folder>/lexical/            tantivy index (French/English analysis)
    <folder>/vectors.usearch     usearch HNSW graph, keys = chunk ids
    <folder>/embeddings.sqlite   embedding cache (see calanque.embed.cache), optional
    <folder>/words.sqlite        the corpus's words and their vectors (calanque.index.words)

Crash safety. ``commit(p)`` first saves usearch (to a temporary file renamed over the old
one), then commits tantivy, then records ``lexical_position = dense_position = p`` in
``meta.json`` (replaced atomically); ``position()`` is that position. After ``kill -9`` at
any moment the catalog replays from a point tantivy has reached; replays are idempotent
(upsert replaces, delete of a missing id is a no-op). usearch goes first so that it never
keeps, past a committed position, the vector of a chunk whose text has since changed:
a vector saved for a change that tantivy then lost is replaced by the replay.

Progressive indexing. ``upsert_lexical`` stores chunks in tantivy only, and drops the
vector of each chunk whose content changed. The chunks without a vector, *dense pending*,
are not recorded anywhere: they are the ids tantivy holds minus those usearch holds, so
whatever a crash interrupts, the next dense pass finds them. ``add_vectors`` keeps a
vector only when tantivy still holds the chunk with the content it was computed from, so
usearch holds vectors only for chunks tantivy holds, and the pending chunks are counted (every
answer reports them) as tantivy's documents less usearch's chunk keys, without listing them.

Filters. Lexical search applies them inside the tantivy query. Dense search asks usearch
for more neighbours than needed (``k × overfetch``), keeps those whose stored document
passes the same tantivy filter query, and widens the search (×4 each round) until ``k``
hits pass or the whole graph was scanned.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from calanque.errors import IndexBackendError, IndexMismatchError
from calanque.index._dense import DenseStore
from calanque.index._lexical import LexicalStore, document_hit
from calanque.index.base import LANGUAGE_SAMPLE, MEAN_LANGUAGES, IndexInfo, mean_vectors
from calanque.index.words import WordBridge
from calanque.types import Hit, IndexedChunk, SearchFilters

META_FILE = "meta.json"
VECTORS_FILE = "vectors.usearch"
WORDS_FILE = "words.sqlite"
# What the words file holds; a file counted by an earlier version is counted again (2: the
# sites' repeated lines, calanque.index.boilerplate; 3: their keys hold the site)
WORDS_FORMAT = 3
FORMAT_VERSION = 1


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _content(chunk: IndexedChunk | None) -> tuple[str, str, str] | None:
    """What a chunk's vector is computed from (``passage_text``: title, heading, text)."""
    return None if chunk is None else (chunk.title, chunk.heading, chunk.text)


class EmbeddedIndex:
    """Hybrid index in one folder, built for one embedder (``embedder_name``, ``dim``)."""

    backend = "embedded"

    def __init__(
        self,
        folder: Path | str,
        *,
        embedder_name: str,
        dim: int,
        vector_dtype: str = "f16",
        field_boosts: dict[str, float] | None = None,
        overfetch: int = 4,
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.overfetch = max(1, overfetch)
        self._meta = self._open_meta(embedder_name, dim, vector_dtype)
        self._lexical = LexicalStore(self.folder / "lexical", field_boosts)
        vectors_path = self.folder / VECTORS_FILE
        if not vectors_path.exists():
            self._meta["dense_position"] = 0
        self._dense = DenseStore(vectors_path, dim, self._meta["vector_dtype"])
        # An index written before usearch was saved first may have tantivy ahead: replay.
        self._meta["lexical_position"] = min(
            self._meta["lexical_position"], self._meta["dense_position"]
        )
        self._meta_mtime = self._stat_meta()
        self._pending: set[int] | None = None  # dense pending ids, computed on demand
        self._words = WordBridge(self.folder / WORDS_FILE)
        # (vectors held and position when computed, mean vector per language): see
        # language_means
        self._language_means: tuple[int, int, dict[str, np.ndarray]] | None = None

    @classmethod
    def for_embedder(cls, folder: Path | str, embedder: Any, **options: Any) -> EmbeddedIndex:
        """Open (or create) the index in ``folder`` for ``embedder`` (its name and dim)."""
        return cls(folder, embedder_name=embedder.name, dim=embedder.dim, **options)

    def _open_meta(self, embedder_name: str, dim: int, vector_dtype: str) -> dict[str, Any]:
        path = self.folder / META_FILE
        if not path.exists():
            meta = {
                "format": FORMAT_VERSION,
                "backend": self.backend,
                "embedder": embedder_name,
                "dim": dim,
                "vector_dtype": vector_dtype,
                "lexical_position": 0,
                "dense_position": 0,
            }
            _write_json_atomically(path, meta)
            return meta
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexBackendError(
                f"cannot read {path}: {exc}; run `calanque reindex` to rebuild the index"
            ) from exc
        if meta.get("embedder") != embedder_name or meta.get("dim") != dim:
            raise IndexMismatchError(
                f"the index in {self.folder} was built by embedder {meta.get('embedder')!r} "
                f"({meta.get('dim')}-d) but the configured embedder is {embedder_name!r} "
                f"({dim}-d): run `calanque reindex` to rebuild it with the new embedder"
            )
        return dict(meta)

    def _stat_meta(self) -> float:
        try:
            return (self.folder / META_FILE).stat().st_mtime
        except OSError:
            return 0.0

    # -- writes ---------------------------------------------------------------

    def upsert(self, chunks: Sequence[IndexedChunk], vectors: np.ndarray) -> None:
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape != (len(chunks), self._dense.dim):
            raise IndexBackendError(
                f"upsert got {len(chunks)} chunks and vectors of shape {matrix.shape}; "
                f"expected ({len(chunks)}, {self._dense.dim})"
            )
        last = {chunk.chunk_id: row for row, chunk in enumerate(chunks)}  # last copy wins
        rows = list(last.values())
        unique = [chunks[row] for row in rows]
        if not unique:
            return
        self._lexical.upsert(unique)
        self._dense.upsert([c.chunk_id for c in unique], matrix[rows])
        self._pending = None

    def upsert_lexical(self, chunks: Sequence[IndexedChunk]) -> None:
        """Store ``chunks`` for lexical search; a chunk whose content changed loses its
        vector until the dense pass adds a new one (see the module)."""
        last = {chunk.chunk_id: chunk for chunk in chunks}  # last copy wins
        if not last:
            return
        before = {c.chunk_id: c for c in self._lexical.stored_chunks(list(last))}
        changed = [
            cid for cid, chunk in last.items() if _content(before.get(cid)) != _content(chunk)
        ]
        self._lexical.upsert(list(last.values()))
        self._dense.delete(changed)
        self._pending = None

    def add_vectors(self, chunks: Sequence[IndexedChunk], vectors: np.ndarray) -> int:
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape != (len(chunks), self._dense.dim):
            raise IndexBackendError(
                f"add_vectors got {len(chunks)} chunks and vectors of shape {matrix.shape}; "
                f"expected ({len(chunks)}, {self._dense.dim})"
            )
        held = {c.chunk_id: c for c in self._lexical.stored_chunks([c.chunk_id for c in chunks])}
        rows = {
            chunk.chunk_id: row
            for row, chunk in enumerate(chunks)
            if chunk.chunk_id in held and _content(held[chunk.chunk_id]) == _content(chunk)
        }
        if rows:
            self._dense.upsert(list(rows), matrix[list(rows.values())])
            if self._pending is not None:
                self._pending.difference_update(rows)
        return len(rows)

    def dense_pending(self, limit: int, after: int = 0) -> list[int]:
        return sorted(cid for cid in self._pending_ids() if cid > after)[: max(0, limit)]

    def dense_pending_count(self) -> int:
        """Counted, not listed: every answer asks, and listing reads every stored document
        (see the module)."""
        if self._pending is not None:
            return len(self._pending)
        return max(0, self._lexical.count() - self._dense.chunk_count())

    def _pending_ids(self) -> set[int]:
        if self._pending is None:
            self._pending = self._lexical.all_ids() - {int(k) for k in self._dense.graph.keys}
        return self._pending

    def save_dense(self) -> None:
        """Save usearch (the vectors added since the last save); readers in other
        processes reload when ``meta.json`` changes, so it is rewritten too."""
        if not self._dense.dirty:
            return
        self._dense.save()
        _write_json_atomically(self.folder / META_FILE, self._meta)
        self._meta_mtime = self._stat_meta()

    def delete(self, chunk_ids: Sequence[int]) -> None:
        ids = [int(c) for c in chunk_ids]
        if ids:
            self._lexical.delete(ids)
            self._dense.delete(ids)
            self._pending = None

    def commit(self, position: int) -> None:
        if self._lexical.dirty:  # the pending set is computed from committed documents
            self._pending = None
        self._dense.save()  # first: see the module
        self._lexical.commit()
        self._meta["lexical_position"] = self._meta["dense_position"] = position
        _write_json_atomically(self.folder / META_FILE, self._meta)
        self._meta_mtime = self._stat_meta()

    def position(self) -> int:
        return int(self._meta["lexical_position"])

    def stored_chunks(self, chunk_ids: Sequence[int]) -> list[IndexedChunk]:
        """The chunks held under ``chunk_ids`` as they were indexed (read before deleting
        them, so the caches can forget what was computed from their text)."""
        return self._lexical.stored_chunks(chunk_ids)

    def purge_deleted(self) -> int:
        """Drop deleted chunks' text from tantivy's segment files (usearch overwrites removed
        vectors at each commit). Returns the live chunks rewritten to do it."""
        rewritten = self._lexical.purge_deleted()
        self._pending = None
        if rewritten:  # other processes reload, and let go of the old segment files
            _write_json_atomically(self.folder / META_FILE, self._meta)
            self._meta_mtime = self._stat_meta()
        return rewritten

    def words_stale(self) -> str:
        """The index's fingerprint when its words were counted for an earlier state of it,
        ``""`` when they are up to date (see :func:`calanque.index.sync.count_words`)."""
        current = f"{WORDS_FORMAT}:{self.position()}:{self._lexical.count()}"
        return "" if self._words.fingerprint() == current else current

    def stored_ids(self) -> set[int]:
        """The ids of every chunk held (lexically)."""
        return self._lexical.all_ids()

    def set_words(
        self, counts: dict[str, Counter[str]], fingerprint: str, repeated: Iterable[int] = ()
    ) -> None:
        """Replace the words' counts (:func:`calanque.index.words.tally`) and the sites'
        repeated lines (:mod:`calanque.index.boilerplate`) as of ``fingerprint``."""
        self._words.replace(counts, fingerprint, repeated)

    def repeated_lines(self) -> frozenset[int]:
        """The keys of the lines the corpus's sites open or close their pages on."""
        return self._words.repeated()

    def words_pending(self, limit: int) -> list[str]:
        """Words of the corpus still without a vector (see :mod:`calanque.index.words`)."""
        return self._words.pending(limit)

    def add_word_vectors(self, words: Sequence[str], vectors: np.ndarray) -> None:
        self._words.add_vectors(words, vectors)

    def word_counts(self) -> dict[str, int]:
        """Words counted per language, and how many wait for a vector."""
        return self._words.counts()

    # -- reads ----------------------------------------------------------------

    def unknown_words(self, query: str) -> list[str]:
        """The query's words that need a vector before :meth:`translations` (see
        :mod:`calanque.index.words`)."""
        return self._words.unknown_words(query)

    def translations(
        self, query: str, vectors: dict[str, np.ndarray] | None = None
    ) -> dict[str, list[str]]:
        """The corpus's words in the other language for the query's content words."""
        return self._words.translations(query, vectors)

    def search_lexical(self, query: str, k: int, filters: SearchFilters) -> list[Hit]:
        text_query = self._lexical.text_query(query)
        if text_query is None or k <= 0:
            return []
        found = self._lexical.search(text_query, filters, k)
        return [document_hit(doc, score) for score, doc in found]

    def search_dense(self, vector: np.ndarray, k: int, filters: SearchFilters) -> list[Hit]:
        if k <= 0:
            return []
        total = len(self._dense)
        # Filters drop neighbours after the vector search: over-fetch only when there are some.
        count = min(total, k if filters == SearchFilters() else k * self.overfetch)
        while True:
            neighbours = self._dense.search(vector, count)
            docs = self._lexical.fetch([cid for cid, _ in neighbours], filters)
            hits = [document_hit(docs[cid], sim) for cid, sim in neighbours if cid in docs]
            if len(hits) >= k or count >= total:
                return hits[:k]
            count = min(total, count * 4)

    def get_vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        return self._dense.get(chunk_ids)

    def language_means(self) -> dict[str, np.ndarray]:
        """The mean vector of the French and of the English chunks (a language with fewer
        than ``LANGUAGE_MIN`` vectors in the sample is left out), over a sample of
        ``LANGUAGE_SAMPLE`` vectors drawn evenly at random (a fixed seed) from the whole
        index (:func:`calanque.index.base.mean_vectors`): what a query's vector holds of its
        language (see :class:`calanque.index.retriever.RetrievalConfig`). Computed on first
        use, and again once the count of vectors, or the changes applied since, reach a
        tenth of the count it was computed on (about 0.35 s at 1M chunks)."""
        count, position = len(self._dense.graph), self.position()
        cached = self._language_means
        if cached is not None:
            was_count, was_position, means = cached
            if max(abs(count - was_count), position - was_position) <= was_count / 10:
                return means
        keys = np.asarray(self._dense.graph.keys, dtype=np.uint64)
        if len(keys) > LANGUAGE_SAMPLE:
            keys = np.random.default_rng(0).choice(keys, LANGUAGE_SAMPLE, replace=False)
        ids = [int(k) for k in keys]
        vectors = self._dense.get(ids)
        sampled: dict[str, list[np.ndarray]] = {language: [] for language in MEAN_LANGUAGES}
        for chunk in self._lexical.stored_chunks(ids):
            if chunk.language in sampled and chunk.chunk_id in vectors:
                sampled[chunk.language].append(vectors[chunk.chunk_id])
        means = mean_vectors(sampled)
        self._language_means = (count, position, means)
        return means

    def chunk_ids(self) -> set[int]:
        """Every chunk id held, lexical and dense (``calanque check`` compares them)."""
        return self._lexical.all_ids() | {int(k) for k in self._dense.graph.keys}

    def component_ids(self) -> dict[str, set[int]]:
        return {
            "lexical": self._lexical.all_ids(),
            "dense": {int(k) for k in self._dense.graph.keys},
        }

    def refresh(self) -> bool:
        """Pick up a commit made by another process; True when something was reloaded."""
        mtime = self._stat_meta()
        if mtime == self._meta_mtime or self._lexical.dirty or self._dense.dirty:
            return False
        meta = json.loads((self.folder / META_FILE).read_text(encoding="utf-8"))
        self._meta.update(
            lexical_position=meta["lexical_position"], dense_position=meta["dense_position"]
        )
        self._lexical.reload()
        self._dense.reload()
        self._pending = None
        self._meta_mtime = mtime
        return True

    def info(self) -> IndexInfo:
        return IndexInfo(
            backend=self.backend,
            embedder=str(self._meta["embedder"]),
            dim=int(self._meta["dim"]),
            count=self._lexical.count(),
            position=self.position(),
        )

    def close(self) -> None:
        """Release the writer; changes not yet committed are discarded."""
        self._lexical.close()
        self._words.close()

    def __enter__(self) -> EmbeddedIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
