"""Spaces: named sets of sources, with default filters and instructions for the writers.

A space narrows every search and answer to its sources (``SearchFilters.source_ids``). An
API key may be limited to some spaces (table ``key_spaces``): it then searches and asks only
within them. A space's public id is ``space:<name>``, also accepted as an OpenAI model name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from calanque.catalog import schema as t
from calanque.errors import SourceError

SPACE_PREFIX = "space:"
RECENCIES = ("", "day", "week", "month", "year")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class SpaceError(SourceError):
    """An unknown space, a bad space name, or a space that cannot answer (no sources)."""


class UnknownSpaceError(SpaceError):
    """The space does not exist, or the caller may not see it (the same message for both)."""


@dataclass(frozen=True)
class Space:
    name: str
    description: str = ""
    language: str = ""  # the default language filter of passages ("" for any)
    domains: tuple[str, ...] = ()  # default sites; a leading "-" excludes one
    recency: str = ""  # default recency: day, week, month, year or ""
    instructions: str = ""  # operator instructions for generative writers
    source_ids: tuple[int, ...] = ()
    created_at: str = ""
    key: int = field(default=0, compare=False)  # the row id

    @property
    def id(self) -> str:
        return SPACE_PREFIX + self.name

    def as_json(self) -> dict[str, Any]:
        """The space as ``space list --json`` and ``GET /v1/spaces`` show it."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "language": self.language,
            "domains": list(self.domains),
            "recency": self.recency,
            "instructions": self.instructions,
            "source_ids": list(self.source_ids),
            "created_at": self.created_at,
        }


def space_name(value: str) -> str:
    """The name in ``value``, which is a name or an id (``space:<name>``)."""
    return value.strip().removeprefix(SPACE_PREFIX)


def check_space_fields(name: str, language: str, recency: str) -> None:
    if not _NAME.match(name):
        raise SpaceError(
            f"bad space name {name!r}: use 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or a digit."
        )
    if language and not re.fullmatch(r"[a-z]{2,3}", language):
        raise SpaceError(f"bad language {language!r}: give an ISO 639-1 code such as en or fr.")
    if recency not in RECENCIES:
        raise SpaceError(f"bad recency {recency!r}: use one of day, week, month, year.")


def unknown_space(name: str) -> UnknownSpaceError:
    return UnknownSpaceError(
        f"no space {name!r}: list the spaces with `calanque space list` or GET /v1/spaces."
    )


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")


class Spaces:
    """The spaces of the catalog, their sources, and the keys limited to them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, space: Space) -> Space:
        check_space_fields(space.name, space.language, space.recency)
        values = {
            "name": space.name,
            "description": space.description,
            "language": space.language,
            "domains": list(space.domains),
            "recency": space.recency,
            "instructions": space.instructions,
            "created_at": datetime.now(UTC),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(t.spaces.insert().values(**values))
        except sa.exc.IntegrityError as exc:
            raise SpaceError(
                f"a space named {space.name!r} exists already: pick another name, or delete "
                f"it first (`calanque space delete {space.name}`)."
            ) from exc
        return self.get(space.name)

    def get(self, name: str) -> Space:
        found = self._load(sa.select(t.spaces).where(t.spaces.c.name == space_name(name)))
        if not found:
            raise unknown_space(space_name(name))
        return found[0]

    def delete(self, name: str) -> None:
        """Delete a space (never its sources). Refused while a key is limited to it: the key
        would otherwise reach every source."""
        space = self.get(name)
        limited = self.keys_of(space)
        if limited:
            raise SpaceError(
                f"keys {', '.join(limited)} are limited to space {space.name!r}: revoke them "
                "first (`calanque keys revoke NAME`), then delete the space."
            )
        with self.engine.begin() as conn:
            conn.execute(t.space_sources.delete().where(t.space_sources.c.space_id == space.key))
            conn.execute(t.key_spaces.delete().where(t.key_spaces.c.space_id == space.key))
            conn.execute(t.spaces.delete().where(t.spaces.c.id == space.key))

    def add_source(self, name: str, source_id: int) -> Space:
        space = self.get(name)
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(t.sources.c.id).where(t.sources.c.id == source_id))
            if exists.first() is None:
                raise SpaceError(
                    f"no source {source_id}: list them with `calanque sources` (or GET "
                    "/v1/sources) and add one of their ids."
                )
            if source_id not in space.source_ids:
                conn.execute(
                    t.space_sources.insert().values(space_id=space.key, source_id=source_id)
                )
        return self.get(name)

    def remove_source(self, name: str, source_id: int) -> Space:
        space = self.get(name)
        if source_id not in space.source_ids:
            raise SpaceError(
                f"source {source_id} is not in space {space.name!r}: its sources are "
                f"{list(space.source_ids) or 'none'}."
            )
        with self.engine.begin() as conn:
            conn.execute(
                t.space_sources.delete().where(
                    t.space_sources.c.space_id == space.key,
                    t.space_sources.c.source_id == source_id,
                )
            )
        return self.get(name)

    # ---- keys limited to spaces ------------------------------------------------------
    def limit_key(self, key_name: str, names: list[str]) -> None:
        """Limit the key ``key_name`` to the spaces ``names`` (which must exist)."""
        spaces = [self.get(name) for name in names]
        with self.engine.begin() as conn:
            key_id: int = conn.execute(
                sa.select(t.api_keys.c.id).where(t.api_keys.c.name == key_name)
            ).scalar_one()
            for space in spaces:
                conn.execute(t.key_spaces.insert().values(key_id=key_id, space_id=space.key))

    def of_key(self, key_name: str) -> tuple[str, ...] | None:
        """The names of the spaces a key is limited to; None when it is not limited."""
        query = (
            sa.select(t.spaces.c.name)
            .join(t.key_spaces, t.key_spaces.c.space_id == t.spaces.c.id)
            .join(t.api_keys, t.api_keys.c.id == t.key_spaces.c.key_id)
            .where(t.api_keys.c.name == key_name)
            .order_by(t.spaces.c.name)
        )
        with self.engine.connect() as conn:
            names = tuple(str(row[0]) for row in conn.execute(query).all())
        return names or None

    def keys_of(self, space: Space) -> list[str]:
        """The names of the active keys limited to ``space``."""
        query = (
            sa.select(t.api_keys.c.name)
            .join(t.key_spaces, t.key_spaces.c.key_id == t.api_keys.c.id)
            .where(t.key_spaces.c.space_id == space.key, t.api_keys.c.revoked_at.is_(None))
        )
        with self.engine.connect() as conn:
            return [str(row[0]) for row in conn.execute(query).all()]

    def _load(self, query: sa.Select[Any]) -> list[Space]:
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            links = conn.execute(
                sa.select(t.space_sources).where(
                    t.space_sources.c.space_id.in_([r["id"] for r in rows])
                )
            ).all()
        sources: dict[int, list[int]] = {}
        for link in links:
            sources.setdefault(int(link.space_id), []).append(int(link.source_id))
        return [_space(row, tuple(sorted(sources.get(int(row["id"]), [])))) for row in rows]

    def list(self, names: tuple[str, ...] | None = None) -> list[Space]:
        """Every space, or those among ``names`` (a key's spaces)."""
        query = sa.select(t.spaces).order_by(t.spaces.c.name)
        if names is not None:
            query = query.where(t.spaces.c.name.in_(names))
        return self._load(query)


def _space(row: Any, source_ids: tuple[int, ...]) -> Space:
    return Space(
        name=str(row["name"]),
        description=str(row["description"] or ""),
        language=str(row["language"] or ""),
        domains=tuple(row["domains"] or ()),
        recency=str(row["recency"] or ""),
        instructions=str(row["instructions"] or ""),
        source_ids=source_ids,
        created_at=_iso(row["created_at"]),
        key=int(row["id"]),
    )
