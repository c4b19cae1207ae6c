"""One entry point: ``calanque <command>``.

Each stage registers its commands from its own module (``cli/<stage>.py``
defines ``register(app)``); errors are mapped to exit codes in one place,
:func:`main`.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

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
    home: Path | None = typer.Option(
        None, "--home", help="Data folder (default: $CALANQUE_HOME or a per-user folder)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Catalog database URL (sqlite:///... or postgresql://...)."
    ),
) -> None:
    """Calanque: a self-hosted answer engine that cites and verifies its sources."""
    STATE.overrides = {"home": home, "database_url": database_url}


_COMMAND_MODULES = ("collect", "robots", "index", "answer", "serve", "admin")

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


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"calanque.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"calanque.cli.{name}":
                continue
            raise
        module.register(app)


def main() -> None:
    _register_all()
    try:
        app(standalone_mode=False)
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
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
