"""A request within spaces reaches their sources only; one space's defaults fill the gaps."""

from __future__ import annotations

import pytest

from calanque.catalog.spaces import Space, SpaceError
from calanque.index.spaces import Narrowed, narrow, scope_within
from calanque.types import SearchFilters

DOCS = Space(
    "docs", domains=("docs.example", "-old.docs.example"), language="en", source_ids=(1, 2)
)
WIKI = Space("wiki", recency="year", instructions="Be formal.", source_ids=(3,))


def test_no_space_leaves_the_filters_as_they_are() -> None:
    asked = SearchFilters(sites=("a.example",))
    assert narrow([], asked) == Narrowed(asked)


def test_one_space_gives_its_sources_and_defaults() -> None:
    narrowed = narrow([DOCS], SearchFilters())
    assert narrowed.filters.source_ids == (1, 2)
    assert narrowed.filters.sites == ("docs.example",)
    assert narrowed.filters.exclude_sites == ("old.docs.example",)
    assert narrowed.filters.languages == ("en",)
    assert narrowed.spaces == ("docs",) and narrowed.within_spaces


def test_the_request_keeps_its_own_filters_and_instructions_come_from_the_space() -> None:
    narrowed = narrow([WIKI], SearchFilters(since="2020-01-01", languages=("fr",)))
    assert narrowed.filters.since == "2020-01-01" and narrowed.filters.languages == ("fr",)
    assert narrowed.instructions == "Be formal."
    assert narrow([WIKI], SearchFilters()).filters.since  # the space's recency


def test_several_spaces_are_the_union_of_their_sources_without_defaults() -> None:
    narrowed = narrow([DOCS, WIKI], SearchFilters())
    assert narrowed.filters == SearchFilters(source_ids=(1, 2, 3))
    assert narrowed.instructions == ""


def test_asked_sources_outside_the_space_are_dropped() -> None:
    assert narrow([DOCS], SearchFilters(source_ids=(2, 3))).filters.source_ids == (2,)
    with pytest.raises(SpaceError, match="no sources in this space"):
        narrow([DOCS], SearchFilters(source_ids=(3,)))


def test_an_empty_space_never_searches_everything() -> None:
    with pytest.raises(SpaceError, match="no sources in this space .*space add-source empty"):
        narrow([Space("empty")], SearchFilters())


def test_a_space_answers_from_its_sources_only() -> None:
    inside = narrow([DOCS], SearchFilters())
    assert scope_within(inside, None, "all") == "sources"
    with pytest.raises(SpaceError, match="sources only"):
        scope_within(inside, "web", "all")
    assert scope_within(Narrowed(SearchFilters()), None, "all") == "all"
