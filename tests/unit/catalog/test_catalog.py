"""The catalog: writes are atomic and logged for indexes (migrations: test_migrations.py)."""

from __future__ import annotations

import sqlalchemy as sa

from calanque.catalog import Catalog, NewURL, PageRecord
from calanque.types import Chunk, ConsentDecision, Document, Scope


def open_catalog(tmp_path) -> Catalog:
    return Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")


def doc(url: str, text: str) -> Document:
    return Document(url=url, text=text, title="T", language="en")


def chunks_of(text: str) -> list[Chunk]:
    half = len(text) // 2
    return [Chunk(0, 0, text[:half], 0, half), Chunk(0, 1, text[half:], half, len(text))]


def test_sqlite_runs_in_wal_mode(tmp_path):
    catalog = open_catalog(tmp_path)
    with catalog.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"


def test_saving_a_changed_document_logs_deletes_then_upserts(tmp_path):
    catalog = open_catalog(tmp_path)
    source = catalog.add_source("site", "http://x/", Scope(prefix="http://x/"))
    page = PageRecord(url="http://x/a", source_id=source.id, status=200)
    first = catalog.save_document(
        page, doc("http://x/a", "alpha beta"), chunks_of("alpha beta"), None
    )
    same = catalog.save_document(
        page, doc("http://x/a", "alpha beta"), chunks_of("alpha beta"), None
    )
    assert first.changed and not same.changed
    catalog.save_document(page, doc("http://x/a", "gamma delta"), chunks_of("gamma delta"), None)
    ops = [(c.op) for c in catalog.changes_since(0)]
    assert ops == ["upsert", "upsert", "delete", "delete", "upsert", "upsert"]
    live = catalog.all_chunk_ids()
    assert [c.text for c in catalog.indexed_chunks(live)] == ["gamma", " delta"]


def test_chunk_ids_are_never_reused(tmp_path):
    catalog = open_catalog(tmp_path)
    source = catalog.add_source("site", "http://x/", Scope())
    page = PageRecord(url="http://x/a", source_id=source.id, status=200)
    catalog.save_document(page, doc("http://x/a", "one two"), chunks_of("one two"), None)
    first_ids = set(catalog.all_chunk_ids())
    catalog.forget_document("http://x/a")
    catalog.save_document(page, doc("http://x/a", "three four"), chunks_of("three four"), None)
    assert not first_ids & set(catalog.all_chunk_ids())


def test_opt_out_deletes_and_records(tmp_path):
    catalog = open_catalog(tmp_path)
    source = catalog.add_source("site", "http://x/", Scope())
    page = PageRecord(url="http://x/a", source_id=source.id, status=200)
    catalog.save_document(page, doc("http://x/a", "one two"), chunks_of("one two"), None)
    refused = ConsentDecision("http://x/a", False, "x-robots-tag", "noai")
    assert catalog.delete_document_at("http://x/a", refused)
    assert catalog.counts()["documents"] == 0 and catalog.all_chunk_ids() == []
    entry = catalog.consent_for("http://x/a")
    assert entry["action"] == "deleted" and entry["signal"] == "x-robots-tag"


def test_host_leases_exclude_other_workers_until_they_expire(tmp_path):
    catalog = open_catalog(tmp_path)
    source = catalog.add_source("site", "http://h/", Scope())
    catalog.frontier.enqueue([NewURL(f"http://h/{i}", "http://h", source.id) for i in range(3)])
    assert catalog.frontier.lease_hosts("a", 5, lease_s=60) == ["http://h"]
    assert catalog.frontier.lease_hosts("b", 5, lease_s=60) == []
    items = catalog.frontier.take_urls("http://h", "a", 2, lease_s=60)
    assert len(items) == 2
    catalog.frontier.lease_hosts("a", 5, lease_s=-1)  # a's lease is now expired
    assert catalog.frontier.lease_hosts("b", 5, lease_s=60) == ["http://h"]
    taken = catalog.frontier.take_urls("http://h", "b", 5, lease_s=60)
    assert len(taken) == 1  # a's two URLs are still leased (their lease has not expired)


def test_remove_source_deletes_everything_collected(tmp_path):
    catalog = open_catalog(tmp_path)
    source = catalog.add_source("site", "http://x/", Scope())
    page = PageRecord(url="http://x/a", source_id=source.id, status=200)
    catalog.save_document(page, doc("http://x/a", "one two"), chunks_of("one two"), None)
    assert catalog.remove_source(source.id) == 1
    counts = catalog.counts()
    assert counts["documents"] == counts["chunks"] == counts["pages"] == counts["sources"] == 0
    assert [c.op for c in catalog.changes_since(0)][-2:] == ["delete", "delete"]
