"""Up to three related questions, in the question's language, from what the passages say.

Each sentence of the retrieved passages is read for a few shapes that a reader could
ask about, and the question is built from the sentence's own words:

* a purpose ("To upgrade the system, run …", "Pour redémarrer le réseau, lancez …") or an
  instruction ("Run X to refresh the lists") → "How do I upgrade the system?",
  "Comment redémarrer le réseau ?";
* a passive ("The rules are kept in /etc/nftables.conf", "Les bases sont sauvegardées
  avec pg_dump") → "Where are the rules kept?", "Comment sont sauvegardées les bases ?";
* what a named command or file does ("The command apt update downloads …", "Le fichier
  /etc/hosts décrit …") → "What does the command apt update download?", "Que décrit le
  fichier /etc/hosts ?";
* a definition ("A mirror is a server that …") → "What is a mirror?", "Qu'est-ce que … ?".

A sentence in another language than the question is never translated: only its
language-neutral terms (commands, paths) may give a question ("What does the command
pg_dump do?"), else it is skipped. A question whose subject the question already asked
(half its key terms or more) is dropped, so are duplicates; passages take turns, so the
three questions come from different passages when they can. Headings are the last resort,
and only the ones that already read as an action ("Installer un paquet", "How to …").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from calanque.answer.claims import technical_tokens
from calanque.answer.language import (
    STOPWORDS,
    coverage,
    fold,
    key_terms,
    question_language,
    stems,
)
from calanque.answer.passages import Passage
from calanque.answer.sentences import looks_like_code, mostly_words, split_sentences
from calanque.llm.base import LLM, complete

MAX_TOPIC_CHARS = 80
MAX_QUESTION_CHARS = 140
PROSE_WORDS = 4  # a sentence a question is made from: this many words, mostly plain words
_NUMBERING = re.compile(
    r"^\s*(?:[\dIVXivx]+[.)]?)+(?:\s+|$)|^\s*(?:chapter|chapitre)\s+\d+\W*", re.I
)
# "On Debian, …", "Sous Debian, …": a short setting before the sentence proper.
_SETTING = re.compile(
    r"^(?:on|in|under|with|for|sous|sur|dans|avec|pour|en)\s+[^,]{1,30},\s+(?=\S)", re.I
)
_PRONOUNS = frozenset(
    [
        "it",
        "this",
        "that",
        "these",
        "those",
        "they",
        "he",
        "she",
        "we",
        "you",
        "i",
        "there",
        "here",
        "il",
        "elle",
        "ils",
        "elles",
        "ce",
        "cela",
        "ceci",
        "cette",
        "ces",
        "cet",
        "on",
        "nous",
        "vous",
        "celui",
        "celle",
        "ceux",
    ]
)
_LOWER = r"a-zàâäçéèêëîïôöùûüÿœ"
_WORD = r"[A-Za-zÀ-ÿœŒ][\w'’-]*"

# English
_EN_PURPOSE = re.compile(rf"^(?:to|in order to)\s+(?P<vp>[{_LOWER}][^,;:]{{3,80}}),\s", re.I)
_EN_INSTRUCTION = re.compile(
    r"^(?:run|use|type|execute|call|enter|add|edit|set)\s+.{1,60}?\s+to\s+"
    rf"(?P<vp>[{_LOWER}][^,;:]{{3,80}})$"
)
_EN_PASSIVE = re.compile(
    r"^(?P<np>[^,;:]{2,60}?)\s+(?P<be>is|are)\s+(?:\w+ly\s+)?"
    r"(?P<pp>\w+(?:ed|en|wn|lt|pt|ne|de|ld|ung|ot|id|ught))"
    r"(?P<particle>\s+(?:up|down|out|back|off|away))?(?:\s+(?P<prep>\S+)|$)"
)
_EN_KIND = r"command|tool|program|utility|service|daemon|file|directory|folder|option|package"
_EN_DOES = re.compile(
    rf"^the\s+(?P<kind>{_EN_KIND})\s+(?P<name>\S+(?:\s+\S+){{0,2}}?)\s+"
    r"(?P<verb>[a-z]{3,}(?:s))\s+\S"
)
_EN_DEFINITION = re.compile(r"^(?P<np>[^,;:]{2,60}?)\s+(?P<be>is|are)\s+(?:a|an|the)\s+\w")
_PROSE_END = re.compile(r"[.!?…][\"'»”’)\]]*\s*$")
_EN_WHERE = frozenset(["in", "into", "under", "inside", "at", "on", "within"])

# French
_FR_PURPOSE = re.compile(rf"^(?:pour|afin de|afin d')\s*(?P<vp>[{_LOWER}][^,;:]{{3,80}}),\s", re.I)
_FR_INSTRUCTION = re.compile(
    r"^(?:lancez|utilisez|tapez|exécutez|ajoutez|modifiez|éditez)\s+.{1,60}?\s+pour\s+"
    rf"(?P<vp>[{_LOWER}][^,;:]{{3,80}})$"
)
_FR_PASSIVE = re.compile(
    r"^(?P<np>(?:le|la|les|l'|l’|un|une|des|chaque|tout|tous|toutes|ce|cette|ces)\b[^,;:]{1,60}?)"
    r"\s+(?P<be>est|sont)\s+(?:\w+ment\s+)?"
    r"(?P<pp>\w+(?:é|ée|és|ées|i|ie|is|ies|u|ue|us|ues|it|ite|its|ites|ert|erte|erts|ertes))"
    r"(?:\s+(?P<prep>\S+)|$)",
    re.I,
)
_FR_KIND = {
    "commande": "la",
    "outil": "l'",
    "programme": "le",
    "service": "le",
    "fichier": "le",
    "dossier": "le",
    "répertoire": "le",
    "paquet": "le",
    "option": "l'",
}
_FR_DOES = re.compile(
    rf"^(?:la|le|l'|l’)\s*(?P<kind>{'|'.join(_FR_KIND)})\s+(?P<name>\S+)\s+"
    rf"(?P<verb>[{_LOWER}]{{3,}})\s+\S",
    re.I,
)
_FR_DEFINITION = re.compile(
    r"^(?P<np>[^,;:]{2,60}?)\s+(?P<be>est|sont)\s+(?:un|une|des)\s+\w", re.I
)
_FR_WHERE = frozenset(["dans", "sur", "sous", "en", "chez"])
# A command named in a sentence of any language: one word, unless a lower-case word that
# is not a stopword follows (then where the command ends is unknown: skipped).
_COMMAND = re.compile(r"\b(?:command|commande)\s+(?P<name>[\w./+~-]*\w)(?P<next>\s+[\w'-]+)?", re.I)
_COMMAND_KINDS = frozenset(["command", "commande", "tool", "outil", "program", "programme"])


@dataclass(frozen=True)
class Candidate:
    question: str
    topic: str  # the words the question is about (checked against what was asked)


def _sentences(passage: Passage) -> list[str]:
    spans = passage.sentences or tuple(split_sentences(passage.text))
    return [" ".join(span.text.split()) for span in spans]


def _bare(sentence: str) -> str:
    """The sentence without its final punctuation and its leading setting."""
    text = sentence.strip().rstrip(".!…:;").strip()
    return _SETTING.sub("", text)


def _subject(np: str, context: str) -> str | None:
    """A noun phrase as it reads inside a question, or None for a pronoun or a bare verb."""
    np = np.strip()
    if not np[:1].isalnum():
        return None  # "(This script is written…": a parenthesis, not a subject
    first, last = np.split()[0], np.split()[-1]
    if fold(first) in _PRONOUNS or len(np) > MAX_TOPIC_CHARS:
        return None
    if fold(first) in _words("clause_openers") or fold(last) in _words("pointing_nouns"):
        return None  # "Because UTF-8 is…", "If one sequence is…", "the latter is…"
    if len(np.split()) > 1 and fold(last) in STOPWORDS:
        return None  # cut short: "une heuristique en"
    # Lower-case a capitalised first word unless it is a name: capitalised mid-sentence too.
    if first[:1].isupper() and (first[1:].islower() or len(first) == 1):
        lower = first.lower()
        if lower in STOPWORDS or not re.search(rf"[^.!?\s]\s+{re.escape(first)}\b", context):
            np = lower + np[len(first) :]
    return np


# a French verb in the third person of the present (décrit, affiche, permet, prend), not a
# copula nor an auxiliary (``french_copulas``)
_FR_VERB = re.compile(r"\w+(?:e|es|ent|it|t|d|x)")


@cache
def _words(kind: str) -> frozenset[str]:
    """A word list of ``answer/data/related.json``: ``clause_openers`` (what opens a clause,
    not a noun phrase: "If one sequence is…", "Each time next() is called…"),
    ``pointing_nouns`` ("the latter"), ``particles`` ("To sum up"), ``before_infinitive``
    ("Bash is intended to be…"), ``french_copulas``, ``not_participles`` ("Users are often
    surprised"), ``determiners`` ("To the contrary": no purpose), ``command_compounds``
    ("the command line")."""
    text = resources.files("calanque.answer").joinpath("data/related.json").read_text("utf-8")
    return frozenset(json.loads(text)[kind])


def _lower_first(text: str) -> str:
    """``Configurer le réseau`` → ``configurer le réseau``; ``S'abonner`` → ``s'abonner``;
    an acronym or a name (``APT``, ``Debian``) stays as it is."""
    second = text[2:3] if text[1:2] in "'’" else text[1:2]
    return text[:1].lower() + text[1:] if second.islower() or len(text) == 1 else text


def _base_verb(verb: str) -> str:
    """``downloads`` → ``download``; ``copies`` → ``copy``; ``pushes`` → ``push``."""
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
        return verb[:-2]
    return verb[:-1] if verb.endswith("s") else verb


_CLAUSE_WORDS = frozenset(["qui", "que", "qu", "ne", "n", "dont", "that", "which", "who", "not"])


def _plain_passive(np: str, participle: str) -> bool:
    """A subject without a clause of its own, and a real participle ("sont plus" is not)."""
    words = re.findall(r"\w+", fold(np))
    return (
        not (_CLAUSE_WORDS & set(words))
        and fold(participle) not in STOPWORDS
        and fold(participle) not in _words("not_participles")
    )


# A purpose that points back to what came before ("To put it another way,", "To prevent
# this,", "To do so,", "Pour cela,", "Pour l'éviter,") asks nothing on its own.
_EN_POINTERS = frozenset(["it", "this", "that", "these", "those", "them", "so"])
_FR_POINTERS = frozenset(["cela", "ceci", "ca", "celui", "celle", "ceux", "celles"])


def _points_back(vp: str, language: str) -> bool:
    """Does the purpose point back to what came before, or is it no purpose at all (a noun
    phrase after "to", "pour": "To the contrary", "Pour la suite")?"""
    words = re.findall(r"\w+", fold(vp))
    if len(words) < 2 or words[1] in _words("particles") or words[0] in {"que", "qu"}:
        return True  # "To sum up", "To begin with", "Pour finir", "Pour que…": no task
    if len(re.findall(r"\b[A-ZÀ-Ý]{2,}\b", vp)) >= 2:
        return True  # a box's label: "POUR ALLER PLUS LOIN Sauvegarde SQL, LDAP"
    if language != "fr":
        return bool(_EN_POINTERS & set(words)) or words[0] in _words("determiners")
    if words[0] in _OBJECT_OPENERS and not (len(words) >= 2 and _INFINITIVE.fullmatch(words[1])):
        return True  # "Pour la suite, …": no verb
    if _FR_POINTERS & set(words):
        return True
    # an object pronoun before its infinitive: "le faire", "l'éviter", "les installer"
    return (
        len(words) >= 2
        and words[0] in {"le", "la", "les", "l", "y", "en"}
        and bool(_INFINITIVE.fullmatch(words[1]))
    )


def _english(sentence: str, context: str) -> Iterator[Candidate]:
    text = _bare(sentence)
    if found := _EN_PURPOSE.match(text) or _EN_INSTRUCTION.match(text):
        vp = found["vp"].strip()
        if not _points_back(vp, "en"):
            yield Candidate(f"How do I {vp}?", vp)
        return
    if (found := _EN_DOES.match(_lower_first(text))) and _a_name(found["name"]):
        kind, name = found["kind"].lower(), found["name"]
        verb = _base_verb(found["verb"])
        yield Candidate(f"What does the {kind} {name} {verb}?", f"{name} {verb}")
        return
    if (
        (found := _EN_PASSIVE.match(text))
        and _plain_passive(found["np"], found["pp"])
        and not (  # "Bash is intended to be…": no manner, no place
            (found["prep"] or "").lower() == "to"
            and fold(found["pp"]) in _words("before_infinitive")
        )
        and (np := _subject(found["np"], context))
    ):
        how = "Where" if (found["prep"] or "").lower() in _EN_WHERE else "How"
        verb = found["pp"] + (found["particle"] or "")
        yield Candidate(f"{how} {found['be']} {np} {verb}?", f"{np} {found['pp']}")
        return
    if (found := _EN_DEFINITION.match(text)) and (np := _subject(found["np"], context)):
        yield Candidate(f"What {found['be']} {np}?", np)


def _french(sentence: str, context: str) -> Iterator[Candidate]:
    text = _bare(sentence)
    # the purpose read before a short one is taken for a setting ("Pour créer un
    # environnement virtuel, …" is no "Sous Debian, …")
    purpose = _FR_PURPOSE.match(sentence.strip().rstrip(".!…:;").strip())
    if found := purpose or _FR_PURPOSE.match(text) or _FR_INSTRUCTION.match(text):
        vp = found["vp"].strip()
        if not _points_back(vp, "fr"):
            yield Candidate(f"Comment {vp} ?", vp)
        return
    if (
        (found := _FR_DOES.match(text))
        and _a_name(found["name"])
        and _FR_VERB.fullmatch(fold(found["verb"]))
        and fold(found["verb"]) not in _words("french_copulas")
    ):
        kind, name = found["kind"].lower(), found["name"]
        article = _FR_KIND[kind]
        spaced = article if article.endswith("'") else article + " "
        yield Candidate(f"Que {found['verb']} {spaced}{kind} {name} ?", f"{name} {found['verb']}")
        return
    if (
        (found := _FR_PASSIVE.match(text))
        and _plain_passive(found["np"], found["pp"])
        and (np := _subject(found["np"], context))
    ):
        how = "Où" if (found["prep"] or "").lower() in _FR_WHERE else "Comment"
        yield Candidate(f"{how} {found['be']} {found['pp']} {np} ?", f"{np} {found['pp']}")
        return
    if (found := _FR_DEFINITION.match(text)) and (np := _subject(found["np"], context)):
        if found["be"].lower() == "sont":
            yield Candidate(f"Que sont {np} ?", np)
        else:
            elision = "qu'" if fold(np[:1]) in "aeiouyh" else "que "
            yield Candidate(f"Qu'est-ce {elision}{np} ?", np)


def _command_question(name: str, language: str) -> Candidate:
    if language == "fr":
        return Candidate(f"À quoi sert la commande {name} ?", name)
    return Candidate(f"What does the command {name} do?", name)


def _commands(sentence: str, context: str = "") -> Iterator[str]:
    """The commands a sentence names, whatever its language: the one a sentence says what
    it does of, or a word after "command" / "commande" written as a program's name
    (``pg_dump``, ``ssh-keygen``) or that opens a line of code in ``context`` (not "the
    command involves…", "la commande cherche…")."""
    text = _lower_first(_bare(sentence))
    does = _EN_DOES.match(text) or _FR_DOES.match(text)
    if does and does["kind"].lower() in _COMMAND_KINDS:
        if _a_name(does["name"]):
            yield does["name"]
        return
    for found in _COMMAND.finditer(sentence):
        after = (found["next"] or "").strip()
        if after and after[0].isalpha() and after.islower() and after not in STOPWORDS:
            continue
        name = found["name"]
        if name.isdigit() or not _a_name(name):
            continue
        if "-" in name or fold(name) in technical_tokens(name) or _opens_code(name, context):
            yield name


def _opens_code(name: str, context: str) -> bool:
    """Does ``name`` open a line of code in ``context`` (``$ ls -l``, ``# dpkg -i x.deb``)?"""
    pattern = re.compile(rf"^[ \t]*(?P<prompt>[$#][ \t]*)?{re.escape(name)}(?:[ \t].*)?$", re.M)
    return any(m["prompt"] or looks_like_code(m.group(0)) for m in pattern.finditer(context))


def _a_name(name: str) -> bool:
    """Does ``name`` read as a program's or a file's name: no function word or adverb in it
    ("The program now even helpfully quits"), and not a capitalised word of a title
    ("Command Line Arguments")?"""
    words = name.split()
    if any(fold(w) in STOPWORDS or fold(w).endswith("ly") for w in words):
        return False
    if fold(name) in _words("command_compounds"):
        return False  # "the command line", "the command prompt": no command's name
    return not (len(words) == 1 and name[:1].isupper() and name[1:].islower())


def _neutral(sentence: str, language: str, context: str = "") -> Iterator[Candidate]:
    """Questions on the language-neutral terms of a sentence: commands and paths."""
    for name in _commands(sentence, context):
        yield _command_question(name, language)
    if not _PROSE_END.search(sentence):
        return  # a path in a program's source is no topic: "[('/bin', 'python')]"
    for token in re.findall(r"(?<![\w/:~])(?:~/|/)(?!/)[\w./+-]*\w", sentence):  # not a URL
        kind = "dossier" if token.endswith("/") else "fichier"
        if language == "fr":
            yield Candidate(f"À quoi sert le {kind} {token} ?", token)
        else:
            yield Candidate(f"What is {token} for?", token)


def _from_heading(heading: str, language: str) -> Candidate | None:
    """A heading that already reads as an action, as a question (same language only)."""
    text = _NUMBERING.sub("", heading.split(" > ")[-1]).strip().strip(".:;").strip()
    if not text or len(text) > MAX_TOPIC_CHARS:
        return None
    if text.endswith("?"):
        return Candidate(text, text)
    if len(re.findall(r"\b[A-ZÀ-Ý]{2,}\b", text)) >= 2:
        return None  # a box's label before its title: "ALLER PLUS LOIN Sauvegarde SQL"
    if language == "fr" and _french_action(text):
        return Candidate(f"Comment {_lower_first(text)} ?", text)
    if language != "fr" and (found := re.match(r"(?i)^how to\s+(.{3,})$", text)):
        return Candidate(f"How do I {found[1]}?", found[1])
    return None


# What opens an infinitive's object ("Installer un paquet", "Installer des paquets",
# "Compiler du code"); a noun that ends like an infinitive is followed by "de" ("Structure
# d'un paquet", "Fichier de configuration") or "à" ("Fichier à modifier") instead.
_OBJECT_OPENERS = frozenset(
    [
        "le",
        "la",
        "les",
        "l",
        "un",
        "une",
        "des",
        "du",
        "son",
        "sa",
        "ses",
        "leur",
        "leurs",
        "ce",
        "cet",
        "cette",
        "ces",
        "mon",
        "ma",
        "mes",
        "votre",
        "vos",
    ]
)
# A French infinitive: the first and second groups' -er and -ir, and the third group's -re
# endings (prendre, mettre, construire, écrire, connaître, suivre, résoudre, conclure,
# faire…), which nouns in -re seldom have (structure, fenêtre, chapitre, mémoire, nombre).
_INFINITIVE = re.compile(
    r"\w{2,}(?:er|ir|ndre|ttre|uire|[^oa]ire|aitre|vre|ompre|oudre|clure)|(?:\w*f|pl|t)aire|[dlr]ire"
)


def _french_action(heading: str) -> bool:
    """Does a French heading read as an action: an infinitive, then its object (a
    determiner or a name: "Configurer Apache"), or a reflexive one ("Se connecter à
    distance", "S'abonner à la liste")?"""
    words = re.findall(r"\w+", re.sub(r"(?<=\b[sSlLdD])['’]", " ", heading))
    if len(words) < 2:
        return False
    first, second = fold(words[0]), words[1]
    if first in {"se", "s"}:
        return bool(_INFINITIVE.fullmatch(fold(second)))
    return bool(_INFINITIVE.fullmatch(first)) and (
        fold(second) in _OBJECT_OPENERS or second[:1].isupper()
    )


def _language_of(sentence: str, passage: Passage, default: str) -> str:
    return passage.language or question_language(sentence, default)


def _candidates(passage: Passage, language: str, context: str) -> list[Candidate]:
    out: list[Candidate] = []
    for sentence in _sentences(passage):
        if not _reads_as_prose(sentence):
            continue  # a line of code or its output: ">>> f.write('This is a test')"
        if _language_of(sentence, passage, language) != language:
            out.extend(_neutral(sentence, language, context))
            continue
        shaped = list((_french if language == "fr" else _english)(sentence, context))
        out.extend(shaped or _neutral(sentence, language, context))
    same = (passage.language or language) == language
    for heading in (passage.heading, passage.title):
        if same and (found := _from_heading(heading, language)):
            out.append(found)
    return out


_CODE_OPENING = (">>>", "...", "#", "$", "//")


def _reads_as_prose(sentence: str) -> bool:
    """A sentence of words, not a line of code, a prompt's line or a comment in a program."""
    text = sentence.lstrip()
    return (
        not text.startswith(_CODE_OPENING)
        and not looks_like_code(text)
        and mostly_words(text, PROSE_WORDS)
    )


def _new_topic(candidate: Candidate, asked: set[str], language: str) -> bool:
    """Whether the candidate is about something the question did not ask."""
    terms = key_terms(candidate.topic, language)
    return bool(terms) and coverage(terms, asked) <= 0.5


def related_questions(
    question: str, passages: Sequence[Passage], language: str, k: int = 3
) -> list[str]:
    """Up to ``k`` questions on what the passages say and the question did not ask."""
    asked = stems(question, language)
    context = "\n".join(p.text for p in passages)
    queues = [_candidates(p, language, context) for p in passages]
    seen = {fold(question).strip(" ?")}
    topics: set[frozenset[str]] = set()
    out: list[str] = []
    while any(queues) and len(out) < k:
        for queue in queues:
            while queue:
                candidate = queue.pop(0)
                key = fold(candidate.question).strip(" ?")
                topic = frozenset(t.stem for t in key_terms(candidate.topic, language))
                if (
                    key in seen
                    or topic in topics
                    or len(candidate.question) > MAX_QUESTION_CHARS
                    or not _new_topic(candidate, asked, language)
                ):
                    continue
                seen.add(key)
                topics.add(topic)
                out.append(candidate.question)
                break
            if len(out) == k:
                break
    return out


RELATED_PROMPT = (
    "Suggest three short follow-up questions a reader could ask next, in {language}, "
    "answerable from the sources. One per line, no numbering."
)


def related_with_llm(
    llm: LLM, question: str, passages: Sequence[Passage], language: str, k: int = 3
) -> list[str]:
    """The model's suggestions, completed by the extractive ones if it gives fewer than ``k``."""
    titles = "\n".join(f"- {p.heading.split(' > ')[-1] or p.title}" for p in passages)
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
