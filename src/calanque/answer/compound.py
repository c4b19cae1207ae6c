"""A question that asks two things, read as two questions.

``Which tool gets me a Let's Encrypt certificate, and how do I enable Apache's SSL
module?`` asks for a tool and for a procedure; ``Pour signaler un bogue, quel outil la FAQ
conseille-t-elle, et sur quelle plateforme le guide fait-il signaler les bogues ?`` for a
tool and for a place, maybe in another document. Searched and answered as one question,
the part whose words weigh more takes every passage and every quoted sentence.

:func:`question_parts` splits a question where a conjunction (or a second question mark)
opens a new question word: ``…, and how…``, ``…, et sur quelle…``, ``… ? Where…``. After a
bare conjunction (no comma) only ``how``, ``why``, ``where``, ``comment``, ``pourquoi`` or
a question word before an inverted subject or an auxiliary start a question: the others
open relative or subordinate clauses there. A later part that points back (``…, and until
when did he hold the post?``) is made standalone by the follow-up rewriting
(:func:`calanque.answer.rewrite.rewrite_extractive`), with the conversation and the parts
before it as its history. A part shorter than :data:`MIN_PART_WORDS` stays with the rest.

The cue words are data (``answer/data/answer_types.json``: ``question_words``,
``lead_in_words``, and ``compound_conjunctions`` and ``compound_prepositions``).
"""

from __future__ import annotations

import re
from functools import cache

from calanque.answer.answer_types import asks_yes_or_no, cue_data
from calanque.answer.language import fold

MIN_PART_WORDS = 3  # words of a part of its own: "and why?" is no question to search alone
MAX_ASIDE_CHARS = 40  # ", and once it runs, where…": the clause before the question word
MAX_PARTS = 3


# After a bare conjunction (no comma before it) most question words open a relative or a
# subordinate clause (``the package that provides sendmail and which is maintained by…``,
# ``when I remove a package and when I purge it``): only these start a new question there,
# or any question word followed by an inverted subject or an auxiliary (``et que
# contient-il``, ``and what does dpkg do``).
_STRONG = frozenset({"how", "why", "where", "comment", "pourquoi", "où"})
_ASKS_NEXT = re.compile(
    r"^\S+\s+(?:\S+-(?:t-)?(?:il|elle|ils|elles|on)\b|est-ce\b|"
    r"(?:do|does|did|is|are|was|were|can|could|should|will|would|has|have)\s)",
    re.IGNORECASE,
)


# A question asking yes or no, after ", and" / ", et": a French inverted subject
# ("faut-il", "peut-on", "doit-elle"), "est-ce que", or an English auxiliary before its
# subject ("do I", "can we", "is the")
_YES_NO_OPENING = (
    r"(?:(?:y\s+)?[\w']+-(?:t-)?(?:il|elle|ils|elles|on|je|nous)\b|est-ce\b|"
    r"(?:do|does|did)\s+(?:i|we|you|they|he|she|it)\b|"  # "do the same for…" orders
    r"(?:can|could|should|must|may|will|would|is|are|was|were|has|have)\s+"
    r"(?:i|we|you|they|he|she|it|there|the|a|an|my|our|your|this|that|these|those)\b)"
)
_RELATIVES = frozenset({"which", "who", "whom", "whose", "qui", "que", "qu", "lequel", "laquelle"})
_ASKS_NEXT_RELATIVE = re.compile(
    r"^\S+\s+(?:\S+-(?:t-)?(?:il|elle|ils|elles|on)\b|est-ce\b|(?:do|does|did)\s)",
    re.IGNORECASE,
)


@cache
def _split_pattern() -> re.Pattern[str]:
    data = cue_data()
    conjunctions = "|".join(re.escape(c) for c in data["compound_conjunctions"])
    words = {*data["lead_in_words"], *data["compound_prepositions"]}
    lead_ins = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    # "ou" (or) and "où" (where) fold alike: "où" is kept whole in the text matched
    asking = "|".join(["où", *(re.escape(w) for w in data["question_words"] if len(w) > 2)])
    # ", and until when", "; et dans quel", ", and also how": the new question starts at the
    # lead-in (``until``) or at the question word; a second question mark starts one too
    # ", and do I need…", ", et faut-il…": after a comma, a question asking yes or no
    # ", and once it runs, where…", ", et une fois le script lancé, où…": a short clause of
    # its own between the conjunction and the question word (after a comma only), set
    # apart by commas on both sides too (", et, d'après le manuel, quels…")
    return re.compile(
        rf"(?P<comma>[,;:])?\s+(?:(?:{conjunctions}),?\s+)+"
        rf"(?=(?P<aside>[^,;:?]{{1,{MAX_ASIDE_CHARS}}},\s+)?"
        rf"(?:(?:{lead_ins})\s+){{0,2}}(?:{asking})\b)"
        rf"|(?P<yes_no>[,;])\s+(?:and|et)\s+(?={_YES_NO_OPENING})"
        rf"|(?<=[?？])\s+(?=\S)"
    )


def question_parts(question: str, language: str) -> list[str]:
    """The questions ``question`` asks, in order: ``[question]`` when it asks one thing."""
    text = " ".join(question.split())
    # folded, but for the "ù" of "où", one character for one: offsets carry over
    folded = "".join(ch.lower() if ch in "ùÙ" else fold(ch)[:1] or ch for ch in text)
    cuts: list[tuple[int, int]] = []
    start = 0
    for match in _split_pattern().finditer(folded):
        if len(text[start : match.start()].split()) < MIN_PART_WORDS:
            continue
        marked = match.group("comma") or match.group("yes_no") or folded[match.start() - 1] in "?？"
        if match.group("aside") and not match.group("comma"):
            continue  # "the file that it reads and when it changes, how…": one clause
        if not marked and not _opens_a_question(folded[match.end() :]):
            continue  # a bare "and which is…", "et que sa version…": a clause
        cuts.append((match.start(), match.end()))
        start = match.end()
    if cuts and len(text[start:].split()) < MIN_PART_WORDS:
        cuts.pop()  # "…, and why?": the last piece is too short to be searched alone
    if not cuts or len(cuts) + 1 > MAX_PARTS:
        return [question]
    bounds = [0, *(at for cut in cuts for at in cut), len(text)]
    parts = [text[a:b].strip(" ,;:") for a, b in zip(bounds[::2], bounds[1::2], strict=True)]
    if not all(_asks(p) or asks_yes_or_no(p) for p in parts[1:]):
        return [question]
    return [_as_question(p, language) for p in parts]


def _opens_a_question(rest: str) -> bool:
    """After a bare conjunction: does ``rest`` (folded) open a question of its own?"""
    first = re.findall(r"[\w']+", rest)[:1]
    if not first:
        return False
    if first[0] in _STRONG:
        return True
    if first[0] in _RELATIVES:  # "which is maintained by…": a relative; "which does…" asks
        return bool(_ASKS_NEXT_RELATIVE.match(rest))
    return bool(_ASKS_NEXT.match(rest))


def _asks(part: str) -> bool:
    """Does ``part`` open with a question word, at most two lead-in words in?"""
    data = cue_data()
    asking = set(data["question_words"])
    lead_in = {*data["lead_in_words"], *data["compound_prepositions"]}
    head, comma, rest = part.partition(",")
    if comma and len(head) <= MAX_ASIDE_CHARS and _asks(rest):
        return True  # "once it runs, where do I find…"
    for word in re.findall(r"[\w']+", fold(part))[:3]:
        if word in asking:
            return True
        if word not in lead_in:
            return False
    return False


def _as_question(part: str, language: str) -> str:
    if part.endswith(("?", "？")):
        return part
    return f"{part} ?" if language == "fr" else f"{part}?"
