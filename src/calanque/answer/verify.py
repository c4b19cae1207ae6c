"""Check every cited sentence against the passage it cites.

For a sentence citing passage ``n``:

1. ``n`` must be one of the numbered passages; otherwise the citation is dropped.
2. Every *required token* of the sentence must occur in the passage: numbers,
   paths, commands and other technical tokens (``apt-get``, ``sources.list``,
   ``8080``) always; capitalised names too when sentence and passage share a
   language. A missing one drops the citation (a changed number is a
   hallucination however similar the wording).
3. The sentence must say what a sentence of the passage says: a quote found
   verbatim (the extractive writer's case) is supported at once; otherwise the
   best passage sentence by embedding similarity must reach
   ``sim_strong``, or ``sim_min`` with the sentence's key terms covered by the
   passage to ``lexical_min`` (:class:`SupportPolicy`).

A kept citation carries its quote: the best-matching passage sentence, with its
offsets in the document and a text-fragment URL. A sentence left without any
kept citation (or that cited nothing) is removed, or kept and visibly flagged
when ``unsupported="flag"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from calanque.answer.citations import CitedSentence, text_fragment_url
from calanque.answer.language import coverage, fold, key_terms, stems, words
from calanque.answer.passages import Passage
from calanque.answer.sentences import Span, looks_like_code
from calanque.answer.vectors import SentenceVectorStore
from calanque.embed.base import Embedder
from calanque.types import Citation


@dataclass(frozen=True)
class SupportPolicy:
    """Thresholds on the embedder's cosines; the defaults are for multilingual-e5-small.

    Measured with ``python -m bench.answer --ci --support`` (2026-11-27): 61 French
    sentences of the handbook against the English passage they translate (support) and 60
    against another passage of the same page (no support). Translation cosines p5/p50 =
    0.898/0.936, other passages p50/p95 = 0.847/0.899. ``sim_strong`` 0.88 accepted 98% of
    the translations but 10% of the unrelated passages; 0.90 accepted 93% and none;
    0.92 only 79%. ``sim_min``/``lexical_min`` decide the rest (a same-language paraphrase
    whose key terms the passage holds); they did not change these cross-lingual cases.
    They matter for generative writers only: the extractive writer's sentences are
    verbatim quotes, accepted before any threshold.
    """

    sim_strong: float = 0.90
    sim_min: float = 0.82
    lexical_min: float = 0.5


FLAG_TEXT = {"fr": "[non vérifié]", "en": "[unverified]"}

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*(?![\w])")
_ENTITY = re.compile(r"(?<=[\s(«\"'])([A-ZÀ-Ý][\w-]*[a-zà-ÿ0-9][\w-]*)")


@dataclass(frozen=True)
class VerifiedSentence:
    text: str
    cited: tuple[int, ...]  # as written by the writer
    citations: tuple[Citation, ...]  # the ones that passed
    supported: bool
    reasons: tuple[str, ...] = ()  # why citations were dropped


@dataclass
class Verification:
    sentences: list[VerifiedSentence] = field(default_factory=list)
    unsupported: str = "remove"
    language: str = "en"

    @property
    def kept(self) -> list[VerifiedSentence]:
        if self.unsupported == "flag":
            return list(self.sentences)
        return [s for s in self.sentences if s.supported]

    @property
    def citations(self) -> list[Citation]:
        """Distinct kept citations, in order of first appearance."""
        seen: dict[tuple[int, int, int], Citation] = {}
        for sentence in self.kept:
            for c in sentence.citations:
                seen.setdefault((c.n, c.start, c.end), c)
        return list(seen.values())

    @property
    def text(self) -> str:
        return render(self.kept, self.language)


def render(sentences: Sequence[VerifiedSentence], language: str) -> str:
    """The answer text: each sentence followed by its kept markers (or a flag)."""
    parts: list[str] = []
    for s in sentences:
        marks = "".join(f"[{n}]" for n in dict.fromkeys(c.n for c in s.citations))
        tail = marks if s.supported else FLAG_TEXT.get(language, FLAG_TEXT["en"])
        piece = f"{s.text} {tail}"
        parts.append(f"\n{piece}\n" if looks_like_code(s.text) else piece)
    return " ".join(parts).replace(" \n", "\n").replace("\n ", "\n").strip()


def required_tokens(sentence: str, same_language: bool) -> list[str]:
    """Tokens that must occur in a supporting passage (folded)."""
    found = [m.group(0) for m in _NUMBER.finditer(sentence)]
    found += [w for w in words(sentence) if any(ch in w for ch in "/-_.~+") and len(w) > 2]
    if same_language:
        found += [m.group(1) for m in _ENTITY.finditer(" " + sentence[1:] if sentence else "")]
    return list(dict.fromkeys(fold(t).rstrip(".") for t in found if t))


def missing_tokens(sentence: str, passage_text: str, same_language: bool) -> list[str]:
    haystack = fold(passage_text)
    return [t for t in required_tokens(sentence, same_language) if not _contains(haystack, t)]


def _contains(haystack: str, token: str) -> bool:
    if token.isdigit():
        return re.search(rf"(?<!\d){re.escape(token)}(?!\d)", haystack) is not None
    return token in haystack


class CitationVerifier:
    """Verifies cited sentences against numbered passages."""

    def __init__(
        self,
        embedder: Embedder,
        store: SentenceVectorStore,
        unsupported: str = "remove",
        policy: SupportPolicy | None = None,
    ) -> None:
        self.embedder = embedder
        self.policy = policy or SupportPolicy()
        self.store = store
        self.unsupported = unsupported

    def verify(
        self, sentences: Sequence[CitedSentence], passages: Sequence[Passage], language: str
    ) -> Verification:
        by_n = {p.n: p for p in passages}
        vectors = self._sentence_vectors(sentences, by_n)
        out = [self._verify_one(s, by_n, vectors.get(i), language) for i, s in enumerate(sentences)]
        return Verification(out, self.unsupported, language)

    def _sentence_vectors(
        self, sentences: Sequence[CitedSentence], by_n: dict[int, Passage]
    ) -> dict[int, np.ndarray]:
        """Vectors of the sentences that are not verbatim quotes (one batch)."""
        todo = [
            i
            for i, s in enumerate(sentences)
            if s.citations and not all(_verbatim(s.text, by_n.get(n)) for n in s.citations)
        ]
        if not todo:
            return {}
        matrix = self.embedder.embed_passages([sentences[i].text for i in todo])
        return dict(zip(todo, np.asarray(matrix, dtype=np.float32), strict=True))

    def _verify_one(
        self,
        sentence: CitedSentence,
        by_n: dict[int, Passage],
        vector: np.ndarray | None,
        language: str,
    ) -> VerifiedSentence:
        kept: list[Citation] = []
        reasons: list[str] = []
        for n in sentence.citations:
            passage = by_n.get(n)
            if passage is None:
                reasons.append(f"[{n}] points to no passage")
                continue
            citation, reason = self._check(sentence.text, passage, vector, language)
            if citation is None:
                reasons.append(f"[{n}] {reason}")
            else:
                kept.append(citation)
        if not sentence.citations:
            reasons.append("no citation")
        return VerifiedSentence(
            sentence.text, sentence.citations, tuple(kept), bool(kept), tuple(reasons)
        )

    def _check(
        self, text: str, passage: Passage, vector: np.ndarray | None, language: str
    ) -> tuple[Citation | None, str]:
        exact = _verbatim(text, passage)
        if exact is not None:
            return _citation(passage, exact), ""
        same = not passage.language or passage.language == language
        missing = missing_tokens(text, passage.text, same)
        if missing:
            return None, f"does not contain {', '.join(missing[:3])}"
        if vector is None or not passage.sentences:
            return None, "no sentence to compare"
        candidates = [s for s in passage.sentences if len(s.text.split()) >= 2] or list(
            passage.sentences
        )
        sims = self.store.vectors([s.text for s in candidates], self.embedder) @ vector
        best = int(np.argmax(sims))
        similarity = float(sims[best])
        lexical = coverage(key_terms(text, language), stems(passage.text, language))
        p = self.policy
        if similarity >= p.sim_strong or (similarity >= p.sim_min and lexical >= p.lexical_min):
            return _citation(passage, candidates[best]), ""
        return None, f"not supported (similarity {similarity:.2f}, overlap {lexical:.2f})"


def _normalise(text: str) -> str:
    return " ".join(fold(text).split())


def _verbatim(text: str, passage: Passage | None) -> Span | None:
    """The passage sentence equal to or containing ``text`` (whitespace/case-insensitive)."""
    if passage is None:
        return None
    wanted = _normalise(text).rstrip(".!?… ")
    if len(wanted) < 8:
        return None
    for span in passage.sentences:
        if wanted in _normalise(span.text):
            return span
    return None


def _citation(passage: Passage, quote: Span) -> Citation:
    return Citation(
        n=passage.n,
        url=passage.url,
        title=passage.title,
        quote=quote.text,
        start=quote.start,
        end=quote.end,
        fragment_url=text_fragment_url(passage.url, quote.text),
        verified=True,
        chunk_id=passage.chunk_id,
    )
