"""Fail when pyproject.toml's dependencies and what src/calanque imports disagree.

Two rules (run by scripts/check):
1. every third-party module imported in src/ comes from a distribution listed in
   ``[project.dependencies]`` or, for lazily imported backends, in an optional extra;
2. every runtime dependency is imported somewhere in src/, or is named in ``INDIRECT``
   with the reason the package needs it without importing it.
Import names are mapped to distributions with ``importlib.metadata.packages_distributions``,
so this runs in the project's venv.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "calanque"

# Runtime dependencies the package needs without importing them itself.
INDIRECT = {
    "jinja2": "fastapi.templating imports it to render the web page",
    "lxml-html-clean": "jusText (via trafilatura) imports it; pip < 24 misses lxml's extra",
}


def distribution_name(requirement: str) -> str:
    """``"httpx[http2]>=0.27,<0.29"`` -> ``"httpx"``, normalised as PEP 503 says."""
    name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> set[str]:
    """Top-level names of every absolute import in src/calanque."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"calanque", "__future__"}


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {distribution_name(r) for r in project["dependencies"]}
    extras = {
        distribution_name(r)
        for name, requirements in project["optional-dependencies"].items()
        if name in {"postgres", "milvus", "local"}
        for r in requirements
    }
    providers = packages_distributions()
    problems: list[str] = []
    used: set[str] = set()
    for module in sorted(imported_modules()):
        dists = {distribution_name(d) for d in providers.get(module, [])}
        if not dists:
            problems.append(f"src imports {module!r}, which no installed distribution provides")
        elif not dists & (runtime | extras):
            problems.append(
                f"src imports {module!r} ({', '.join(sorted(dists))}): add it to pyproject.toml's dependencies"
            )
        used |= dists
    for dist in sorted(runtime - used - set(INDIRECT)):
        problems.append(
            f"{dist!r} is a runtime dependency that src/ never imports: move it to an extra or remove it"
        )
    for problem in problems:
        print(f"check_dependencies: {problem}", file=sys.stderr)
    if not problems:
        print(
            f"check_dependencies: {len(runtime)} runtime dependencies, each imported or explained"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
