"""Follow-up questions rewritten into standalone search queries.

Extractive (no model). A thread is read turn by turn, each earlier follow-up rewritten
first, so that a question two turns later still knows its subject. A follow-up is a
question that leans on the conversation: a pronoun ("how do I remove it?"), a
continuation ("et pour Ubuntu ?"), too few words of its own, or a definite mention of
what an earlier question asked for ("Which band…?" then "…left the band…"). It carries:

* the previous question's key terms, and the names that question had itself carried
  from earlier turns (its own names, or its words when it named nothing), so a subject
  survives two follow-ups;
* the words of the question that opened the thread, when the previous question was itself
  a follow-up: a subject without a name ("a removed package") survives two hops too;
* the *answer* of the previous turn when that question asked for a named thing (who,
  which band, quel paquet): the names its answer gives that the question did not
  ("Who wrote Das Kapital?" → "Karl Marx"), so "Who did he write … with?" finds him;
  first the word the answer presents as the thing asked for, lowercase or not ("Quel
  gestionnaire…?" → "synaptic est un gestionnaire…", "the band X").

When the follow-up names its own action on a pronoun ("remove it"), the previous action
("install") is not carried, only what it acted on ("nginx"). A question that announces a
change of subject ("autre chose :", "another question:") stands alone.

Generative: the model is asked for the standalone query; a bad reply falls back to the
extractive rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from calanque.answer.answer_types import READ_CHARS, asked_types
from calanque.answer.claims import technical_tokens
from calanque.answer.language import STOPWORDS, fold, is_technical, key_terms, stems
from calanque.llm.base import LLM, complete

SHORT_FOLLOW_UP = 2  # key terms or fewer, and no name of its own: it leans on the previous one
MAX_QUERY_CHARS = 300
MAX_CARRIED_NAMES = 4  # names carried from the conversation into one query
ANSWER_NAMES = 2  # names taken from an answer to "who…?" / "which band…?"
# English pronouns, possessives and demonstratives; French stressed and demonstrative
# pronouns. French le/la/les/l'/en/y are articles and prepositions too ("la capitale", "en
# 1993"): they are pronouns only as clitics, after a subject pronoun, a negation or a
# question word and before a verb ("comment le désinstaller", "qui l'a remplacé", "il en
# existe"). French son/sa/ses are most often "one's" ("Comment changer son mot de passe
# ?"): they point back only in "à son sujet", "à son propos", and "le concernant".
_PRONOUN = re.compile(
    r"\b(it|its|he|she|him|his|her|they|them|their|this|that|these|those|one|ones|"
    r"il|elle|ils|elles|lui|leur|leurs|ça|cela|celui|celle|ceux|celles)\b"
    r"|\b(?:à|a) (?:son|sa|leur) (?:sujet|propos)\b|\b(?:le|la|les) concernant\b"
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
_NEW_SUBJECT = re.compile(
    r"^\s*(autre chose|autre question|nouvelle question|changement de sujet|rien à voir|"
    r"another (?:thing|question)|something else|new question|different question|"
    r"unrelated|on another (?:note|topic)|changing (?:the )?subject)\b",
    re.IGNORECASE,
)
_ACTION = re.compile(
    r"\b(?:how (?:do|can|should|would) (?:i|you|we|one) |how to |comment (?:puis-je |peut-on |"
    r"faut-il |faire pour |on )?|pour )(\w+)",
    re.IGNORECASE,
)
# "Which band…?", "Quel paquet…?": the noun names what the answer is.
_ASKED_NOUN = re.compile(
    r"\b(?:which|what|quel|quelle|quels|quelles)\s+(?:(?:est|sont|était|étaient|is|was|are|"
    r"were)\s+(?:le|la|les|l['’]|the)\s*)?([^\W\d_]{3,})",
    re.IGNORECASE,
)
_DEFINITE = r"(?:le|la|les|l['’]|ce|cet|cette|ces|the|this|that|these|those)\s*"
# Name phrases: capitalised words, joined by the short words titles and names keep inside.
_CAPITALISED = r"[A-ZÀ-Ý][\w’'+.-]*[\w+]|[A-ZÀ-Ý]"
_JOINER = r"(?:of|the|and|de|du|des|la|le|et|d['’])"
_NAME_PHRASE = re.compile(rf"(?:{_CAPITALISED})(?:\s+(?:{_JOINER}\s+)*(?:{_CAPITALISED}))*")
_SENTENCE_START = re.compile(r"(^|[.!?:;]\s+|[«\"“(]\s*)$")
_LEAD = re.compile(r"^[^:\[\n]{0,80}:\s+")
_MARKER = re.compile(r"\[\d+(?:\]\s*\[\d+)*\]")
_NAMED_ANSWER = frozenset({"person", "place", "command", "path"})
_OTHER_ANSWER = frozenset({"date", "quantity", "price", "definition", "procedure", "reason"})

REWRITE_PROMPT = (
    "Rewrite the user's last question as one standalone search query, in the language of "
    "that question, using the conversation to resolve what it refers to. Reply with the "
    "query only, nothing else."
)


@dataclass(frozen=True)
class _Turn:
    """What a later question may lean on: its standalone query's names and its answer's."""

    asked: str  # the question as asked
    names: tuple[str, ...]  # names it inherited from earlier turns
    answered: tuple[str, ...]  # names its answer gave, when it asked for a named thing
    asked_noun: str  # "band" in "Which band…?" ("" when none)
    opener: str = ""  # the question that opened the thread: its subject


def name_phrases(text: str) -> list[str]:
    """Proper names, titles and commands of ``text``, in order, once each.

    A capitalised word at the start of a sentence counts only when it is not a common
    word ("The", "Quel"); words joined by "of", "de", "the"… stay one name
    ("The Dark Side of the Moon").
    """
    out: dict[str, str] = {}
    for match in _NAME_PHRASE.finditer(text):
        words = match.group(0).split()
        if len(words) == 1 and _SENTENCE_START.search(text[: match.start()]):
            continue  # "Heureusement, …": capitalised by position, not a name
        while words and (fold(words[0]) in STOPWORDS or len(words[0]) < 2):
            words.pop(0)  # a capitalised article or question word
        while words and re.fullmatch(_JOINER, words[-1], re.IGNORECASE):
            words.pop()
        if words:
            phrase = " ".join(words)
            out.setdefault(fold(phrase), phrase)
    for token in sorted(technical_tokens(text), key=lambda t: fold(text).find(t)):
        if not any(token in key for key in out):
            out.setdefault(token, token)
    return list(out.values())


def _answer_text(answer: str) -> str:
    """The answer's first sentences, without its lead ("According to the sources:")."""
    body = _MARKER.sub(" ", _LEAD.sub("", answer.strip(), count=1))
    return body[:600]


def _asks_for_name(question: str) -> bool:
    types = asked_types(question)
    if types & _NAMED_ANSWER:
        return True
    return not (types & _OTHER_ANSWER) and bool(_ASKED_NOUN.search(question))


def _answered_names(question: str, answer: str) -> tuple[str, ...]:
    """Names the answer gives that the question did not ask with (for "who…?" questions)."""
    if not answer or not _asks_for_name(question):
        return ()
    asked = fold(question)
    phrases = name_phrases(_answer_text(answer))
    named = [  # "floyd" in "Pink Floyd is a band" stands for the whole name
        next((p for p in phrases if word in fold(p).split()), word)
        for word in _named_as(_asked_noun(question), _MARKER.sub(" ", answer))
    ]
    fresh = list(dict.fromkeys(n for n in [*named, *phrases] if fold(n) not in asked))
    if "person" in asked_types(question):
        fresh.sort(key=lambda n: len(n.split()) < 2)  # people have a first and a last name
    return tuple(fresh[:ANSWER_NAMES])


# "synaptic est un gestionnaire…", "Pink Floyd is a band", "the band Pink Floyd", "le
# paquet synaptic": the answer names the thing asked for next to the noun it was asked by.
# (read in folded text: "était" is "etait"; a token starts where none can go on to its left,
# so that a long run of word characters is read once, not once a character)
_NAME_TOKEN = r"(?<![\w.+-])[\w][\w.+-]*[\w+]"
_IS_A = r"(?:is|was|are|were|est|etait|sont|etaient)\s+(?:a|an|the|one of the|un|une|le|la|l['’])"


def _named_as(noun: str, answer: str) -> list[str]:
    """Words of ``answer`` it presents as the ``noun`` a "which <noun>…?" question asked
    for: "X is a <noun>" or "the <noun> X" (a lowercase package name is a name too)."""
    if not noun:
        return []
    n = rf"{re.escape(noun)}s?"
    patterns = (
        rf"({_NAME_TOKEN})\s+{_IS_A}\s+(?:[^\W\d_]+\s+){{0,2}}{n}\b",
        rf"\b(?:the|le|la|l['’])\s*{n}\s+({_NAME_TOKEN})",
    )
    folded = fold(answer)
    presented = [m.group(1) for m in re.finditer(patterns[0], folded)]
    # after "the band" / "le paquet" a verb may follow ("The band released it"): there only
    # a capitalised or a technical word is a name
    capitalised = {fold(w) for w in re.findall(r"[\w][\w.+-]*", answer) if w[:1].isupper()}
    presented += [
        m.group(1)
        for m in re.finditer(patterns[1], folded)
        if m.group(1) in capitalised or is_technical(m.group(1))
    ]
    return [w for w in presented if w not in STOPWORDS and not w.isdigit()]


def _asked_noun(question: str) -> str:
    match = _ASKED_NOUN.search(question)
    return fold(match.group(1)) if match else ""


def _points_back(question: str) -> bool:
    """Does ``question`` hold a pronoun pointing back? ``that`` after a noun and before
    more words relates a clause to that noun (``the daemon that handles power events``),
    and after ``know``, ``sure``… it opens one (``How do I know that nginx runs?``): it
    points nowhere; after a verb or a question word (``Is that the default?``, ``When was
    that pamphlet published?``), before the question's last word (``that way?``) or last
    (``How do I remove that?``), it does. Read in the question's first ``READ_CHARS``
    characters."""
    question = question[:READ_CHARS]
    for match in _PRONOUN.finditer(question):
        word = match.group(0).lower()
        at = match.start() + word.startswith("-")  # "-elle" in "est-elle": after the hyphen
        if word.lstrip("-") in _SUBJECTS and _inverted_after_its_subject(question, at):
            continue
        if word.lstrip("-") == "il" and (
            _IMPERSONAL.search(question[:at]) or _IMPERSONAL_AFTER.match(question[match.end() :])
        ):
            continue  # "Faut-il…", "Y a-t-il…", "Est-il possible de…": "il" stands for nothing
        if word in _POSSESSIVES and _bound_in_its_clause(question[: match.start()], word):
            continue  # "How does Debian manage its releases?": "its" is Debian's
        if word == "one" and _GENERIC_ONE.search(question[: match.start()]):
            continue  # "Can one run Debian on…?": anyone
        if _article_not_clitic(word, question[match.end() :]):
            continue
        if word != "that":
            return True
        before = re.findall(r"[\w'’-]+", question[: match.start()])
        after = re.findall(r"[\w'’-]+", question[match.end() :])
        if before and fold(before[-1]) in _SAYING:
            continue  # "How do I know that nginx is running?": a conjunction
        if not before or len(after) < 2 or fold(before[-1]) in STOPWORDS:
            return True  # last, "that way?", or after a verb or a question word
    return False


_SUBJECTS = frozenset({"il", "elle", "ils", "elles", "on"})
_SAYING = frozenset({"know", "knew", "sure", "ensure", "check", "verify", "mean", "means", "say"})
_IMPERSONAL_AFTER = re.compile(
    r"\s+(?:possible|nécessaire|necessaire|recommandé|recommande|conseillé|conseille|"
    r"préférable|preferable|utile|obligatoire|vrai)\b",
    re.IGNORECASE,
)
_POSSESSIVES = frozenset({"its", "their", "his", "her"})
_GENERIC_ONE = re.compile(
    r"\b(?:can|could|should|would|must|may|might|does|do|did|will|shall)\s+$", re.IGNORECASE
)


# an auxiliary, then a subject that is no pronoun: "does Debian", "do users", not "do I"
_NOT_A_SUBJECT = (
    r"(?!(?:i|you|we|one|it|they|he|she|its|their|his|her|this|that|there|anyone|anybody|"
    r"someone|somebody|everyone|everybody|people)\b)[\w.+-]+"
)
_MODAL = r"can|could|should|will|would|must|may|might|did"
# its / his / her agree with a singular subject, their with a plural one
_SUBJECT_OF = {
    "its": re.compile(rf"\b(?:does|is|was|has|{_MODAL})\s+{_NOT_A_SUBJECT}", re.IGNORECASE),
    "their": re.compile(rf"\b(?:do|are|were|have|{_MODAL})\s+{_NOT_A_SUBJECT}", re.IGNORECASE),
}
_SUBJECT_OF["his"] = _SUBJECT_OF["her"] = _SUBJECT_OF["its"]


def _bound_in_its_clause(before: str, possessive: str) -> bool:
    """Does the clause before a possessive name its own subject after an auxiliary (``How
    does Debian manage`` + ``its releases``, ``Where does rsyslogd store`` + ``its
    logs``), agreeing in number (``does`` with ``its``, ``do`` with ``their``)? Then the
    possessive is that subject's. After ``do I``, ``is there``, ``does anyone`` or with no
    auxiliary (``How do I remove`` + ``its config``, ``What are`` + ``its features``) it
    points back into the conversation."""
    clause = re.split(r"[,;:]", before)[-1]
    return _SUBJECT_OF[possessive].search(clause) is not None


_IMPERSONAL = re.compile(
    r"\b(?:faut|fallait|faudra|faudrait|vaut|valait|vaudra|vaudrait|agit|y\s+a|y\s+avait|"
    r"y\s+aura)-(?:t-)?$",
    re.IGNORECASE,
)
# After a subject pronoun or a negation, le/la/les/en/y can only be a pronoun ("je le",
# "il en", "ne les"); after a question word or a preposition they are mostly articles.
_CLITIC_FOR_SURE = re.compile(r"^(?:je|j['’]|tu|il|elle|on|nous|vous|ils|elles|ne|n['’])\s")
_CLITIC = re.compile(r"\s(?:le|la|les|l['’]|en|y)$")
_INVERTED_LATER = re.compile(r"^\s*\S+\s+.*?[\w'’]-(?:t-)?(?:il|elle|ils|elles|on)\b")
_INFINITIVE = re.compile(r"^\s*([a-zà-ÿ]+(?:er|ir|re|oir))\b(?!\s+(?:de|du|des|d['’])\b)")


def _article_not_clitic(matched: str, rest: str) -> bool:
    """Is the ``le``/``la``/``les``/``en``/``y`` ending ``matched`` an article or a
    preposition (``Comment le noyau gère-t-il…``, ``pour la sauvegarde``, ``ou en UTC``)
    rather than a pronoun before its verb (``Comment le désinstaller``)? A pronoun after a
    question word or a preposition stands before an infinitive; an article stands before a
    noun, often the subject of an inverted verb further on (``le fichier … est-il lu``)."""
    if not _CLITIC.search(matched) or _CLITIC_FOR_SURE.match(matched):
        return False
    if _INVERTED_LATER.match(rest):
        return True  # "Comment le fichier sources.list est-il lu ?": a subject, then its verb
    return _INFINITIVE.match(rest.lower()) is None


_ASKING_DETERMINERS = frozenset({"quel", "quelle", "quels", "quelles", "combien", "which", "what"})


def _inverted_after_its_subject(question: str, at: int) -> bool:
    """Is the pronoun at ``at`` a French inverted subject repeating a noun said before its
    verb (``Quand Debian 12 est-elle sortie ?``, ``Où APT trouve-t-il…``)? Then it points to
    that noun, not back into the conversation (``Quand est-elle sortie ?`` does)."""
    head = question[:at]
    if not head.endswith("-"):
        return False  # "elle" standing alone, not "est-elle"
    verb_start = max(head.rfind(" "), head.rfind("'"), head.rfind("’")) + 1
    clause = re.split(r"[,;:]", question[:verb_start])[-1]  # "Sur ARM, fonctionne-t-il ?"
    words = [fold(w) for w in re.findall(r"[^\W\d_]+", clause)]
    skip_next = False
    for word in words:
        if skip_next and word not in STOPWORDS:
            skip_next = False  # the noun the question word asks about: "quelle ville"
            continue
        if word in _ASKING_DETERMINERS:
            skip_next = True
            continue
        if word not in STOPWORDS and len(word) > 1:
            return True
    return False


def is_follow_up(question: str, language: str, asked_nouns: Sequence[str] = ()) -> bool:
    """Does ``question`` lean on the conversation?

    A pronoun, "and…", too few words, or a definite mention of what an earlier question
    asked for ("the band" after "Which band…?"). A short question that names its own
    subject ("Qui a écrit Germinal ?") stands alone, and so do a definition question
    ("What is weightlifting?") and one that says it changes the subject.
    """
    if _NEW_SUBJECT.match(question):
        return False
    if _points_back(question) or _CONTINUATION.match(question):
        return True
    folded = fold(question)
    if any(re.search(rf"\b{_DEFINITE}{re.escape(noun)}\b", folded) for noun in asked_nouns if noun):
        return True
    own_name = bool(_OWN_NAME.search(question.strip().rstrip("?？ ")))
    terms = key_terms(question, language)
    if terms and "definition" in asked_types(question):
        return False  # "Qu'est-ce que l'haltérophilie ?" names what it asks about
    return not own_name and len(terms) <= SHORT_FOLLOW_UP


def leans_on_nothing(question: str, language: str) -> bool:
    """Does ``question`` only point back ("Where are they listed?", "Et pour elle ?") while
    naming nothing of its own? Asked first in a thread, it has nothing to point to: no
    search can say what it is about."""
    if _NEW_SUBJECT.match(question):
        return False
    if not (_points_back(question) or _CONTINUATION.match(question)):
        return False
    own_name = bool(_OWN_NAME.search(question.strip().rstrip("?？ ")))
    return not own_name and len(key_terms(question, language)) <= SHORT_FOLLOW_UP


def _action_stems(question: str, language: str) -> set[str]:
    return {s for m in _ACTION.finditer(question) for s in stems(m.group(1), language)}


def _carried(question: str, previous: _Turn, language: str) -> list[str]:
    """What the follow-up takes from the previous turn, less what it already says.

    The previous question's key terms (less its action when the follow-up names its own:
    "remove it" after "install nginx"), the names it inherited from earlier turns, then
    the names its answer gave.
    """
    present = stems(question, language)
    folded = fold(question)
    drop = set()
    if _points_back(question) and _action_stems(question, language):
        drop = _action_stems(previous.asked, language) | _action_stems(previous.opener, language)
    carried = [
        t.surface
        for t in key_terms(previous.asked, language)
        if t.stem not in present and t.stem not in drop
    ]
    taken = stems(" ".join(carried), language)
    names = [*previous.names, *previous.answered]
    fresh = {
        fold(n): n
        for n in names
        if fold(n) not in folded and not stems(n, language) <= (taken | present)
    }
    carried += list(fresh.values())[:MAX_CARRIED_NAMES]
    # two hops on, the thread's subject (words with no name among them too), less its
    # action where the previous question named its own ("install" after "remove it")
    if _action_stems(previous.asked, language):
        drop |= _action_stems(previous.opener, language)
    taken = stems(" ".join(carried), language) | present | drop
    carried += [t.surface for t in key_terms(previous.opener, language) if t.stem not in taken]
    return carried


def _standalone(question: str, turns: Sequence[_Turn], language: str) -> tuple[str, list[str]]:
    """The standalone query and what it carried from the conversation."""
    nouns = [t.asked_noun for t in turns[-2:]]
    if not turns or not is_follow_up(question, language, nouns):
        return question, []
    carried = _carried(question, turns[-1], language)
    if not carried:
        return question, []
    body = question.strip().rstrip("?？ ").strip()
    return f"{body} {' '.join(carried)}" + (" ?" if language == "fr" else "?"), carried


def rewrite_extractive(question: str, history: Sequence[tuple[str, str]], language: str) -> str:
    """``question`` with what it leans on from the conversation (see the module)."""
    turns: list[_Turn] = []
    for asked, answer in history:
        _, carried = _standalone(asked, turns, language)
        inherited = [c for c in carried if c in turns[-1].names or c in turns[-1].answered]
        if carried:  # the previous question's words it carried are names for the next turn
            own = [n for n in name_phrases(turns[-1].asked) if fold(n) not in STOPWORDS]
            inherited = [*(own or carried[: SHORT_FOLLOW_UP + 1]), *inherited]
        names = tuple(dict.fromkeys(inherited))
        opener = turns[-1].opener if carried else asked  # a follow-up keeps the thread's
        turns.append(
            _Turn(asked, names, _answered_names(asked, answer), _asked_noun(asked), opener)
        )
    return _standalone(question, turns, language)[0]


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
