"""The README's promise: every command prints JSON with ``--json``, but the listed exceptions.

The commands are read from the typer app itself, so a new command without ``--json`` fails
here until it gets the option or a reason in :data:`WITHOUT_JSON` (and in docs/cli.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from tests.e2e.test_cli_usage import calanque

from calanque.cli import app, register_commands

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("calanque")

# command path -> why it prints no JSON (docs/cli.md says the same)
WITHOUT_JSON: dict[tuple[str, ...], str] = {
    ("serve",): "it runs the server until stopped and has no result to print",
    ("chat",): "it is a conversation; `ask --thread ID --json` prints its answers as JSON",
}


def leaf_commands() -> dict[tuple[str, ...], Any]:
    """Every command that runs (the subcommands of ``keys`` and ``robots``, not the groups)."""
    register_commands()
    found: dict[tuple[str, ...], Any] = {}

    def walk(command: Any, path: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            found[path] = command
            return
        for name, sub in subcommands.items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def has_json_option(command: Any) -> bool:
    return any("--json" in getattr(param, "opts", ()) for param in command.params)


def test_every_command_has_json_or_a_documented_reason() -> None:
    commands = leaf_commands()
    assert {("ask",), ("keys", "revoke"), ("robots", "check")} <= set(commands)
    lacking = sorted(p for p, c in commands.items() if not has_json_option(c))
    assert lacking == sorted(WITHOUT_JSON), "add --json, or list the command in WITHOUT_JSON"


def test_the_exceptions_are_commands_that_lack_json_and_are_documented() -> None:
    commands = leaf_commands()
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in WITHOUT_JSON:
        assert path in commands and not has_json_option(commands[path])
        name = f"`calanque {' '.join(path)}`"
        assert name in docs and name in readme, f"{name} is not named as an exception"


def test_remove_and_revoke_print_json(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "vault.txt").write_text("The vault code is ZEBRA-5521, set by Nora Lind.\n")
    added = json.loads(calanque(tmp_path, "add", str(folder), "--json").stdout)
    assert calanque(tmp_path, "crawl", "--json", "--dense", "later").returncode == 0
    found = json.loads(calanque(tmp_path, "search", "ZEBRA-5521 vault", "--json").stdout)
    assert any("ZEBRA-5521" in hit["text"] for hit in found["hits"])
    removed = json.loads(calanque(tmp_path, "remove", str(added["id"]), "--json").stdout)
    assert removed["removed"] == added["id"] and removed["documents"] == 1
    # out of the index at once: it stayed searchable until the next `calanque index`
    assert removed["index"]["deleted"] == 1
    found = json.loads(calanque(tmp_path, "search", "ZEBRA-5521 vault", "--json").stdout)
    assert not any("ZEBRA-5521" in hit["text"] for hit in found["hits"])
    assert calanque(tmp_path, "keys", "create", "ci", "--json").returncode == 0
    revoked = calanque(tmp_path, "keys", "revoke", "ci", "--json")
    assert json.loads(revoked.stdout) == {"revoked": "ci"}
