"""Check every cited sentence against the passage it cites, claim by claim.

For a sentence citing passage ``n`` (:meth:`CitationVerifier._check`):

1. ``n`` must be one of the numbered passages; otherwise the citation is dropped.
2. Text that speaks to the model (``ignore previous instructions``, ``HACKED``) is
   never supported, even when a page holds it (:func:`~calanque.answer.claims.injected`).
3. A quote found verbatim in a passage sentence (the extractive writer's case) is
   supported when it is the whole sentence, or a piece of three words or more whose
   sentence does not negate, condition or refute it (``You should not`` + *run
   apt-get upgrade…* is refused).
4. Otherwise every specific of the sentence must be in the passage: numbers (with
   their units), months, names, commands, paths, URLs, e-mail addresses and phone
   numbers (:func:`~calanque.answer.claims.specifics_missing`). A link or contact
   detail not in the passage is never shown, whatever the similarity.
5. The passage sentence closest in meaning (embedding cosine; across languages, of its
   parts a semicolon sets apart, the closest) must agree in polarity
   (a negation in one and not the other refuses), with the same modal where both have
   one (*may* is not *must*), say it in the same order (roles not
   swapped), tie each number and name to the same word as the passage does (``closed
   in 1990`` is refused where the passage has ``closed in 1994, … died in 1990``:
   :func:`~calanque.answer.claims.misattached`), not tie together names or numbers that
   no three consecutive passage sentences hold together (``Namibia is named after the
   Kalahari`` where the name comes from the Namib and the Kalahari is three sentences
   on: :func:`~calanque.answer.claims.scattered`), and be close enough: in the same
   language, cosine ``>= same_sim`` with the sentence's key terms covered to
   ``same_lexical`` (or ``>= close_sim`` with ``close_lexical``); across languages,
   cosine ``>= cross_sim``, or ``cross_sim_anchored`` for a sentence with two names or
   numbers or more, all in the passage (:class:`SupportPolicy`).

A kept citation carries its quote: the matched passage sentence, with its offsets in
the document and a text-fragment URL. A sentence left without any kept citation (or
that cited nothing) is removed, or kept and visibly flagged when ``unsupported="flag"``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from calanque.answer.answer_types import program_output
from calanque.answer.citations import CitedSentence, text_fragment_url
from calanque.answer.claims import (
    clauses,
    conditional,
    contradiction,
    exchanged,
    injected,
    link_held,
    links,
    misattached,
    modality,
    names,
    negations,
    phrases,
    polarity,
    quantities,
    quantities_missing,
    quote_is_framed,
    reordered,
    scattered,
    scope_added,
    specifics_missing,
    substituted,
    technical_tokens,
    vocabulary,
)
from calanque.answer.language import (
    COGNATE_LETTERS,
    STOPWORDS,
    Term,
    coverage,
    fold,
    key_terms,
    question_language,
    stem,
    stems,
)
from calanque.answer.passages import Passage
from calanque.answer.sentences import Span, as_shown, looks_like_code, split_sentences
from calanque.answer.vectors import SentenceVectorStore
from calanque.embed.base import Embedder
from calanque.types import Citation


@dataclass(frozen=True)
class SupportPolicy:
    """Thresholds on the embedder's cosines; the defaults are for multilingual-e5-small.

    Chosen on the tune halves of ``tests/quality/sets/support.json`` and
    ``support_more.json`` (``python -m bench.support --tune``, 2026-12-03): no cell reaches
    precision 0.99 there (the misses are rules, not thresholds: swapped roles and entities
    that keep every word), so this is the cell of highest precision (0.902, recall 0.791),
    the stricter on ties. The held-out halves are reported in docs/benchmarks.md and gated
    by tests/quality/test_support_gate.py.
    """

    same_sim: float = 0.88
    same_lexical: float = 0.75
    # A sentence very close in meaning needs a little less of its words in the passage (a
    # paraphrase changes some). Chosen on the tune halves (2026-12-04, eighth session; 0.93 /
    # 0.95 / 0.97 × 0.6 / 0.65 / 0.7): recall 0.884 -> 0.896, none more accepted wrongly;
    # 0.6 or 0.65 let a swapped entity through.
    close_sim: float = 0.95
    close_lexical: float = 0.7
    # ... and one at 0.97 half of them: a paraphrase re-worded with synonyms ("keeps only
    # the matches that begin with" for "only matches which are prefixed by … are returned").
    # Chosen on the tune halves of the three batches (2026-12-06, twentieth session): 0.98 /
    # 0.97 / 0.96 / 0.955 kept 1 / 2 / 4 / 5 more supported sentences, 0.955 one more wrongly;
    # 0.97, a step from that edge. 0.6 of the terms: one fewer kept; 0.4 the same.
    very_close_sim: float = 0.97
    very_close_lexical: float = 0.5
    clause_lexical: float = 0.5  # every clause of 3+ key terms: that much of them in the passage
    cross_sim: float = 0.87
    # Across languages a sentence holding two names or numbers or more, all found in the
    # passage (checked before), needs less: its anchors already tie it to the passage.
    # Chosen on the tune halves (2026-12-04): recall 0.854 -> 0.862, no more accepted
    # wrongly; 0.84 and 0.83 let altered cross-lingual sentences through.
    cross_sim_anchored: float = 0.85
    anchors_min: int = 2
    min_quote_words: int = 3  # a verbatim piece shorter than this is no quote


FLAG_TEXT = {"fr": "[non vérifié]", "en": "[unverified]"}


@dataclass(frozen=True)
class VerifiedSentence:
    text: str
    cited: tuple[int, ...]  # as written by the writer
    citations: tuple[Citation, ...]  # the ones that passed
    supported: bool
    reasons: tuple[str, ...] = ()  # why citations were dropped
    # never shown, not even flagged: an instruction to the model, or a link or contact
    # detail that no cited passage holds
    hidden: bool = False


@dataclass
class Verification:
    sentences: list[VerifiedSentence] = field(default_factory=list)
    unsupported: str = "remove"
    language: str = "en"

    @property
    def kept(self) -> list[VerifiedSentence]:
        if self.unsupported == "flag":
            return [s for s in self.sentences if s.supported or not s.hidden]
        return [s for s in self.sentences if s.supported]

    @property
    def citations(self) -> list[Citation]:
        """Distinct kept citations, in order of first appearance."""
        seen: dict[tuple[int, int, int, str], Citation] = {}
        for sentence in self.kept:
            for c in sentence.citations:
                seen.setdefault(_key(c), c)
        return list(seen.values())

    @property
    def marks(self) -> list[int]:
        """For each ``[n]`` of :attr:`text`, in order, the index in :attr:`citations` of the
        citation it stands for. Citations are listed once however many sentences they
        support, so the k-th ``[2]`` of the text is not always the k-th citation numbered 2:
        a page quoted twice, the first quote cited by two sentences, had its second
        sentence's chip show the other quote."""
        index = {_key(c): i for i, c in enumerate(self.citations)}
        out: list[int] = []
        for sentence in self.kept:
            if sentence.supported:
                first: dict[int, Citation] = {}  # a sentence shows each number once
                for c in sentence.citations:
                    first.setdefault(c.n, c)
                out += [index[_key(c)] for c in first.values()]
        return out

    @property
    def text(self) -> str:
        return render(self.kept, self.language)


def _key(c: Citation) -> tuple[int, int, int, str]:
    return (c.n, c.start, c.end, c.quote)


def render(sentences: Sequence[VerifiedSentence], language: str) -> str:
    """The answer text: each sentence followed by its kept markers (or a flag)."""
    parts: list[str] = []
    for s in sentences:
        marks = "".join(f"[{n}]" for n in dict.fromkeys(c.n for c in s.citations))
        tail = marks if s.supported else FLAG_TEXT.get(language, FLAG_TEXT["en"])
        piece = f"{s.text} {tail}"
        parts.append(f"\n{piece}\n" if looks_like_code(s.text) else piece)
    text = " ".join(parts).replace(" \n", "\n").replace("\n ", "\n").strip()
    return re.sub(r"\n{2,}", "\n", text)  # two lines in a row: no blank line between


def required_tokens(sentence: str, same_language: bool) -> list[str]:
    """The specifics a supporting passage must hold, folded: links, numbers, commands, names."""
    found = sorted(links(sentence)) + [q.raw for q in quantities(sentence)]
    found += sorted(technical_tokens(sentence))
    if same_language:
        found += [fold(name) for name in names(sentence)]
    return list(dict.fromkeys(found))


def missing_tokens(sentence: str, passage_text: str, same_language: bool) -> list[str]:
    """The specifics of ``sentence`` (numbers, names, links…) that ``passage_text`` lacks."""
    return specifics_missing(sentence, passage_text, same_language)


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
        sentences = [replace(s, text=without_reordering(s.text)) for s in sentences]
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
            if s.citations
            and not all(_verbatim(s.text, by_n.get(n), self.policy) for n in s.citations)
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
            elif all(c.n != citation.n for c in kept):  # one per page: one marker each
                kept.append(citation)
        if not sentence.citations:
            reasons.append("no citation")
        held = set().union(*(links(p.text) for p in by_n.values()))
        cited = " ".join(p.text for p in by_n.values())
        unheld = [link for link in links(sentence.text) if not link_held(link, held, cited)]
        hidden = not kept and (injected(sentence.text) or bool(unheld))
        return VerifiedSentence(
            sentence.text, sentence.citations, tuple(kept), bool(kept), tuple(reasons), hidden
        )

    def _check(
        self, text: str, passage: Passage, vector: np.ndarray | None, language: str
    ) -> tuple[Citation | None, str]:
        if injected(text):
            return None, "speaks to the model, not to the reader"
        quote = _verbatim(text, passage, self.policy)
        if quote is not None:
            held = links(quote.span.text)  # a quote is read folded; a link is not
            unheld = [link for link in links(text) if not link_held(link, held, quote.span.text)]
            if unheld:
                return None, f"does not contain {', '.join(unheld[:3])}"
            if quote.framed:
                return None, "the rest of the quoted sentence negates or conditions it"
            return _citation(passage, quote.span), ""
        if _frames_a_quote(text, passage, self.policy):
            return None, "frames a passage sentence with a negation or a condition"
        # A model answering an English question may quote a French source in French: read
        # from their words, the sentence and the passage are then in one language, and the
        # quote is checked word for word, numbers and names included (the passage's label
        # may be wrong too: a chunk listing names and dates was labelled Italian). The
        # checks across languages, weaker, apply only when both readings, the words' and
        # the labels', say the languages differ: French names in an English sentence do
        # not make it French against its English passage.
        passage_language = passage.language or language
        read_sentence = question_language(text, language)
        read_passage = question_language(passage.text, passage_language)
        if passage_language != language and read_sentence == read_passage:
            language, passage_language = read_sentence, read_passage
        if vector is None or not passage.sentences:
            return None, "no sentence to compare"
        candidates = _comparable(text, passage.sentences)
        sims = self.store.vectors([s.text for s in candidates], self.embedder) @ vector
        best = int(np.argmax(sims))
        similarity = float(sims[best])
        if passage_language != language and read_sentence == question_language(
            candidates[best].text, passage_language
        ):
            # a passage of two languages (a translation with untranslated paragraphs): the
            # sentence is closest to one in its own language, and is checked word for word
            language = passage_language = read_sentence
        same = passage_language == language
        missing = specifics_missing(text, passage.text, same)
        if missing:
            return None, f"does not contain {', '.join(missing[:3])}"
        terms = key_terms(text, language)
        closest = _closest_by_terms(terms, candidates, passage_language)
        aligned = (
            closest.text
            if closest is candidates[best]
            else f"{candidates[best].text} {closest.text}"
        )
        if not same:
            aligned = self._restated(text, candidates[best].text, vector)
        refusal = self._claim_refusal(text, terms, aligned, passage, language, passage_language)
        if refusal:
            return None, refusal
        p = self.policy
        if same:
            present = stems(passage.text, language)
            lexical = coverage(terms, present)
            weakest = min(
                (
                    coverage(t, present)
                    for c in clauses(text)
                    if len(t := key_terms(c, language)) >= 3
                ),
                default=1.0,
            )
            ok = (
                (
                    similarity >= p.same_sim
                    and lexical >= p.same_lexical
                    and weakest >= p.clause_lexical
                )
                or (
                    similarity >= p.close_sim
                    and lexical >= p.close_lexical
                    and weakest >= p.clause_lexical
                )
                or (
                    similarity >= p.very_close_sim
                    and lexical >= p.very_close_lexical
                    and weakest >= p.clause_lexical
                )
            )
        else:
            lexical = _shared_stems(text, candidates[best].text)
            anchored = len(set(names(text))) + len(quantities(text)) >= p.anchors_min
            ok = similarity >= (p.cross_sim_anchored if anchored else p.cross_sim) and (lexical > 0)
        if ok:
            return _citation(passage, candidates[best]), ""
        return None, f"not supported (similarity {similarity:.2f}, overlap {lexical:.2f})"

    def _restated(self, text: str, sentence: str, vector: np.ndarray) -> str:
        """The parts of ``sentence``, a passage sentence in another language, that ``text``
        restates.

        Across languages words cannot say which sentence or clause is restated: the nearest
        sentence by meaning is, and of its parts that a semicolon sets apart (``…; the
        default location is not automatically created``), the nearest one and every part
        holding a name, number, command or path that ``text`` holds too, so that a negation
        in a part left out does not count against ``text`` and one in a part it restates
        does."""
        parts = [part for part in re.split(r";\s+", sentence) if len(part.split()) >= 3]
        if len(parts) < 2:
            return sentence
        sims = self.store.vectors(parts, self.embedder) @ vector
        nearest = int(np.argmax(sims))
        anchors = _anchors(text)
        kept = [part for at, part in enumerate(parts) if at == nearest or anchors & _anchors(part)]
        return "; ".join(kept)

    def _claim_refusal(
        self,
        text: str,
        terms: list[Term],
        aligned: str,
        passage: Passage,
        language: str,
        passage_language: str,
    ) -> str:
        """Why the passage sentences that ``text`` restates do not say what it says ("" if they do)."""
        for phrase in phrases(text) if passage_language == language else ():
            if not quantities(phrase):
                continue
            own = _closest_holding(phrase, passage.sentences, language)
            numbers = quantities_missing(phrase, own.text)
            if numbers:
                return f"its closest passage sentence does not hold {', '.join(numbers[:3])}"
        same = passage_language == language
        sources = {aligned} | {span.text for span in split_sentences(aligned)}
        if same and any(reordered(text, src, lambda w: stem(w, language)) for src in sources):
            return "swaps what its closest passage sentence says (same words, another order)"
        for src in sources if same else ():
            swapped = substituted(text, src, passage.text, lambda w: stem(w, language))
            if swapped:
                return f"puts a word in place of its closest passage sentence's ({swapped})"
        given = exchanged(text, passage.text) if same else ""
        if given:
            return f"gives a value in parentheses to another thing than the passage ({given})"
        moved = misattached(text, passage.text) if same else ""
        if moved:
            return f"ties a number or name to another word than the passage does ({moved})"
        apart = scattered(text, [s.text for s in passage.sentences]) if same else ""
        if apart:
            return f"ties together names or numbers the passage holds apart ({apart!r})"
        opposite = contradiction(text, passage.text, same)
        if opposite:
            return f"says the opposite of its closest passage sentence ({opposite})"
        scope = scope_added(text, _around(aligned, passage))  # "only", "always" unsaid
        if scope:
            return f"says {scope!r} where the passage does not restrict or generalise so"
        if not same:  # clauses cannot be matched by their words across languages
            if negations(text, language) != negations(aligned, passage_language):
                return "negates what its closest passage sentence says, or the reverse"
            return ""
        passage_clauses = clauses(passage.text)
        cues = vocabulary().negation[language] | vocabulary().negation[passage_language]
        for clause in clauses(text):
            # the clause is matched by what it speaks of, not by its negation ("cannot"
            # would pick the passage clause that says "cannot" too)
            clause_terms = key_terms(clause, language)
            if len(clause_terms) < 2:
                continue
            spoken_of = [t for t in clause_terms if fold(t.surface) not in cues] or clause_terms
            match = max(
                passage_clauses or [passage.text],
                key=lambda c: coverage(spoken_of, stems(c, passage_language)),
            )
            if negations(clause, language) != negations(match, passage_language):
                return f"negates what the passage says, or the reverse ({clause!r} / {match!r})"
            # "may call" where the passage says "must call" (RFC 2119's words; not across
            # languages: "ne doivent pas être confondues" is "should not be confused")
            said, meant = modality(clause), modality(match)
            if said and meant and said != meant:
                return f"says {said} where the passage says {meant} ({clause!r} / {match!r})"
            if not polarity(clause, language) and _only_denied(
                clause_terms, passage, passage_language
            ):
                return "states what the passage says is not so"
        return ""


def _around(aligned: str, passage: Passage) -> str:
    """The passage sentences that ``aligned`` is made of, with the one before and the one
    after (what a sentence restates may end in the next: "…are used. Only matches…")."""
    texts = [span.text for span in passage.sentences]
    hits = [i for i, t in enumerate(texts) if t.strip() and (t in aligned or aligned in t)]
    if not hits:
        return passage.text
    return " ".join(texts[max(0, min(hits) - 1) : max(hits) + 2])


def _shared_stems(text: str, other: str) -> float:
    """Share of ``text``'s content words found in ``other``, a sentence in another
    language, by their first letters (``système``/``system``, names, numbers, commands);
    0 for a sentence without content words."""
    mine = [w for w in _tokens(text) if w not in _FOLDED_STOPWORDS]
    theirs = {w[:COGNATE_LETTERS] for w in _tokens(other)}
    if not mine:
        return 0.0
    return sum(w[:COGNATE_LETTERS] in theirs for w in mine) / len(mine)


def _tokens(text: str) -> list[str]:
    """Folded words of three letters or more, punctuation off their ends (``apt.``)."""
    words = (fold(w).strip(".,;:/+-") for w in re.findall(r"[\w.+/-]+", text))
    return [w for w in words if len(w) >= 3]


_FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)


def _comparable(text: str, spans: Sequence[Span]) -> list[Span]:
    """The passage sentences ``text`` may restate: of two words or more, and, for a sentence
    in prose, not a command line or a line a program printed (``Warning: Skipping
    conversion of scripts…``), whose vectors sit close to many unrelated sentences."""
    spans = [s for s in spans if len(s.text.split()) >= 2] or list(spans)
    if looks_like_code(text) or program_output(text):
        return spans
    prose = [s for s in spans if not looks_like_code(s.text) and not program_output(s.text)]
    return prose or spans


def _anchors(text: str) -> set[str]:
    """The names, numbers, commands and paths of ``text``, folded: what a translation keeps."""
    found = {fold(n) for n in names(text)} | technical_tokens(text)
    found |= {value for q in quantities(text) for value in q.values}
    return found


def _only_denied(terms: list[Term], passage: Passage, language: str) -> bool:
    """Does the passage deny what an affirmative clause says?

    True when a key term of the clause is found in the passage only in negated clauses,
    and a passage sentence holding one of them covers at least half of the clause's
    terms (``Such fields will be ignored, and not copied to …``). A negation under a
    condition (``if IPv6 is not available``) denies nothing.
    """
    sentences = [s.text for s in passage.sentences] or [passage.text]
    for term in terms:
        holding = [
            (c, sentence)
            for sentence in sentences
            for c in clauses(sentence)
            if term.stem in stems(c, language)
        ]
        if not holding or not all(_denies(c, language) for c, _ in holding):
            continue
        if any(coverage(terms, stems(sentence, language)) >= 0.5 for _, sentence in holding):
            return True
    return False


def _denies(clause: str, language: str) -> bool:
    return polarity(clause, language) and not conditional(clause)


def _closest_holding(phrase: str, spans: Sequence[Span], language: str) -> Span:
    """The passage sentence sharing most key terms with ``phrase``; on a tie, one holding its
    numbers (a phrase restating two passage sentences keeps each number with its own)."""
    terms = key_terms(phrase, language)

    def key(span: Span) -> tuple[float, bool]:
        return coverage(terms, stems(span.text, language)), not quantities_missing(
            phrase, span.text
        )

    return max(spans, key=key)


def _closest_by_terms(terms: list[Term], spans: Sequence[Span], language: str) -> Span:
    return max(spans, key=lambda s: coverage(terms, stems(s.text, language)))


def _closest_clause(terms: list[Term], text: str, language: str) -> str:
    return max(clauses(text) or [text], key=lambda c: coverage(terms, stems(c, language)))


@dataclass(frozen=True)
class Quote:
    span: Span  # the passage sentence holding the quote
    framed: bool  # the rest of that sentence negates, conditions or refutes the quote


# Unicode's explicit embeddings, overrides and isolates reorder what a reader sees: checked
# as "15 mg", "\u202e15\u202c mg" shows "51 mg". An answer's sentence is shown without them.
_REORDERING = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def without_reordering(text: str) -> str:
    """``text`` without the bidirectional controls that reorder it on screen."""
    return text.translate(_REORDERING)


def _normalise(text: str) -> str:
    """Folded, spaces collapsed, as a quote is shown (``as_shown``: a comment's sentence as
    its prose, without the page's footnote references)."""
    return " ".join(fold(as_shown(without_reordering(text))).split())


def _verbatim(text: str, passage: Passage | None, policy: SupportPolicy) -> Quote | None:
    """The passage sentence equal to or containing ``text`` (whitespace/case-insensitive).

    A piece of a sentence is a quote only when it has ``min_quote_words`` words or more.
    """
    if passage is None:
        return None
    wanted = _normalise(text).rstrip(".!?…:; ")
    if not wanted:
        return None
    short = len(wanted.split()) < policy.min_quote_words
    for span in passage.sentences:
        sentence = _normalise(span.text)
        at = sentence.find(wanted)
        if at < 0:
            continue
        before, after = sentence[:at], sentence[at + len(wanted) :]
        whole = not before.strip() and not after.strip(" .!?…:;\"'»”)")
        if whole:
            return Quote(span, framed=False)
        if short:
            continue
        return Quote(span, framed=quote_is_framed(before, after))
    return None


# what must be copied from one passage sentence for the rest of the sentence to be its frame
FRAMED_SHARE = 0.6
_WORD = re.compile(r"[\w'’-]+")


def _frames_a_quote(text: str, passage: Passage, policy: SupportPolicy) -> bool:
    """Does ``text`` copy most of a passage sentence inside words that negate, condition or
    refute it (``It is not true that`` + the passage's words)?

    The longest run of words ``text`` shares with a passage sentence, when it holds
    ``FRAMED_SHARE`` of the passage sentence's words or more, is a quote; the sentence's
    words around it are its frame, judged as a quote's frame is (:func:`quote_is_framed`),
    unless the passage sentence frames the same words itself (``If IPv6 is disabled, …``
    restated as ``When IPv6 is disabled, …``)."""
    wanted = _normalise(text)
    tokens = list(_WORD.finditer(wanted))
    words = [m.group(0) for m in tokens]
    for span in passage.sentences:
        source = _normalise(span.text)
        own = list(_WORD.finditer(source))
        if len(own) < policy.min_quote_words:
            continue
        theirs = [m.group(0) for m in own]
        matcher = difflib.SequenceMatcher(None, words, theirs, autojunk=False)
        a, b, size = matcher.find_longest_match(0, len(words), 0, len(theirs))
        if size < max(policy.min_quote_words, FRAMED_SHARE * len(theirs)) or size == len(words):
            continue
        before = wanted[: tokens[a].start()]
        after = wanted[tokens[a + size - 1].end() :]
        if not quote_is_framed(before, after):
            continue
        # the passage may frame it the same way ("If IPv6 is disabled, …")
        if not quote_is_framed(source[: own[b].start()], source[own[b + size - 1].end() :]):
            return True
    return False


def _citation(passage: Passage, quote: Span) -> Citation:
    return Citation(
        n=passage.shown,
        url=passage.url,
        title=passage.title,
        quote=quote.text,
        start=quote.start,
        end=quote.end,
        fragment_url=text_fragment_url(passage.url, quote.text),
        verified=True,
        chunk_id=passage.chunk_id,
    )
