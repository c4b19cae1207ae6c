"""The [web] settings: defaults, environment, federation tables, the Brave key's one home."""

from __future__ import annotations

from pathlib import Path

import pytest

from calanque.config import FederationPeer, load_settings, settings_summary
from calanque.errors import ConfigError
from calanque.web import default_scope


def write_toml(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "calanque.toml").write_text(text)


def test_defaults(tmp_path):
    web = load_settings({"home": tmp_path}, environ={}).web
    assert (web.results, web.fetch, web.budget_s, web.store, web.allow_private) == (
        10,
        5,
        4.0,
        True,
        False,
    )
    assert default_scope(load_settings({"home": tmp_path}, environ={})) == "sources"


def test_environment_and_file(tmp_path):
    write_toml(
        tmp_path, '[web]\nfetch = 3\nfederation = [{url = "http://peer.test/", key_env = "K"}]\n'
    )
    env = {"CALANQUE_WEB_SEARXNG_URL": "http://searx.test", "CALANQUE_WEB_ALLOW_PRIVATE": "1"}
    settings = load_settings({"home": tmp_path}, environ=env)
    assert settings.web.searxng_url == "http://searx.test"
    assert settings.web.allow_private is True
    assert settings.web.fetch == 3
    assert settings.web.federation == (FederationPeer("http://peer.test", "K"),)
    assert default_scope(settings) == "all"
    assert settings_summary(settings)["web"]["federation"] == [
        {"url": "http://peer.test", "key_env": "K"}
    ]


def test_federation_from_the_environment_is_json(tmp_path):
    env = {"CALANQUE_WEB_FEDERATION": '[{"url": "http://peer.test"}]'}
    assert load_settings({"home": tmp_path}, environ=env).web.federation == (
        FederationPeer("http://peer.test", ""),
    )
    with pytest.raises(ConfigError, match="web.federation"):
        load_settings({"home": tmp_path}, environ={"CALANQUE_WEB_FEDERATION": "http://peer"})


def test_the_brave_key_is_refused_in_the_file_and_read_from_the_environment(tmp_path, monkeypatch):
    write_toml(tmp_path, '[web]\nbrave_api_key = "secret"\n')
    with pytest.raises(ConfigError, match="CALANQUE_BRAVE_API_KEY") as caught:
        load_settings({"home": tmp_path}, environ={})
    assert "secret" not in str(caught.value).replace("a secret", "")
    (tmp_path / "calanque.toml").unlink()
    monkeypatch.setenv("CALANQUE_BRAVE_API_KEY", "b-secret")
    settings = load_settings({"home": tmp_path})
    assert settings.brave_api_key == "b-secret"
    assert "b-secret" not in str(settings_summary(settings))
    assert default_scope(settings) == "all"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[web]\nfetch = 99\n", "web.fetch must be in 0..20"),
        ("[web]\nbudget_s = 0\n", "web.budget_s"),
        ("[web]\nfederation = [{url = 'x', key = 'y'}]\n", "web.federation"),
        ("[web]\nsearx = 'x'\n", "unknown setting 'web.searx'"),
    ],
)
def test_bad_values_are_named(tmp_path, toml, message):
    write_toml(tmp_path, toml)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_settings({"home": tmp_path}, environ={})
