"""Never embed the same text twice: a content-addressed cache of passage vectors.

Vectors are stored as float16 in a small SQLite file (``embeddings.sqlite`` in the
index folder), keyed by ``sha256(model name + NUL + text)``. Reindexing, re-crawling
an unchanged page, or boilerplate repeated across pages costs a lookup, not a model
call. Identical texts inside one batch are embedded once.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from calanque.embed.base import Embedder, normalize_rows
from calanque.errors import IndexBackendError

CACHE_FILE = "embeddings.sqlite"
_QUERY_CACHE_SIZE = 1024
_SQL_BATCH = 500


def content_key(model_name: str, text: str) -> bytes:
    """The cache key of ``text`` embedded by ``model_name``."""
    return hashlib.sha256(f"{model_name}\0{text}".encode()).digest()


class EmbeddingCache:
    """A persistent map from content key to vector (float16 on disk)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA secure_delete=ON")  # forgotten vectors are zeroed
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
            )
        except sqlite3.Error as exc:
            raise IndexBackendError(
                f"cannot open the embedding cache {path}: {exc}; delete the file to rebuild it"
            ) from exc
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), _SQL_BATCH):
                part = list(keys[start : start + _SQL_BATCH])
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        return found

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        rows = [(k, v.astype(np.float16).tobytes()) for k, v in items.items()]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def delete_many(self, keys: Sequence[bytes]) -> int:
        """Forget ``keys`` (their rows are zeroed on disk and the log truncated); returns how
        many were held."""
        removed = 0
        with self._lock:
            with self._db:
                for start in range(0, len(keys), _SQL_BATCH):
                    part = list(keys[start : start + _SQL_BATCH])
                    marks = ",".join("?" * len(part))
                    sql = f"DELETE FROM vectors WHERE key IN ({marks})"
                    removed += self._db.execute(sql, part).rowcount
            if removed:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedEmbedder:
    """Wraps an :class:`Embedder`: passages go through the cache, queries an LRU."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.dim = inner.dim
        self.misses = 0
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    @classmethod
    def in_folder(cls, inner: Embedder, folder: Path) -> CachedEmbedder:
        """A cached embedder whose cache file lives in ``folder`` (the index folder)."""
        return cls(inner, EmbeddingCache(folder / CACHE_FILE))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        keys = [content_key(self.name, t) for t in texts]
        known = self.cache.get_many(list(dict.fromkeys(keys)))
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in known}
        if todo:
            vectors = normalize_rows(self.inner.embed_passages(list(todo.values())))
            fresh = dict(zip(todo.keys(), vectors, strict=True))
            self.cache.put_many(fresh)
            known.update(fresh)
            self.misses += len(todo)
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = known[key]
        return normalize_rows(out)

    def forget_passages(self, texts: Sequence[str], keep: Sequence[str] = ()) -> int:
        """Drop the cached vectors of ``texts`` (deleted passages), except those of ``keep``
        (passages still indexed); returns how many were dropped."""
        kept = {content_key(self.name, t) for t in keep}
        gone = {content_key(self.name, t) for t in texts} - kept
        return self.cache.delete_many(sorted(gone))

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._queries.get(text)
        if vector is None:
            vector = self.inner.embed_query(text)
            self._queries[text] = vector
            if len(self._queries) > _QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        else:
            self._queries.move_to_end(text)
        return vector

    def close(self) -> None:
        self.cache.close()
