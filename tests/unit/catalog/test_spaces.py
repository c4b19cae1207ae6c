"""Spaces in the catalog: names, sources, and the keys limited to them."""

from __future__ import annotations

from pathlib import Path

import pytest

from calanque.catalog import Catalog
from calanque.catalog.spaces import Space, SpaceError, UnknownSpaceError
from calanque.types import Scope


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")


def test_create_add_remove_list_delete(catalog: Catalog) -> None:
    source = catalog.add_source("site", "http://docs.example/", Scope()).id
    spaces = catalog.spaces
    made = spaces.create(Space("docs", description="Manuals", domains=("docs.example",)))
    assert made.id == "space:docs" and made.source_ids == ()
    assert spaces.add_source("space:docs", source).source_ids == (source,)
    assert spaces.add_source("docs", source).source_ids == (source,)  # idempotent
    assert [s.as_json()["name"] for s in spaces.list()] == ["docs"]
    assert spaces.remove_source("docs", source).source_ids == ()
    spaces.delete("docs")
    assert spaces.list() == []


def test_errors_say_what_to_do(catalog: Catalog) -> None:
    spaces = catalog.spaces
    with pytest.raises(SpaceError, match="bad space name"):
        spaces.create(Space("no spaces"))
    spaces.create(Space("docs"))
    with pytest.raises(SpaceError, match="exists already"):
        spaces.create(Space("docs"))
    with pytest.raises(UnknownSpaceError, match="calanque space list"):
        spaces.get("nope")
    with pytest.raises(SpaceError, match="no source 42"):
        spaces.add_source("docs", 42)
    with pytest.raises(SpaceError, match="not in space"):
        spaces.remove_source("docs", 42)


def test_removing_a_source_takes_it_out_of_its_spaces(catalog: Catalog) -> None:
    source = catalog.add_source("site", "http://docs.example/", Scope()).id
    catalog.spaces.create(Space("docs"))
    catalog.spaces.add_source("docs", source)
    catalog.remove_source(source)
    assert catalog.spaces.get("docs").source_ids == ()


def test_keys_limited_to_spaces(catalog: Catalog) -> None:
    catalog.api_keys.create("boss")
    catalog.api_keys.create("alice")
    catalog.spaces.create(Space("docs"))
    catalog.spaces.create(Space("wiki"))
    catalog.spaces.limit_key("alice", ["wiki", "space:docs"])
    assert catalog.spaces.of_key("alice") == ("docs", "wiki")
    assert catalog.spaces.of_key("boss") is None
    with pytest.raises(SpaceError, match="revoke them first"):
        catalog.spaces.delete("docs")
    catalog.api_keys.revoke("alice")
    catalog.spaces.delete("docs")
