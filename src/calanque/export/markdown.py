"""A thread as Markdown: each answer with footnote citations (quote and text-fragment link),
the AI-generated label, the date and the consent status of each source."""

from __future__ import annotations

import re

from calanque.export.document import ExportedCitation, ExportedThread, ExportedTurn

_MARKER = re.compile(r"\[(\d+)\]")
_SPECIAL = re.compile(r"([\\`\[\]<>])")


def md_escape(text: str) -> str:
    """Text on one line that cannot make a link, code or HTML (a quote stays as written)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _answer(turn: ExportedTurn, number: int) -> str:
    """The answer's text with its ``[n]`` markers as footnote references."""
    escaped = _MARKER.sub(lambda m: f"\x00{m.group(1)}\x01", turn.answer)
    escaped = md_escape(escaped)
    return re.sub(r"\x00(\d+)\x01", lambda m: f"[^{number}-{m.group(1)}]", escaped)


def _footnote(citation: ExportedCitation, number: int) -> str:
    head = f"[^{number}-{citation.n}]: "
    if citation.is_withdrawn:
        return f"{head}<{citation.url}> — {md_escape(citation.withdrawn)}: its quote was removed."
    title = md_escape(citation.title or citation.url)
    return (
        f"{head}{title}, <{citation.url}>  \n"
        f"    > {md_escape(citation.quote)}  \n"
        f"    [Quoted passage]({citation.fragment_url.replace(')', '%29')})"
        f" · consent: {md_escape(citation.consent)}"
    )


def _turn(turn: ExportedTurn, number: int) -> list[str]:
    lines = [f"## {md_escape(turn.question)}", "", _answer(turn, number), ""]
    lines.append(f"*{md_escape(turn.label)} · {turn.asked_at}*")
    lines.append("")
    lines += [_footnote(c, number) for c in turn.citations]
    return [*lines, ""]


def to_markdown(thread: ExportedThread) -> str:
    lines = [
        f"# {md_escape(thread.title)}",
        "",
        f"Thread {thread.id}, exported {thread.exported_at}. Every answer below was generated "
        "by AI from the cited sources; each citation was checked against its passage.",
        "",
    ]
    for number, turn in enumerate(thread.turns, 1):
        lines += _turn(turn, number)
    return "\n".join(lines).rstrip() + "\n"
