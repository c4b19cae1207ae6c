"""The checkable parts of a claim, and the checks a cited passage must pass.

A sentence that cites a passage makes claims a reader cannot check at a glance:
numbers and the units they count, dates, names, commands and paths, links and
contact details, and its polarity (what it says is *not* so). This module pulls
those out of a sentence and compares them with the passage, in French and English,
without a model:

* :func:`specifics_missing` — every number (``1 000`` = ``1,000``, ``3,5`` = ``3.5``,
  ``three`` = ``3``), month, unit bound to a number (``5 Go`` = ``5 GB``, not
  ``5 MB``), name, command, path, URL, e-mail address and phone number of the
  sentence must be in the passage;
* :func:`polarity` — whether a text negates (``not``, ``never``, ``ne … pas``,
  ``sans``…), compared between a sentence and the passage sentence it restates;
* :func:`quote_is_framed` — a quote cut from a longer sentence counts only when the
  rest of that sentence does not negate, condition or refute it
  (``You should not`` + *run apt-get upgrade…*; ``If X,`` + *Y*);
* :func:`injected` — text that addresses the model instead of the reader
  (``ignore previous instructions``).

The vocabulary (negation and condition cues, number words, months, units) is data:
``answer/data/claims.json``. Everything is compared folded (lower case, no accents).
"""

from __future__ import annotations

import bisect
import difflib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from calanque.answer.language import STOPWORDS, fold, function_compound, stem

# A link reads as far as a Markdown renderer takes it (answer/markdown.py writes that extent
# as an autolink): up to a space, "<", ">", a bracket, a backtick or a double quote (code's
# strings: '{"url":"https://…","retries":3}'), less the punctuation
# that ends the sentence around it (:func:`link_text`). Read shorter, the part checked
# would not be the part a reader's client links ("https://www.debian.org\"@evil.com").
URL = re.compile(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\[\]`\"]+", re.I)
# A host without a scheme: on a common top-level domain (not a file's extension: ".py",
# ".sh", ".md" are countries too), or with a path after it ("evil-payments.example/pay").
_BARE_HOST = re.compile(
    r"(?<![\w./-])(?:[a-z0-9][a-z0-9-]*\.)+(?:(?:com|net|org|info|biz|io|co|me|ly|app|dev|ai|"
    r"xyz|site|online|shop|eu|fr|de|uk|be|ch|ca|us|es|it|nl)\b(?![.-]\w)(?:/[^\s<>\[\]`\"]*)?"
    r"|[a-z]{2,24}/(?=\w)[^\s<>\[\]`\"]*)",
    re.I,
)
_LINK_TRAILER = ".,:;!?'\"»”’"  # ends the sentence or the quotation around a link
# an HTML entity written as text ("&amp;"), which Markdown renderers read as a character
ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# What a link's host is written with where a dot or an "@" is meant (IDNA reads them so)
_LOOKALIKES = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": ".", "\uff20": "@"})
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# International, French, North American (with or without the area code: "555-0199"),
# and groups joined by slashes ("0800/555/0199")
_PHONE = re.compile(
    r"(?<![\w.])(?:\+\d[\d\s().-]{7,}\d|0\d(?:[\s.-]?\d\d){4}|\(\d{3}\)\s?\d{3}-\d{4}|"
    r"\d{3}-\d{3}-\d{4}|(?<![\d/-])\d{3}-\d{4}(?![\d/-])|0\d{2,4}(?:/\d{2,4}){2,})"
    r"(?!\w|\.\d)"  # a sentence's period may follow
)
# A number, not a piece of another token ("x86-64", "2.6", "1/2"), but a sign or a decimal
# point that opens it after a space is its own ("-9 grams", ".75"): group 1, then group 2.
_NUMBER = re.compile(
    r"(?:(?<![^\s(\[])([-.])|(?<![\w.,/-]))"
    r"(\d{1,3}(?:[\u00a0\u202f ]\d{3})+(?![\d.,]\d)|\d+(?:[.,]\d+)*)"
    r"(?:\s?(?:er|re|ère|e|ème|eme|st|nd|rd|th)\b)?"
)
_AFTER_NUMBER = re.compile(
    r"\s?(?:(?:de |d'|of )\s?)?([%€$£°]\w?|[^\W\d_][^\W\d_/]*(?:/[^\W\d_]+)?(?: cent)?)"
)
_TOKEN = re.compile(r"[^\W_][\w.+/~@'’-]*[\w/+~]|[^\W_]")
# an option opens a word: after a space, a bracket, a quote or "=", not after ")" as in
# "mailcap(5)-format"
_OPTION = re.compile(r"(?<![^\s(\[{\"'`=])--?[a-zA-Z][\w-]*")
# punctuation, but not a comma or colon between two digits (1,811; 8,46; 10:30)
_PHRASE_BREAK = re.compile(r"[.!?…](?=\s|$)|[;()\[\]—–]|(?<!\d)[,:]|[,:](?!\d)")
_CLAUSE_BREAK = re.compile(
    _PHRASE_BREAK.pattern + r"|\s-\s|\b(?:but|whereas|while|although|though|and|or|mais|"
    r"tandis que|alors que|bien que|et|ou)\b",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2,}")
# A shell or make expansion: ``$HOME``, ``${!name[@]}``, ``$(< file)``, ``$@``, ``$?``; not
# an amount (``$5``, ``40 $CA``, ``5 millions $US``) nor a formula between dollars (``$x$``)
_EXPANSION = re.compile(
    r"(?<!\d\s)\$(?:\{[^{}\s]{1,40}\}|\([^()\n]{1,40}\)"
    r"|(?!(?:US|CA|CAN|AU|NZ|HK|SG)\b)[A-Za-z_]\w*(?!\$)|[@*#?!$-](?![\w$]))"
)
# A TeX or LaTeX command: ``\onecopy``, ``\exemplairepair``, ``\begin`` (not ``\n``)
_CONTROL_SEQUENCE = re.compile(r"(?<![\w\\])\\[A-Za-z@]{2,}")
# An operator written on its own: ``:::``, ``&&``, ``|>``, ``<-``, ``%in%``, ``**``; and a
# format escape: ``%Q``, ``%s`` (not a dash ``--``, an ellipsis, nor ``50 %``)
_OPERATOR = re.compile(
    r"(?<!\S)(?:%[A-Za-z_.]+%|(?!-+(?!\S))[:&|<>=!*~^+/-]{2,4}|%[A-Za-z](?![\w%]))(?=[\s,;.)]|$)"
)
_SENTENCE_START = re.compile(r"(^|[.!?:;]\s+|[«\"“(]\s*)$")


@dataclass(frozen=True)
class Vocabulary:
    negation: dict[str, frozenset[str]]
    condition: dict[str, tuple[str, ...]]
    suffix_condition: dict[str, tuple[str, ...]]
    concessive: tuple[str, ...]
    refuting: dict[str, tuple[str, ...]]
    unasserted: dict[str, tuple[str, ...]]
    refuting_suffix: dict[str, tuple[str, ...]]
    # what opens a sentence, or the rest after a quote, and frames all of it (folded tokens)
    opening_frames: tuple[tuple[str, ...], ...]
    closing_frames: tuple[tuple[str, ...], ...]
    injection: tuple[str, ...]
    number_words: dict[str, int]
    idiomatic_ordinals: frozenset[str]  # "first", "premier": no number in the other language
    months: dict[str, int]
    units: dict[str, frozenset[str]]
    unit_only_after_a_number: frozenset[str]
    not_units: tuple[str, ...]
    naming_nouns: frozenset[str]
    restrictive: frozenset[str]
    comparison: tuple[str, ...]
    contrast: tuple[str, ...]
    negative_prefixes: tuple[str, ...]
    negation_strict_fr: frozenset[str]
    negation_phrases: dict[str, tuple[str, ...]]
    not_negations: dict[str, tuple[str, ...]]
    antonyms: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    noun_markers: frozenset[str]
    passive_auxiliaries: tuple[str, ...]
    modality: dict[str, tuple[str, ...]]
    # only / always: {family: (words that say it, words that hold it)}
    scope: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


@cache
def vocabulary() -> Vocabulary:
    raw: dict[str, Any] = json.loads(
        resources.files("calanque.answer").joinpath("data/claims.json").read_text("utf-8")
    )
    units: dict[str, set[str]] = {}
    for canonical, surfaces in raw["units"].items():
        for surface in surfaces:
            units.setdefault(surface, set()).add(canonical)
    return Vocabulary(
        negation={k: frozenset(v) for k, v in raw["negation"].items()},
        condition={k: tuple(v) for k, v in raw["condition"].items()},
        suffix_condition={k: tuple(v) for k, v in raw["suffix_condition"].items()},
        concessive=tuple(raw["concessive"]),
        refuting={k: tuple(v) for k, v in raw["refuting"].items()},
        unasserted={k: tuple(v) for k, v in raw["unasserted"].items()},
        refuting_suffix={k: tuple(v) for k, v in raw["refuting_suffix"].items()},
        opening_frames=_frame_cues(raw["opening_frames"]),
        closing_frames=_frame_cues(raw["closing_frames"]),
        injection=tuple(raw["injection"]),
        number_words={w: n for lang in raw["number_words"].values() for w, n in lang.items()},
        idiomatic_ordinals=frozenset(raw["idiomatic_ordinals"]),
        months={name: int(n) for n, names in raw["months"].items() for name in names},
        units={k: frozenset(v) for k, v in units.items()},
        unit_only_after_a_number=frozenset(raw["unit_only_after_a_number"]),
        not_units=tuple(raw["not_units"]),
        naming_nouns=frozenset(raw["naming_nouns"]),
        restrictive=frozenset(raw["restrictive_suffix"]),
        comparison=tuple(raw["comparison"]),
        contrast=tuple(raw["contrast"]),
        negative_prefixes=tuple(raw["negative_prefixes"]),
        negation_strict_fr=frozenset(raw["negation_strict_fr"]),
        negation_phrases={k: tuple(v) for k, v in raw["negation_phrases"].items()},
        not_negations={k: tuple(v) for k, v in raw["not_negations"].items()},
        antonyms=tuple((tuple(a), tuple(b)) for a, b in raw["antonyms"]),
        noun_markers=frozenset(raw["noun_markers"]),
        passive_auxiliaries=tuple(raw["passive_auxiliaries"]),
        modality={k: tuple(v) for k, v in raw["modality"].items()},
        scope={k: (tuple(v["said"]), tuple(v["held"])) for k, v in raw["scope"].items()},
    )


def normalise(text: str) -> str:
    """Folded, one space between words, typographic apostrophes made plain."""
    return " ".join(fold(text).replace("’", "'").split())


def _folded_without(text: str, phrases: Iterable[str]) -> str:
    """``text``'s folded words, space-padded, with each of ``phrases`` taken out."""
    padded = f" {' '.join(_folded_words(text))} "
    for phrase in phrases:
        padded = padded.replace(f" {phrase} ", " ")
    return padded


def _folded_words(text: str) -> list[str]:
    """Folded words, French elisions cut (``d'euros`` → ``d``, ``euros``), ``n't`` kept whole."""
    return re.findall(r"[a-z]*n't|[a-z0-9]+|%|€|\$|£|°", normalise(text))


# --- numbers, units, months -------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A number as written, the values it may mean, and the units bound to it."""

    raw: str
    values: frozenset[str]
    units: frozenset[str]


def _values(raw: str) -> frozenset[str]:
    """What a written number may mean: ``"1,000"`` → 1000, or 1 read as a decimal, which
    only a number written with a separator matches (``"1.0"``, not ``"1"``: "1 user" is
    not "1,000 users"); ``"3,5"`` → 3.5."""
    compact = re.sub(r"[\u00a0\u202f ]", "", raw)
    out = {compact}
    separators = re.findall(r"[.,]", compact)
    groups = re.split(r"[.,]", compact)
    if not separators:
        out.add(str(int(compact)))
    elif len(separators) == 1:
        whole, part = groups
        decimal = _decimal(f"{whole}.{part}")
        if len(part) == 3:  # a thousands separator, or three decimals: as decimals, it
            # equals only a number written with a separator too ("1.500" is "1.5", "4,000"
            # is not "4")
            out |= {str(int(whole + part)), f"{_WRITTEN_DECIMAL}{decimal}"}
        else:
            out |= {decimal, f"{_WRITTEN_DECIMAL}{decimal}"}
    elif len(set(separators)) == 1 and all(len(g) == 3 for g in groups[1:]):
        out.add(str(int("".join(groups))))
    return frozenset(out)


_WRITTEN_DECIMAL = "d:"  # a value read from digits written with a decimal separator


def _decimal(text: str) -> str:
    whole, _, part = text.partition(".")
    part = part.rstrip("0")
    return f"{int(whole)}.{part}" if part else str(int(whole))


def quantities(text: str) -> list[Quantity]:
    """Numbers written with digits or words, each with the units that follow it."""
    vocab = vocabulary()
    folded = normalise(text)
    found: list[Quantity] = []
    for match in _NUMBER.finditer(folded):
        unit = _unit_after(folded[match.end() :], vocab)
        sign, digits = match.group(1) or "", match.group(2)
        if sign == ".":
            digits, sign = f"0.{digits}", ""
        values = frozenset(f"{sign}{v}" for v in _values(digits))
        found.append(Quantity(f"{sign}{digits}", values, unit))
    for match in re.finditer(r"[a-z]+", folded):
        value = vocab.number_words.get(match.group(0))
        if value is not None:
            unit = _unit_after(folded[match.end() :], vocab)
            found.append(Quantity(match.group(0), frozenset({str(value)}), unit))
    return found


def _unit_after(rest: str, vocab: Vocabulary) -> frozenset[str]:
    match = _AFTER_NUMBER.match(rest)
    if not match:
        return frozenset()
    token = match.group(1)
    for candidate in (token, token.split(" ")[0]):
        if candidate in vocab.units:
            return vocab.units[candidate]
    return frozenset()


def months(text: str) -> set[int]:
    """Months named next to a number (``12 mars 2014``, ``May 2019``): ``may`` alone is a verb."""
    vocab = vocabulary()
    tokens = _folded_words(text)
    found = set()
    for i, token in enumerate(tokens):
        month = vocab.months.get(token.rstrip("."))
        if month is None:
            continue
        near = tokens[max(0, i - 1) : i] + tokens[i + 1 : i + 2]
        if any(t[:1].isdigit() for t in near) or len(token) > 5:
            found.add(month)
    return found


# --- names, commands, links -------------------------------------------------------------


def link_text(url: str) -> str:
    """The link itself, without the punctuation that ends the sentence after it, a closing
    bracket that it does not open ("(see https://example.org/a)"), nor what follows an
    entity's text in it (a renderer shows "&amp;" in an autolink as "&")."""
    entity = ENTITY.search(url)
    url = url[: entity.start()] if entity else url
    while url and (
        url[-1] in _LINK_TRAILER or (url[-1] == ")" and url.count("(") < url.count(")"))
    ):
        url = url[:-1]
    return url


def links(text: str) -> set[str]:
    """URLs, e-mail addresses and phone numbers, each in a form to compare: a URL without
    its scheme, its host in lower case and the rest as written (a path's case matters to
    its server), an e-mail address in lower case, a phone number's digits."""
    text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    found = {_url_key(link_text(m.group(0))) for m in URL.finditer(text)}
    bare = URL.sub(" ", _EMAIL.sub(" ", text))
    found |= {_url_key(link_text(m.group(0))) for m in _BARE_HOST.finditer(bare)}
    found |= {m.group(0).lower() for m in _EMAIL.finditer(text)}
    return found | _phone_digits(text)


def _url_key(url: str) -> str:
    rest = re.sub(r"^(?:(?:https?|ftp)://)?(?:www\.)?", "", url, flags=re.I)
    host, slash, path = rest.partition("/")
    return f"{host.lower()}{slash}{path}".rstrip("/")


def link_held(link: str, held: Iterable[str], text: str = "") -> bool:
    """Is ``link`` (a :func:`links` form) one of ``held``, or a URL that one of them
    extends with a path, a query or a fragment on the same host (``debian.org`` for
    ``debian.org/doc/``; ``examplebank.co`` is not ``examplebank.com/download``)? A bare
    host is also held by ``text`` (the passage) naming it whole: in an e-mail address
    (``support@example.com``) or a name (``socket.io-client``)."""
    if link in held:
        return True
    if "@" in link or link.startswith("tel:"):
        return False
    if any(h.startswith(link) and h[len(link)] in "/?#" for h in held if len(h) > len(link)):
        return True
    if "/" in link or not text:
        return False
    return re.search(rf"(?<![\w.-]){re.escape(link)}(?!\w)", text.lower()) is not None


def _phone_digits(text: str) -> set[str]:
    return {"tel:" + re.sub(r"\D", "", m.group(0)) for m in _PHONE.finditer(text)}


def phrases(text: str) -> list[str]:
    """``text`` cut at punctuation only (a claim with its numbers stays whole: a comma or a
    colon between two digits, as in 1,811 or 8,46 or 10:30, cuts nothing)."""
    return [p.strip() for p in _PHRASE_BREAK.split(text) if p.strip()]


def clauses(text: str) -> list[str]:
    """``text`` cut at punctuation and coordinating conjunctions (where polarity can change)."""
    return [c.strip() for c in _CLAUSE_BREAK.split(text) if c and c.strip()]


def technical_tokens(text: str) -> set[str]:
    """Commands, paths, versions, options, TeX commands, operators, format escapes and
    CamelCase names: matched exactly."""
    out = {fold(m.group(0)) for m in _OPTION.finditer(text)}
    out |= {normalise(m.group(0)) for m in _EXPANSION.finditer(text)}
    out |= {fold(m.group(0)) for m in _CONTROL_SEQUENCE.finditer(text)}
    out |= {m.group(0) for m in _OPERATOR.finditer(text)}
    for match in _TOKEN.finditer(text):
        token = match.group(0).rstrip(".'’-")
        if (
            any(ch in token for ch in "/_.~+@")
            or _CAMEL.search(token[1:] if token else "")
            or any(ch.isdigit() for ch in token)
            and any(ch.isalpha() for ch in token)
        ):
            out.add(fold(token))
    return {t for t in out if len(t) > 1 and not re.fullmatch(r"[\d.,]+", t)}


# A manual page as Unix manuals cite it, with its section: ``dpkg(1)``, ``sources.list(5)``,
# ``printf(3p)``. The section is part of the name (``dhelp(8)`` is not ``dhelp(1)``), while
# a number in parentheses elsewhere is a phrase of its own.
_MANUAL_REFERENCE = re.compile(r"(?<![\w.+-])([A-Za-z][\w.+-]*)\((\d[a-z]{0,3})\)")


def manual_references(text: str) -> set[str]:
    """The manual pages ``text`` cites with their section, folded: ``{"dpkg(1)"}``."""
    return {f"{fold(m.group(1))}({m.group(2)})" for m in _MANUAL_REFERENCE.finditer(text)}


def _hyphenated(text: str) -> set[str]:
    """Hyphenated words (``dist-upgrade``), not compounds of function words (``celui-ci``)."""
    found = re.findall(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b", text)
    return {t for t in found if len(t) > 3 and not function_compound(t)}


def named_by_type(text: str) -> set[str]:
    """Words named by the noun before them: ``la commande id``, ``the package sudo``."""
    vocab = vocabulary()
    tokens = re.findall(r"[\w.+/~-]+", normalise(text))
    return {
        token
        for noun, token in zip(tokens, tokens[1:], strict=False)
        if noun in vocab.naming_nouns
        and token not in vocab.naming_nouns  # "binary package": a kind, not a name
        and token not in STOPWORDS
        and token not in vocab.passive_auxiliaries
        and not token.isdigit()
    }


def _family(tokens: list[str], joined: str, entries: tuple[str, ...]) -> bool:
    for entry in entries:
        if " " in entry:
            if f" {entry}" in joined:
                return True
        elif entry.endswith("$"):
            if entry[:-1] in tokens:
                return True
        elif any(t.startswith(entry) for t in tokens):
            return True
    return False


# no scope said: negated ("not only", "doesn't always", "pas seulement", "toujours pas"),
# modal ("can always": it stays possible) or in a compound ("read-only")
_UNSCOPED = re.compile(
    r"(?:\b(?:not|non|pas|never|jamais)|n't) (?:[\w'-]+ )?"
    r"(?:only|always|seulement|uniquement|toujours)\b"
    r"|\btoujours pas\b"
    r"|\b(?:est|sont|etait|etaient|sera|seront|reste|restent|restait|demeure|demeurent) toujours\b"
    r"|\b(?:can|could|may|peut|peuvent|pouvez|pourrez|pourra) (?:[\w'-]+ )?(?:always|toujours)\b"
    r"|\b[\w]+-only\b|\bonly-[\w]+"
)
# French "ne … que", "n'… qu'" restricts ("ne s'applique qu'aux…"), unless it negates
# ("il ne faut pas oublier que…")
_NE_QUE = re.compile(r"\bn(?:e |')((?:[\w'-]+ ){1,5}?)qu(?:e |')")
_NOT_RESTRICTING = frozenset({"pas", "plus", "jamais", "rien", "point", "guere", "aucun", "aucune"})


def _restricts_in_french(text: str) -> bool:
    return any(
        not set(m.group(1).split()) & _NOT_RESTRICTING for m in _NE_QUE.finditer(normalise(text))
    )


def scope_added(sentence: str, restated: str) -> str:
    """``only`` or ``always`` when ``sentence`` restricts or generalises what it says
    (``only``, ``toujours``, ``in all cases``) and the passage sentence it restates, in
    either language, has no word that does (``Only the maintainer can object`` over *the
    maintainer, any uploader or any team member can object*); "" otherwise."""
    said_text = _UNSCOPED.sub(" ", normalise(sentence))
    s_tokens, p_tokens = _folded_words(said_text), _folded_words(restated)
    s_joined, p_joined = f" {' '.join(s_tokens)} ", f" {' '.join(p_tokens)} "
    for family, (said, held) in vocabulary().scope.items():
        if not _family(s_tokens, s_joined, said):
            continue
        if _family(p_tokens, p_joined, held):
            continue
        if family == "only" and _restricts_in_french(restated):
            continue
        return family
    return ""


def contradiction(sentence: str, passage: str, same_language: bool = True) -> str:
    """A word of ``sentence`` whose opposite alone is in ``passage`` (``disable``/``activer``).

    Also when both sides are in both texts but bound to other things: the sentence
    *introduced powerpc* where the passage has *powerpc … dropped* (each word family is
    bound to the nearest name, command or number, within four words).
    """
    s_tokens, p_tokens = _folded_words(sentence), _folded_words(passage)
    s_joined, p_joined = f" {' '.join(s_tokens)} ", f" {' '.join(p_tokens)} "
    for one, other in vocabulary().antonyms:
        for a, b in ((one, other), (other, one)):
            says_a = _family(s_tokens, s_joined, a) and not _family(s_tokens, s_joined, b)
            if says_a and _family(p_tokens, p_joined, b) and not _family(p_tokens, p_joined, a):
                return f"{a[0].rstrip('$')}/{b[0].rstrip('$')}"
            for anchor in _bound(s_tokens, a, sentence):
                if _bound_in(p_tokens, anchor, b) and not _bound_in(p_tokens, anchor, a):
                    return f"{a[0].rstrip('$')}/{b[0].rstrip('$')} {anchor}"
    return _negated_word(set(s_tokens), set(p_tokens)) if same_language else ""


def _negated_word(s_words: set[str], p_words: set[str]) -> str:
    """``incompatible`` for ``compatible`` (or the reverse): one side negates the other's word."""
    prefixes = vocabulary().negative_prefixes
    for one, other in (
        (s_words - p_words, p_words - s_words),
        (p_words - s_words, s_words - p_words),
    ):
        for word in one:
            for prefix in prefixes:
                stem = word[len(prefix) :]
                if word.startswith(prefix) and len(stem) >= 5 and stem in other:
                    return f"{word}/{stem}"
    return ""


def _specific_words(text: str) -> set[str]:
    keys = {fold(n) for n in names(text)} | technical_tokens(text)
    return {k for k in keys if re.fullmatch(r"[a-z0-9]+", k)}


def _bound(tokens: list[str], family: tuple[str, ...], text: str) -> list[str]:
    """Specific words (names, commands) within four words of a word of ``family``."""
    specific = _specific_words(text)
    out = []
    for i, token in enumerate(tokens):
        if _family([token], f" {token} ", family):
            window = tokens[max(0, i - 4) : i + 5]
            out += [t for t in window if t in specific]
    return out


def _bound_in(tokens: list[str], anchor: str, family: tuple[str, ...]) -> bool:
    for i, token in enumerate(tokens):
        if token == anchor:
            window = tokens[max(0, i - 4) : i + 5]
            if _family(window, f" {' '.join(window)} ", family):
                return True
    return False


def names(text: str) -> list[str]:
    """Capitalised words that are not at the start of a sentence (proper nouns)."""
    out = []
    for match in _TOKEN.finditer(text):
        token = match.group(0).rstrip(".'’-")
        if not token or not token[0].isupper() or _SENTENCE_START.search(text[: match.start()]):
            continue
        if fold(token) in STOPWORDS or len(token) < 2:
            continue
        out.append(token)
    return out


# --- the checks -------------------------------------------------------------------------


def specifics_missing(sentence: str, passage: str, same_language: bool) -> list[str]:
    """What the sentence states that the passage does not hold (empty when all is there).

    Names are compared whole in the same language; across languages a name may be
    spelt differently (``Londres``/``London``), so its first four letters must match
    a word of the passage. Numbers, units, months, commands, paths and links are
    compared the same way in every language.
    """
    folded = normalise(passage)
    held = links(passage)
    missing = [link for link in links(sentence) if not link_held(link, held, passage)]
    missing += _missing_quantities(sentence, passage, same_language)
    passage_months = months(passage)
    missing += [f"month {m}" for m in months(sentence) if m not in passage_months]
    missing += [t for t in technical_tokens(sentence) if t not in folded]
    missing += [r for r in manual_references(sentence) if r not in manual_references(passage)]
    if same_language:  # a command named in one language is named the same way in the other
        # ... and a word the passage holds in another form is a verb, not a name: "the
        # packaging script sets it" where the passage says "will set"
        unnamed = [t for t in named_by_type(sentence) if t not in folded]
        if unnamed:  # the passage's words are stemmed only when a name is missing
            words = _folded_words(passage)
            passage_stems = {stem(w, "en") for w in words} | {stem(w, "fr") for w in words}
            missing += [t for t in unnamed if not (t.isalpha() and stem(t, "en") in passage_stems)]
    if same_language:  # dist-upgrade, full-upgrade: a hyphenated word is copied, not translated
        missing += [t for t in _hyphenated(sentence) if t not in folded]
    missing += _missing_names(sentence, folded, same_language)
    missing += [f"frame '{f}'" for f in frames(sentence) - frames(passage)]
    passage_units = unit_words(passage)
    missing += [f"unit {u}" for u in sorted(unit_words(sentence) - passage_units)]
    if same_language:  # across languages a quoted word may be translated (« Espagne »)
        missing += [f"quoted '{q}'" for q in quoted(sentence) if q not in folded]
    passage_ordinals = ordinals(passage)
    # Roman ordinals (``Ve dynastie``, ``XIXe siècle``); numbers in digits are checked above.
    missing += [f"ordinal {n}" for n in sorted(ordinals(sentence, True) - passage_ordinals)]
    return list(dict.fromkeys(missing))


_QUOTED = re.compile(r"[\"“«`]\s*([^\"“”«»`]{2,80}?)\s*[\"”»`]")


def quoted(text: str) -> list[str]:
    """What ``text`` puts in quotes (``"nodev"``, « Packages »), normalised.

    In the same language a quote is a literal: it must be in the passage as written.
    """
    return [q for q in (normalise(m.group(1)) for m in _QUOTED.finditer(text)) if q]


_ROMAN = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ORDINAL = re.compile(
    r"\b(?:(?P<roman>[IVXLCDM]+)|(?P<digits>\d+))"
    r"(?:e|er|re|ère|eme|ème|è|th|st|nd|rd)\b"
)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def ordinals(text: str, roman_only: bool = False) -> set[int]:
    """Ordinals written with a suffix: ``IVe``/``4e``/``4th``/``XIXe`` → 4, 4, 4, 19.

    A lone ``L``, ``C``, ``D`` or ``M`` is a word (``Le``, ``Ce``, ``De``, ``Me``), not 50e.
    """
    found = set()
    for match in _ORDINAL.finditer(text):
        roman, digits = match.group("roman"), match.group("digits")
        if digits and not roman_only:
            found.add(int(digits))
        elif roman and roman not in {"L", "C", "D", "M"} and _ROMAN.match(roman):
            found.add(_roman_value(roman))
    return found


def _roman_value(roman: str) -> int:
    values = [_ROMAN_VALUES[c] for c in roman]
    return sum(-v if v < next_ else v for v, next_ in zip(values, [*values[1:], 0], strict=True))


def quantities_missing(sentence: str, passage: str) -> list[str]:
    """Numbers of ``sentence`` (with their units) that ``passage`` does not hold."""
    return _missing_quantities(sentence, passage)


_DECIMAL = re.compile(r"\d+[.,]\d+")


def _as_written(raw: str) -> str:
    """A number with one decimal separator, its digits as written (``6,10`` → ``6.10``)."""
    return raw.replace(",", ".")


def _missing_quantities(sentence: str, passage: str, same_language: bool = True) -> list[str]:
    # a passage's "-20" may be a command's option ("head -20"): it holds 20 as well, while
    # a sentence's "-9" needs the sign in the passage
    available = [
        replace(q, values=q.values | {v[1:] for v in q.values if v.startswith("-")})
        for q in quantities(passage)
    ]
    missing = []
    idiomatic = set() if same_language else vocabulary().idiomatic_ordinals
    for q in quantities(sentence):
        if not q.units and fold(q.raw) in idiomatic:
            continue  # "the team first" is "d'abord", "de premier plan" is "leading"
        same = [p for p in available if p.values & q.values]
        if same and not q.units and _DECIMAL.fullmatch(q.raw):
            # without a unit a number may be a version, where a trailing zero counts:
            # kernel 6.10 is not 6.1, Python 3.10 not 3.1 (an amount has its unit)
            same = [
                p
                for p in same
                if not _DECIMAL.fullmatch(p.raw) or _as_written(p.raw) == _as_written(q.raw)
            ]
        if not same:
            missing.append(q.raw)
        elif q.units and not any(p.units & q.units for p in same):
            missing.append(f"{q.raw} {'/'.join(sorted(q.units))}")
    return missing


def _missing_names(sentence: str, folded_passage: str, same_language: bool) -> list[str]:
    """Names of the sentence not in the passage.

    In the same language a name is looked for whole. Across languages it may be spelt
    differently (``Boukhara``/``Bukhara``, ``Japon``/``Japan``): a passage word at least
    ``0.7`` similar (difflib ratio) will do, and a run of capitalised words (``Nobel Prize``,
    ``Debian Project Leader``) needs only one of its words found, since titles translate.
    """
    vocab = vocabulary()
    passage_words = set(re.findall(r"[a-z0-9]+", folded_passage))
    missing = []
    for run in _name_runs(sentence):
        keys = [fold(n) for n in run if fold(n) not in vocab.months]
        keys = [k for k in keys if k not in vocab.number_words]
        if not keys:
            continue
        if same_language:
            absent = [n for n, k in zip(run, keys, strict=False) if k not in folded_passage]
            phrase = " ".join(fold(n) for n in run)
            if len(run) > 1 and not absent and phrase not in folded_passage:
                absent.append(" ".join(run))  # "Free Software Foundation" for "Mozilla Foundation"
            missing += absent
        elif not any(_near(k, passage_words) or "." in k and k in folded_passage for k in keys):
            missing.append(" ".join(run))
    return missing


def _name_runs(sentence: str) -> list[list[str]]:
    """Names grouped by runs of capitalised words one space apart (``Nobel Prize``; not
    ``Zimbabwe–Botswana–Zambie``, three names)."""
    runs: list[list[str]] = []
    last_end = -10
    found = set(names(sentence))
    for match in _TOKEN.finditer(sentence):
        token = match.group(0).rstrip(".'’-")
        if token not in found:
            continue
        if runs and sentence[last_end : match.start()] in ("", " "):  # not across a dash
            runs[-1].append(token)
        else:
            runs.append([token])
        last_end = match.end()
    return runs


def _near(key: str, words: set[str]) -> bool:
    """Is a word of ``words`` ``key`` as another language may spell it (Londres/London)?
    Not ``key`` with a negative prefix: "Unstable" is not "Stable"."""
    if key in words:
        return True
    opposites = {prefix + key for prefix in vocabulary().negative_prefixes}
    words = {w for w in words if w not in opposites}
    if any(w.startswith(key[:4]) for w in words if len(key) > 4):
        return True
    return any(difflib.SequenceMatcher(None, key, w).ratio() >= 0.6 for w in words)


def unit_words(text: str) -> set[str]:
    """Units named in ``text`` with or without a number (``mois``, ``week``, ``%``).

    Not a unit word that is mostly something else without a number (``livre``, ``ton``:
    after a number, :func:`quantities` reads it), nor one inside a phrase where it is no
    unit (``mise à jour``, ``these days``)."""
    vocab = vocabulary()
    found: set[str] = set()
    for token in _folded_without(text, vocab.not_units).split():
        if token in vocab.unit_only_after_a_number:
            continue
        if (len(token) >= 3 or not token.isalpha()) and token in vocab.units:
            found |= vocab.units[token]
    return found


def negations(text: str, language: str) -> int:
    """How many negation cues ``text`` holds (``ne … pas`` and ``no longer`` count once;
    hedges made of negation words, ``sans doute`` or ``not only``, count none)."""
    vocab = vocabulary()
    tokens = _folded_without(text, vocab.not_negations.get(language, ())).split()
    padded = f" {' '.join(tokens)} "
    said = sum(padded.count(f" {p} ") for p in vocab.negation_phrases.get(language, ()))
    if language == "fr":
        strict = set(vocab.negation_strict_fr)
        has_ne = any(t in ("ne", "n") for t in tokens)
        count = sum(t in strict for t in tokens) + said
        weak = vocab.negation["fr"] - strict - {"ne", "n"}
        return count or int(has_ne and any(t in weak for t in tokens))
    cues = vocab.negation["en"]  # "no longer" counts by its "no"
    return sum(t in cues or t.endswith("n't") for t in tokens) + said


def polarity(text: str, language: str) -> bool:
    """True when ``text`` negates: ``not``, ``n't``, ``never``, ``ne … pas``, ``sans``…"""
    return negations(text, language) > 0


def negates(text: str) -> bool:
    """Negation in either language (a quote's language is not always known)."""
    return polarity(text, "fr") or polarity(text, "en")


def _has_cue(text: str, cues: tuple[str, ...]) -> bool:
    padded = f" {' '.join(_folded_words(text))} "
    return any(f" {cue} " in padded for cue in cues)


def _frame_tokens(text: str) -> list[str]:
    """Folded words and punctuation marks; apostrophes and hyphens part words
    (``n'est`` → ``n est``, ``dit-on`` → ``dit on``)."""
    return re.findall(r"\w+|[^\w\s'’-]", fold(text))


def _frame_cues(raw: dict[str, list[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(cue.split()) for language in ("en", "fr") for cue in raw[language])


def _opens_with(tokens: list[str], cues: tuple[tuple[str, ...], ...], closed: bool) -> bool:
    """Do ``tokens`` open with one of ``cues`` (with ``closed``: followed by a punctuation
    mark or nothing, so that ``in theory`` is not ``in theory and in practice``)?"""
    for cue in cues:
        if tuple(tokens[: len(cue)]) != cue:
            continue
        following = tokens[len(cue) : len(cue) + 1]
        if not closed or not following or not following[0][0].isalnum():
            return True
    return False


def quote_is_framed(before: str, after: str) -> bool:
    """Does the rest of a passage sentence negate, condition or refute a quote cut from it?

    Besides the cues read anywhere before or after the quote, a sentence that opens by
    hedging, dating or attributing all of it (``In the past,``, ``Legend has it that``,
    ``Before version 2.0,``, ``Il se peut que``), or a rest that opens by taking it back
    (``, which is no longer the case``, ``in older versions``), frames the quote
    (``opening_frames``, ``closing_frames``: matched where they open, nowhere else)."""
    vocab = vocabulary()
    if _opens_with(_frame_tokens(before.rsplit(";", 1)[-1]), vocab.opening_frames, closed=False):
        return True
    rest = _frame_tokens(after.split(";", 1)[0])
    while rest and not rest[0][0].isalnum():
        rest = rest[1:]
    if _opens_with(rest, vocab.closing_frames, closed=True):
        return True
    prefix_cues = vocab.condition["en"] + vocab.condition["fr"]
    prefix_cues += vocab.refuting["en"] + vocab.refuting["fr"]
    prefix_cues += vocab.unasserted["en"] + vocab.unasserted["fr"]
    # A semicolon ends a clause: what stands beyond it frames nothing of the quote.
    before = before.rsplit(";", 1)[-1] if ";" in before else before
    after = after.split(";", 1)[0]
    parts = clauses(before)
    own_clause = parts[-1] if parts and not re.search(r"[,;:(—–]\s*$", before) else ""
    conceded = _folded_without(before, vocab.concessive)  # "Même s'il est possible…": it is
    if negates(own_clause) or (conceded.strip() and _has_cue(conceded, prefix_cues)):
        return True
    suffix_cues = vocab.suffix_condition["en"] + vocab.suffix_condition["fr"]
    suffix_cues += vocab.refuting_suffix["en"] + vocab.refuting_suffix["fr"]
    if after.strip() and _has_cue(after, suffix_cues):
        return True
    # a restrictive relative clause cut off: "visible to other processes | that are members…,
    # but are invisible to…" restricts the quote when the rest of the sentence sets what it
    # restricts against something else (a contrast or a negation); "a group of volunteers |
    # who endeavor to…" only says more about it
    first = _folded_words(after)[:1]
    # (an aside in brackets or between dashes restricts nothing)
    restrictive = first and after.lstrip()[:1] not in ",;:.(—–" and first[0] in vocab.restrictive
    return bool(restrictive) and (negates(after) or _has_cue(after, vocab.contrast))


def frames(text: str) -> set[str]:
    """Refuting or hedging frames (``it is a myth that``, ``rumour has it``, ``prétendument``)."""
    vocab = vocabulary()
    padded = f" {' '.join(_folded_words(text))} "
    return {c for c in vocab.refuting["en"] + vocab.refuting["fr"] if f" {c} " in padded}


# A direction or a range: "from the lakes into the desert", "du nord au sud".
_RANGE = re.compile(r"\bfrom\b.+\b(?:to|into|until|till)\b|\b(?:du|depuis)\b.+\b(?:au|aux|jusqu)\b")


def reordered(sentence: str, source: str, stem: Callable[[str], str]) -> bool:
    """Does ``sentence`` copy ``source`` with its words put in another order (roles swapped)?

    Only for near-copies (five or more words found once in each, and at least 80% of the
    sentence's words in the source). Two shared words on either side of a third that
    changed sides is a swap (*the base services start first, followed by the desktop*
    against *the desktop starts first, followed by the base services*), unless one of the
    two is in the passive voice and the other not (*two architectures were added* /
    *added two architectures*). With 85% of the words shared, the source positions of the
    shared words, read in the sentence's order, must also increase but for one word moved
    (a phrase put first); two or more moved words, or one across a comparison (``than``,
    ``plutôt que``) or a range (``from … to``, ``du … au``), is a swap: *ships rather
    than boats* for *boats rather than ships*.
    """
    s_words = [stem(w) for w in _folded_words(sentence) if w.isalnum() and w not in STOPWORDS]
    p_words = [stem(w) for w in _folded_words(source) if w.isalnum() and w not in STOPWORDS]
    if not s_words:
        return False
    once = {w for w in s_words if s_words.count(w) == 1 and p_words.count(w) == 1}
    shared = sum(w in p_words for w in s_words) / len(s_words)
    if len(once) < 5 or shared < 0.8:
        return False
    positions = [p_words.index(w) for w in s_words if w in once]
    if _passive(sentence) != _passive(source):
        return False
    if _crossed(positions):
        return True
    if shared < 0.85:
        return False
    blocks = _blocks(positions)
    moved = len(blocks) - _longest_increasing(blocks)
    comparison = _has_cue(sentence, vocabulary().comparison) or bool(
        _RANGE.search(" ".join(_folded_words(sentence)))
    )
    return moved >= 2 or (moved == 1 and comparison)


def _crossed(positions: list[int]) -> bool:
    """Do two of ``positions`` (the source's, in the sentence's order) lie on either side of
    a third in the sentence and on the other sides of it in the source?"""
    for i, first in enumerate(positions):
        for k in range(i + 2, len(positions)):
            last = positions[k]
            if last < first and any(last < middle < first for middle in positions[i + 1 : k]):
                return True
    return False


# a participle's endings, English and French (folded): "added", "written", "demarree", "mis"
_PARTICIPLE = re.compile(r"[a-z]{2,}(?:ed|en|e|es|ee|ees|is|it|u|us)")


def _passive(text: str) -> bool:
    """Is a verb of ``text`` in the passive voice (an auxiliary, then a participle)?"""
    words = _folded_words(text)
    auxiliaries = vocabulary().passive_auxiliaries
    return any(
        word in auxiliaries
        and any(_PARTICIPLE.fullmatch(w) and w not in STOPWORDS for w in words[at + 1 : at + 3])
        for at, word in enumerate(words)
    )


def substituted(sentence: str, source: str, passage: str, stem: Callable[[str], str]) -> str:
    """A word put in place of another in a near-copy of ``source`` (``cork`` for ``leather``).

    Only for near-copies (eight or more words, at least 80% of them in order in
    ``source``): a replaced span of one or two content words whose words are nowhere in
    ``passage``, in place of one or two content words of ``source`` that the sentence does
    not hold, read as a noun phrase's (after ``by``, ``the``, ``in``, ``les``…: a verb put
    for another is usually a synonym, a noun or an adjective another thing). Returns
    ``"cork/leather"``, or ``""``.
    """
    s_words = _folded_words(sentence)
    p_words = _folded_words(source)
    s_stems = [stem(w) for w in s_words]
    p_stems = [stem(w) for w in p_words]
    if len(s_words) < 8:
        return ""
    matcher = difflib.SequenceMatcher(None, s_stems, p_stems, autojunk=False)
    if sum(b.size for b in matcher.get_matching_blocks()) < 0.8 * len(s_words):
        return ""
    in_passage = {stem(w) for w in _folded_words(passage)}
    in_sentence = set(s_stems)
    for op, s1, s2, p1, p2 in matcher.get_opcodes():
        if op != "replace" or s2 - s1 > 2 or p2 - p1 > 2:
            continue
        if p1 == 0 or p_words[p1 - 1] not in vocabulary().noun_markers:
            continue
        new = [i for i in range(s1, s2) if _content(s_words[i]) and s_stems[i] not in in_passage]
        old = [i for i in range(p1, p2) if _content(p_words[i]) and p_stems[i] not in in_sentence]
        if new and old:
            return f"{s_words[new[0]]}/{p_words[old[0]]}"
    return ""


def _content(word: str) -> bool:
    return word.isalpha() and len(word) > 2 and word not in STOPWORDS


def _blocks(positions: list[int]) -> list[int]:
    """Runs of words that follow each other in the source, each given by its first position:
    a phrase moved whole ("dans le quartier de Midtown" put first) is one move."""
    blocks: list[int] = []
    for i, position in enumerate(positions):
        if i == 0 or not 0 < position - positions[i - 1] <= 2:
            blocks.append(position)
    return blocks


def _longest_increasing(values: list[int]) -> int:
    tails: list[int] = []
    for value in values:
        at = bisect.bisect_left(tails, value)
        tails[at : at + 1] = [value]
    return len(tails)


def modality(text: str) -> str:
    """The strongest of must / should / may that ``text`` says (``""`` when none)."""
    padded = f" {' '.join(_folded_words(text))} "
    for strength, cues in vocabulary().modality.items():  # cues are folded words already
        if any(f" {cue} " in padded for cue in cues):
            return strength
    return ""


def conditional(text: str) -> bool:
    """Does ``text`` hold a condition (``if``, ``unless``, ``si``, ``sauf``…)?"""
    vocab = vocabulary()
    return _has_cue(text, vocab.condition["en"] + vocab.condition["fr"])


def injected(text: str) -> bool:
    """Does the text speak to the model (an instruction planted in a page)?"""
    padded = f" {normalise(text)} "
    padded = re.sub(r"[^\w' ]+", " ", padded)
    padded = f" {' '.join(padded.split())} "
    return any(f" {cue} " in padded for cue in vocabulary().injection)


_PIECE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_][\w'’-]*[^\W_]|[^\W_]|[,;:.!?()\[\]«»\"“”—–]")
_BREAK = frozenset(',;:.!?()[]«»"“”—–')
SPECIFIC_KINDS = ("number", "name")
_SHORT_ACRONYM = re.compile(r"[A-Z]{2,3}s?")  # CD, GUI, DNS: common nouns of a field


def _pieces(text: str) -> list[tuple[str, str]]:
    """``text`` as (folded token, kind): number, name (capitalised, not first of its
    sentence), word (content), stop, or break (punctuation that ends a phrase)."""
    out: list[tuple[str, str]] = []
    for match in _PIECE.finditer(text):
        raw = match.group(0)
        token = fold(raw)
        if raw in _BREAK:
            kind = "break"
        elif raw[0].isdigit():
            kind = "number"
        elif raw[0].isupper():  # first of its sentence: a name or a capitalised common word
            first = not out or out[-1][0] in ".!?:"
            kind = "stop" if first or _SHORT_ACRONYM.fullmatch(raw) else "name"
        elif token.isalpha() and len(token) > 2 and token not in STOPWORDS:
            kind = "word"
        else:
            kind = "stop"
        out.append((token, kind))
    return out


def _around(pieces: list[tuple[str, str]], at: int, reach: int, step: int) -> set[tuple[str, str]]:
    """The numbers and names within ``reach`` tokens of ``pieces[at]`` on one side (``step``
    -1: before it, 1: after it), in its phrase."""
    found: set[tuple[str, str]] = set()
    i = at + step
    while 0 <= i < len(pieces) and abs(i - at) <= reach and pieces[i][1] != "break":
        if pieces[i][1] in SPECIFIC_KINDS:
            found.add(pieces[i])
        i += step
    return found


def misattached(sentence: str, passage: str, reach: int = 2, wide: int = 8) -> str:
    """A number the sentence ties to a word that the passage ties to another number.

    ``dissous en 1971`` against ``dissous en 1973, … la mort … en 1971``: each number of
    the sentence is in the passage (so none is missing), but not next to the word it
    qualifies there. A content word of the sentence with a number within ``reach`` tokens
    on one side (same phrase) must, somewhere in the passage, have that number within
    ``wide`` tokens on the same side; when it has only other numbers there, the sentence
    moved it. Words are matched as written (folded), not by stem: a paraphrase that
    changes the word is not judged. Returns ``"1971/1973 (dissous)"``, or ``""``.
    """
    s_pieces, p_pieces = _pieces(sentence), _pieces(passage)
    in_passage = {piece for piece in p_pieces if piece[1] in SPECIFIC_KINDS}
    near: dict[tuple[str, int], set[tuple[str, str]]] = {}
    for i, (token, kind) in enumerate(p_pieces):
        for step in (-1, 1) if kind == "word" else ():
            near.setdefault((token, step), set()).update(_around(p_pieces, i, wide, step))
    for i, (token, kind) in enumerate(s_pieces):
        for step in (-1, 1) if kind == "word" else ():
            there = near.get((token, step))
            if not there:
                continue
            for specific in sorted(_around(s_pieces, i, reach, step) & in_passage - there):
                rivals = sorted(t for t, k in there if k == specific[1])
                if rivals:
                    return f"{specific[0]}/{rivals[0]} ({token})"
    return ""


_APPOSITION = re.compile(r"([^\W\d_][\w'’-]*)\s*\(([^()]{1,60})\)")


def exchanged(sentence: str, passage: str, reach: int = 3) -> str:
    """A value in parentheses that the sentence gives to another thing than the passage.

    ``the Debian Makefile (debian/control) or the control file (debian/rules)`` against
    ``the Debian Makefile (debian/rules), the Debian control file (debian/control)``: each
    value is in the passage, but after another word. The word before the parenthesis in
    the sentence must be among the ``reach`` words before the same parenthesis in the
    passage, unless the passage never gives that word a parenthesis of its own (then the
    sentence only says it otherwise). Returns ``"debian/control (makefile)"``, or ``""``.
    """
    found: dict[str, list[set[str]]] = {}  # a parenthesis of the passage: the words before it
    attributed: set[str] = set()  # words the passage gives a parenthesis to
    for match in _APPOSITION.finditer(passage):
        before = _folded_words(passage[: match.end(1)])[-reach:]
        found.setdefault(normalise(match.group(2)), []).append(set(before))
        attributed.update(before)
    for match in _APPOSITION.finditer(sentence):
        head = _folded_words(match.group(1))[-1:]
        value = normalise(match.group(2))
        if not head or head[0] in STOPWORDS or value not in found:
            continue
        if head[0] in attributed and not any(head[0] in words for words in found[value]):
            return f"{value} ({head[0]})"
    return ""


def scattered(sentence: str, passage_sentences: Sequence[str], window: int = 3) -> str:
    """A phrase of ``sentence`` that ties names or numbers together which the passage
    holds apart: no ``window`` consecutive passage sentences hold them all.

    ``La Namibie doit son nom au désert du Kalahari`` against a passage whose sentence
    about the name says *Namib* and whose *Kalahari* lies three sentences away: both names
    are in the passage (so none is missing), but never near each other. A window of
    three sentences leaves room for a pronoun (``Elle…``) standing for a name said just
    before (chosen on the tune half of the support sets: one and two sentences refused
    true paraphrases, three none). Returns the phrase, or ``""``.
    """
    runs = [[fold(w) for w in run] for run in _name_runs(sentence)]
    starts = range(max(1, len(passage_sentences) - window + 1))
    windows = [" ".join(passage_sentences[i : i + window]) for i in starts]
    folded = [normalise(w) for w in windows]
    for phrase in phrases(sentence):
        held = [run for run in runs if " ".join(run) in fold(phrase)]
        if len(held) + len(quantities(phrase)) < 2:
            continue
        if not any(
            all(word in near for run in held for word in run)
            and not _missing_quantities(phrase, text)
            for text, near in zip(windows, folded, strict=True)
        ):
            return phrase
    return ""
