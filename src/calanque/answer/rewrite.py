"""Follow-up questions rewritten into standalone search queries.

Extractive (no model): a follow-up that is short or leans on a pronoun ("et pour
Ubuntu ?", "how do I remove it?") carries the previous question's key terms. When
the follow-up names its own action on a pronoun ("remove it"), the previous
action ("install") is not carried, only what it acted on ("nginx").
Generative: the model is asked for the standalone query; a bad reply falls back
to the extractive rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calanque.answer.language import fold, key_terms, stems
from calanque.llm.base import LLM, complete

SHORT_FOLLOW_UP = 2  # key terms or fewer, and no name of its own: it leans on the previous one
MAX_QUERY_CHARS = 300
# English pronouns and demonstratives; French stressed and demonstrative pronouns. French
# le/la/les/l'/en/y are articles and prepositions too ("la capitale", "en 1993"): they are
# pronouns only as clitics, after a subject pronoun, a negation or a question word and
# before a verb ("comment le désinstaller", "qui l'a remplacé", "il en existe").
_PRONOUN = re.compile(
    r"\b(it|its|he|she|him|his|her|they|them|their|this|that|these|those|one|ones|"
    r"il|elle|ils|elles|lui|leur|leurs|ça|cela|celui|celle|ceux|celles)\b"
    r"|\b(?:je|j['’]|tu|il|elle|on|nous|vous|ils|elles|ne|n['’]|comment|pour|où|ou|quand|"
    r"pourquoi|peut-on|faut-il|puis-je|dois-je|doit-on|peux-tu|pouvez-vous)\s+"
    r"(?:le|la|les|l['’]|en|y)\b"
    r"|\bl['’](?:a|ai|as|avait|avaient|ont|est|était|a-t-il|a-t-elle)\b"
    r"|-(?:le|la|les|en|y|il|elle|ils|elles)\b",
    re.IGNORECASE,
)
_OWN_NAME = re.compile(r"(?<=\S)\s+[A-ZÀ-Ý][\w-]+|\S*[/_.\d]\S*\w")
_CONTINUATION = re.compile(
    r"^\s*(et|and|what about|how about|also|aussi|mais|but|ou|or)\b", re.IGNORECASE
)
_ACTION = re.compile(
    r"\b(?:how (?:do|can|should|would) (?:i|you|we|one) |how to |comment (?:puis-je |peut-on |"
    r"faut-il |faire pour |on )?|pour )(\w+)",
    re.IGNORECASE,
)

REWRITE_PROMPT = (
    "Rewrite the user's last question as one standalone search query, in the language of "
    "that question, using the conversation to resolve what it refers to. Reply with the "
    "query only, nothing else."
)


def is_follow_up(question: str, language: str) -> bool:
    """Does ``question`` lean on the previous one (a pronoun, "and…", or too few words)?

    A short question that names its own subject ("Qui a écrit Germinal ?") stands alone.
    """
    if _PRONOUN.search(question) or _CONTINUATION.match(question):
        return True
    own_name = bool(_OWN_NAME.search(question.strip().rstrip("?？ ")))
    return not own_name and len(key_terms(question, language)) <= SHORT_FOLLOW_UP


def _action_stems(question: str, language: str) -> set[str]:
    return {s for m in _ACTION.finditer(question) for s in stems(m.group(1), language)}


def rewrite_extractive(question: str, history: Sequence[tuple[str, str]], language: str) -> str:
    """``question`` with the previous question's key terms when it is a follow-up."""
    if not history or not is_follow_up(question, language):
        return question
    previous = history[-1][0]
    present = stems(question, language)
    drop = set()
    if _PRONOUN.search(question) and _action_stems(question, language):
        drop = _action_stems(previous, language)
    carried = [
        t.surface
        for t in key_terms(previous, language)
        if t.stem not in present and t.stem not in drop
    ]
    if not carried:
        return question
    body = question.strip().rstrip("?？ ").strip()
    return f"{body} {' '.join(carried)}" + (" ?" if language == "fr" else "?")


def rewrite_with_llm(
    llm: LLM, question: str, history: Sequence[tuple[str, str]], language: str
) -> str:
    """The model's standalone query; the extractive rewrite when its reply is unusable."""
    if not history:
        return question
    messages = [{"role": "system", "content": REWRITE_PROMPT}]
    for asked, answered in history[-3:]:
        messages.append({"role": "user", "content": asked})
        messages.append({"role": "assistant", "content": answered[:1000]})
    messages.append({"role": "user", "content": question})
    reply = complete(llm, messages, max_tokens=64, temperature=0.0).strip()
    line = reply.splitlines()[0].strip().strip("\"'«»“” ") if reply else ""
    if not line or len(line) > MAX_QUERY_CHARS or fold(line) == fold(history[-1][0]):
        return rewrite_extractive(question, history, language)
    return line
