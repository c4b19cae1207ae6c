"""The migrations build exactly the schema that ``catalog/schema.py`` declares.

Two SQLite databases are compared: one built by ``alembic upgrade head`` from
``catalog/migrations``, one by ``metadata.create_all``. A change to schema.py that comes
without its migration makes them differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from calanque.catalog import Catalog, schema
from calanque.catalog.engine import HEAD_REVISION, MIGRATIONS


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrated(path: Path) -> sa.Engine:
    """A database built by ``alembic upgrade head``."""
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return engine


def declared(path: Path, metadata: sa.MetaData) -> sa.Engine:
    """A database built by ``metadata.create_all``."""
    engine = sa.create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    return engine


def schema_of(engine: sa.Engine) -> dict[str, dict[str, Any]]:
    """Tables with their columns (type, nullability), keys, indexes and constraints."""
    inspector = sa.inspect(engine)
    with engine.connect() as connection:
        ddl = dict(connection.execute(sa.text("SELECT name, sql FROM sqlite_master")).all())
    return {
        name: {
            "columns": {
                c["name"]: (str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)
            },
            "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(name)
            ),
            "unique": sorted(
                (u["name"] or "", tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(name)
            ),
            "foreign_keys": sorted(
                (
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                    f["options"].get("ondelete"),
                )
                for f in inspector.get_foreign_keys(name)
            ),
            "autoincrement": "AUTOINCREMENT" in (ddl[name] or "").upper(),
        }
        for name in inspector.get_table_names()
        if name != "alembic_version"
    }


def differences(engine: sa.Engine, metadata: sa.MetaData) -> list[Any]:
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))


def with_new_column(metadata: sa.MetaData) -> sa.MetaData:
    """A copy of ``metadata`` where ``pages`` has one more column."""
    copy = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(copy)
    copy.tables["pages"].append_column(sa.Column("language", sa.String(8)))
    return copy


def test_upgrade_head_builds_the_declared_schema(tmp_path: Path) -> None:
    upgraded = schema_of(migrated(tmp_path / "migrated.db"))
    created = schema_of(declared(tmp_path / "declared.db", schema.metadata))
    assert set(created) == set(schema.metadata.tables)  # the comparison covers every table
    assert created["chunks"]["autoincrement"] and created["frontier"]["indexes"]
    assert upgraded == created
    assert differences(migrated(tmp_path / "again.db"), schema.metadata) == []


def test_a_schema_change_without_its_migration_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migrations must not follow schema.py by themselves: they are frozen history."""
    changed = with_new_column(schema.metadata)
    monkeypatch.setattr(schema, "metadata", changed)
    upgraded = schema_of(migrated(tmp_path / "migrated.db"))
    created = schema_of(declared(tmp_path / "declared.db", changed))
    assert "language" in created["pages"]["columns"]
    assert "language" not in upgraded["pages"]["columns"]
    diff = differences(migrated(tmp_path / "again.db"), changed)
    assert [(d[0], d[2]) for d in diff] == [("add_column", "pages")]


def test_opening_a_catalog_twice_migrates_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    Catalog.open(url).close()
    again = Catalog.open(url)
    assert again.counts()["sources"] == 0
    assert schema_of(again.engine) == schema_of(declared(tmp_path / "d.db", schema.metadata))
    again.close()


def test_head_revision_constant_matches_the_migrations() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION
