"""One entry point: ``calanque <command>``.

Each stage registers its commands from its own module (``cli/<stage>.py``
defines ``register(app)``); errors are mapped to exit codes in one place,
:func:`main`.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import typer

from calanque.cli.common import STATE
from calanque.errors import (
    AuthError,
    CalanqueError,
    CatalogError,
    ConfigError,
    IndexBackendError,
    ModelError,
    SourceError,
)

app = typer.Typer(
    name="calanque",
    help="Calanque: a self-hosted answer engine that cites and verifies its sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    home: str | None = typer.Option(
        None, "--home", help="Data folder (default: $CALANQUE_HOME or a per-user folder)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Catalog database URL (sqlite:///... or postgresql://...)."
    ),
) -> None:
    """Calanque: a self-hosted answer engine that cites and verifies its sources."""
    if home is not None and not home.strip():  # `--home "$UNSET"`: not the current folder
        raise typer.BadParameter("give a folder, not an empty value", param_hint="--home")
    STATE.overrides = {"home": Path(home) if home else None, "database_url": database_url}


_COMMAND_MODULES = (
    "collect",
    "robots",
    "index",
    "answer",
    "chat",
    "serve",
    "admin",
    "bot",
    "publishers",
    "spaces",
    "exports",
)

EXIT_CODES: dict[type[CalanqueError], int] = {
    ConfigError: 3,
    SourceError: 4,
    CatalogError: 5,
    IndexBackendError: 6,
    ModelError: 7,
    AuthError: 8,
}


def exit_code_for(exc: CalanqueError) -> int:
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def register_commands() -> None:
    """Add every stage's commands to :data:`app` (once)."""
    if app.registered_commands or app.registered_groups:
        return
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"calanque.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"calanque.cli.{name}":
                continue
            raise
        module.register(app)


# Click's exception classes: the ``click`` package's, or those of the copy of click that a
# newer typer vendors (``typer._click``). Taken from a class typer exports, so either is caught.
_click_exceptions: Any = sys.modules[typer.BadParameter.__module__]
ClickException: type[Exception] = _click_exceptions.ClickException
# `calanque` alone (click >= 8.2): the help is the message. Older click has no such class.
_NoArgsIsHelp: Any = getattr(_click_exceptions, "NoArgsIsHelpError", ())


def main() -> None:
    register_commands()
    try:
        code = app(standalone_mode=False)
    except CalanqueError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        typer.secho("interrupted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except ClickException as exc:  # usage errors (exit code 2), unreadable files (1)
        sys.exit(show_click_error(exc))
    # Without standalone mode, click returns the code of a command's ``typer.Exit(code)``.
    if isinstance(code, int) and code:
        sys.exit(code)


def show_click_error(exc: Any) -> int:
    """One line ``Error: <message>`` and where to find help, on stderr; the exit code."""
    if isinstance(exc, _NoArgsIsHelp):
        if exc.format_message().strip():  # typer's rich help is already printed
            exc.show()
        return int(exc.exit_code)
    context = getattr(exc, "ctx", None)
    command = context.command_path if context is not None else "calanque"
    typer.echo(f"Error: {exc.format_message()}", err=True)
    typer.echo(f"Try '{command} --help' for help.", err=True)
    return int(exc.exit_code)
