"""A thread as Markdown: each answer with footnote citations (quote and text-fragment link),
the AI-generated label, the date and the consent status of each source."""

from __future__ import annotations

import re

from calanque.answer.markdown import to_markdown as answer_markdown
from calanque.export.document import ExportedCitation, ExportedThread, ExportedTurn

_MARKER = re.compile(r"\[(\d+)\]")
_SPECIAL = re.compile(r"([\\`\[\]<>])")


def md_escape(text: str) -> str:
    """Text on one line that cannot make a link, code or HTML (a quote stays as written)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _answer(turn: ExportedTurn, number: int) -> str:
    """The answer's text (its command lines as paragraphs) with its ``[n]`` markers as
    footnote references: an escaped bracket is never a marker."""
    escaped = answer_markdown(turn.answer)
    return _MARKER.sub(lambda m: f"[^{number}-{m.group(1)}]", escaped)


def _footnote(citations: list[ExportedCitation], number: int, words: dict[str, str]) -> str:
    """One footnote per source of the turn, with every quote the answer took from it."""
    first = citations[0]
    head = f"[^{number}-{first.n}]: "
    if first.is_withdrawn:
        return f"{head}<{first.url}> — {md_escape(first.withdrawn)}: {words['removed']}"
    title = md_escape(first.title or first.url)
    lines = [f"{head}{title}, <{first.url}>  "]
    for citation in citations:
        lines.append(f"    > {md_escape(citation.quote)}  ")
        link = citation.fragment_url.replace(")", "%29")
        lines.append(f"    [{words['quoted']}]({link})  ")
    lines.append(f"    {words['consent']}: {md_escape(first.consent)}")
    return "\n".join(lines)


def _by_source(citations: tuple[ExportedCitation, ...]) -> list[list[ExportedCitation]]:
    """The turn's citations grouped by source number (an answer may quote a page twice)."""
    groups: dict[int, list[ExportedCitation]] = {}
    for citation in citations:
        group = groups.setdefault(citation.n, [])
        if citation.quote not in {c.quote for c in group}:
            group.append(citation)
    return list(groups.values())


def _turn(turn: ExportedTurn, number: int, words: dict[str, str]) -> list[str]:
    lines = [f"## {md_escape(turn.question)}", "", _answer(turn, number), ""]
    lines.append(f"*{md_escape(turn.label)} · {turn.asked_at}*")
    lines.append("")
    lines += [_footnote(group, number, words) for group in _by_source(turn.citations)]
    return [*lines, ""]


def to_markdown(thread: ExportedThread) -> str:
    words = thread.words()
    lines = [
        f"# {md_escape(thread.title)}",
        "",
        words["intro"].format(id=thread.id, at=thread.exported_at),
        "",
    ]
    for number, turn in enumerate(thread.turns, 1):
        lines += _turn(turn, number, words)
    return "\n".join(lines).rstrip() + "\n"
