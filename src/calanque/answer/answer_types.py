"""What a question asks for, and whether a sentence holds that kind of thing.

Answer types, French and English: a person (*who / qui*), a date (*when / quand*), a
place (*where / où*), a quantity (*how many / combien*), a price, a definition (*what is
/ qu'est-ce que*), a procedure (*how / comment*), a command or named tool (*which
command / quel paquet*), a file or folder (*which file / quel fichier*), a reason (*why /
pourquoi*), a key (*which key / quelle touche*), a contact (*what phone number / quel
numéro de poste*), an e-mail address (*what email address / quelle adresse e-mail*), a
version (*since which dpkg version / quelle version*). :func:`asked_types` reads them from
the question's wording, its cue words or a head noun a few words after its question word;
:func:`held_types` says which of them a sentence can answer: a date holds a year or a
month, a quantity a number that is not a year, nor a date's day, a time of day or a
manual page's section (``20 August``, ``9:00``, ``uscan(1)``), a person or a place a proper name (a person
also an e-mail address or a phone number: whom to write to), a file a path, a procedure an
instruction or a command line, a definition a copula, a key a key as manuals write one
(``C-y``, ``Shift+u``, ``RET``), a contact a phone number or an e-mail address, an e-mail
address only an e-mail address (an extension, ``poste 4512``, is no answer to it), a
version a version or release number (``dpkg 1.16.1``, ``bash-4.0``, ``Debian 12``, not
``Chapter 12``).

The cue words are data (``answer/data/answer_types.json``), shared by every domain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from calanque.answer.claims import (
    links,
    months,
    names,
    normalise,
    quantities,
    technical_tokens,
    vocabulary,
)
from calanque.answer.language import fold
from calanque.answer.sentences import looks_like_code

TYPES = (
    "person",
    "date",
    "place",
    "quantity",
    "price",
    "definition",
    "procedure",
    "command",
    "path",
    "reason",
    "key",
    "contact",
    "email",
)
_YEAR = re.compile(r"^(1[0-9]|20)\d\d$")
_PATH = re.compile(r"(^|[\s(«\"'`])(~?/[\w.+-]+)+/?|\b[\w-]+\.(?:[a-z]{1,4}\d?|d)\b")
_OPTION = re.compile(r"(^|\s)--?[a-zA-Z][\w-]*")
_ALL_CAPITALS = re.compile(r"\b[A-Z]{2,}s?\b")  # GNOME, KDE, HTTP: names, not commands


@cache
def _data() -> dict[str, Any]:
    text = resources.files("calanque.answer").joinpath("data/answer_types.json").read_text("utf-8")
    return dict(json.loads(text))


def cue_data() -> dict[str, Any]:
    """The cue words of ``answer/data/answer_types.json`` (shared by the question readers)."""
    return _data()


def _padded(text: str) -> str:
    words = re.sub(r"[^\w' -]+", " ", normalise(text))
    return f" {' '.join(words.split())} "


def _has_cue(padded: str, cues: list[str]) -> bool:
    """A cue anywhere as whole words, or opening the text, where it may end inside a word
    (``qu'est-ce qu`` opens ``qu'est-ce que…`` and ``qu'est-ce qu'un…``)."""
    return any(f" {cue} " in padded or padded.startswith(f" {cue}") for cue in cues)


# "doivent-ils", "a-t-il", "peut-elle": a French question's inverted subject
_INVERSION = re.compile(r"\w-(?:t-)?(?:il|elle|ils|elles|on|je|nous)\b", re.IGNORECASE)


def asks_yes_or_no(question: str) -> bool:
    """Does the question ask yes or no ("Should programs…?", "Les programmes doivent-ils…?")?

    It opens with an auxiliary or ``est-ce que``, or its subject is inverted before any
    question word (``Quand le gel a-t-il commencé ?`` asks for a date).
    """
    padded = _padded(question)
    if _second_question().search(" ".join(normalise(question).split())):
        return False  # "Is there a format, and where is it specified?" asks both
    if any(padded.startswith(f" {cue} ") for cue in _data()["yes_no_openers"]):
        return True
    inverted = _INVERSION.search(question)
    if inverted is None:
        return False
    before = set(_padded(question[: inverted.start()]).replace("'", " ").split())
    return not before & set(_data()["question_words"])


@cache
def _second_question() -> re.Pattern[str]:
    """A question word after "and", "or", "et", "ou" or a comma: a second question."""
    asked = "|".join(_data()["question_words"])
    return re.compile(rf"(?:,|\band|\bor|\bet|\bou)\s+(?:{asked})\b")


def asked_types(question: str) -> frozenset[str]:
    """The answer types the question asks for (empty when it does not say, or when it asks
    yes or no)."""
    if asks_yes_or_no(question):
        return frozenset()
    data = _data()
    padded = _padded(question)
    raw = f" {' '.join(question.lower().split())} "
    positional = data["positional_cues"]
    apart = {fold(cue) for cues in positional.values() for cue in cues}
    found = {
        kind
        for kind, cues in data["question_cues"].items()
        if _has_cue(padded, [c for c in cues if c not in apart])
    }
    found |= {
        kind
        for kind, cues in data["question_cues_raw"].items()
        if _has_cue(raw, [c for c in cues if c not in positional.get(kind, ())])
    }
    found |= {
        kind
        for kind, cues in positional.items()
        if _asks_at_start(question, cues, opening_clause=kind == "date")
    }
    found |= _asked_by_heads(padded)
    if _has_cue(padded, data["naming_cues"]):
        found.discard("procedure")  # "Comment s'appelle…?" asks for a name
    if "price" in found:
        found.discard("quantity")  # a price is an amount of money, not any number
    if "key" in found and not any(f" {cue} " in padded for cue in data["question_cues"]["key"]):
        found.discard("key")  # "What keyword…?", "Which keyring…?": not a key to press
    if "quantity" in found:
        found.discard("key")  # "What key size…?" asks for a number of bits
    if "path" in found and _has_cue(
        padded, [c for c in data["question_cues"]["path"] if c not in apart]
    ):
        found.discard("place")  # "which file…", "quel répertoire…": a path, not a place
    elif "path" in found:
        found.add("place")  # "where is…", "où se trouve…": a file, or a place
    if found & {"contact", "email"}:
        found -= {"quantity", "place"}  # "quel est le numéro…", "l'adresse e-mail": no amount
    if found & {
        "command",
        "path",
        "date",
        "quantity",
        "price",
        "person",
        "contact",
        "email",
        "version",
    }:
        found.discard("definition")  # "what is the file that…" asks for the file
    return frozenset(found)


def _asked_by_heads(padded: str) -> set[str]:
    """The types a question asks by a head noun a few words after its question word:
    "Since which dpkg version…", "What minimum OpenCV version…", "What default port
    number…" (``question_heads`` of the data file)."""
    words = padded.split()
    auxiliaries = {w for cue in _data()["yes_no_openers"] for w in cue.split()}
    found: set[str] = set()
    for rules in _data()["question_heads"].values():
        for asker in rules["askers"]:
            size = len(asker.split())
            for start in range(len(words) - size + 1):
                if " ".join(words[start : start + size]) != asker:
                    continue
                for offset, word in enumerate(
                    words[start + size : start + size + rules["gap"] + 1]
                ):
                    kinds = {k for k, nouns in rules["heads"].items() if word in nouns}
                    if kinds:
                        found |= kinds
                        break
                    if word in auxiliaries or offset == rules["gap"]:
                        break
    return found


# A question's words are read in its first this many characters (the API takes 20,000).
READ_CHARS = 400
_CONJUNCTIONS = frozenset({"and", "et", "or", "ou", "but", "mais"})
# an inverted or embedding verb before the cue: "définit-on qui", "savez-vous qui"
_ASKING_VERB = re.compile(r"\w-(?:t-)?(?:il|elle|ils|elles|on|vous|tu|je|moi|nous)$")
# after when / quand, a question goes on with a verb: "When was…", "Quand est-elle…"
_QUESTION_VERB = re.compile(
    r"^\s*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|"
    r"[\w'’]+-(?:t-)?(?:il|elle|ils|elles|on))\b"
)


def _asks_at_start(question: str, cues: list[str], opening_clause: bool = False) -> bool:
    """Does one of ``cues`` (``qui``, ``when``, ``où``…) ask in ``question``, rather than
    relate a clause to the noun before it (``la version qui a introduit apt``, ``the logs
    when storage is persistent``)? It asks where a question starts: as the first word,
    after lead-in words only (``Et qui…``, ``and until when``), after a full stop or a
    question mark, after an inverted or embedding verb (``définit-on qui``, ``savez-vous
    qui``, ``tell me who``; but ``quand`` after ``Quel code renvoie-t-il`` opens a clause of
    time: a question word came before), after a conjunction (``… and who proposed them?``), after a
    comma with no question word before it (``Besides Ian Murdock, who was…``) or after a
    clause opened by ``when``, ``quand``, ``if``…; and it asks as the question's last word
    (``Debian 12 est sortie quand ?``). With ``opening_clause``, a cue opening a clause
    that a comma closes before another question word, and not followed by a verb, is a
    conjunction (``When I uninstall foo, why…``; not ``When was Woody released, and
    who…``)."""
    data = _data()
    pattern = "|".join(re.escape(cue) for cue in cues)
    text = " ".join(question[:READ_CHARS].lower().split())
    lead_in, asking = set(data["lead_in_words"]), set(data["question_words"])
    embedding = set(data["embedding_words"])
    words = [(m.start(), fold(m.group(0))) for m in re.finditer(r"[\w'-]+", text)]
    for match in re.finditer(rf"(?<![\w'-])(?:{pattern})(?![\w'-])", text):
        subordinate = fold(match.group(0)) in data["subordinators"]
        after = text[match.end() :]
        if not after.strip(" ?？!.»\"'"):
            return True  # "… sortie quand ?"
        if (
            opening_clause
            and not _QUESTION_VERB.match(after)
            and _closed_before_a_question(after, asking)
        ):
            continue
        before = text[: match.start()].rstrip()
        seen = [w for at, w in words if at < match.start()]
        if not seen or set(seen) <= lead_in or before.endswith((".", "?", "!", ":")):
            return True
        last = seen[-1]
        embedded = last.split("-")[0] in embedding  # "savez-vous quand", "sait-on quand"
        if _ASKING_VERB.search(last) and set(seen[:-1]) & asking and subordinate and not embedded:
            continue  # "Quel code renvoie-t-il quand une commande…": a clause of time
        if _ASKING_VERB.search(last) or last in embedding or last in _CONJUNCTIONS:
            return True
        if last in lead_in and len(seen) > 1 and seen[-2] in _CONJUNCTIONS:
            return True  # "… and until when"
        opening = seen[0] in data["subordinators"]  # "Quand plusieurs paquets…, qui doit…"
        if before.endswith(",") and (opening or not set(seen) & asking):
            return True
    return False


def _closed_before_a_question(after: str, asking: set[str]) -> bool:
    """Does a comma close the clause in ``after`` before a question word (``…, why…``)?"""
    if "," not in after:
        return False
    rest = re.findall(r"[\w'-]+", after.split(",", 1)[1])[:3]
    return any(fold(word) in asking for word in rest)


# What a program prints, quoted in a console transcript: "dpkg-source: info: extracting…",
# "gpg: key 1234…", "E: Unable to locate…", "Get:1 http://…". Not a step to take.
_OUTPUT = re.compile(
    r"^\s*(?:[\w.+-]+: (?:info|warning|error|note|notice|key|debug|fatal)\b"
    r"|(?:E|W|N|Get|Hit|Ign|Err):\S*\s)",
    re.IGNORECASE,
)


def program_output(sentence: str) -> bool:
    """Is ``sentence`` a line a program printed (``dpkg-source: info: extracting…``)?"""
    return bool(_OUTPUT.match(sentence))


@lru_cache(maxsize=16384)
def held_types(sentence: str) -> frozenset[str]:
    """The answer types ``sentence`` can answer (none for a line a program printed).

    Kept for the sentences seen last: an answer reads it for each of its ~100 candidate
    sentences (about a third of the extractive writer's time), and the next questions of a
    thread or a topic read the same passages."""
    if program_output(sentence):
        return frozenset()
    data = _data()
    padded = _padded(sentence)
    found: set[str] = set()
    amounts = quantities(sentence)
    # read again without its dates and times only where a number may be an amount
    versions = list(_versions(sentence))
    if any(not all(_YEAR.match(v) for v in q.values) for q in amounts) and _counts(
        _without(sentence, versions)
    ):
        found.add("quantity")  # "Python 2", "dpkg 1.16.1": a version, not an amount
    if any(_YEAR.match(v) for q in amounts for v in q.values) or months(sentence):
        found.add("date")
    elif (
        _has_cue(padded, data["evidence"]["date"])
        or weekdays(sentence)
        or _matches("time_patterns", normalise(sentence))
    ):
        found.add("date")  # a weekday, a recurrence or a time of day: "every night at 2 am"
    if any(set(q.units) & set(data["currency_units"]) for q in amounts) or _has_cue(
        padded, data["evidence"]["price"]
    ):
        found.add("price")
    if names(sentence):
        found |= {"person", "place"}
    elif _has_cue(padded, data["evidence"]["place"]):
        found.add("place")  # "dans l'armoire grise à côté de la cuisine", "on the 2nd floor"
    if any("@" in link for link in links(sentence)):
        found |= {"person", "contact", "email"}  # "please contact maintainers@gnu.org"
    if any(link.startswith("tel:") for link in links(sentence)):
        found |= {"person", "contact"}
    if _matches("contact_patterns", sentence):
        found |= {"person", "contact"}  # whom to call: "01 23 45 67 89", "poste 4512"
    if _PATH.search(sentence):
        found.add("path")
    code = looks_like_code(sentence) or "`" in sentence or bool(_OPTION.search(sentence))
    tokens = technical_tokens(sentence)
    if code or tokens:
        found.add("command")
    # a command line or a command's name is a step; a product's name in capitals is not
    steps = tokens - {normalise(a) for a in _ALL_CAPITALS.findall(sentence)}
    if code or steps or _has_cue(padded, data["evidence"]["procedure"]):
        found.add("procedure")
    for kind in ("definition", "reason"):
        if _has_cue(padded, data["evidence"][kind]):
            found.add(kind)
    if _key().search(sentence):
        found.add("key")
    if versions:  # "dpkg 1.16.1", "bash-4.0", "Debian 12"; not "Chapter 12", "August 20"
        found.add("version")
    return frozenset(found)


def _without(sentence: str, matches: list[re.Match[str]]) -> str:
    """``sentence`` with ``matches`` (of it, not overlapping) blanked out."""
    for match in sorted(matches, key=lambda m: -m.start()):
        sentence = f"{sentence[: match.start()]} {sentence[match.end() :]}"
    return sentence


def _versions(sentence: str) -> Iterator[re.Match[str]]:
    """The versions or releases ``sentence`` writes (``version_patterns``), without
    overlaps: not a document's part (``Chapter 12``) nor a date (``August 20``)."""
    taken: list[tuple[int, int]] = []
    not_names = _not_version_names()
    for pattern in _patterns("version_patterns"):
        for match in pattern.finditer(sentence):
            name = fold(match.group(0).split()[0].split("-")[0])
            if name in not_names or name in vocabulary().months:
                continue
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append(match.span())
            yield match


@cache
def _not_version_names() -> frozenset[str]:
    return frozenset(_data()["evidence"]["not_version_names"])


def _counts(sentence: str) -> bool:
    """Does ``sentence`` hold a number that is an amount, not a date's year or day (``20
    August``, ``du 1er au 15 juillet``, ``May 3rd, 2019``, ``20.08.2024``), a time of day
    (``at 9:00``, ``à 14h30``, ``9 am``) or a manual page's section (``uscan(1)``)?

    A duration (``dure 2h30``, ``48 h``) and a ratio (``a 16:10 screen``) stay amounts; a
    month word that is also another word (``may``, ``Mars``, ``AVR``, ``sept``) makes a
    date only before a year, a full stop or the sentence's end (``Up to 32 may be
    attached``)."""
    text = _CLOCK.sub(" ", " ".join(sentence.lower().split()))
    text = _not_amounts().sub(" ", fold(text))
    return any(not all(_YEAR.match(v) for v in q.values) for q in quantities(text))


_HOUR = r"(?:[01]?\d|2[0-3])"
# a time of day, read before accents are folded (French "à" is not the English article "a")
_CLOCK = re.compile(
    rf"(?:(?<=\s)|^)(?:at|from|to|until|till|by|around|between|and|à|vers|dès|de|des|et|entre)"
    rf"\s+{_HOUR}(?:\s?:\s?[0-5]\d|\s?h\s?[0-5]\d|\s?h\b)(?![\d:])"
    rf"|\b{_HOUR}\s?[ap]\.?m\b\.?"
)


@cache
def _not_amounts() -> re.Pattern[str]:
    """Dates and manual pages' sections in a folded text (see :func:`_counts`)."""
    month_words = sorted(vocabulary().months, key=len, reverse=True)
    plain = "|".join(re.escape(m) for m in month_words if len(m) > 4)
    # "may", "mars", "jan", "avr", "sept": a date only before a year, a full stop or the end
    other = "|".join(re.escape(m) for m in month_words if len(m) <= 4)
    ends = r"(?=\.|\s*(?:,\s*)?\d{4}\b|\s*[,;:)!?]|\s*$)"
    day = r"\d{1,2}(?:er|st|nd|rd|th)?"
    span = rf"{day}(?:\s*(?:-|–|to|and|au|et|,)\s*{day})*"
    days = rf"(?:the\s+)?{span}(?:\s+of)?"
    after = r"(?=\s*(?:[,.;:)!?]|$|\d{4}\b|at\b|a\b|to\b|and\b|au\b|et\b))"
    return re.compile(
        rf"\b{days}\s+(?:(?:{plain})\b\.?|(?:{other})\b{ends}\.?)"
        rf"|\b(?:{plain})\b\.?\s+{span}\b{after}|\b(?:{other})\.\s+{span}\b"
        rf"|\b(?:{other})\s+{day}\b(?=\s*(?:,\s*)?\d{{4}}\b)"
        r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b"
        r"|(?<![\w.+-])[a-z][\w.+-]*\(\d[a-z]{0,3}\)"
    )


def weekdays(text: str) -> set[int]:
    """The weekdays ``text`` names, 1 (Monday) to 7, in French or English."""
    words = set(_padded(text).split())
    return {number for number, names in _weekday_names().items() if words & names}


@cache
def _weekday_names() -> dict[int, frozenset[str]]:
    return {int(n): frozenset(names) for n, names in _data()["weekdays"].items()}


def _matches(key: str, text: str) -> bool:
    """Does one of the data file's ``evidence[key]`` patterns match ``text``? Times of day
    (``time_patterns``: ``14h30``, ``02:00``, ``à 2 h``), phone numbers and extensions
    (``contact_patterns``: ``01 23 45 67 89``, ``poste 4512``)."""
    return any(p.search(text) for p in _patterns(key))


@cache
def _patterns(key: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in _data()["evidence"][key])


@cache
def _key() -> re.Pattern[str]:
    """A key as a manual writes it (``C-y``, ``Ctrl+Alt+F1``, ``Shift+u``, ``RET``, ``^C``,
    ``la touche Entrée``, ``the u key``); the modifiers and the named keys are data
    (``keys``)."""
    keys = _data()["keys"]
    cased = "|".join(map(re.escape, keys["modifiers_cased"]))
    modifiers = "|".join(map(re.escape, keys["modifiers"]))
    named = "|".join(map(re.escape, keys["named"]))
    words = "|".join(map(re.escape, keys["key_words"]))
    names = "|".join(map(re.escape, keys["key_names"]))
    chord = (
        rf"(?:(?:{cased}|(?i:{modifiers}))\s?[-+]\s?)+"
        rf"(?:[^\W_](?![\w+])|F\d{{1,2}}\b|(?:{named})\b)"
    )
    return re.compile(
        rf"(?<![\w-])(?:{chord}|(?:{named})(?![\w-])|\^[A-Z]\b)"
        rf"|(?i:\b(?:{words})\s+[«\"“]?\s?[^\W_]+)"
        rf"|(?i:\b(?:[b-z]|F\d{{1,2}}|{names})\s+keys?\b)"  # "a key" is no key named
    )


# a field's label before its text: "Description : Cette option…", "Note: It…" (a word in
# lower case or in capitals names the term itself: "lowmem: Ce paramètre…" is about it)
_LABEL = re.compile(r"^\s*[A-ZÀ-Ý][a-zà-ÿ'’-]+(?:\s+[\w'’-]+){0,2}\s?:\s+(?=\S)")


def refers_back(sentence: str) -> bool:
    """Does ``sentence`` open with a pronoun or a demonstrative (``This release…``, ``Elle…``),
    after a field's label if it has one (``Description : Cette option…``), or hold a phrase
    (``à cette époque``) that points to the sentence before it?"""
    data = _data()["anaphora"]
    padded = _padded(_LABEL.sub("", sentence, count=1))
    first = padded.split()[:2]
    opener = " ".join(first[:1]), " ".join(first)
    return any(o in data["openers"] for o in opener) or _has_cue(padded, data["phrases"])


def announces(sentence: str) -> bool:
    """Does ``sentence`` announce what follows it (``La commande suivante relance…``,
    ``Schedule a job by the following.``), not merely use such a word (``the command
    following the final &&``, ``Suivant les cas…``)? Cues: ``announcers`` (data)."""
    data, padded = _data()["announcers"], _padded(sentence)
    return _has_cue(padded, data["phrases"]) or any(
        padded.endswith(f" {ending} ") for ending in data["endings"]
    )


def points_elsewhere(sentence: str) -> bool:
    """Does ``sentence`` open by sending the reader elsewhere (``See Section 11.7…``,
    ``Pour plus d'informations, consultez…``) rather than by saying something?"""
    padded = _padded(sentence)
    return any(padded.startswith(f" {cue} ") for cue in _data()["pointers"]["openers"])
