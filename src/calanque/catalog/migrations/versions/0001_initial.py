"""The initial catalog schema.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from calanque.catalog import schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The first revision creates the tables exactly as declared in schema.py at 0.1.0.
# Every later change to schema.py must come with its own revision using explicit
# ``op`` calls; tests/unit/catalog/test_migrations.py fails when the two drift.


def upgrade() -> None:
    schema.metadata.create_all(op.get_bind())


def downgrade() -> None:
    schema.metadata.drop_all(op.get_bind())
