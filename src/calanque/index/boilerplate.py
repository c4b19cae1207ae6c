"""Lines a site repeats at the top or the bottom of its pages: its boilerplate.

Many sites open or close every page on the same lines: a generator's credit (``This
document was generated on February 5, 2023 using texi2any.``), a version banner (``Zsh
version 5.9, released on May 14, 2022.``), a copyright or a licence notice. Where nothing in
the markup sets them apart (no ``<footer>``, no navigation class), the extractor keeps them
as text, and since they are on every page they come close to any question about the site:
in a user's trial over the Z Shell manual, the banner was quoted as the answer to "Since
which version does zsh have the always construct?".

:class:`RepeatedLines` reads a site's pages as the index holds them (chunk by chunk, in any
order) and keeps the first and the last :data:`EDGE_LINES` lines of each page (the first
lines of its first chunk, the last lines of its last one). A line on at least
:data:`MIN_PAGES` of a site's pages and at least :data:`MIN_SHARE` of them is the site's
boilerplate: :meth:`RepeatedLines.lines` gives their keys (:func:`line_key`, of the line on
its site: another site's page may hold it as its one fact). A sentence a page shares with a
few others (a command, an example) is not: only a line that most pages open or close on is.

The keys are made with the corpus's words (:func:`calanque.index.sync.count_words`), from
the index's stored chunks whenever it changed, and kept beside them (``words.sqlite``);
the answer engine takes a passage's sentences on such a line out of what a writer may
quote (:func:`calanque.answer.passages.without_lines`), unless the question asks about
them (it has most of its key terms: "When was zsh 5.9 released?"). A backend that keeps no words
(Milvus) has no such lines: its passages are offered whole.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

from calanque.index.fusion import host_of
from calanque.types import IndexedChunk

EDGE_LINES = 3  # lines read at each end of a page
MIN_PAGES = 5  # a line on fewer of a site's pages is no boilerplate, whatever their share
MIN_SHARE = 0.3  # ... nor one on less than this share of them
MIN_WORDS = 3  # shorter lines are no sentence a writer would quote
MAX_LINE_CHARS = 300  # longer ones are text, not a banner


def line_key(line: str, url: str) -> int | None:
    """The key of ``line`` on the site of ``url`` (its host: a line that is one site's
    boilerplate may be another's only fact): lower case, spaces collapsed, a 56-bit hash
    (it fits SQLite's integers); None for a line too short or too long to be boilerplate."""
    folded = " ".join(line.casefold().split())
    if len(folded) > MAX_LINE_CHARS or len(folded.split()) < MIN_WORDS:
        return None
    keyed = f"{host_of(url)}\n{folded}"
    return int.from_bytes(hashlib.blake2b(keyed.encode("utf-8"), digest_size=7).digest(), "big")


def _keys(lines: Iterable[str], url: str) -> list[int]:
    return [key for line in lines if (key := line_key(line, url)) is not None]


class RepeatedLines:
    """Counts, over a corpus's chunks, the lines its sites open or close their pages on."""

    def __init__(self) -> None:
        # per page (document id): its first chunk's id, its site and its first lines' keys;
        # its last chunk's id and its last lines' keys
        self._heads: dict[int, tuple[int, str, tuple[int, ...]]] = {}
        self._tails: dict[int, tuple[int, tuple[int, ...]]] = {}

    def add(self, chunks: Iterable[IndexedChunk]) -> None:
        for chunk in chunks:
            # lines as the answer stage reads them (answer/passages.py): split on "\n" only
            lines = [line for line in chunk.text.split("\n") if line.strip()]
            page, url = chunk.document_id, chunk.url
            head = self._heads.get(page)
            if head is None or chunk.chunk_id < head[0]:
                keys = tuple(_keys(lines[: EDGE_LINES * 2], url))[:EDGE_LINES]
                self._heads[page] = (chunk.chunk_id, host_of(url), keys)
            tail = self._tails.get(page)
            if tail is None or chunk.chunk_id > tail[0]:
                keys = tuple(_keys(lines[-EDGE_LINES * 2 :], url))[-EDGE_LINES:]
                self._tails[page] = (chunk.chunk_id, keys)

    def lines(self) -> frozenset[int]:
        """The keys of the lines that are some site's boilerplate."""
        pages: Counter[str] = Counter()
        found: Counter[tuple[str, int]] = Counter()
        for page, (_, site, head) in self._heads.items():
            pages[site] += 1
            tail = self._tails.get(page, (0, ()))[1]
            found.update((site, key) for key in set(head) | set(tail))
        return frozenset(
            key
            for (site, key), count in found.items()
            if count >= max(MIN_PAGES, MIN_SHARE * pages[site])
        )
