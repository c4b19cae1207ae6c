"""The catalog's tables (SQLAlchemy Core), one schema for SQLite and PostgreSQL.

The catalog is the source of truth. ``chunk_log`` is the ordered list of chunk
changes an index follows: an index records the last ``seq`` it applied, so it
can always catch up, or be rebuilt, from here.

Schema changes are Alembic migrations in ``catalog/migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# BigInteger ids map to INTEGER PRIMARY KEY (rowid) on SQLite, BIGSERIAL on PostgreSQL.
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

sources = Table(
    "sources",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("url", Text, nullable=False),
    Column("scope", JSON, nullable=False),
    Column("poll_interval_s", Integer, nullable=False, default=3600),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_polled_at", DateTime(timezone=True)),
    # Who added the source: "operator" (CLI, config) or "key:<name>" (the API). Every fetch
    # for a source added over the API goes through the address guard, whoever runs the crawl.
    Column("added_by", String(160), nullable=False, default="operator"),
    UniqueConstraint("kind", "url", name="uq_sources_kind_url"),
)

hosts = Table(
    "hosts",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("next_fetch_at", Float, nullable=False, default=0.0),  # epoch seconds
    Column("crawl_delay", Float),
    Column("robots_status", Integer),
    Column("robots_body", Text),
    Column("robots_fetched_at", Float),
    Column("tdmrep_body", Text),
    Column("tdmrep_fetched_at", Float),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
)

frontier = Table(
    "frontier",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),
    Column("host", String(255), nullable=False),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("depth", Integer, nullable=False, default=0),
    # queued | leased | done | failed | refused | skipped
    Column("state", String(16), nullable=False, default="queued"),
    Column("due_at", Float, nullable=False, default=0.0),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(64)),
    Column("discovered_at", DateTime(timezone=True), nullable=False),
    Index("ix_frontier_state_due", "state", "due_at"),
    Index("ix_frontier_host", "host"),
)

pages = Table(
    "pages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("canonical_url", Text),
    Column("status", Integer),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("content_type", String(128)),
    Column("content_hash", String(64)),
    Column("size", BigInteger),
    Column("fetched_at", DateTime(timezone=True)),
    Column("error_kind", String(64)),
    Column("error_message", Text),
    Column("document_id", BigInteger),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False, unique=True),
    Column("canonical_url", Text),
    Column("title", Text, nullable=False, default=""),
    Column("author", Text, nullable=False, default=""),
    Column("date", String(10), nullable=False, default=""),
    Column("language", String(8), nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("headings", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("minhash", LargeBinary),
    Column("other_urls", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

chunks = Table(
    "chunks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("heading_path", JSON, nullable=False),
    Column("language", String(8), nullable=False, default=""),
    Column("text_hash", String(64), nullable=False),
    Index("ix_chunks_document", "document_id"),
    sqlite_autoincrement=True,
)

chunk_log = Table(
    "chunk_log",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("chunk_id", BigInteger, nullable=False),
    Column("op", String(8), nullable=False),  # upsert | delete
    sqlite_autoincrement=True,
)

consent = Table(
    "consent",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("host", String(255), nullable=False),
    Column("allowed", Boolean, nullable=False),
    Column("signal", String(32), nullable=False),
    Column("rule", Text, nullable=False),
    Column("action", String(32), nullable=False, default=""),  # fetched | skipped | deleted
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Index("ix_consent_url", "url"),
)

files = Table(
    "files",
    metadata,
    Column("path", Text, primary_key=True),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("content_hash", String(64)),
)

threads = Table(
    "threads",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", Text, nullable=False, default=""),
    # The API key that created the thread; NULL for threads made by the operator's CLI.
    # Another key gets 404 for it.
    Column("owner", String(128)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_threads_owner", "owner"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("thread_id", ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("payload", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_messages_thread", "thread_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(128), nullable=False),
    Column("role", String(16), nullable=False, default="reader"),  # admin | reader
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

query_log = Table(
    "query_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("query", Text, nullable=False),
    Column("key_name", String(128)),
)

# One row per citation in a stored answer (host and page, never the question).
citations = Table(
    "citations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("host", String(255), nullable=False),
    Column("url", Text, nullable=False),
    Column("cited_at", DateTime(timezone=True), nullable=False),
    Index("ix_citations_host", "host"),
    sqlite_autoincrement=True,
)

# Hosts the operator forgot: every crawl, worker and web answer refuses them ("forgotten").
forgotten_hosts = Table(
    "forgotten_hosts",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("forgotten_at", DateTime(timezone=True), nullable=False),
)

# Spaces: a named set of sources with default filters and instructions for generative writers.
spaces = Table(
    "spaces",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("language", String(8), nullable=False, default=""),
    Column("domains", JSON, nullable=False),
    Column("recency", String(8), nullable=False, default=""),  # "", day, week, month, year
    Column("instructions", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

space_sources = Table(
    "space_sources",
    metadata,
    Column("space_id", ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
)

# An API key listed here sees, searches and asks only within its spaces.
key_spaces = Table(
    "key_spaces",
    metadata,
    Column("key_id", ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
    Column("space_id", ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
)
