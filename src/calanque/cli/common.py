"""What every command shares: the settings, the runtime (catalog, index, engines), JSON output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from calanque.catalog import Catalog
from calanque.config import Settings, load_settings
from calanque.locks import exclusive_lock  # noqa: F401  (re-exported for the commands)
from calanque.runtime import Runtime


@dataclass
class State:
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    _runtime: Runtime | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.overrides)
        return self._settings

    @property
    def runtime(self) -> Runtime:
        """The catalog, embedder, index and engines of this command (each opened on first use)."""
        if self._runtime is None:
            self._runtime = Runtime(self.settings)
        return self._runtime

    @property
    def catalog(self) -> Catalog:
        return self.runtime.catalog

    def reset(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
        self._settings = None
        self._runtime = None
        self.overrides = {}


STATE = State()
console = Console(stderr=True)
out = Console()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()
