"""``calanque bot``: the key the crawler signs its requests with (Web Bot Auth).

``keygen --json`` prints ``{"keyid": <JWK thumbprint>, "public_jwk": {...}}``; ``rotate``
the same for the new key plus the ``retired`` keys still listed; ``keys`` every key the
directory lists (``keyid``, ``public_jwk``, ``created``, ``expires``, ``current``).
"""

from __future__ import annotations

import typer
from rich.table import Table

from calanque.cli.common import STATE, out, print_json
from calanque.collect import botkeys
from calanque.collect.botkeys import KeyRing

bot_app = typer.Typer(
    name="bot", help="The crawler's signing keys (HTTP Message Signatures).", no_args_is_help=True
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")


def _published(ring: KeyRing) -> KeyRing:
    botkeys.write_directory(ring, STATE.settings.home / "bot")
    return ring


def _print_keys(ring: KeyRing) -> None:
    table = Table(title=f"bot keys in {ring.path}")
    for column in ("key id", "created", "expires", "current"):
        table.add_column(column, overflow="fold")
    for key in ring.listed():
        shown = key.public_json()
        table.add_row(key.keyid, shown["created"], shown["expires"] or "-", str(shown["current"]))
    out.print(table)


@bot_app.command("keygen")
def keygen(as_json: bool = JSON_OPTION) -> None:
    """Make the crawler's first signing key (refused when one exists: use rotate)."""
    key = _published(botkeys.create(STATE.settings.bot_key_file)).current
    if as_json:
        print_json({"keyid": key.keyid, "public_jwk": key.public_jwk})
        return
    out.print(f"new bot key {key.keyid} in {STATE.settings.bot_key_file}")


@bot_app.command("rotate")
def rotate(as_json: bool = JSON_OPTION) -> None:
    """Replace the signing key; the old one stays listed until bot.retired_key_days pass."""
    settings = STATE.settings
    ring = _published(botkeys.rotate(settings.bot_key_file, settings.bot.retired_key_days))
    key = ring.current
    retired = [k.public_json() for k in ring.listed() if k is not key]
    if as_json:
        print_json({"keyid": key.keyid, "public_jwk": key.public_jwk, "retired": retired})
        return
    out.print(f"new bot key {key.keyid}; {len(retired)} older key(s) listed until they expire")


@bot_app.command("keys")
def keys(as_json: bool = JSON_OPTION) -> None:
    """List the keys publishers may meet: the current one and those not yet expired."""
    settings = STATE.settings
    ring = _published(botkeys.load_or_create(settings.bot_key_file))
    if as_json:
        print_json(
            {
                "key_file": str(ring.path),
                "directory_url": settings.signature_agent,
                "sign": settings.bot.sign,
                "keys": [key.public_json() for key in ring.listed()],
            }
        )
        return
    _print_keys(ring)


def register(app: typer.Typer) -> None:
    app.add_typer(bot_app, name="bot")
