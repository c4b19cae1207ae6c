"""``MilvusIndex``: the scale-out index on Milvus (pymilvus ``MilvusClient``).

One collection per index holds each chunk's dense vector, its display fields and the
scalar fields filters need; a second, tiny ``<collection>_meta`` collection holds one row
with the embedder, the dimension and the catalog position applied. The same code talks to
a Milvus cluster or standalone server (``http://host:19530``) and to Milvus Lite (a
``*.db`` file path).

Lexical search. Milvus ≥ 2.5 computes BM25 itself: ``text_fr`` and ``text_en`` are
VARCHAR fields with an analyzer each (standard tokenizer, lowercase, Snowball stemmer,
ASCII folding — stemming first, like the embedded index), and built-in BM25 functions
turn them into the sparse fields ``sparse_fr`` and ``sparse_en``. A chunk is analysed in
its language (both when unknown); a query is searched in both fields and a chunk's score
is the sum. French elisions are cut in Python (:func:`~calanque.index.analysis.strip_elisions`).

Where Milvus differs (detected when the collection is created, recorded in the meta row):

* Milvus Lite (``*.db``): only FLAT / IVF_FLAT dense indexes, so the dense field is FLAT
  (exact search); at most ~1,000 rows per insert call, so writes go in batches of
  ``BATCH_ROWS``. Use ``milvus-lite==2.5.1``: the 3.x rewrite silently ignores the stemmer
  and ASCII-folding filters.
* Milvus < 2.5 (e.g. the 2.3.5 server of the PyPI package ``milvus``): no BM25 function
  and no analyzers. The collection is created dense-only, a warning is logged, and
  :meth:`MilvusIndex.search_lexical` raises :class:`~calanque.errors.IndexBackendError`;
  :meth:`MilvusIndex.search_hybrid` then returns dense results. Servers use HNSW.
* Filter templates (``filter_params``) are not supported by Lite 2.5.1 nor 2.3, and Lite
  rejects a unary ``not``: filters use ``in``/``not in`` over ``domain_<n>`` fields (the
  last ``n`` labels of the host), every value quoted by :func:`quote`.
* BM25 over a field that holds no text at all returns NaN in Lite, so a language field
  with no text is left out of lexical searches.
* Lite runs one server process per ``*.db`` file; it is stopped when the last
  ``MilvusIndex`` on that file is closed.

Writes are buffered until :meth:`MilvusIndex.commit`, which applies deletes, then upserts,
then records the position: changes not committed are lost, replays are idempotent.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from calanque.errors import IndexBackendError, IndexMismatchError
from calanque.index._milvus_rows import (
    BATCH_ROWS,
    DOMAIN_FIELDS,
    LANGUAGES,
    MAX_VARCHAR,
    OUTPUT_FIELDS,
    STEMMERS,
    _connect,
    _hold_lite,
    _release_lite,
    chunk_row,
    entity_hit,
    filter_expression,
    is_lite_uri,
    quote,
)
from calanque.index.analysis import strip_elisions
from calanque.index.base import LANGUAGE_SAMPLE, MEAN_LANGUAGES, IndexInfo, mean_vectors
from calanque.index.fusion import rrf_fuse
from calanque.types import Hit, IndexedChunk, SearchFilters

LANGUAGE_MEANS_TTL_S = 600.0  # how long the languages' mean vectors are reused

__all__ = ["MilvusFeatures", "MilvusIndex", "chunk_row", "filter_expression", "quote"]

log = logging.getLogger(__name__)

T = TypeVar("T")
FORMAT_VERSION = 1
_WORD = re.compile(r"\w")


def _version(text: str) -> tuple[int, int]:
    found = re.search(r"(\d+)\.(\d+)", text)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


@dataclass(frozen=True)
class MilvusFeatures:
    """What the Milvus at the other end offers."""

    lite: bool
    version: str
    lexical: bool  # BM25 function + analyzers (Milvus ≥ 2.5, Lite 2.5.1)
    dense_index: str  # FLAT on Lite, HNSW on servers


class MilvusIndex:
    """Hybrid index in one Milvus collection, built for one embedder."""

    backend = "milvus"

    def __init__(
        self,
        uri: str,
        *,
        embedder_name: str,
        dim: int,
        collection: str = "calanque_chunks",
        token: str = "",
        timeout: float = 30.0,
        native_hybrid: bool = True,
    ) -> None:
        from pymilvus import MilvusClient  # optional dependency: calanque[milvus]

        self.uri = uri
        self.collection = collection
        self.timeout = timeout
        self.native_hybrid = native_hybrid
        self._closed = False
        if is_lite_uri(uri):
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
            _hold_lite(uri)
        try:
            self._client = _connect(MilvusClient, uri, token, timeout)
        except Exception as exc:
            if is_lite_uri(uri):
                _release_lite(uri)
            raise IndexBackendError(
                f"cannot connect to Milvus at {uri}: {exc}; start the server or fix "
                "index.milvus_uri (a server URL, or a *.db file path for Milvus Lite)"
            ) from exc
        self._pending_upserts: dict[int, dict[str, Any]] = {}
        self._pending_deletes: set[int] = set()
        self._searchable: tuple[str, ...] | None = None  # languages with some text
        # (when measured, mean vector per language): see language_means
        self._language_means: tuple[float, dict[str, np.ndarray]] | None = None
        try:
            self._meta = self._open(embedder_name, dim)
        except IndexBackendError:
            self.close()
            raise
        self.features = MilvusFeatures(
            lite=is_lite_uri(uri),
            version=str(self._meta.get("version", "")),
            lexical=bool(self._meta["lexical"]),
            dense_index=str(self._meta["dense_index"]),
        )

    # -- opening ----------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except IndexBackendError:
            raise
        except Exception as exc:
            raise IndexBackendError(
                f"Milvus {what} failed on collection {self.collection!r} at {self.uri}: "
                f"{exc}; check that the server is up, or run `calanque reindex`"
            ) from exc

    @property
    def _meta_collection(self) -> str:
        return f"{self.collection}_meta"

    def _open(self, embedder_name: str, dim: int) -> dict[str, Any]:
        client = self._client
        if not self._call("has_collection", client.has_collection, self._meta_collection):
            return self._create(embedder_name, dim)
        meta = self._read_meta()
        if meta.get("embedder") != embedder_name or meta.get("dim") != dim:
            raise IndexMismatchError(
                f"the Milvus collection {self.collection!r} at {self.uri} was built by "
                f"embedder {meta.get('embedder')!r} ({meta.get('dim')}-d) but the configured "
                f"embedder is {embedder_name!r} ({dim}-d): run `calanque reindex` to rebuild it"
            )
        for name in (self.collection, self._meta_collection):
            self._call("load_collection", client.load_collection, name)
        return meta

    def _read_meta(self) -> dict[str, Any]:
        self._call("load_collection", self._client.load_collection, self._meta_collection)
        rows = self._call(
            "query", self._client.query, self._meta_collection,
            filter='key == "state"', output_fields=["value"], consistency_level="Strong",
        )  # fmt: skip
        if not rows:
            raise IndexBackendError(
                f"the Milvus collection {self._meta_collection!r} at {self.uri} has no state "
                "row (an interrupted creation?): drop both collections and run `calanque reindex`"
            )
        return dict(json.loads(rows[0]["value"]))

    def _write_meta(self) -> None:
        row = {"key": "state", "value": json.dumps(self._meta, sort_keys=True), "vec": [0.0, 1.0]}
        self._call("upsert", self._client.upsert, self._meta_collection, [row])

    def _detect(self) -> MilvusFeatures:
        if is_lite_uri(self.uri):
            return MilvusFeatures(lite=True, version="lite", lexical=True, dense_index="FLAT")
        version = str(self._call("get_server_version", self._client.get_server_version))
        lexical = _version(version) >= (2, 5)
        return MilvusFeatures(False, version, lexical, dense_index="HNSW")

    def _create(self, embedder_name: str, dim: int) -> dict[str, Any]:
        features = self._detect()
        if not features.lexical:
            log.warning(
                "Milvus %s at %s has no BM25 function (needs Milvus ≥ 2.5): the collection "
                "%r is dense-only, lexical search is unavailable and hybrid search is dense",
                features.version, self.uri, self.collection,
            )  # fmt: skip
        if self._call("has_collection", self._client.has_collection, self.collection):
            self._call("drop_collection", self._client.drop_collection, self.collection)
        self._create_chunks(dim, features)
        self._create_meta_collection()
        meta = {
            "format": FORMAT_VERSION,
            "embedder": embedder_name,
            "dim": dim,
            "position": 0,
            "lexical": features.lexical,
            "dense_index": features.dense_index,
            "version": features.version,
        }
        self._meta = meta
        self._write_meta()
        return meta

    def _create_chunks(self, dim: int, features: MilvusFeatures) -> None:
        from pymilvus import DataType, Function, FunctionType

        schema = self._client.create_schema(auto_id=False, description="Calanque chunks")
        schema.add_field("chunk_id", DataType.INT64, is_primary=True)
        for name in ("document_id", "source_id", "day"):
            schema.add_field(name, DataType.INT64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        for name, length in (("text", MAX_VARCHAR), ("title", 4096), ("heading", 4096),
                             ("url", 4096), ("site", 1024), ("language", 64), ("date", 64)):  # fmt: skip
            schema.add_field(name, DataType.VARCHAR, max_length=length)
        for name in DOMAIN_FIELDS:
            schema.add_field(name, DataType.VARCHAR, max_length=1024)
        index = self._client.prepare_index_params()
        dense_params = {"M": 16, "efConstruction": 200} if features.dense_index == "HNSW" else {}
        index.add_index(
            "dense", index_type=features.dense_index, metric_type="COSINE", params=dense_params
        )
        for lang in LANGUAGES if features.lexical else ():
            analyzer = {
                "tokenizer": "standard",
                "filter": ["lowercase", {"type": "stemmer", "language": STEMMERS[lang]},
                           "asciifolding"],
            }  # fmt: skip
            schema.add_field(
                f"text_{lang}", DataType.VARCHAR, max_length=MAX_VARCHAR,
                enable_analyzer=True, analyzer_params=analyzer,
            )  # fmt: skip
            schema.add_field(f"sparse_{lang}", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(Function(
                name=f"bm25_{lang}", function_type=FunctionType.BM25,
                input_field_names=[f"text_{lang}"], output_field_names=[f"sparse_{lang}"],
            ))  # fmt: skip
            index.add_index(
                f"sparse_{lang}", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25"
            )
        self._call(
            "create_collection", self._client.create_collection, self.collection,
            schema=schema, index_params=index, consistency_level="Strong",
        )  # fmt: skip

    def _create_meta_collection(self) -> None:
        from pymilvus import DataType

        name = self._meta_collection
        if self._call("has_collection", self._client.has_collection, name):
            self._call("drop_collection", self._client.drop_collection, name)
        schema = self._client.create_schema(auto_id=False, description="Calanque index state")
        schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("value", DataType.VARCHAR, max_length=4096)
        schema.add_field("vec", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field
        index = self._client.prepare_index_params()
        index.add_index("vec", index_type="FLAT", metric_type="L2")
        self._call(
            "create_collection", self._client.create_collection, name,
            schema=schema, index_params=index, consistency_level="Strong",
        )  # fmt: skip

    # -- writes (buffered until commit) -----------------------------------------------

    def upsert(self, chunks: Sequence[IndexedChunk], vectors: np.ndarray) -> None:
        matrix = np.asarray(vectors, dtype=np.float32)
        dim = int(self._meta["dim"])
        if matrix.ndim != 2 or matrix.shape != (len(chunks), dim):
            raise IndexBackendError(
                f"upsert got {len(chunks)} chunks and vectors of shape {matrix.shape}; "
                f"expected ({len(chunks)}, {dim})"
            )
        lexical = bool(self._meta["lexical"])
        for chunk, vector in zip(chunks, matrix, strict=True):  # last copy wins
            self._pending_deletes.discard(chunk.chunk_id)
            self._pending_upserts[chunk.chunk_id] = chunk_row(chunk, vector, lexical)

    def delete(self, chunk_ids: Sequence[int]) -> None:
        for chunk_id in (int(c) for c in chunk_ids):
            self._pending_upserts.pop(chunk_id, None)
            self._pending_deletes.add(chunk_id)

    def commit(self, position: int) -> None:
        """Apply buffered deletes, then upserts (in batches), then record ``position``."""
        deletes = sorted(self._pending_deletes)
        for start in range(0, len(deletes), BATCH_ROWS):
            ids = deletes[start : start + BATCH_ROWS]
            self._call("delete", self._client.delete, self.collection, ids=ids)
        self._pending_deletes.clear()
        rows = list(self._pending_upserts.values())
        for start in range(0, len(rows), BATCH_ROWS):
            batch = rows[start : start + BATCH_ROWS]
            self._call("upsert", self._client.upsert, self.collection, batch)
        self._pending_upserts.clear()
        self._searchable = None
        self._meta["position"] = int(position)
        self._write_meta()

    def position(self) -> int:
        return int(self._meta["position"])

    # -- reads -----------------------------------------------------------------------

    def _search(self, data: list[Any], field: str, k: int, expression: str) -> list[Hit]:
        if field == "dense":
            params: dict[str, Any] = {"metric_type": "COSINE"}
            if self._meta["dense_index"] == "HNSW":
                params["params"] = {"ef": max(64, k)}
        else:
            params = {"metric_type": "BM25"}
        result = self._call(
            "search", self._client.search, self.collection, data=data, anns_field=field,
            filter=expression, limit=k, output_fields=OUTPUT_FIELDS, search_params=params,
        )  # fmt: skip
        return [entity_hit(found["entity"], found["distance"]) for found in result[0]]

    def _require_lexical(self) -> None:
        if not self._meta["lexical"]:
            raise IndexBackendError(
                f"lexical search is unavailable: the Milvus collection {self.collection!r} at "
                f"{self.uri} was built without BM25 (Milvus {self._meta.get('version')}; "
                "the BM25 function needs Milvus ≥ 2.5): upgrade Milvus and run "
                "`calanque reindex`, or use dense retrieval"
            )

    def _lexical_fields(self) -> tuple[str, ...]:
        """Languages whose BM25 field holds some text (BM25 on an empty field gives NaN)."""
        if self._searchable is None:
            self._searchable = tuple(
                lang
                for lang in LANGUAGES
                if self._call(
                    "query",
                    self._client.query,
                    self.collection,
                    filter=f'text_{lang} != ""',
                    output_fields=["chunk_id"],
                    limit=1,
                )  # fmt: skip
            )
        return self._searchable

    def search_lexical(self, query: str, k: int, filters: SearchFilters) -> list[Hit]:
        self._require_lexical()
        text = strip_elisions(query)
        if k <= 0 or not _WORD.search(text):
            return []
        k = min(k, 16_384)
        expression = filter_expression(filters)
        scores: dict[int, float] = {}
        hits: dict[int, Hit] = {}
        for lang in self._lexical_fields():
            for hit in self._search([text], f"sparse_{lang}", k, expression):
                hits.setdefault(hit.chunk_id, hit)
                scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + hit.score
        order = sorted(hits, key=lambda cid: -scores[cid])[:k]
        return [hits[cid].with_score(scores[cid]) for cid in order]

    def search_dense(self, vector: np.ndarray, k: int, filters: SearchFilters) -> list[Hit]:
        if k <= 0:
            return []
        data = [[float(x) for x in np.asarray(vector, dtype=np.float32)]]
        return self._search(data, "dense", min(k, 16_384), filter_expression(filters))

    def search_hybrid(
        self, query: str, vector: np.ndarray, k: int, filters: SearchFilters, rrf_k: float = 60.0
    ) -> list[Hit]:
        """Milvus's own hybrid search: dense + BM25 (French, English) fused by ``RRFRanker``.

        ``Hit.score`` is the RRF score. Without BM25 (Milvus < 2.5) it is dense search.
        With ``native_hybrid=False`` the two rankings are fused here instead (lexical
        French+English merged by summed BM25, then RRF with the dense ranking).
        """
        from pymilvus import AnnSearchRequest, RRFRanker

        text = strip_elisions(query)
        if not self._meta["lexical"] or not _WORD.search(text):
            return self.search_dense(vector, k, filters)
        if k <= 0:
            return []
        if not self.native_hybrid:
            rankings = [
                self.search_lexical(query, k, filters),
                self.search_dense(vector, k, filters),
            ]
            return rrf_fuse(rankings, [1.0, 1.0], rrf_k)
        k = min(k, 16_384)
        expression = filter_expression(filters)
        dense = [[float(x) for x in np.asarray(vector, dtype=np.float32)]]
        requests = [AnnSearchRequest(dense, "dense", {"metric_type": "COSINE"}, k, expr=expression)]
        for lang in self._lexical_fields():
            params = {"metric_type": "BM25"}
            requests.append(AnnSearchRequest([text], f"sparse_{lang}", params, k, expr=expression))
        result = self._call(
            "hybrid_search", self._client.hybrid_search, self.collection, requests,
            RRFRanker(int(rrf_k)), limit=k, output_fields=OUTPUT_FIELDS,
        )  # fmt: skip
        return [entity_hit(found["entity"], found["distance"]) for found in result[0]]

    def get_vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        ids = sorted({int(c) for c in chunk_ids})
        found: dict[int, np.ndarray] = {}
        for start in range(0, len(ids), BATCH_ROWS):
            rows = self._call(
                "query", self._client.query, self.collection,
                ids=ids[start : start + BATCH_ROWS], output_fields=["chunk_id", "dense"],
            )  # fmt: skip
            for row in rows:
                found[int(row["chunk_id"])] = np.asarray(row["dense"], dtype=np.float32)
        return found

    def language_means(self) -> dict[str, np.ndarray]:
        """The mean vector of the French and of the English chunks, from up to
        ``LANGUAGE_SAMPLE`` of each as Milvus returns them (its queries have no random
        order, so a collection far larger than the sample is measured on the chunks it
        returns first; see :func:`calanque.index.base.mean_vectors`). Measured on first use
        and again after ``LANGUAGE_MEANS_TTL_S``: counting the collection at every search
        would cost a call."""
        cached = self._language_means
        if cached is not None and time.monotonic() - cached[0] < LANGUAGE_MEANS_TTL_S:
            return cached[1]
        sampled = {}
        for language in MEAN_LANGUAGES:
            rows = self._call(
                "query", self._client.query, self.collection,
                filter=filter_expression(SearchFilters(languages=(language,))),
                output_fields=["dense"], limit=LANGUAGE_SAMPLE,
            )  # fmt: skip
            sampled[language] = [np.asarray(row["dense"], dtype=np.float32) for row in rows]
        means = mean_vectors(sampled)
        self._language_means = (time.monotonic(), means)
        return means

    def chunk_ids(self) -> list[int]:
        """Every chunk id in the collection (used by ``rebuild``)."""
        iterator = self._call(
            "query_iterator", self._client.query_iterator, self.collection,
            batch_size=1000, output_fields=["chunk_id"],
        )  # fmt: skip
        ids: list[int] = []
        try:
            while batch := iterator.next():
                ids.extend(int(row["chunk_id"]) for row in batch)
        finally:
            iterator.close()
        return ids

    def count(self) -> int:
        rows = self._call(
            "count", self._client.query, self.collection, filter="", output_fields=["count(*)"]
        )
        return int(rows[0]["count(*)"]) if rows else 0

    def info(self) -> IndexInfo:
        return IndexInfo(
            backend=self.backend,
            embedder=str(self._meta["embedder"]),
            dim=int(self._meta["dim"]),
            count=self.count(),
            position=self.position(),
        )

    def close(self) -> None:
        """Close the connection; changes not yet committed are discarded."""
        self._pending_upserts.clear()
        self._pending_deletes.clear()
        if self._closed:
            return
        self._closed = True
        self._client.close()
        if is_lite_uri(self.uri):
            _release_lite(self.uri)

    def __enter__(self) -> MilvusIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
