"""Three related questions, in the question's language, from the passages' headings.

Headings and titles of the retrieved passages that the question does not already
cover become questions through small templates: an infinitive heading
("Installer un paquet") gives "Comment installer un paquet ?", a gerund
("Installing packages") "How do I go about installing packages?", a noun phrase
"Qu'est-ce que … ?" / "What is …?". A heading in another language than the
question is quoted: "Que disent les sources sur « … » ?".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calanque.answer.language import fold, key_terms, stems
from calanque.answer.passages import Passage
from calanque.llm.base import LLM, complete

MAX_HEADING_CHARS = 80
_NUMBERING = re.compile(
    r"^\s*(?:[\dIVXivx]+[.)]?)+(?:\s+|$)|^\s*(?:chapter|chapitre)\s+\d+\W*", re.I
)


_ARTICLES = frozenset(["le", "la", "les", "un", "une", "des", "du", "the", "a", "an"])


def _clean(heading: str) -> str:
    last = heading.split(" > ")[-1]
    return _NUMBERING.sub("", last).strip().strip(".:;").strip()


def _template(heading: str, language: str, same_language: bool) -> str:
    if heading.endswith("?"):
        return heading
    first = heading.split()[0].lower()
    lower = heading[0].lower() + heading[1:]
    if first in _ARTICLES:
        heading = lower
    if language == "fr":
        if not same_language:
            return f"Que disent les sources sur « {heading} » ?"
        if re.fullmatch(r"\w+(er|ir|re)", first):
            return f"Comment {lower} ?"
        elision = "qu'" if fold(first[0]) in "aeiouyh" else "que "
        return f"Qu'est-ce {elision}{heading} ?"
    if not same_language:
        return f"What do the sources say about “{heading}”?"
    if first.endswith("ing"):
        return f"How do I go about {lower}?"
    return f"What is {heading}?"


def related_questions(
    question: str, passages: Sequence[Passage], language: str, k: int = 3
) -> list[str]:
    """Up to ``k`` questions about what the passages cover and the question does not."""
    asked = stems(question, language)
    seen: set[str] = set()
    out: list[str] = []
    ordered = [(p, p.heading) for p in passages] + [(p, p.title) for p in passages]
    for p, raw in ordered:
        heading = _clean(raw)
        key = fold(heading)
        if not heading or len(heading) > MAX_HEADING_CHARS or key in seen:
            continue
        seen.add(key)
        terms = key_terms(heading, language)
        if not terms or all(t.stem in asked for t in terms):
            continue
        same = not p.language or p.language == language
        out.append(_template(heading, language, same))
        if len(out) == k:
            return out
    return out


RELATED_PROMPT = (
    "Suggest three short follow-up questions a reader could ask next, in {language}, "
    "answerable from the sources. One per line, no numbering."
)


def related_with_llm(
    llm: LLM, question: str, passages: Sequence[Passage], language: str, k: int = 3
) -> list[str]:
    """The model's suggestions, completed by the template ones if it gives fewer than ``k``."""
    titles = "\n".join(f"- {_clean(p.heading) or p.title}" for p in passages)
    name = {"fr": "French", "en": "English"}.get(language, language)
    messages = [
        {"role": "system", "content": RELATED_PROMPT.format(language=name)},
        {"role": "user", "content": f"Question: {question}\nSources:\n{titles}"},
    ]
    reply = complete(llm, messages, max_tokens=120, temperature=0.3)
    lines = [line.strip(" -*•\t").strip() for line in reply.splitlines()]
    found = [line for line in lines if line.endswith("?") and len(line) < 200][:k]
    for extra in related_questions(question, passages, language, k):
        if len(found) >= k:
            break
        if extra not in found:
            found.append(extra)
    return found
