"""What every command shares: the settings, the runtime (catalog, index, engines), JSON output."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape

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


# Terminal escape sequences: OSC (hyperlinks, titles) ended by BEL or ST, CSI (colours,
# cursor moves), other two-byte ESC sequences; then any C0/C1 control left over.
_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_text(value: object) -> str:
    """``value`` as text without terminal escape sequences or control characters."""
    return _CONTROLS.sub(" ", _ESCAPES.sub("", str(value)))


def safe_text(value: object) -> str:
    """A crawled string, ready for Rich: no escape sequences, its ``[...]`` shown literally."""
    return escape(plain_text(value))
