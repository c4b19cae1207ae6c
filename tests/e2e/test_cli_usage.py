"""Usage errors as a user meets them: the installed ``calanque`` script, run for real.

docs/cli.md promises exit code 2 and a short message for a usage error, whichever command
it comes from, and whether typer brings the ``click`` package or its own copy of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from calanque.cli import app, register_commands

pytestmark = pytest.mark.e2e
SCRIPT = Path(sys.executable).with_name("calanque")


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group of the app, subcommands of groups included."""
    register_commands()
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            paths.append((*path, name))
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


def calanque(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.is_file():
        pytest.fail(f"{SCRIPT} is missing: install the project (`pip install -e .`)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env | {"CALANQUE_HOME": str(home)},
        timeout=60,
    )


def test_every_command_is_enumerated() -> None:
    paths = command_paths()
    assert {("ask",), ("crawl",), ("robots",), ("keys",)} <= set(paths)
    assert any(len(p) == 2 and p[0] == "keys" for p in paths)  # subcommands too


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_a_bogus_option_is_a_short_usage_error(path: tuple[str, ...], tmp_path: Path) -> None:
    done = calanque(tmp_path, *path, "--bogus", "x")
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert 1 <= len(lines) <= 3, done.stderr
    assert "--bogus" in done.stderr and lines[0].startswith("Error: ")
    assert "--help" in done.stderr  # says where to look


def test_an_exit_code_chosen_by_a_command_is_kept(tmp_path: Path) -> None:
    """``calanque consent URL`` exits 1 when the ledger has nothing on the URL."""
    done = calanque(tmp_path, "consent", "http://nowhere.example/")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr


def test_chat_refuses_bad_options_with_what_to_do(tmp_path: Path) -> None:
    """``calanque chat`` checks its options before the conversation starts."""
    space = calanque(tmp_path, "chat", "--space", "nope")
    assert space.returncode == 4 and "no space 'nope'" in space.stderr
    assert "calanque space list" in space.stderr
    thread = calanque(tmp_path, "chat", "--thread", "no-such-thread")
    assert thread.returncode == 4 and "no thread 'no-such-thread'" in thread.stderr
    writer = calanque(tmp_path, "chat", "--writer", "gpt")
    assert writer.returncode == 4 and "--writer must be one of" in writer.stderr
    for done in (space, thread, writer):
        assert "Traceback" not in done.stderr and done.stderr.startswith("error: ")
