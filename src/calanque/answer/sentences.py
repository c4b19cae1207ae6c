"""Sentence splitting for French and English, with exact character offsets.

A :class:`Span` is a piece of text with ``start``/``end`` offsets such that
``text[start:end] == span.text`` in the string that was split (pass ``base`` to
shift the offsets, e.g. by a chunk's start in its document).

Rules, in order:

1. Every line is split on its own (extracted pages put one paragraph or one
   command per line). A line that looks like code (a shell prompt, a pipe, an
   option flag, a path at its start, ``&&`` or a redirection unless the line reads as
   prose that names them...) is kept whole. But the prose of a comment in a script or a
   configuration file runs on over its lines (``# … other questions may`` / ``# be
   asked. To get a list of every``…): consecutive comment lines of prose whose sentences
   go on from one line to the next are split as one text, their markers read as spaces
   (a sentence's text keeps them: it is the page's text; :func:`unwrapped` is its prose).
2. Inside a line, a sentence ends at ``.``, ``!``, ``?`` or ``…`` (with closing
   quotes/brackets and, when ``markers`` is set, citation markers such as
   ``[1]`` that follow it), when the next word does not start in lower case, or does
   after a period that ends a plain lower-case word (``… anymore. apt-mark auto…``: a
   command opens the next sentence). With
   ``markers``, a citation marker ends a sentence even without punctuation (a line
   ending in ``:`` or a heading, then ``[1]``) when the next word is not in lower case.
3. No split after an abbreviation (``M.``, ``Dr.``, ``e.g.``, ``cf.``, ``p.``...)
   or a single initial (``J. Dupont``); a capital after a sign (``$N.``) is no initial,
   nor one before a word that opens sentences and is no surname (``… set to N. The
   return status``: ``data/sentence_openers.json``). ``etc.`` ends a sentence only when a
   capitalised word follows. Numbers and paths never split (no space after their dots),
   nor does a spaced ellipsis (``. . .``) inside a sentence, nor an ellipsis before a
   sign (``$1 … $N``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

_ABBREVIATIONS = frozenset(
    [
        "m",
        "mm",
        "mme",
        "mlle",
        "dr",
        "pr",
        "st",
        "ste",
        "mr",
        "mrs",
        "ms",
        "prof",
        "jr",
        "sr",
        "vs",
        "cf",
        "ex",
        "eg",
        "ie",
        "e.g",
        "i.e",
        "p",
        "pp",
        "fig",
        "no",
        "n°",
        "vol",
        "chap",
        "ch",
        "art",
        "al",
        "env",
        "approx",
        "av",
        "apr",
        "déc",
        "janv",
        "févr",
        "sept",
        "oct",
        "nov",
        "resp",
        "ibid",
        "op",
        "subsp",
        "trans",
    ]
)
# A citation marker: [1], [1, 2], [1-3], 【1】, [^1]. Passages are numbered from 1, and a
# marker ends where the text does not go on as code: "argv[0]", "${name[1]}", "a[1]=x" are
# subscripts, not citations.
MARKER = r"(?:\[\s*[1-9]\d*(?:\s*[,;–-]\s*\d+)*\s*\](?![\w}={])|【\s*\d+\s*】|\[\^\d+\])"
# With markers, a marker also ends a sentence without final punctuation ("... : [1] Next")
_END = re.compile(
    r"(?P<punct>(?:[.!?…]+[\"'»”’)\]]*)?)(?P<markers>(?:\s*" + MARKER + r")*)(?=\s|$)"
)
_END_NO_MARKERS = re.compile(r"(?P<punct>[.!?…]+[\"'»”’)\]]*)(?P<markers>)(?=\s|$)")


def _line_programs() -> str:
    """The programs a command line opens with (data: ``answer/data/code_lines.json``)."""
    text = resources.files("calanque.answer").joinpath("data/code_lines.json").read_text("utf-8")
    programs = sorted(json.loads(text)["programs"], key=len, reverse=True)
    return "|".join(re.escape(program) for program in programs)


# A shell's or an interpreter's prompt opens a line typed at it: "$ ", "# ", "> ",
# Python's ">>> ", "R> ", "sqlite> ", "In [3]: ".
_CODE_LINE = re.compile(
    r"^\s*(?:[$#>]\s|(?:>>>|[A-Za-z][\w-]{0,11}>|In \[\d+\]:)\s|[\w.-]+\s+-{1,2}\w)"
    r"|\s\|\s|^\s*/[\w.-]+/|^\s*[\w-]+=\S"
)
# A program's name at the start ("apt-get update", "systemctl reload nginx"), or an
# operator inside a line ("make && make install", "echo x > file"), makes it code unless the
# line reads as prose that opens with the program or names the operator ("apt-cache search
# is a very rudimentary tool, …"; "any command executed in a && or || list except the
# command following the final && or ||."): see _reads_as_prose.
_PROGRAM = re.compile(rf"^\s*(?:{_line_programs()})\s")
_OPERATOR = re.compile(r"&&|\s>{1,2}\s")
_PLAIN_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
PROSE_WORDS = 12  # a command line is shorter in words, or mostly not plain words
_WORD_BEFORE = re.compile(r"([\w.°]+)$")


@dataclass(frozen=True)
class Span:
    """A sentence: its text and its offsets in the split string (plus ``base``)."""

    text: str
    start: int
    end: int


def looks_like_code(line: str) -> bool:
    """True when a line reads as a command or a configuration line, not prose."""
    if _CODE_LINE.search(line):
        return True
    return bool(_PROGRAM.search(line) or _OPERATOR.search(line)) and not _reads_as_prose(line)


def _reads_as_prose(line: str) -> bool:
    """A line of ``PROSE_WORDS`` words or more, seven in ten of them plain words, that ends
    like a sentence (or a footnote's number after it)."""
    return mostly_words(line, PROSE_WORDS) and bool(_PROSE_END.search(line))


def mostly_words(text: str, at_least: int) -> bool:
    """``at_least`` words or more, seven in ten of them plain words (not code, not numbers)."""
    tokens = text.split()
    plain = sum(bool(_PLAIN_WORD.fullmatch(t.strip(".,;:!?()[]«»\"'“”‘’"))) for t in tokens)
    return len(tokens) >= at_least and plain >= 0.7 * len(tokens)


# a sentence's end, closing quotes and brackets, and a footnote's number ("… only = is
# allowed. 2")
_PROSE_END = re.compile(r"[.!?:…][\"'»”’)\]]*(?:\s*\d+)?\s*$")


def split_sentences(text: str, base: int = 0, markers: bool = False) -> list[Span]:
    """Sentences of ``text`` with offsets ``base + start``/``base + end``.

    With ``markers``, citation markers right after a sentence's final
    punctuation (``"... installed. [2]"``) belong to that sentence.
    """
    spans: list[Span] = []
    position = 0
    lines = text.split("\n")
    at = 0
    while at < len(lines):
        run, runs_on = _comment_run(lines, at)
        if runs_on:  # one text: its lines' markers masked by spaces, offsets unchanged
            region = "\n".join(lines[at : at + run])
            found = _split_line(_masked(lines[at : at + run]), base + position, markers, True)
            spans += [Span(region[x.start - base - position : x.end - base - position],
                           x.start, x.end) for x in found]  # fmt: skip
            position += len(region) + 1
            at += run
            continue
        for line in lines[at : at + max(1, run)]:  # each line ends its sentences
            spans.extend(_split_line(line, base + position, markers))
            position += len(line) + 1
        at += max(1, run)
    return spans


# A comment line of a script or a configuration file: its marker, then its text.
_COMMENT = re.compile(r"^(\s*(?:#+|//)\s+)(?=\S)")


def _comment_prose(line: str) -> re.Match[str] | None:
    """The marker of a comment line whose text reads as prose (not code commented out, not
    a command shown in a comment), or None."""
    found = _COMMENT.match(line)
    if found is None:
        return None
    body = line[found.end() :]
    if not mostly_words(body, 3) or looks_like_code(body):
        return None
    return found


def _comment_run(lines: list[str], at: int) -> tuple[int, bool]:
    """How many lines from ``at`` make one comment of prose (0: ``lines[at]`` is none), and
    whether its sentences run on from a line to the next (else each line is split on its
    own). Each line is read once: the caller goes on after the run either way."""
    first = _comment_prose(lines[at])
    if first is None:
        return 0, False
    marker = first.group(1).strip()
    end = at + 1
    while end < len(lines):
        found = _comment_prose(lines[end])
        if found is None or found.group(1).strip() != marker:
            break
        end += 1
    runs_on = any(not _PROSE_END.search(line) for line in lines[at : end - 1])
    return end - at, runs_on


# a line break inside a comment's sentence, with the next line's comment marker
_CONTINUED = re.compile(r"\n[ \t]*(?:#+|//)[ \t]+")


def unwrapped(text: str) -> str:
    """A sentence of a comment that runs over several lines, as the prose it is: each line
    break and the next line's marker one space (other text is returned as it is)."""
    return _CONTINUED.sub(" ", text) if "\n" in text else text


# A page's own footnote reference in its prose ("… avec moins de mémoire [2] ou …", "« serveur
# SSH » [12].", "the owner[19] of the variable"): 1 to 999 in brackets after a word or a
# closing mark, before a space, a punctuation mark or the end. Not a subscript ("argv[0]",
# "${name[1]}", "a[1]=x"): nothing but a space or punctuation follows a footnote.
_FOOTNOTE = re.compile(
    r"(?:(?<=[^\W\d_]{2})|(?<=[»”)]))[ \u00a0]?\[[1-9]\d{0,2}\](?=[\s.,;:!?)»”]|$)"
)


# ... and a footnote's own number before its text ("[2] The graphical installer needs …"),
# not a job's number before its process id ("[1] 25647")
_FOOTNOTE_LABEL = re.compile(r"^\[[1-9]\d{0,2}\][ \u00a0]+(?=[^\W\d_])")


# A listing whose lines an extraction joined (a PDF's "$ dquilt new foo.patch $ dquilt add
# Makefile"): each further prompt, then a command, opens a line of its own again.
_LISTING = re.compile(r"^\s*\$ [a-z./~]")
_JOINED_PROMPT = re.compile(r" +(?=\$ [a-z./~])")


def _prompt_break(found: re.Match[str]) -> str:
    """A line break before a prompt, unless it is quoted (``$ echo "total: $ 5"``)."""
    before = found.string[: found.start()]
    quoted = before.count('"') % 2 or before.count("'") % 2
    return found.group(0) if quoted else "\n"


def as_shown(text: str) -> str:
    """A quoted sentence as an answer shows it: a comment's prose on one line
    (:func:`unwrapped`), a listing's joined commands one a line, and without the page's
    footnote references and labels, which a reader (and every client that reads ``[n]``
    as a citation) would take for the answer's citations."""
    if _LISTING.match(text):
        text = _JOINED_PROMPT.sub(_prompt_break, text)
    if "[" not in text:  # most sentences: read on every check of every quote
        return unwrapped(text)
    return _FOOTNOTE_LABEL.sub("", _FOOTNOTE.sub("", unwrapped(text)))


def _masked(lines: list[str]) -> str:
    """The comment lines as one line of their text: each marker and line break a space."""
    out = []
    for line in lines:
        found = _COMMENT.match(line)
        width = found.end() if found else 0
        out.append(" " * width + line[width:])
    return " ".join(out)


def _split_line(line: str, base: int, markers: bool, prose: bool = False) -> list[Span]:
    if not line.strip():
        return []
    if not prose and looks_like_code(line):
        return _trimmed(line, 0, len(line), base)
    pattern = _END if markers else _END_NO_MARKERS
    spans: list[Span] = []
    start = 0
    for match in pattern.finditer(line):
        end = match.end()
        punct, cited = match.group("punct"), bool(match.group("markers"))
        if not punct and not (cited and _is_boundary(line, match.start(), end, ":")):
            continue  # a marker inside a sentence ("apt [1] and dpkg [2].") does not end it
        if not cited and not _is_boundary(line, match.start(), end, punct):
            continue
        spans.extend(_trimmed(line, start, end, base))
        start = end
    spans.extend(_trimmed(line, start, len(line), base))
    return spans


def _is_boundary(line: str, punct_at: int, end: int, punct: str) -> bool:
    rest = line[end:].lstrip()
    if rest and rest[0] == ".":
        return False  # "…, . . .) seem to be down": a spaced ellipsis goes on
    if rest and rest[0].islower():
        return _command_opens(line, punct_at, punct)
    if punct.startswith(("…", "..")):
        # "$1 … $N": an ellipsis in a series of values goes on before a sign
        return not rest or rest[0] not in _SERIES
    if not punct.startswith("."):
        return True
    # the word before the period, read in a bounded tail of the line (linear time)
    tail = max(0, punct_at - _TAIL)
    before = _WORD_BEFORE.search(line[tail:punct_at])
    word = before.group(1).lower() if before else ""
    if word in _ABBREVIATIONS:
        return False
    # A single capital initial ("J. Dupont"), but not a one-letter final word like "a", a
    # variable ("… $N. The special parameter"), nor a letter a sentence ends with ("set it
    # to N. The return status…": a word that opens sentences is no surname).
    initial = len(word) == 1 and word.isalpha() and line[punct_at - 1].isupper() and rest
    at = tail + before.start() if before else punct_at
    sign = line[at - 1 : at] in _SIGNS if at > 0 else False
    return not initial or sign or _opens_sentence(rest)


# A plain word this long before a period ends a sentence whatever follows: abbreviations
# are shorter ("approx.", "trans." aside: _ABBREVIATIONS).
OPENER_WORD_BEFORE = 5


def _command_opens(line: str, punct_at: int, punct: str) -> bool:
    """Does a sentence that opens in lower case start after this period? It does after a
    plain word (``… when they aren't necessary anymore. apt-mark auto package will mark…``,
    ``… other features. ar is a very rudimentary tool``): in prose, what opens a sentence
    in lower case is a command or a program's name. Not after an abbreviation, which is
    shorter (``etc.``, ``avg.``, ``dept.``, ``trad.``; ``approx.``), a capitalised word
    (``Falcot Corp. runs``), a number or a sign."""
    if punct != ".":
        return False
    before = _WORD_BEFORE.search(line[max(0, punct_at - _TAIL) : punct_at])
    word = before.group(1) if before else ""
    return (
        len(word) >= OPENER_WORD_BEFORE
        and word.isalpha()
        and word.islower()
        and word not in _ABBREVIATIONS
    )


_TAIL = 64
_SIGNS = frozenset("$%&@#")
_SERIES = frozenset("$%&*+/<=>@^_|~\\")  # what a series of values may go on with


def _opens_sentence(rest: str) -> bool:
    """Does ``rest`` start (after an opening bracket or quote) with a word that opens
    sentences and is no surname (``The``, ``Then``, ``Les``, ``Pour``)?"""
    first = re.match(r"[(\[«\"“‘'\s]*([^\W\d_]+)", rest)
    return first is not None and first.group(1).lower() in _OPENERS


# words that open a sentence and are no surname (data: sentence_openers.json)
_OPENERS = frozenset(
    json.loads(
        resources.files("calanque.answer").joinpath("data/sentence_openers.json").read_text("utf-8")
    )["openers"]
)


def _trimmed(line: str, start: int, end: int, base: int) -> list[Span]:
    piece = line[start:end]
    stripped = piece.strip()
    if not stripped or not any(ch.isalnum() for ch in stripped):
        return []
    left = start + (len(piece) - len(piece.lstrip()))
    return [Span(stripped, base + left, base + left + len(stripped))]


_MARKER_RE = re.compile(r"\s*" + MARKER)


def strip_markers(text: str) -> str:
    """``text`` without citation markers (and the spaces before them)."""
    return _MARKER_RE.sub("", text).strip()
