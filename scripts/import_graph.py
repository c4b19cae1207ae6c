"""Fail when modules of src/calanque import each other in a cycle, or against the layers
(run by scripts/check).

Layers, lowest first: the stages and core modules; ``calanque.runtime`` (the composition
root); the faces ``calanque.cli`` and ``calanque.server``; ``calanque.__main__``. A module
never imports a higher layer, and the server never imports the CLI (what both need lives
in ``calanque.views`` or ``calanque.runtime``). docs/architecture.md has the table.

Every ``import calanque.x`` / ``from calanque.x import y`` at any level of a module counts,
except under ``if TYPE_CHECKING:``. Prints the cycles and broken rules found, exit 1; or
the module count.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found |= {n for n in names if n in modules}
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    out, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                out.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return out


LAYERS = {"calanque.runtime": 1, "calanque.cli": 2, "calanque.server": 2, "calanque.__main__": 3}
FORBIDDEN = {"calanque.server": ("calanque.cli",)}  # besides the layers: faces stay apart


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer(module: str) -> int:
    """0 for the stages and core modules; see the module docstring for the others."""
    return next((n for package, n in LAYERS.items() if in_package(module, package)), 0)


def broken_rules(graph: dict[str, set[str]]) -> list[str]:
    """``importer -> imported (why)`` for every import against the layers."""
    found = []
    for module, deps in sorted(graph.items()):
        for dep in sorted(deps):
            if layer(dep) > layer(module):
                found.append(f"{module} -> {dep} (a lower layer imports a higher one)")
            for importer, banned in FORBIDDEN.items():
                if in_package(module, importer) and any(in_package(dep, b) for b in banned):
                    found.append(
                        f"{module} -> {dep} ({importer} may not import {', '.join(banned)})"
                    )
    return found


def main() -> int:
    paths = {module_name(p): p for p in SRC.rglob("*.py")}
    modules = set(paths)
    # a package's __init__ importing its own submodules is how packages re-export: not a cycle
    graph = {
        m: {d for d in imports(p, modules) if d != m and not d.startswith(m + ".")}
        for m, p in paths.items()
    }
    found = cycles(graph)
    for cycle in found:
        print("import cycle: " + " -> ".join(cycle))
    broken = broken_rules(graph)
    for rule in broken:
        print("import against the layers: " + rule)
    if not found and not broken:
        print(f"no import cycle and no import against the layers among {len(modules)} modules")
    return 1 if found or broken else 0


if __name__ == "__main__":
    sys.exit(main())
