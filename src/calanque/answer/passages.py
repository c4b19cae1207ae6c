"""Numbered passages: the retrieved chunks an answer may cite, with document offsets.

Passage ``n`` (1-based) is the ``n``-th chunk retrieved, the number a writer cites.
Readers see sources, not chunks: ``source`` numbers the distinct pages in order of
first appearance, so that a page five of whose chunks were retrieved is listed once,
and every ``[n]`` shown (a :class:`~calanque.types.Citation`'s ``n``) is the
``source``-th entry of the answer's source list. ``start`` is the chunk's offset in its
document's text: a sentence at offset ``i`` of ``text`` sits at ``start + i`` of
the document (the catalog guarantees ``document.text[chunk.start:chunk.end] ==
chunk.text``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from calanque.answer.sentences import Span, split_sentences
from calanque.index.boilerplate import line_key
from calanque.types import Chunk, Hit, SearchResult

SNIPPET_CHARS = 240


class ChunkSource(Protocol):
    """What the answerer needs from the catalog."""

    def chunk_texts(self, chunk_ids: Sequence[int]) -> dict[int, Chunk]: ...


@dataclass(frozen=True)
class Passage:
    n: int
    url: str
    title: str
    text: str  # the chunk text
    start: int  # offset of ``text`` in the document text
    heading: str = ""
    date: str = ""
    language: str = ""
    chunk_id: int | None = None
    document_id: int | None = None
    score: float = 0.0
    provider: str = "index"  # "index", or the web search provider that proposed the page
    cached: bool = False  # a web page's stored copy was read, not the page fetched again
    sentences: tuple[Span, ...] = field(default=(), compare=False, repr=False)
    source: int = 0  # the page's number in the source list (0: not numbered yet, use n)

    @property
    def shown(self) -> int:
        """The number readers see for this passage: its page's in the source list."""
        return self.source or self.n

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def make_passage(n: int, hit: Hit, chunk: Chunk | None = None) -> Passage:
    """A passage from a hit; ``chunk`` (from the catalog) gives its document offsets."""
    text = chunk.text if chunk is not None else hit.text
    start = chunk.start if chunk is not None else 0
    return Passage(
        n=n,
        url=hit.url,
        title=hit.title,
        text=text,
        start=start,
        heading=hit.heading,
        date=hit.date,
        language=hit.language or (chunk.language if chunk else ""),
        chunk_id=hit.chunk_id,
        document_id=hit.document_id,
        score=hit.score,
        sentences=tuple(split_sentences(text, base=start)),
    )


def build_passages(hits: Sequence[Hit], catalog: ChunkSource | None) -> list[Passage]:
    """Number the hits whose chunk still exists in the catalog (1, 2, ...).

    A hit whose chunk is gone (a page deleted after an opt-out, an index behind
    the catalog) is left out: it must not be quoted. Without a catalog the hit's
    own text is used, with offsets relative to the chunk.
    """
    chunks = catalog.chunk_texts([h.chunk_id for h in hits]) if catalog is not None else None
    if chunks and catalog is not None:
        chunks = _with_what_they_announce(chunks, catalog)
    passages: list[Passage] = []
    for hit in hits:
        chunk = chunks.get(hit.chunk_id) if chunks is not None else None
        if chunks is not None and chunk is None:
            continue
        passages.append(make_passage(len(passages) + 1, hit, chunk))
    return by_source(passages)


# What a chunk that ends on an announcement ("…can be implemented like this:") is given of
# the next chunk: its lines up to the first that reads as prose, this many characters at most
ANNOUNCED_CHARS = 800


def _with_what_they_announce(chunks: dict[int, Chunk], catalog: ChunkSource) -> dict[int, Chunk]:
    """``chunks``, each that ends with ':' run on into the next chunk of its document
    through the lines it announces (a program, a listing, a list): the splitter cuts at a
    paragraph's end, and the program after "A simple fix is to add a tiny sleep to the
    start of the run function:" was in a chunk of its own, never quoted with it. The
    chunk after is the next id of the same document with the next ordinal, or nothing."""
    announcing = [cid for cid, c in chunks.items() if c.text.rstrip().endswith(":")]
    if not announcing:
        return chunks
    following = catalog.chunk_texts([cid + 1 for cid in announcing])
    out = dict(chunks)
    for cid in announcing:
        chunk, after = chunks[cid], following.get(cid + 1)
        if (
            after is None
            or after.document_id != chunk.document_id
            or after.ordinal != chunk.ordinal + 1
            or not after.start <= chunk.end < after.end
        ):
            continue
        more = _announced(after.text[chunk.end - after.start :])
        if more:
            out[cid] = replace(chunk, text=chunk.text + more, end=chunk.end + len(more))
    return out


def _announced(rest: str) -> str:
    """The start of ``rest`` (the text after an announcement) up to the end of its last line
    before one that reads as prose, within ``ANNOUNCED_CHARS``."""
    taken = 0
    for line in rest[:ANNOUNCED_CHARS].splitlines(keepends=True):
        words = line.split()
        if taken and len(words) >= PROSE_LINE_WORDS and line.rstrip()[-1:] in ".!?":
            break  # prose again
        if taken + len(line) > ANNOUNCED_CHARS or not line.endswith("\n"):
            break  # a line cut by the limit is not taken
        taken += len(line)
    return rest[:taken].rstrip()


PROSE_LINE_WORDS = 6


def without_lines(
    passages: Sequence[Passage],
    lines: frozenset[int],
    asked: Callable[[str], bool] = lambda _: False,
) -> list[Passage]:
    """``passages`` without the sentences that stand on one of ``lines`` (keys of
    :func:`calanque.index.boilerplate.line_key`: a site's boilerplate), which no writer is
    then offered to quote, unless ``asked`` says the question is about that sentence. The
    passage's text is kept whole: offsets and quotes hold."""
    if not lines:
        return list(passages)
    out = []
    for passage in passages:
        kept = tuple(
            s
            for s in passage.sentences
            if line_key(_line(passage, s), passage.url) not in lines or asked(s.text)
        )
        out.append(
            passage if len(kept) == len(passage.sentences) else replace(passage, sentences=kept)
        )
    return out


def _line(passage: Passage, span: Span) -> str:
    """The line of ``passage``'s text that ``span`` (one of its sentences) stands on."""
    start, end = span.start - passage.start, span.end - passage.start
    begin = passage.text.rfind("\n", 0, max(0, start)) + 1
    stop = passage.text.find("\n", max(begin, end))
    return passage.text[begin : stop if stop >= 0 else len(passage.text)]


def by_source(passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` with their page's number in the source list: passages of one URL
    share it, numbered in order of first appearance."""
    numbers: dict[str, int] = {}
    return [replace(p, source=numbers.setdefault(p.url, len(numbers) + 1)) for p in passages]


@dataclass(frozen=True)
class WebEvidence:
    """What a web search gives an answer: passages read from pages whose publishers allow
    it, and every other result, unused, with the reason (see calanque.web)."""

    passages: list[Passage] = field(default_factory=list)
    unused: list[SearchResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # providers that failed, and why
    # the query's vector, when the web source embedded it (the writer need not again)
    query_vector: np.ndarray | None = None


def search_results(passages: Sequence[Passage]) -> list[SearchResult]:
    """The numbered source list shown with the answer: one entry per page, in the order
    of :attr:`Passage.shown` (the snippet is from the page's first passage)."""
    first = {p.shown: p for p in reversed(passages)}
    return [
        SearchResult(
            url=p.url,
            title=p.title,
            snippet=_snippet(p.text),
            date=p.date,
            provider=p.provider,
            cached=p.cached,
            language=p.language,
        )
        for _, p in sorted(first.items())
    ]


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= SNIPPET_CHARS:
        return flat
    cut = flat[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut + "…"
