"""The crawler's signing keys: one Ed25519 key in use, rotated-out keys until they expire.

The key file (``bot.key_file``, default ``<home>/bot/signing-key.json``, mode 0600) is
shared by every worker that signs as this crawler: point their ``CALANQUE_BOT_KEY_FILE``
at the same file. It holds::

    {"keys": [{"keyid": <RFC 7638 thumbprint>, "public_jwk": {...}, "created": <epoch>,
               "expires": <epoch or null>, "private_key": <base64url, current key only>}]}

The current key is the one with a private key; a rotated-out key keeps only its public
half and an expiry, so publishers can still verify requests signed just before rotation.
The public keys are also written, as a JWKS, to ``<home>/bot/http-message-signatures-directory``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from calanque.errors import ConfigError

DIRECTORY_FILE_NAME = "http-message-signatures-directory"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ed25519_jwk(private_key: Ed25519PrivateKey) -> dict[str, str]:
    """The public JWK (RFC 8037) of ``private_key``."""
    raw = private_key.public_key().public_bytes_raw()
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without spaces; base64url."""
    required = {name: jwk[name] for name in ("crv", "kty", "x")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


@dataclass(frozen=True)
class BotKey:
    """One signing key; ``private_key`` is None once the key was rotated out."""

    keyid: str
    public_jwk: dict[str, str]
    created: int
    expires: int | None
    private_key: Ed25519PrivateKey | None = None

    def directory_jwk(self) -> dict[str, Any]:
        """The key as listed in the key directory (``kid`` and, once retired, ``exp``)."""
        jwk: dict[str, Any] = {**self.public_jwk, "kid": self.keyid, "nbf": self.created}
        if self.expires is not None:
            jwk["exp"] = self.expires
        return jwk

    def public_json(self) -> dict[str, Any]:
        """What ``calanque bot keys --json`` and the bot page show (never the private half)."""
        return {
            "keyid": self.keyid,
            "public_jwk": self.public_jwk,
            "created": _iso(self.created),
            "expires": _iso(self.expires) if self.expires is not None else None,
            "current": self.private_key is not None,
        }

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "keyid": self.keyid,
            "public_jwk": self.public_jwk,
            "created": self.created,
            "expires": self.expires,
        }
        if self.private_key is not None:
            data["private_key"] = b64url(self.private_key.private_bytes_raw())
        return data


@dataclass(frozen=True)
class KeyRing:
    """The keys of one key file: the current one first, then those rotated out."""

    path: Path
    keys: tuple[BotKey, ...]

    @property
    def current(self) -> BotKey:
        return next(key for key in self.keys if key.private_key is not None)

    def listed(self, now: float | None = None) -> tuple[BotKey, ...]:
        """The keys publishers may still meet: the current one and retired unexpired ones."""
        moment = time.time() if now is None else now
        return tuple(k for k in self.keys if k.expires is None or k.expires > moment)

    def directory(self, now: float | None = None) -> dict[str, Any]:
        return {"keys": [key.directory_jwk() for key in self.listed(now)]}


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def new_key(now: float | None = None) -> BotKey:
    private_key = Ed25519PrivateKey.generate()
    jwk = ed25519_jwk(private_key)
    created = int(time.time() if now is None else now)
    return BotKey(jwk_thumbprint(jwk), jwk, created, None, private_key)


def _key_from_json(data: dict[str, Any], path: Path) -> BotKey:
    try:
        secret = data.get("private_key")
        private_key = (
            Ed25519PrivateKey.from_private_bytes(b64url_decode(secret)) if secret else None
        )
        jwk = {name: str(data["public_jwk"][name]) for name in ("kty", "crv", "x")}
        expires = data.get("expires")
        return BotKey(
            jwk_thumbprint(jwk),
            jwk,
            int(data["created"]),
            int(expires) if expires is not None else None,
            private_key,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"the bot key file {path} has a malformed key ({exc}); restore it from a backup "
            "or move it away and run `calanque bot keygen`"
        ) from exc


def read_keyring(path: Path) -> KeyRing | None:
    """The key file's keys; None when there is no key file yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the bot key file {path} ({exc}); fix its permissions or content, "
            "or point bot.key_file (CALANQUE_BOT_KEY_FILE) at a readable key file"
        ) from exc
    keys = tuple(_key_from_json(item, path) for item in data.get("keys", []))
    if sum(key.private_key is not None for key in keys) != 1:
        raise ConfigError(
            f"the bot key file {path} must hold exactly one current (private) key; "
            "run `calanque bot rotate` to make a new one"
        )
    return KeyRing(path, keys)


def _write_private(path: Path, ring: KeyRing, *, exclusive: bool) -> bool:
    """Write the key file atomically (0600); ``exclusive``: only if none exists yet."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps({"keys": [key.to_json() for key in ring.keys]}, indent=2)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        if not exclusive:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # fails when another worker made the key first
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def load_or_create(path: Path) -> KeyRing:
    """The key file's keys, making a first key when there is none (safe between workers)."""
    ring = read_keyring(path)
    if ring is not None:
        return ring
    _write_private(path, KeyRing(path, (new_key(),)), exclusive=True)
    ring = read_keyring(path)
    assert ring is not None  # written just now, by us or by another worker
    return ring


def create(path: Path) -> KeyRing:
    """A first key; refuses to replace an existing one (that is what rotation is for)."""
    if read_keyring(path) is not None:
        raise ConfigError(
            f"a bot key already exists in {path}: use `calanque bot rotate` to replace it "
            "(the old key stays listed until it expires)"
        )
    return load_or_create(path)


def rotate(path: Path, retired_days: int, now: float | None = None) -> KeyRing:
    """A new current key; the old one keeps its public half until ``retired_days`` pass."""
    moment = time.time() if now is None else now
    old = load_or_create(path)
    expires = int(moment + retired_days * 86_400)
    kept = tuple(
        BotKey(key.keyid, key.public_jwk, key.created, key.expires or expires)
        for key in old.listed(moment)
    )
    ring = KeyRing(path, (new_key(moment), *kept))
    _write_private(path, ring, exclusive=False)
    return ring


def write_directory(ring: KeyRing, folder: Path) -> Path:
    """Write the public keys (JWKS) to ``folder/http-message-signatures-directory``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / DIRECTORY_FILE_NAME
    temporary = target.with_name(f".{DIRECTORY_FILE_NAME}.tmp")
    temporary.write_text(json.dumps(ring.directory(), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, target)
    return target
