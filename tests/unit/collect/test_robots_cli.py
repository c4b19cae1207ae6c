"""``calanque robots check``: the offline robots.txt evaluator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calanque.cli import app, register_commands

ROBOTS = """\
User-agent: *
Disallow: /

User-agent: CalanqueBot
Disallow: /private/
Allow: /private/press/
"""


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    register_commands()
    return CliRunner()


@pytest.fixture
def robots_file(tmp_path: Path) -> Path:
    path = tmp_path / "robots.txt"
    path.write_text(ROBOTS, encoding="utf-8")
    return path


def test_json_output_is_the_documented_contract(runner: CliRunner, robots_file: Path) -> None:
    urls = [
        "https://example.org/private/a",
        "https://example.org/private/press/b",
        "https://example.org/public",
    ]
    result = runner.invoke(app, ["robots", "check", "--robots", str(robots_file), *urls, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"url": urls[0], "allowed": False, "rule": "Disallow: /private/"},
        {"url": urls[1], "allowed": True, "rule": "Allow: /private/press/"},
        {"url": urls[2], "allowed": True, "rule": "no rule matched"},
    ]


def test_agent_option_selects_the_group(runner: CliRunner, robots_file: Path) -> None:
    args = ["robots", "check", "--robots", str(robots_file), "--agent", "OtherBot", "--json"]
    result = runner.invoke(app, [*args, "https://example.org/public"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"url": "https://example.org/public", "allowed": False, "rule": "Disallow: /"}
    ]


def test_status_option_reads_the_file_as_unreachable(runner: CliRunner, robots_file: Path) -> None:
    args = ["robots", "check", "--robots", str(robots_file), "--status", "503", "--json"]
    result = runner.invoke(app, [*args, "https://example.org/public"])
    assert json.loads(result.stdout)[0]["rule"] == (
        "robots.txt unreachable (HTTP 503): everything disallowed"
    )


def test_table_output_names_each_url_and_rule(runner: CliRunner, robots_file: Path) -> None:
    result = runner.invoke(
        app, ["robots", "check", "--robots", str(robots_file), "https://example.org/private/a"]
    )
    assert result.exit_code == 0, result.output
    assert "https://example.org/private/a" in result.stdout
    assert "Disallow: /private/" in result.stdout
    assert "no" in result.stdout


def test_missing_file_is_an_error_that_says_what_to_do(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "absent.txt"
    result = runner.invoke(app, ["robots", "check", "--robots", str(missing), "https://e.org/"])
    assert result.exit_code != 0
    assert "--robots" in str(result.exception)
