"""Bring an index up to date with the catalog's chunk log.

The index records the last ``chunk_log.seq`` it applied (:meth:`Index.position`). Catching
up replays the log from there in batches: for each chunk only its last operation in the
batch counts, an upsert of a chunk that no longer exists is a delete, and the position only
moves after the batch is durably applied. Replaying a batch twice is harmless (upserts
replace, deletes of missing ids do nothing), so a ``kill -9`` at any moment converges on the
next run with no duplicate and no lost chunk.

Deleted chunks leave nothing behind (an opt-out must not leave copies, docs/security.md).
Before a batch deletes chunks, their text is read back from the index; once the batch is
applied, the vectors cached for that text (passages in ``embeddings.sqlite`` and, through
``forget``, answer sentences in ``sentences.sqlite``) are dropped unless a live chunk has
the same text, and this happens before the position moves, so a replay drops them too.
After a catch-up that deleted chunks, :func:`purge_deleted` makes the index rewrite what
still holds their text (tantivy segments); the embedded index's usearch part overwrites
removed vectors at each commit.

Progressive indexing (docs/architecture.md, step 7). On a backend that can store chunks
before their vectors (:class:`~calanque.index.base.ProgressiveIndex`, the embedded one),
:func:`catch_up` applies the log lexically: upserts and deletes, in seconds, with no
embedding, and pages are answerable at once. :func:`fill_dense` then embeds the chunks
still without a vector, in batches, and saves them every few seconds; it can run later,
or in the background while the server answers. Deletes apply to both sides in the
lexical pass, and a vector is only kept for a chunk the index still holds with the
content it was computed from, so a withdrawn page is never served by either side.
Other backends (Milvus) embed in the catch-up itself, as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from calanque.catalog import Catalog
from calanque.embed import Embedder
from calanque.embed.base import passage_text
from calanque.index.base import Index, ProgressiveIndex
from calanque.index.boilerplate import RepeatedLines
from calanque.index.words import tally
from calanque.types import IndexedChunk

ProgressFn = Callable[[int, int], None]  # (applied position, catalog head)
# (texts of deleted chunks, texts of live chunks): drop what was computed from the former
ForgetFn = Callable[[list[str], list[str]], None]


@dataclass
class SyncReport:
    applied: int = 0  # chunks upserted (searchable lexically at least)
    deleted: int = 0
    position: int = 0
    head: int = 0
    elapsed_s: float = 0.0
    embedded: int = 0  # chunks given a vector by the dense pass that followed
    dense_pending: int = 0  # chunks still without a vector at the end
    words: int = 0  # words of the pages given a vector after it (index/words.py)

    def to_dict(self) -> dict[str, float | int]:
        return {
            "applied": self.applied,
            "deleted": self.deleted,
            "position": self.position,
            "head": self.head,
            "elapsed_s": round(self.elapsed_s, 3),
            "embedded": self.embedded,
            "dense_pending": self.dense_pending,
            "words_embedded": self.words,
        }


def catch_up(
    catalog: Catalog,
    index: Index,
    embedder: Embedder,
    *,
    batch: int = 256,
    progress: ProgressFn | None = None,
    after_batch: Callable[[list[IndexedChunk]], None] | None = None,
    forget: ForgetFn | None = None,
    purge: bool = True,
    dense: bool = True,
    dense_progress: ProgressFn | None = None,
    words_progress: ProgressFn | None = None,
) -> SyncReport:
    """Apply every catalog change after the index's position.

    ``forget`` drops other caches' entries for deleted text (see the module); with
    ``purge`` (the default) a catch-up that deleted chunks ends with :func:`purge_deleted`.
    On a progressive index the changes are applied lexically only (``after_batch`` is then
    :func:`fill_dense`'s, not called here); with ``dense`` (the default) the dense pass
    follows at once, reporting to ``dense_progress``, once the pages' words are embedded
    (:func:`fill_words`, reporting to ``words_progress``; seconds, where the chunks take
    minutes); without it the pages' words are counted, for the lexicon's translations
    (:mod:`calanque.index.lexicon`).
    Other backends embed as they go.
    """
    lexical_first = isinstance(index, ProgressiveIndex)
    started = time.monotonic()
    report = SyncReport(position=index.position(), head=catalog.last_seq())
    while True:
        changes = catalog.changes_since(report.position, limit=batch)
        if not changes:
            break
        last_op = {change.chunk_id: change.op for change in changes}
        upserts = sorted(i for i, op in last_op.items() if op == "upsert")
        chunks = catalog.indexed_chunks(upserts)
        gone = set(upserts) - {c.chunk_id for c in chunks}
        deletes = sorted({i for i, op in last_op.items() if op == "delete"} | gone)
        withdrawn = _stored_chunks(index, deletes)
        if deletes:
            index.delete(deletes)
        if chunks and lexical_first:
            index.upsert_lexical(chunks)  # type: ignore[attr-defined]
        elif chunks:
            index.upsert(chunks, embedder.embed_passages([passage_text(c) for c in chunks]))
            report.embedded += len(chunks)
            if after_batch is not None:
                after_batch(chunks)
        if withdrawn:
            _forget_withdrawn(catalog, embedder, withdrawn, chunks, forget)
        report.position = changes[-1].seq
        index.commit(report.position)
        report.applied += len(chunks)
        report.deleted += len(deletes)
        if progress is not None:
            progress(report.position, report.head)
    if purge and report.deleted:
        purge_deleted(index)
    report.head = max(report.head, report.position)
    if lexical_first and not dense:
        count_words(index)  # the lexicon translates with the words alone, before any vector
    if lexical_first and dense:
        # the words first: seconds of work that let a question in the other language find
        # pages by their words while the chunks' vectors take minutes (or hours)
        report.words = fill_words(index, embedder, progress=words_progress)
        filled = fill_dense(
            catalog, index, embedder, progress=dense_progress, after_batch=after_batch
        )
        report.embedded += filled.embedded
    report.dense_pending = index.dense_pending_count() if lexical_first else 0  # type: ignore[attr-defined]
    report.elapsed_s = time.monotonic() - started
    return report


@dataclass
class DenseReport:
    embedded: int = 0  # chunks given a vector
    skipped: int = 0  # changed or deleted while they were embedded: left to the next pass
    pending: int = 0  # still without a vector at the end
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "embedded": self.embedded,
            "skipped": self.skipped,
            "pending": self.pending,
            "elapsed_s": round(self.elapsed_s, 3),
        }


DENSE_BATCH = 32
DENSE_SAVE_EVERY_S = 5.0


def fill_dense(
    catalog: Catalog,
    index: Index,
    embedder: Embedder,
    *,
    batch: int = DENSE_BATCH,
    progress: ProgressFn | None = None,
    after_batch: Callable[[list[IndexedChunk]], None] | None = None,
    save_every_s: float = DENSE_SAVE_EVERY_S,
    should_stop: Callable[[], bool] | None = None,
    embed: Callable[[list[str]], object] | None = None,
) -> DenseReport:
    """Embed the chunks a progressive index holds without a vector (nothing for others).

    Batch by batch, in id order: the chunks are read from the catalog (a chunk deleted
    there is skipped, the lexical catch-up removes it), embedded, and offered to the
    index, which keeps the vectors of those it still holds unchanged. Vectors are saved
    every ``save_every_s`` seconds and at the end; a crash loses only the unsaved ones
    (the embedding cache has them). ``progress`` gets (chunks done, chunks to do).
    ``should_stop`` is asked between batches; ``embed`` (texts → cache) lets the server
    embed a batch without its model lock before adding it under the lock.
    """
    started = time.monotonic()
    report = DenseReport()
    if not isinstance(index, ProgressiveIndex):
        return report
    todo = index.dense_pending_count()
    saved_at = time.monotonic()
    after = 0
    while not (should_stop is not None and should_stop()):
        ids = index.dense_pending(batch, after)
        if not ids:
            if after == 0 or index.dense_pending_count() == 0:
                break
            after = 0  # chunks changed behind the cursor: one more sweep
            todo = report.embedded + report.skipped + index.dense_pending_count()
            report.skipped = 0
            continue
        after = ids[-1]
        chunks = catalog.indexed_chunks(ids)
        report.skipped += len(ids) - len(chunks)
        if chunks:
            texts = [passage_text(c) for c in chunks]
            if embed is not None:
                embed(texts)  # fills the embedder's cache: the call below finds it there
            kept = index.add_vectors(chunks, embedder.embed_passages(texts))
            report.embedded += kept
            report.skipped += len(chunks) - kept
            if after_batch is not None:
                after_batch(chunks)
        if time.monotonic() - saved_at >= save_every_s:
            index.save_dense()
            saved_at = time.monotonic()
        if progress is not None:
            progress(min(report.embedded + report.skipped, todo), todo)
    index.save_dense()
    report.pending = index.dense_pending_count()
    report.elapsed_s = time.monotonic() - started
    return report


WORD_BATCH = 256


def fill_words(
    index: Index,
    embedder: Embedder,
    *,
    batch: int = WORD_BATCH,
    should_stop: Callable[[], bool] | None = None,
    progress: ProgressFn | None = None,
) -> int:
    """Embed the corpus's words still without a vector (:mod:`calanque.index.words`: the
    bridge between a question's language and the pages'); returns how many. Nothing for
    a backend that keeps no words (Milvus). ``progress`` gets (words done, words to do)."""
    pending = getattr(index, "words_pending", None)
    if not callable(pending):
        return 0
    count_words(index)
    done, todo = 0, 0
    while not (should_stop is not None and should_stop()):
        words = list(pending(batch))
        if not words:
            break
        if not todo:
            todo = int(index.word_counts()["waiting"])  # type: ignore[attr-defined]
        index.add_word_vectors(words, embedder.embed_passages(words))  # type: ignore[attr-defined]
        done += len(words)
        if progress is not None:
            progress(min(done, todo), todo)
    return done


WORD_SCAN_BATCH = 2000


def count_words(index: Index) -> bool:
    """Count the corpus's words again (:mod:`calanque.index.words`), and the lines its sites
    repeat on their pages (:mod:`calanque.index.boilerplate`), if the index changed since
    they were; True when it did. The stored chunks are read a batch per call, so a
    server's searches go on between them (each index call holds its lock)."""
    stale = getattr(index, "words_stale", None)
    if not callable(stale):
        return False
    fingerprint = stale()
    if not fingerprint:
        return False
    ids = sorted(index.stored_ids())  # type: ignore[attr-defined]
    counts = tally(())
    repeated = RepeatedLines()
    for start in range(0, len(ids), WORD_SCAN_BATCH):
        chunks = index.stored_chunks(ids[start : start + WORD_SCAN_BATCH])  # type: ignore[attr-defined]
        tally(((c.language, c.text) for c in chunks), counts)
        repeated.add(chunks)
    index.set_words(counts, fingerprint, repeated.lines())  # type: ignore[attr-defined]
    return True


def purge_deleted(index: Index) -> int:
    """Make the index drop the text of deleted chunks from its files, where it keeps it
    until a merge (the embedded index's tantivy segments), and count the corpus's words
    again, so a deleted page's words go now, not at the next dense pass; 0 for other
    backends."""
    purge = getattr(index, "purge_deleted", None)
    if not callable(purge):
        return 0
    rewritten = int(purge())
    count_words(index)
    return rewritten


def _stored_chunks(index: Index, chunk_ids: list[int]) -> list[IndexedChunk]:
    """The chunks the index holds under ``chunk_ids`` (backends that store no text: none)."""
    stored = getattr(index, "stored_chunks", None)
    return list(stored(chunk_ids)) if chunk_ids and callable(stored) else []


def _forget_withdrawn(
    catalog: Catalog,
    embedder: Embedder,
    withdrawn: list[IndexedChunk],
    upserted: list[IndexedChunk],
    forget: ForgetFn | None,
) -> None:
    """Drop cached vectors of deleted chunks' text that no live chunk still uses."""
    live = upserted + catalog.chunks_sharing_text([c.text for c in withdrawn])
    forget_passages = getattr(embedder, "forget_passages", None)
    if callable(forget_passages):
        forget_passages([passage_text(c) for c in withdrawn], [passage_text(c) for c in live])
    if forget is not None:
        forget([c.text for c in withdrawn], [c.text for c in live])


def rebuild(
    catalog: Catalog,
    index: Index,
    embedder: Embedder,
    *,
    progress: ProgressFn | None = None,
    after_batch: Callable[[list[IndexedChunk]], None] | None = None,
    dense_progress: ProgressFn | None = None,
    words_progress: ProgressFn | None = None,
) -> SyncReport:
    """Start the index over from the catalog (after a change of embedder or backend)."""
    index.delete(list(_indexed_ids(index)))
    index.commit(0)
    return catch_up(
        catalog,
        index,
        embedder,
        progress=progress,
        after_batch=after_batch,
        dense_progress=dense_progress,
        words_progress=words_progress,
    )


def _indexed_ids(index: Index) -> list[int]:
    ids = getattr(index, "chunk_ids", None)
    return list(ids()) if callable(ids) else []
