"""Assign the tune / held-out split of an evaluation set, once, before any experiment.

Items are split by alternating within each stratum (kind × language × answerable), in
file order, so both halves hold the same mix. An item that already has a ``split`` keeps
it: running this again after adding items never moves an old one between halves.
Settings are chosen on ``tune`` only; quality gates run on ``held-out``.

    python -m tests.quality.split tests/quality/sets/wiki.json [...]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HALVES = ("tune", "held-out")


def _stratum(item: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(item.get("kind", "")),
        str(item.get("lang", "")),
        str(item.get("answerable", item.get("supported", ""))),
    )


def assign(items: list[dict[str, Any]]) -> int:
    """Give every item without a split one; returns how many were assigned."""
    seen: Counter[tuple[str, str, str]] = Counter(
        _stratum(i) for i in items if i.get("split") in HALVES
    )
    assigned = 0
    for item in items:
        if item.get("split") in HALVES:
            continue
        stratum = _stratum(item)
        item["split"] = HALVES[seen[stratum] % 2]
        seen[stratum] += 1
        assigned += 1
    return assigned


def split_file(path: Path) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    assigned = sum(assign(data[key]) for key in ("questions", "threads", "items") if key in data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return assigned


def main(argv: list[str]) -> None:
    for name in argv:
        print(f"{name}: {split_file(Path(name))} items assigned")


if __name__ == "__main__":
    main(sys.argv[1:])
