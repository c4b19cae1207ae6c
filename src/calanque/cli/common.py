"""What every command shares: the settings, the catalog, JSON output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from calanque.catalog import Catalog
from calanque.config import Settings, load_settings
from calanque.locks import exclusive_lock  # noqa: F401  (re-exported for the commands)


@dataclass
class State:
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    _catalog: Catalog | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.overrides)
        return self._settings

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self.settings.home.mkdir(parents=True, exist_ok=True)
            self._catalog = Catalog.open(self.settings.catalog_url)
        return self._catalog

    def reset(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
        self._settings = None
        self._catalog = None
        self.overrides = {}


STATE = State()
console = Console(stderr=True)
out = Console()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()
