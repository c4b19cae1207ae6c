from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from calanque.errors import ConfigError
from calanque.index.fusion import (
    collapse_near_duplicates,
    date_number,
    filter_hits,
    rrf_fuse,
    since_for_recency,
    site_domains,
    spread_pages,
    text_fingerprint,
)
from calanque.types import Hit, SearchFilters


def hit(chunk_id: int, text: str = "", **fields: object) -> Hit:
    base: dict[str, object] = dict(
        chunk_id=chunk_id, document_id=chunk_id, url=f"https://a.org/{chunk_id}", title="",
        heading="", text=text or f"text {chunk_id}", score=0.0,
    )  # fmt: skip
    base.update(fields)
    return Hit(**base)  # type: ignore[arg-type]


def test_rrf_scores_are_weighted_reciprocal_ranks() -> None:
    fused = rrf_fuse([[hit(1), hit(2)], [hit(2), hit(3)]], [1.0, 2.0], k=10)
    scores = {h.chunk_id: h.score for h in fused}
    assert scores[1] == pytest.approx(1 / 11)
    assert scores[2] == pytest.approx(1 / 12 + 2 / 11)
    assert scores[3] == pytest.approx(2 / 12)
    assert [h.chunk_id for h in fused] == [2, 3, 1]


def test_rrf_zero_weight_ignores_a_ranking() -> None:
    fused = rrf_fuse([[hit(1)], [hit(2)]], [0.0, 1.0])
    assert [h.chunk_id for h in fused] == [2, 1]


def test_rrf_requires_one_weight_per_ranking() -> None:
    with pytest.raises(ConfigError):
        rrf_fuse([[hit(1)]], [1.0, 1.0])


def test_collapse_by_normalised_text() -> None:
    hits = [hit(1, "L'École, ouverte!"), hit(2, "l école  ouverte"), hit(3, "autre chose")]
    assert [h.chunk_id for h in collapse_near_duplicates(hits)] == [1, 3]
    assert text_fingerprint("Été") == text_fingerprint("ete")


def test_collapse_by_vector_similarity() -> None:
    v = np.array([1.0, 0.0], np.float32)
    near = np.array([0.999, 0.0447], np.float32)
    far = np.array([0.0, 1.0], np.float32)
    hits = [hit(1), hit(2), hit(3)]
    kept = collapse_near_duplicates(hits, {1: v, 2: near / np.linalg.norm(near), 3: far}, 0.97)
    assert [h.chunk_id for h in kept] == [1, 3]


def test_site_domains_and_dates() -> None:
    assert site_domains("Docs.Debian.org") == ["docs.debian.org", "debian.org", "org"]
    assert date_number("2024-03-05") == 20240305
    assert date_number("") == 0
    assert date_number("2024-3") == 0


def test_filter_hits() -> None:
    hits = [
        hit(1, site="www.debian.org", language="en", date="2024-01-02", source_id=1),
        hit(2, site="debian.org.evil.com", language="fr", date="2024-02-01", source_id=2),
        hit(3, site="lists.debian.org", language="fr", date="", source_id=1),
    ]
    ids = lambda f: [h.chunk_id for h in filter_hits(hits, f)]  # noqa: E731
    assert ids(SearchFilters(sites=("debian.org",))) == [1, 3]
    assert ids(SearchFilters(exclude_sites=("lists.debian.org",))) == [1, 2]
    assert ids(SearchFilters(languages=("fr",), source_ids=(1,))) == [3]
    assert ids(SearchFilters(since="2024-01-15")) == [2]
    assert ids(SearchFilters(until="2024-01-15")) == [1]


def test_since_for_recency() -> None:
    today = date(2024, 3, 10)
    assert since_for_recency("week", today) == "2024-03-03"
    assert since_for_recency("day", today) == "2024-03-09"
    with pytest.raises(ConfigError, match="recency"):
        since_for_recency("decade", today)


def test_spread_pages_lists_each_page_before_any_page_s_second_chunk() -> None:
    ranked = [hit(1, document_id=7), hit(2, document_id=7), hit(3, document_id=7),
              hit(4, document_id=8), hit(5, document_id=9), hit(6, document_id=8)]  # fmt: skip
    assert [h.chunk_id for h in spread_pages(ranked, 1, 4)] == [1, 4, 5, 2]
    assert [h.chunk_id for h in spread_pages(ranked, 2, 4)] == [1, 2, 4, 5]
    # a page's further chunks fill the listing when other pages run out
    assert [h.chunk_id for h in spread_pages(ranked, 1, 6)] == [1, 4, 5, 2, 3, 6]


def test_spread_pages_zero_keeps_the_ranking() -> None:
    ranked = [hit(1, document_id=7), hit(2, document_id=7), hit(3, document_id=8)]
    assert [h.chunk_id for h in spread_pages(ranked, 0, 2)] == [1, 2]


def test_a_hit_with_another_score_is_that_hit_rescored_and_still_frozen() -> None:
    import dataclasses

    original = hit(7, "some text", language="fr", date="2024-01-02", site="a.org", source_id=3)
    rescored = original.with_score(0.25)
    assert rescored == dataclasses.replace(original, score=0.25)
    assert hash(rescored) == hash(dataclasses.replace(original, score=0.25))
    assert original.score == 0.0  # the original is not touched
    with pytest.raises(dataclasses.FrozenInstanceError):
        rescored.score = 1.0  # type: ignore[misc]
