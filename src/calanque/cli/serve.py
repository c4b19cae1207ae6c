"""``calanque serve`` (the API and the web page) and ``calanque keys`` (API keys)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import replace

import typer
from rich.table import Table

from calanque.catalog.conversations import ROLES
from calanque.cli.common import STATE, out, print_json
from calanque.errors import AuthError, SourceError

keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, active_keys: int) -> None:
    """Refuse to listen beyond this machine while no API key exists."""
    if not is_loopback_host(host) and active_keys == 0:
        raise AuthError(
            f"refusing to listen on {host}: no API key exists, so anyone who can reach this "
            "address could use the server. Create a key with `calanque keys create NAME` "
            "first, or listen on 127.0.0.1.",
            status=403,
        )


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes."),
    access_log: bool = typer.Option(
        True,
        "--access-log/--no-access-log",
        help="Log each request line (never headers or bodies).",
    ),
) -> None:
    """Serve the API (/v1, OpenAI-compatible) and the web page (/) with uvicorn."""
    import uvicorn

    settings, catalog = STATE.settings, STATE.catalog
    check_bind(host, catalog.api_keys.active_count())
    settings = replace(settings, server=replace(settings.server, host=host, port=port))
    if settings.server.query_log:
        out.print(
            f"[yellow]query log on: questions are kept "
            f"{settings.server.query_log_retention_days} days[/yellow]"
        )
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    out.print(f"Calanque at {url} (API at {url}v1, OpenAPI at {url}openapi.json)")
    options = {
        "host": host,
        "port": port,
        "access_log": access_log,
        "log_level": "info",
        "server_header": False,
    }
    if workers == 1:
        from calanque.server import create_app

        uvicorn.run(create_app(settings, catalog), **options)  # type: ignore[arg-type]
        return
    # several processes: each builds its app from the environment
    os.environ["CALANQUE_HOME"] = str(settings.home)
    os.environ["CALANQUE_SERVER_HOST"] = host  # the Host allow-list includes the bound address
    if settings.database_url:
        os.environ["CALANQUE_DATABASE_URL"] = settings.database_url
    uvicorn.run("calanque.server.app:app_from_env", factory=True, workers=workers, **options)  # type: ignore[arg-type]


@keys_app.command("create")
def create_key(
    name: str = typer.Argument(..., help="A name for the key (who or what uses it)."),
    role: str = typer.Option(
        "reader",
        "--role",
        help="reader: search, answers, its own threads; admin: also sources, crawls, consent. "
        "The first key is an admin whatever this says.",
    ),
    space: list[str] = typer.Option(
        [], "--space", help="Limit the key to this space (repeatable): it searches only there."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create an API key and print it: it is shown this once, then only its hash is kept."""
    if not name.strip() or len(name) > 100:
        raise SourceError("the key name must be 1 to 100 characters.")
    if role not in ROLES:
        raise SourceError(f"unknown role {role!r}: use --role {' or --role '.join(ROLES)}.")
    api_keys, spaces = STATE.catalog.api_keys, STATE.catalog.spaces
    for wanted in space:
        spaces.get(wanted)  # an unknown space fails before the key exists
    key = api_keys.create(name.strip(), role=role)
    spaces.limit_key(name.strip(), space)
    made = next(row for row in api_keys.list() if row["name"] == name.strip())
    if as_json:
        print_json(
            {
                "name": made["name"],
                "key": key,
                "role": made["role"],
                "prefix": key[:8],
                "spaces": [spaces.get(s).name for s in space],
            }
        )
        return
    out.print(f"API key {name!r}, role {made['role']} (shown once, store it now):", markup=False)
    out.print(key, markup=False)


@keys_app.command("list")
def list_keys(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the keys (names and prefixes, never the keys)."""
    rows = STATE.catalog.api_keys.list()
    if as_json:
        print_json(rows)
        return
    table = Table("name", "role", "prefix", "created", "revoked")
    for row in rows:
        revoked = "yes" if row["revoked"] else ""
        table.add_row(row["name"], row["role"], row["prefix"], row["created_at"], revoked)
    out.print(table)


@keys_app.command("revoke")
def revoke_key(
    name: str = typer.Argument(..., help="The key's name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    if not STATE.catalog.api_keys.revoke(name):
        raise AuthError(f"no active key named {name!r}: see `calanque keys list`.", status=404)
    if as_json:
        print_json({"revoked": name})
        return
    out.print(f"revoked key {name!r}")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(keys_app, name="keys")
