"""Shared pieces for crawl tests: settings on a temporary home, one-call crawls."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from calanque.catalog import Catalog
from calanque.collect.crawler import Crawler, CrawlSummary
from calanque.collect.urls import seed_folder
from calanque.config import Settings, load_settings
from calanque.types import Scope


def calanque_json(home: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``python -m calanque ARGS --json`` on ``home`` (no politeness delay, plus ``env``):
    its JSON."""
    settings = {"CALANQUE_HOME": str(home), "CALANQUE_CRAWL_MIN_DELAY": "0", **(env or {})}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALANQUE_")}
    env.update(settings)
    result = subprocess.run(
        [sys.executable, "-m", "calanque", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def make_settings(home: Path, **crawl: Any) -> Settings:
    values: dict[str, Any] = {"min_delay": 0.0, "total_timeout": 10.0, "read_timeout": 5.0}
    values.update(crawl)
    return load_settings({"home": home, "crawl": values}, environ={})


def open_catalog(settings: Settings) -> Catalog:
    settings.home.mkdir(parents=True, exist_ok=True)
    return Catalog.open(settings.catalog_url)


def add_site(catalog: Catalog, url: str, **scope: Any) -> int:
    values: dict[str, Any] = {"mode": "prefix", "prefix": seed_folder(url)}
    values.update(scope)
    return catalog.add_source("site", url, Scope(**values)).id


def crawl(catalog: Catalog, settings: Settings, **kwargs: Any) -> CrawlSummary:
    crawler = Crawler(catalog, settings, extract_workers=1)
    return asyncio.run(crawler.run(**kwargs))


def page(
    title: str, body: str, head: str = "", lang: str = "en", links: tuple[str, ...] = ()
) -> str:
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>{head}'
        f"</head><body><nav><ul>{anchors}</ul></nav><main><h1>{title}</h1><p>{body}</p></main>"
        "<footer>Site footer</footer></body></html>"
    )


PRINTING_TOPICS = (
    "paper trays and the sizes of paper each tray holds",
    "ink levels, toner cartridges and when to change them",
    "job priorities, held jobs and jobs cancelled by their owner",
    "drivers, PPD files and the filters that convert documents",
)


def long_printing_page(title: str) -> str:
    """A page of four long, distinct sections about printing: several chunks of one page."""
    body = "".join(
        f"<h2>{topic}</h2><p>"
        + f"The printing system CUPS handles {topic} for every printer queue. " * 30
        + "</p>"
        for topic in PRINTING_TOPICS
    )
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title></head>'
        f"<body><main><h1>{title}</h1>{body}</main></body></html>"
    )


LOREM_EN = (
    "The package manager keeps a list of installed software and resolves dependencies "
    "between packages so that the system stays consistent after every upgrade. "
)
LOREM_FR = (
    "Le gestionnaire de paquets garde la liste des logiciels installés et résout les "
    "dépendances entre paquets afin que le système reste cohérent après chaque mise à jour. "
)


def distinct_text(seed: str, sentences: int = 12) -> str:
    """Text no other page shares (near-duplicate detection would merge look-alike pages)."""
    import random

    rng = random.Random(seed)
    words = (
        "archive",
        "kernel",
        "mirror",
        "server",
        "backup",
        "network",
        "package",
        "volume",
        "service",
        "journal",
        "firewall",
        "account",
        "printer",
        "cluster",
        "release",
        "module",
    )
    return " ".join(
        " ".join(rng.choice(words) for _ in range(12)).capitalize() + "." for _ in range(sentences)
    )


PUBLIC_LOOPBACK = "127.0.0.2"
"""A loopback address the tests treat as a public machine (see :func:`treat_as_public`)."""


def treat_as_public(monkeypatch: Any, address: str = PUBLIC_LOOPBACK) -> None:
    """Make the address guard count ``address`` as public: there is no public host to test
    with, so a fixture server on 127.0.0.2 plays the public site and 127.0.0.1 stays the
    internal service that must never be reached."""
    import ipaddress

    from calanque.collect import guard

    real = guard.is_public_ip
    public = ipaddress.ip_address(address)
    monkeypatch.setattr(guard, "is_public_ip", lambda ip: ip == public or real(ip))
