"""Searching within spaces: which spaces a request uses, and the filters they make.

Pure logic over :class:`~calanque.catalog.spaces.Space`, shared by the CLI and the API. A
request inside a space only ever reaches the space's sources: its ``source_ids`` become the
filter's, and an empty space is an error, never an unfiltered search.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from calanque.catalog.spaces import Space, SpaceError, Spaces, space_name, unknown_space
from calanque.index.filters import parse_since
from calanque.types import SearchFilters


@dataclass(frozen=True)
class Narrowed:
    """The filters of a request within spaces, and the operator's instructions to writers."""

    filters: SearchFilters
    spaces: tuple[str, ...] = ()
    instructions: str = ""

    @property
    def within_spaces(self) -> bool:
        return bool(self.spaces)


def choose_spaces(
    spaces: Spaces, requested: str | None, allowed: tuple[str, ...] | None
) -> list[Space]:
    """The spaces of a request: the one asked for, else every space the caller is limited
    to, else none (the whole index). A space outside ``allowed`` looks missing."""
    if requested:
        name = space_name(requested)
        if allowed is not None and name not in allowed:
            raise unknown_space(name)
        return [spaces.get(name)]
    if allowed is not None:
        return spaces.list(allowed)
    return []


def narrow(chosen: list[Space], requested: SearchFilters) -> Narrowed:
    """``requested`` limited to the sources of ``chosen``; one space's defaults fill the
    filters the request left empty."""
    if not chosen:
        return Narrowed(requested)
    names = tuple(space.name for space in chosen)
    source_ids = sorted({s for space in chosen for s in space.source_ids})
    if requested.source_ids:
        source_ids = [s for s in source_ids if s in requested.source_ids]
    if not source_ids:
        raise no_sources(names)
    filters = replace(requested, source_ids=tuple(source_ids))
    if len(chosen) == 1:
        filters = with_defaults(chosen[0], filters)
    instructions = chosen[0].instructions if len(chosen) == 1 else ""
    return Narrowed(filters, names, instructions)


def with_defaults(space: Space, filters: SearchFilters) -> SearchFilters:
    """The space's default sites, language and recency where ``filters`` has none."""
    if not filters.sites and not filters.exclude_sites and space.domains:
        allow = tuple(d.lower() for d in space.domains if not d.startswith("-"))
        deny = tuple(d.lower().lstrip("-") for d in space.domains if d.startswith("-"))
        filters = replace(filters, sites=allow, exclude_sites=deny)
    if not filters.languages and space.language:
        filters = replace(filters, languages=(space.language,))
    if not filters.since and space.recency:
        filters = replace(filters, since=parse_since(space.recency))
    return filters


def no_sources(names: tuple[str, ...]) -> SpaceError:
    shown = ", ".join(repr(name) for name in names)
    return SpaceError(
        f"no sources in this space ({shown}): add one with "
        f"`calanque space add-source {names[0]} SOURCE_ID` (ids in `calanque sources`)."
    )


def scope_within(narrowed: Narrowed, asked: str | None, default: str) -> str:
    """The answer scope: a space answers from its sources only, never from the web."""
    if not narrowed.within_spaces:
        return asked or default
    if asked not in (None, "sources"):
        raise SpaceError(
            f"a space answers from its sources only, not from scope {asked!r}: drop the "
            "scope (or search_mode), or ask outside the space."
        )
    return "sources"
