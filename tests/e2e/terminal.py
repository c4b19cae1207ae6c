"""A real terminal for tests: a program in a pseudo-terminal, its screen as pyte renders it.

``Terminal`` starts a command under a pty (pexpect), feeds everything it writes to a pyte
screen, answers the screen's cursor-position requests as a terminal would (prompt_toolkit
asks), and keeps the raw bytes, so a test can check both what a person sees and what
reached the terminal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pexpect
import pyte

KEYS = {"up": "\x1b[A", "down": "\x1b[B", "enter": "\r", "ctrl-d": "\x04", "ctrl-u": "\x15"}


class _AnsweringScreen(pyte.Screen):  # type: ignore[misc]
    """A screen that sends its replies (cursor position reports) back to the program."""

    def __init__(self, columns: int, lines: int, reply: Callable[[str], Any]) -> None:
        super().__init__(columns, lines)
        self._reply = reply

    dim_colour = ""  # a colour for faint text (SGR 2), which pyte does not keep; "" for none

    def write_process_input(self, data: str) -> None:
        self._reply(data)

    def select_graphic_rendition(self, *attrs: int, **options: Any) -> None:
        super().select_graphic_rendition(*attrs, **options)
        if self.dim_colour and 2 in attrs and self.cursor.attrs.fg == "default":
            faint = self.dim_colour.lstrip("#")
            self.cursor.attrs = self.cursor.attrs._replace(fg=faint)


class Terminal:
    def __init__(
        self,
        command: str,
        args: Sequence[str],
        env: dict[str, str],
        cwd: Path | None = None,
        columns: int = 110,
        lines: int = 200,
    ) -> None:
        self.child = pexpect.spawn(
            command,
            list(args),
            env=env,
            cwd=str(cwd) if cwd else None,
            dimensions=(lines, columns),
            timeout=5,
        )
        self.screen = _AnsweringScreen(columns, lines, self.child.send)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()

    def pump(self, seconds: float = 0.2) -> None:
        """Read what the program wrote within ``seconds`` into the screen."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                data = self.child.read_nonblocking(65536, timeout=left)
            except pexpect.TIMEOUT:
                return
            except pexpect.EOF:
                return
            self.raw += data
            self.stream.feed(data)

    def lines(self, start: int = 0) -> list[str]:
        return [line.rstrip() for line in self.screen.display[start:]]

    def text(self, start: int = 0) -> str:
        return "\n".join(self.lines(start)).rstrip()

    @property
    def row(self) -> int:
        return int(self.screen.cursor.y)

    def wait_for(self, needle: str, start: int = 0, timeout: float = 90) -> str:
        """The screen from line ``start`` on, once it shows ``needle``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(0.1)
            if needle in self.text(start):
                return self.text(start)
            if not self.child.isalive():
                self.pump(0.2)
                break
        raise AssertionError(f"{needle!r} never showed; the screen:\n{self.text()}")

    def send(self, text: str) -> None:
        self.child.send(text)

    def type_line(self, line: str) -> int:
        """Type ``line`` and Enter; the screen line it was typed on."""
        row = self.row
        self.send(line + KEYS["enter"])
        return row

    def close(self) -> int | None:
        if self.child.isalive():
            self.child.sendeof()
            self.child.expect(pexpect.EOF, timeout=10)
        self.child.close()
        return self.child.exitstatus
