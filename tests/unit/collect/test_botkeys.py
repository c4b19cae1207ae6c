"""The crawler's signing keys: thumbprints, the key file, rotation and expiry."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from calanque.collect import botkeys
from calanque.errors import ConfigError


def test_thumbprint_matches_rfc_8037_example() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert botkeys.jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_first_use_creates_one_private_key_file(tmp_path: Path) -> None:
    path = tmp_path / "bot" / "signing-key.json"
    ring = botkeys.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert botkeys.load_or_create(path).current.keyid == ring.current.keyid
    with pytest.raises(ConfigError, match="bot rotate"):
        botkeys.create(path)


def test_rotation_keeps_the_old_key_listed_until_it_expires(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    old = botkeys.load_or_create(path).current
    ring = botkeys.rotate(path, retired_days=7, now=1_000_000)
    assert ring.current.keyid != old.keyid
    listed = {key.keyid: key for key in ring.listed(now=1_000_000)}
    assert listed[old.keyid].expires == 1_000_000 + 7 * 86_400
    assert listed[old.keyid].private_key is None
    assert old.keyid not in {k.keyid for k in ring.listed(now=1_000_000 + 8 * 86_400)}
    saved = json.loads(path.read_text())["keys"]
    assert [bool(item.get("private_key")) for item in saved] == [True, False]


def test_the_directory_lists_public_halves_only(tmp_path: Path) -> None:
    ring = botkeys.load_or_create(tmp_path / "key.json")
    target = botkeys.write_directory(ring, tmp_path / "bot")
    (jwk,) = json.loads(target.read_text())["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "nbf"}
    assert jwk["kid"] == ring.current.keyid


def test_a_broken_key_file_says_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="CALANQUE_BOT_KEY_FILE"):
        botkeys.load_or_create(path)
