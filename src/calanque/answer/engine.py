"""``AnswerEngine``: question → standalone query → passages → writer → verified answer.

Step 9 of docs/architecture.md. :meth:`AnswerEngine.stream` yields, in order:

1. ``sources``: the numbered source list (``[n]`` in the answer is its ``n``-th entry);
2. ``delta``: verified answer text as it is written. The extractive writer verifies
   before it speaks; a generative writer's sentences are held back until each is
   finished and verified, so no unsupported sentence is ever streamed;
3. ``final``: the verified :class:`~calanque.types.Answer`, whose ``answer`` text
   replaces the deltas (unsupported sentences removed or flagged).

Threads are stored by the caller; the engine only reads ``history`` as
``(question, answer)`` pairs, oldest first. ``scope`` chooses where passages come from:
the index (``sources``), the web (``web``, through a :class:`WebSource`) or both (``all``);
a web result no passage came from is listed after the numbered sources, ``used: false``.
``asker`` (the operator, or ``key:<name>`` for an API caller) is who reads web pages: it
creates the ``web`` source where they are stored, if it is missing (docs/web.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Literal, Protocol

import numpy as np

from calanque.answer.citations import CitedSentence, parse_citations
from calanque.answer.compound import question_parts
from calanque.answer.extractive import ExtractiveDraft, ExtractiveWriter
from calanque.answer.language import (
    Term,
    coverage,
    fold,
    key_terms,
    lexicon_gloss,
    question_language,
    stems,
)
from calanque.answer.passages import (
    ChunkSource,
    Passage,
    WebEvidence,
    build_passages,
    by_source,
    search_results,
    without_lines,
)
from calanque.answer.prompt import ABSTAIN, build_messages
from calanque.answer.related import related_questions
from calanque.answer.rewrite import leans_on_nothing, rewrite_extractive, rewrite_with_llm
from calanque.answer.sentences import looks_like_code
from calanque.answer.vectors import SentenceVectorStore
from calanque.answer.verify import (
    CitationVerifier,
    SupportPolicy,
    Verification,
    VerifiedSentence,
)
from calanque.config import AnswerSettings
from calanque.embed.base import Embedder
from calanque.errors import ConfigError
from calanque.llm.base import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, LLM
from calanque.types import OPERATOR, Answer, Hit, SearchFilters, SearchResult

EventKind = Literal["sources", "delta", "final"]
INDEXED_PROBE = 10  # chunks a search for a program's name reads (see _indexed)
# Passages of the other language added after the question's own (AnswerEngine._glossed):
# chosen on the tune halves of the nine answer domains, 0 / 1 / 2 (docs/benchmarks.md,
# "Thirty-eighth round").
GLOSS_PASSAGES = 2
AnswerScope = Literal["web", "sources", "all"]


class Searcher(Protocol):
    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[Hit]: ...


class WebSource(Protocol):
    def gather(
        self,
        query: str,
        language: str,
        filters: SearchFilters | None,
        count: int,
        *,
        asker: str = OPERATOR,
    ) -> WebEvidence: ...


@dataclass(frozen=True)
class AnswerEvent:
    kind: EventKind
    text: str = ""
    sources: list[SearchResult] = field(default_factory=list)
    answer: Answer | None = None


class GenerativeWriter:
    """Writes with a chat model (:class:`~calanque.llm.base.LLM`) from the numbered prompt."""

    def __init__(
        self,
        llm: LLM,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> None:
        self.llm = llm
        self.name = llm.name
        self.model = llm.model
        self.max_tokens = max_tokens
        self.temperature = temperature

    def stream(
        self,
        question: str,
        language: str,
        passages: Sequence[Passage],
        max_sentences: int,
        instructions: str = "",
    ) -> Iterator[str]:
        messages = build_messages(question, passages, language, max_sentences, instructions)
        return self.llm.stream(messages, max_tokens=self.max_tokens, temperature=self.temperature)


AnswerWriter = ExtractiveWriter | GenerativeWriter  # built by name in calanque.runtime


def abstention_text(language: str) -> str:
    return ABSTAIN.get(language, ABSTAIN["en"])


class AnswerEngine:
    """Answers questions from retrieved passages with verified citations."""

    def __init__(
        self,
        retriever: Searcher,
        catalog: ChunkSource | None,
        embedder: Embedder,
        settings: AnswerSettings | None = None,
        writer: AnswerWriter | None = None,
        *,
        store: SentenceVectorStore | None = None,
        support: SupportPolicy | None = None,
        web: WebSource | None = None,
    ) -> None:
        self.retriever = retriever
        self.web = web
        self.catalog = catalog
        self.embedder = embedder
        self.settings = settings or AnswerSettings()
        self.store = store or SentenceVectorStore()
        self.writer = writer or ExtractiveWriter(embedder, self.store, self.settings.max_sentences)
        self.verifier = CitationVerifier(embedder, self.store, self.settings.unsupported, support)

    def answer(
        self,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        filters: SearchFilters | None = None,
        thread_id: str = "",
        scope: AnswerScope = "sources",
        asker: str = OPERATOR,
        instructions: str = "",
    ) -> Answer:
        """The final, verified answer (the last event of :meth:`stream`)."""
        final: Answer | None = None
        events = self.stream(
            question,
            history=history,
            filters=filters,
            thread_id=thread_id,
            scope=scope,
            asker=asker,
            instructions=instructions,
        )
        for event in events:
            if event.kind == "final":
                final = event.answer
        assert final is not None  # stream always ends with a final event
        return final

    def stream(
        self,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        filters: SearchFilters | None = None,
        thread_id: str = "",
        scope: AnswerScope = "sources",
        asker: str = OPERATOR,
        instructions: str = "",
    ) -> Iterator[AnswerEvent]:
        """Sources, verified text as it is decided, then the final answer. ``instructions``
        (a space's, from the operator) go to generative writers after the rules."""
        language = question_language(question)
        query = self._standalone(question, history, language)
        asked = question_parts(question, language)
        parts = [query] if len(asked) == 1 else standalone_parts(asked, history, language)
        passages, web = self._passages(query, parts, language, filters, scope, asker)
        base = Answer(
            question=question,
            answer="",
            answered=False,
            language=language,
            search_results=search_results(passages) + web.unused,
            warnings=web.warnings,
            thread_id=thread_id,
            writer=self.writer.name,
            model=self.writer.model,
            standalone_query=query,
            index_state=self._index_state() if scope != "web" else {},
        )
        yield AnswerEvent("sources", sources=base.search_results)
        if not history and leans_on_nothing(question, language):
            yield from self._abstain(base, passages)  # "Where are they listed?", asked first
        elif isinstance(self.writer, ExtractiveWriter):
            # a program's name the passages lack is missing only if the whole index lacks it
            # (the web's pages are not indexed: their answers do not ask)
            holds = partial(self._indexed, filters=filters) if scope == "sources" else None
            yield from self._extractive(
                self.writer,
                base,
                list(zip(asked, parts, strict=True)),
                passages,
                web.query_vector,
                holds,
            )
        else:
            yield from self._generative(self.writer, base, passages, instructions)

    def _passages(
        self,
        query: str,
        parts: Sequence[str],
        language: str,
        filters: SearchFilters | None,
        scope: AnswerScope,
        asker: str = OPERATOR,
    ) -> tuple[list[Passage], WebEvidence]:
        """The numbered passages of ``scope``: index and web passages alternate in ``all``.

        ``parts``: the questions the standalone ``query`` asks (:func:`standalone_parts`):
        the whole query's hits and each part's alternate, so that each part has passages
        of its own, and half as many passages again come for them (the prompt of a
        generative writer stays within that size)."""
        count = self.settings.passages
        indexed: list[Passage] = []
        if scope != "web":
            found = [self._search(q, language, filters) for q in _queries(query, parts)]
            total = count + (count + 1) // 2 if len(parts) > 1 else count
            hits = list({h.chunk_id: h for h in _interleave(found)}.values())[:total]
            hits += self._glossed(query, language, filters, hits)
            indexed = without_lines(
                build_passages(hits, self.catalog),
                self._repeated_lines(),
                asked=partial(asks_about, key_terms(query, language), language),
            )
        if scope == "sources":
            return indexed, WebEvidence()
        if self.web is None:
            raise ConfigError(
                "web search is not configured: set web.searxng_url, CALANQUE_BRAVE_API_KEY "
                "or web.federation (see docs/web.md), or ask with the scope 'sources'."
            )
        web = self.web.gather(query, language, filters, count, asker=asker)
        merged = _alternate(indexed, web.passages)[:count]
        kept = {p.url for p in merged}
        cut = {p.url: p for p in web.passages if p.url not in kept}  # pages read, not needed
        unused = [_unused(p) for p in cut.values()] + web.unused
        numbered = by_source([replace(p, n=n) for n, p in enumerate(merged, 1)])
        return numbered, replace(web, unused=unused)

    def _search(self, query: str, language: str, filters: SearchFilters | None) -> list[Hit]:
        count = self.settings.passages
        hits = self.retriever.search(query, k=count, filters=filters)
        if self._index_state().get("complete", True):
            return hits
        if language and not (filters and filters.languages):  # see prefer_language
            own = replace(filters or SearchFilters(), languages=(language,))
            same = self.retriever.search(query, k=count, filters=own)
            hits = prefer_language(hits, same, count)
        return hits

    def _glossed(
        self, query: str, language: str, filters: SearchFilters | None, hits: Sequence[Hit]
    ) -> list[Hit]:
        """Up to :data:`GLOSS_PASSAGES` chunks of the other language that a search for the
        query's words translated (:func:`lexicon_gloss`) finds and the query's own search
        did not: a French question whose answer is only on English pages ("…créer un tube
        nommé…", the chunk that says ``mkfifo``) ranks that chunk beyond the 200th by
        meaning and its words' translations are few; the glossed query brings it in."""
        gloss = lexicon_gloss(query, language) if GLOSS_PASSAGES else ""
        if not gloss:
            return []
        seen = {h.chunk_id for h in hits}
        found = self.retriever.search(gloss, k=self.settings.passages, filters=filters)
        other = [h for h in found if h.chunk_id not in seen and h.language not in ("", language)]
        return other[:GLOSS_PASSAGES]

    def _repeated_lines(self) -> frozenset[int]:
        """The lines the corpus's sites repeat on their pages (``Retriever.repeated_lines``):
        a site's boilerplate, which no writer is offered to quote unless the question is
        about it (:func:`asks_about`)."""
        found = getattr(self.retriever, "repeated_lines", None)
        return frozenset(found()) if callable(found) else frozenset()

    def _index_state(self) -> dict[str, int | bool]:
        """Whether the index answered with every vector (``Retriever.index_state``)."""
        state = getattr(self.retriever, "index_state", None)
        return dict(state()) if callable(state) else {}

    def _standalone(self, question: str, history: Sequence[tuple[str, str]], language: str) -> str:
        if isinstance(self.writer, GenerativeWriter) and history:
            return rewrite_with_llm(self.writer.llm, question, history, language)
        return rewrite_extractive(question, history, language)

    def _extractive(
        self,
        writer: ExtractiveWriter,
        base: Answer,
        parts: Sequence[tuple[str, str]],
        passages: list[Passage],
        query_vector: np.ndarray | None = None,
        holds: Callable[[str], bool] | None = None,
    ) -> Iterator[AnswerEvent]:
        """``query_vector``: the standalone query's, when the web source embedded it;
        ``holds``: whether the index holds a term (see :func:`missing_names`).
        ``parts``: each question asked, as written and made standalone. A question that
        asks several things is answered part by part, each with its share of sentences
        after the previous part's; the answer names a part none of whose sentences
        passed verification."""
        language = base.language
        if len(parts) == 1:
            asked, query = parts[0]
            drafts = [
                self._draft(
                    writer, query, language, passages, query_vector, asked=asked, holds=holds
                )
            ]
        else:
            share = max(1, self.settings.max_sentences // len(parts))
            # a part that carried the words of the parts before it ("…install Flatpak
            # applications, and which command would I use for that?") needs their names too
            drafts = [
                self._draft(
                    writer,
                    p,
                    language,
                    passages,
                    None,
                    share,
                    asked=a,
                    holds=holds,
                    named_in=base.question if fold(p) != fold(a) else "",
                )
                for a, p in parts
            ]
        draft = _joined(drafts)
        verification = self.verifier.verify(draft.sentences, passages, language)
        if draft.answered and verification.citations:
            shown = {s.text for s in verification.kept}
            missing = [
                unanswered_part(asked, language)
                for (asked, _), d in zip(parts, drafts, strict=True)
                if len(parts) > 1 and not (d.answered and shown & {s.text for s in d.sentences})
            ]
            base = replace(base, warnings=[*base.warnings, *missing])
            text = after_lead(draft.lead, verification)
            yield AnswerEvent("delta", text=text)
            yield self._final(base, text, verification, passages)
        else:
            yield from self._abstain(base, passages)

    def _draft(
        self,
        writer: ExtractiveWriter,
        query: str,
        language: str,
        passages: list[Passage],
        query_vector: np.ndarray | None,
        max_sentences: int | None = None,
        asked: str = "",
        holds: Callable[[str], bool] | None = None,
        named_in: str = "",
    ) -> ExtractiveDraft:
        if query_vector is None:
            query_vector = self.embedder.embed_query(query)
        translate = getattr(self.retriever, "translations", None)  # Retriever has it
        translations = translate(query) if callable(translate) else {}
        return writer.write(
            query,
            language,
            passages,
            query_vector,
            translations,
            max_sentences,
            asked=asked,
            holds=holds,
            named_in=named_in,
        )

    def _indexed(self, term: str, filters: SearchFilters | None = None) -> bool:
        """Does one of the ``INDEXED_PROBE`` chunks a search for ``term`` finds (under
        ``filters``, the retriever's default mode) hold it as written?"""
        hits = self.retriever.search(term, k=INDEXED_PROBE, filters=filters)
        return any(term in fold(hit.text) for hit in hits)

    def _generative(
        self,
        writer: GenerativeWriter,
        base: Answer,
        passages: list[Passage],
        instructions: str = "",
    ) -> Iterator[AnswerEvent]:
        """Verify each sentence once it is finished; stream only what the final answer keeps.

        A sentence is decided once a later sentence has begun (its markers can no longer
        change), and a decision is never revised, so the streamed text is always a prefix
        of the final answer. Nothing is streamed before the first supported sentence: an
        answer that ends up refused has shown nothing but the refusal.
        """
        if not passages:
            yield from self._abstain(base, passages)
            return
        language = base.language
        decided: list[VerifiedSentence] = []
        consumed = 0  # sentences of the reply already decided
        pieces: list[str] = []
        shown = ""
        for delta in writer.stream(
            base.standalone_query, language, passages, self.settings.max_sentences, instructions
        ):
            pieces.append(delta)
            finished = _finished_sentences(parse_citations("".join(pieces)))
            if len(finished) > consumed:
                decided += self._decide(finished[consumed:], passages, language)
                consumed = len(finished)
                shown, more = _advance(decided, shown, language, self.settings.unsupported)
                if more:
                    yield AnswerEvent("delta", text=more)
        rest = parse_citations("".join(pieces))[consumed:]
        decided += self._decide(rest, passages, language)
        verification = Verification(decided, self.settings.unsupported, language)
        if not verification.citations:
            yield from self._abstain(base, passages)
            return
        text = verification.text
        if len(text) > len(shown):
            yield AnswerEvent("delta", text=text[len(shown) :])
        yield self._final(base, text, verification, passages)

    def _decide(
        self, sentences: list[CitedSentence], passages: list[Passage], language: str
    ) -> list[VerifiedSentence]:
        """Verified sentences; a model's own refusal sentence is dropped, never flagged."""
        kept = [s for s in sentences if not _abstains(s.text)]
        return self.verifier.verify(kept, passages, language).sentences

    def _final(
        self, base: Answer, text: str, verification: Verification, passages: list[Passage]
    ) -> AnswerEvent:
        answer = replace(
            base,
            answer=text,
            answered=True,
            citations=verification.citations,
            citation_marks=verification.marks,
            related_questions=related_questions(base.standalone_query, passages, base.language),
        )
        return AnswerEvent("final", answer=answer)

    def _abstain(self, base: Answer, passages: list[Passage]) -> Iterator[AnswerEvent]:
        text = abstention_text(base.language)
        yield AnswerEvent("delta", text=text)
        related = related_questions(base.standalone_query, passages, base.language)
        yield AnswerEvent("final", answer=replace(base, answer=text, related_questions=related))


def after_lead(lead: str, verification: Verification) -> str:
    """The answer's text after its lead ("According to the sources:"); a command line that
    comes first stands on a line of its own, as it does after a sentence."""
    kept = verification.kept
    joiner = "\n" if kept and looks_like_code(kept[0].text) else " "
    return f"{lead}{joiner}{verification.text}"


def _unused(passage: Passage) -> SearchResult:
    return SearchResult(
        passage.url,
        passage.title,
        "",
        passage.date,
        passage.provider,
        False,
        "not-needed",
        passage.cached,
    )


def standalone_parts(
    asked: Sequence[str], history: Sequence[tuple[str, str]], language: str
) -> list[str]:
    """Each question of ``asked`` (:func:`~calanque.answer.compound.question_parts`) made
    standalone with the conversation and the parts before it, by the follow-up rewriting:
    a part that points back or is too short to stand alone (``…, and until when did he
    hold the post?``, ``…, and at what address?``) carries their words; one that names its
    own subject (``…, and who founded Ubuntu?``) is left as it is."""
    return [
        rewrite_extractive(part, [*history, *((p, "") for p in asked[:at])], language)
        for at, part in enumerate(asked)
    ]


UNANSWERED_PART = {
    "fr": "Les sources ne répondent pas à cette partie de la question : « {part} »",
    "en": "The sources do not answer this part of the question: “{part}”",
}


def unanswered_part(part: str, language: str) -> str:
    """The warning an answer carries for a part of its question that it leaves out."""
    return UNANSWERED_PART.get(language, UNANSWERED_PART["en"]).format(part=part)


# A site's boilerplate line is offered to a question that holds this share of its key terms
# (AbstentionPolicy.coverage_min's, "enough on its own"): "When was zsh 5.9 released?"
ASKS_ABOUT = 0.7


def asks_about(terms: list[Term], language: str, text: str) -> bool:
    """Does a question with key ``terms`` ask about ``text`` (most of its terms are there)?"""
    return bool(terms) and coverage(terms, stems(text, language)) >= ASKS_ABOUT


def _queries(query: str, parts: Sequence[str]) -> list[str]:
    return [query] if len(parts) == 1 else [query, *parts]


def _interleave(lists: Sequence[Sequence[Hit]]) -> list[Hit]:
    """The first hit of each list, then the second of each, and so on."""
    return [
        found[rank]
        for rank in range(max(map(len, lists), default=0))
        for found in lists
        if rank < len(found)
    ]


def _joined(drafts: Sequence[ExtractiveDraft]) -> ExtractiveDraft:
    """One draft of the answered parts' sentences, in the parts' order, each sentence once."""
    answered = [d for d in drafts if d.answered]
    if not answered:
        return drafts[0]
    seen: set[str] = set()
    sentences = []
    for draft in answered:
        for sentence in draft.sentences:
            if sentence.text not in seen:
                seen.add(sentence.text)
                sentences.append(sentence)
    return replace(answered[0], sentences=sentences)


KEPT_ANY_LANGUAGE = 2  # best hits kept whatever their language


def prefer_language(hits: Sequence[Hit], same: Sequence[Hit], count: int) -> list[Hit]:
    """``count`` hits: the best two of any language, then those in the question's language.

    While the dense pass is unfinished, chunks without a vector are found by their words
    (only the best of them are embedded at search time, ``index.embed_missing``), and words
    shared across languages (``APT``, ``/etc/apt/sources.list``) rank a French page as
    high as its English twin. The embedder prefers the question's language; this stands
    in for it, and the two best hits of any language stay (the answer may be in a page of
    the other language only).
    """
    chosen = {h.chunk_id: h for h in hits[:KEPT_ANY_LANGUAGE]}
    for hit in [*same, *hits[KEPT_ANY_LANGUAGE:]]:
        chosen.setdefault(hit.chunk_id, hit)
    return list(chosen.values())[:count]


def _alternate(first: list[Passage], second: list[Passage]) -> list[Passage]:
    """first[0], second[0], first[1], ...; a passage already taken (same URL and offset) is
    skipped, so a stored web page found twice counts once."""
    seen: set[tuple[str, int]] = set()
    out: list[Passage] = []
    for rank in range(max(len(first), len(second))):
        for passage in first[rank : rank + 1] + second[rank : rank + 1]:
            if (passage.url, passage.start) not in seen:
                seen.add((passage.url, passage.start))
                out.append(passage)
    return out


def _finished_sentences(sentences: list[CitedSentence]) -> list[CitedSentence]:
    """The sentences followed by a sentence with words in it: their markers are final."""
    for last in range(len(sentences) - 1, -1, -1):
        if any(ch.isalpha() for ch in sentences[last].text):
            return sentences[:last]
    return []


def _advance(
    decided: list[VerifiedSentence], shown: str, language: str, unsupported: str
) -> tuple[str, str]:
    """The text to show once ``decided`` holds a supported sentence, and what is new in it."""
    if not any(s.supported for s in decided):
        return shown, ""
    text = Verification(list(decided), unsupported, language).text
    if not text.startswith(shown):  # cannot happen: rendering is prefix-stable
        return shown, ""
    return text, text[len(shown) :]


def _abstains(raw: str) -> bool:
    folded = fold(raw)
    return any(fold(message).rstrip(".") in folded for message in ABSTAIN.values())
