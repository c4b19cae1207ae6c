"""scripts/import_graph.py: cycles and imports against the layers fail the check."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "import_graph.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_source_tree_keeps_the_layers() -> None:
    assert load_script().main() == 0


def test_imports_against_the_layers_are_reported() -> None:
    graph = load_script()
    broken = graph.broken_rules(
        {
            "calanque.server.api": {"calanque.cli.answer", "calanque.views"},
            "calanque.index.sync": {"calanque.server", "calanque.runtime"},
            "calanque.runtime": {"calanque.cli.common", "calanque.index"},
            "calanque.cli.serve": {"calanque.server.app", "calanque.runtime"},
        }
    )
    assert broken == [
        "calanque.index.sync -> calanque.runtime (a lower layer imports a higher one)",
        "calanque.index.sync -> calanque.server (a lower layer imports a higher one)",
        "calanque.runtime -> calanque.cli.common (a lower layer imports a higher one)",
        "calanque.server.api -> calanque.cli.answer (calanque.server may not import calanque.cli)",
    ]
