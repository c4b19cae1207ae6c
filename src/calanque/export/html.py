"""A thread as one standalone HTML page: escaped text, inline style, no external resource
(no script, font, image or stylesheet is fetched when it is opened)."""

from __future__ import annotations

import re
from html import escape

from calanque.export.document import ExportedCitation, ExportedThread, ExportedTurn

_MARKER = re.compile(r"\[(\d+)\]")
STYLE = """body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}.label{color:#555;font-size:.9rem}
blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.8rem;border-left:3px solid #ccc;color:#333}
ol.notes{font-size:.92rem}.consent,.withdrawn{color:#555;font-size:.85rem}sup a{text-decoration:none}"""
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _answer(turn: ExportedTurn, number: int) -> str:
    def ref(match: re.Match[str]) -> str:
        n = match.group(1)
        return f'<sup><a href="#note-{number}-{n}">[{n}]</a></sup>'

    return _MARKER.sub(ref, escape(turn.answer))


def _note(citation: ExportedCitation, number: int, words: dict[str, str]) -> str:
    anchor = f'id="note-{number}-{citation.n}" value="{citation.n}"'
    url = escape(citation.url)
    if citation.is_withdrawn:
        return (
            f'<li {anchor}><span class="url">{url}</span> <span class="withdrawn">'
            f"{escape(citation.withdrawn)}: {escape(words['removed'])}</span></li>"
        )
    return (
        f'<li {anchor}><a href="{url}">{escape(citation.title or citation.url)}</a>'
        f"<blockquote>{escape(citation.quote)}</blockquote>"
        f'<a href="{escape(citation.fragment_url)}">{escape(words["quoted"])}</a> '
        f'<span class="consent">· {escape(words["consent"])}: {escape(citation.consent)}'
        "</span></li>"
    )


def _turn(turn: ExportedTurn, number: int, words: dict[str, str]) -> str:
    notes = "".join(_note(c, number, words) for c in turn.citations)
    return (
        f"<section><h2>{escape(turn.question)}</h2><p>{_answer(turn, number)}</p>"
        f'<p class="label">{escape(turn.label)} · {escape(turn.asked_at)}</p>'
        f'<ol class="notes">{notes}</ol></section>'
    )


def to_html(thread: ExportedThread) -> str:
    words = thread.words()
    body = "".join(_turn(turn, n, words) for n, turn in enumerate(thread.turns, 1))
    intro = words["intro"].format(id=thread.id, at=thread.exported_at)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{thread.language}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f'<meta name="generator" content="Calanque"><title>{escape(thread.title)}</title>'
        f"<style>{STYLE}</style></head><body>"
        f"<h1>{escape(thread.title)}</h1>"
        f'<p class="label">{escape(intro)}</p>'
        f"{body}</body></html>\n"
    )
