"""``calanque chat``: a conversation in the terminal, stored in a thread the web page lists.

Each question is answered the way ``calanque ask`` answers it (same engine, same scope and
space rules): the verified sentences are printed as the verifier accepts them, then the
cited sources as numbered footnotes, linked with OSC 8 where the terminal takes it
(:mod:`calanque.cli.links`). Follow-ups are rewritten with the thread's earlier turns, read
from the catalog, so a thread continued on the web page continues here too. Lines that
start with ``/`` are commands (:data:`COMMANDS`); what the chat says is in
``cli/data/chat.json``, in the language of the last question asked.

On a terminal the questions are read with prompt_toolkit (line editing, history with the
arrow keys, kept in ``<home>/chat_history``); otherwise one question per line of standard
input, so a conversation can be scripted.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer
from rich.cells import cell_len
from rich.text import Text

from calanque.answer.labels import visible_label
from calanque.catalog.conversations import new_thread_id
from calanque.catalog.spaces import UnknownSpaceError
from calanque.cli.common import STATE, console, out, plain_text
from calanque.cli.links import linked, links_enabled
from calanque.cli.spaces import SPACE_OPTION_HELP, within_space
from calanque.cli.turns import (
    answer_scope,
    scope_option,
    show_sources,
    store_turn,
    thread_history,
    web_option,
)
from calanque.errors import CalanqueError, SourceError
from calanque.export.document import thread_export
from calanque.export.render import render
from calanque.index.spaces import Narrowed
from calanque.registry import WRITERS, one_of
from calanque.types import Answer, Citation, SearchFilters

HISTORY_FILE = "chat_history"
EXPORT_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
LEAVE_SPACE = "-"


@cache
def _strings() -> dict[str, Any]:
    text = resources.files("calanque.cli").joinpath("data/chat.json").read_text("utf-8")
    return dict(json.loads(text))


def ui_language(environ: Mapping[str, str] | None = None) -> str:
    """The chat's language before the first question: French when $LANG says so."""
    env = os.environ if environ is None else environ
    lang = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "fr" if lang.lower().startswith("fr") else "en"


@dataclass
class Chat:
    """One conversation: its thread, its space, and the last answer (for ``/sources``)."""

    engine: Any
    scope: str | None
    web: bool
    narrowed: Narrowed
    space: str | None
    thread_id: str
    stored: bool  # whether the thread is in the catalog yet (it is after the first answer)
    language: str
    links: bool
    last: Answer | None = None
    running: bool = True

    # ---- what the chat says ------------------------------------------------------------
    def text(self, key: str, **fields: str) -> str:
        entry = _strings()["messages"][key]
        return str(entry.get(self.language, entry["en"])).format(**fields)

    def say(self, key: str, style: str = "", **fields: str) -> None:
        out.print(Text(self.text(key, **fields), style=style), soft_wrap=not out.is_terminal)

    def space_label(self) -> str:
        return self.space or self.text("no_space")

    def prompt(self) -> str:
        return f"{self.space} › " if self.space else "› "

    def banner(self) -> None:
        state = self.text("continued" if self.stored else "new")
        self.say(
            "banner", "dim", thread_state=state, thread=self.thread_id, space=self.space_label()
        )

    # ---- a question ----------------------------------------------------------------------
    def ask(self, question: str) -> None:
        history = STATE.catalog.threads.history(self.thread_id) if self.stored else []
        answer = self._stream(
            question,
            history=history,
            filters=self.narrowed.filters,
            thread_id=self.thread_id,
            scope=answer_scope(self.scope, self.web, self.narrowed),
            instructions=self.narrowed.instructions,
        )
        if not self.stored:
            STATE.catalog.threads.create(question, thread_id=self.thread_id)
            self.stored = True
        store_turn(self.thread_id, question, answer)
        self.last = answer
        self.language = answer.language
        show_footnotes(answer, self.links)

    def _stream(self, question: str, **options: Any) -> Answer:
        """Print the verified text as it comes; the final answer."""
        shown, final = "", None
        flow = Flow(out.width if out.is_terminal else sys.maxsize)
        status = console.status(self.text("searching"), spinner="dots")
        if console.is_terminal:
            status.start()
        try:
            for event in self.engine.stream(question, **options):
                if event.kind == "delta":
                    status.stop()
                    out.print(marked(flow.wrap(event.text)), end="", soft_wrap=True)
                    shown += event.text
                elif event.kind == "final":
                    final = event.answer
        finally:
            status.stop()
        assert final is not None  # the engine always ends with a final event
        if final.answer != shown:  # cannot happen: the streamed text is the answer's prefix
            rest = final.answer.removeprefix(shown) if final.answer.startswith(shown) else ""
            out.print(marked(flow.wrap(rest or "\n" + final.answer)), end="", soft_wrap=True)
        out.print()
        return final

    # ---- commands --------------------------------------------------------------------------
    def command(self, line: str) -> None:
        name, _, argument = line.strip().partition(" ")
        handler = COMMANDS.get(name.lower())
        if handler is None:
            self.say("unknown_command", "yellow", command=plain_text(name))
            self.help("")
            return
        handler(self, argument.strip())

    def help(self, _: str) -> None:
        out.print(Text(self.text("help_title"), style="bold"))
        for name, entry in _strings()["commands"].items():
            line = Text.assemble((f"  {name:<9} ", "bold cyan"), entry[self._lang()])
            out.print(line, soft_wrap=not out.is_terminal)

    def _lang(self) -> str:
        return self.language if self.language in ("en", "fr") else "en"

    def sources(self, _: str) -> None:
        if self.last is None:
            self.say("no_answer_yet", "yellow")
            return
        show_sources(self.last)

    def switch_space(self, name: str) -> None:
        if not name:
            self.say("space_now", space=self.space_label())
            return
        wanted = None if name == LEAVE_SPACE else name
        try:
            narrowed = within_space(wanted, SearchFilters())
            answer_scope(self.scope, self.web, narrowed)  # a space never answers from the web
        except UnknownSpaceError:
            names = ", ".join(s.name for s in STATE.catalog.spaces.list())
            self.say(
                "space_unknown", "yellow", name=repr(name), spaces=names or self.text("no_spaces")
            )
            return
        except CalanqueError as exc:
            out.print(Text(f"error: {exc}", style="red"), soft_wrap=True)
            return
        self.space, self.narrowed = (narrowed.spaces[0] if narrowed.spaces else None), narrowed
        self.say("space_now", space=self.space_label())

    def export(self, argument: str) -> None:
        if not argument:
            self.say("export_usage", "yellow")
            return
        path = Path(argument).expanduser()
        fmt = EXPORT_SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            self.say("export_extension", "yellow", file=plain_text(argument))
            return
        if not self.stored:
            self.say("nothing_to_export", "yellow")
            return
        text = render(thread_export(STATE.catalog, self.thread_id), fmt)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.say("export_failed", "red", file=plain_text(path), reason=reason)
            return
        self.say("exported", file=plain_text(path))

    def new_thread(self, _: str) -> None:
        self.thread_id, self.stored, self.last = new_thread_id(), False, None
        self.say("new_thread", "dim", thread=self.thread_id)

    def quit(self, _: str) -> None:
        self.running = False


COMMANDS: dict[str, Callable[[Chat, str], None]] = {
    "/sources": Chat.sources,
    "/space": Chat.switch_space,
    "/export": Chat.export,
    "/new": Chat.new_thread,
    "/help": Chat.help,
    "/quit": Chat.quit,
    "/exit": Chat.quit,
}


class Flow:
    """Streamed text broken into lines between words, ``width`` cells wide at most."""

    def __init__(self, width: int) -> None:
        self.width = max(width, 20)
        self.column = 0
        self.space = False  # a space is due before the next word

    def wrap(self, text: str) -> str:
        pieces: list[str] = []
        for word in re.split(r"(\s+)", plain_text(text)):
            if not word:
                continue
            if word.isspace():
                self.space = self.column > 0
                if "\n" in word:
                    pieces.append("\n")
                    self.column, self.space = 0, False
                continue
            size = cell_len(word)
            if self.column and self.column + self.space + size > self.width:
                pieces.append("\n")
                self.column, self.space = 0, False
            if self.space:
                pieces.append(" ")
                self.column += 1
            pieces.append(word)
            self.column += size
            self.space = False
        return "".join(pieces)


def marked(text: str) -> Text:
    """Answer text without escape sequences, its ``[n]`` markers coloured."""
    shown = Text(plain_text(text))
    shown.highlight_regex(r"\[\d+\]", "bold cyan")
    return shown


def show_footnotes(answer: Answer, links: bool) -> None:
    """``n. title — host`` and the URL of each cited source, then the AI label."""
    cited: dict[int, Citation] = {}
    for citation in answer.citations:
        cited.setdefault(citation.n, citation)
    if cited:
        out.print()
    for n in sorted(cited):
        citation = cited[n]
        title = plain_text(citation.title or citation.url)
        host = _host(citation.url)  # none for a local file: no dangling dash
        line = Text.assemble(
            (f"{n}. ", "bold cyan"),
            linked(title, citation.url, links, "bold"),
            (f" — {host}" if host else "", "dim"),
        )
        out.print(line, soft_wrap=True)
        url = linked(plain_text(citation.url), citation.url, links)
        out.print(Text.assemble("   ", url), soft_wrap=True)
    label = visible_label(answer.language, answer.writer, answer.model)
    out.print(Text(label, style="dim"), soft_wrap=True)
    out.print()


def _host(url: str) -> str:
    try:
        return plain_text(urlsplit(plain_text(url)).netloc)
    except ValueError:
        return ""


def read_questions(chat: Chat) -> Iterator[str]:
    """The lines typed: with prompt_toolkit on a terminal, else standard input's lines."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        for line in sys.stdin:
            console.print(Text(f"› {plain_text(line.rstrip())}", style="dim"))
            yield line.rstrip("\n")
        return
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    STATE.settings.home.mkdir(parents=True, exist_ok=True)
    history = FileHistory(str(STATE.settings.home / HISTORY_FILE))
    session: PromptSession[str] = PromptSession(history=history)
    while True:
        try:
            yield session.prompt(chat.prompt())
        except KeyboardInterrupt:  # Ctrl-C clears the line, as in a shell
            continue
        except EOFError:  # Ctrl-D
            return


def converse(chat: Chat) -> None:
    """Answer questions and run commands until /quit or the end of input."""
    for line in read_questions(chat):
        if not line.strip():
            continue
        try:
            if line.lstrip().startswith("/"):
                chat.command(line)
            else:
                chat.ask(line.strip())
        except KeyboardInterrupt:
            out.print()
            chat.say("interrupted", "yellow")
        except CalanqueError as exc:  # the conversation goes on: say what was wrong
            out.print(Text(f"error: {exc}", style="red"), soft_wrap=True)
        if not chat.running:
            return


def chat(
    space: str | None = typer.Option(None, "--space", help=SPACE_OPTION_HELP),
    thread: str | None = typer.Option(
        None, "--thread", help="Continue this stored thread (its id, e.g. from the web page)."
    ),
    writer: str | None = typer.Option(None, "--writer", help=f"{one_of(WRITERS)}."),
    scope: str | None = scope_option(),
    web: bool = web_option(),
) -> None:
    """Talk with your sources: questions and follow-ups, stored in a thread (/help inside)."""
    if writer is not None and writer not in WRITERS:
        raise SourceError(f"--writer must be one of {', '.join(WRITERS)}, not {writer!r}.")
    narrowed = within_space(space, SearchFilters())
    answer_scope(scope, web, narrowed)
    if thread is not None:
        thread_history(thread)  # a clear error when there is no such thread
    session = Chat(
        engine=STATE.runtime.engine(writer or STATE.settings.answer.writer),
        scope=scope,
        web=web,
        narrowed=narrowed,
        space=narrowed.spaces[0] if narrowed.spaces else None,
        thread_id=thread or new_thread_id(),
        stored=thread is not None,
        language=ui_language(),
        links=links_enabled(sys.stdout),
    )
    session.banner()
    converse(session)


def register(app: typer.Typer) -> None:
    app.command()(chat)
