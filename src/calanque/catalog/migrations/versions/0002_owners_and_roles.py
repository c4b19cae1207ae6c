"""Owners and roles: who added a source, which key owns a thread, what a key may do.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sources that exist before this revision were added by the operator or by any key; the
    # catalog cannot tell, so they keep the operator's trust as they had it.
    with op.batch_alter_table("sources") as batch:
        batch.add_column(
            sa.Column("added_by", sa.String(160), nullable=False, server_default="operator")
        )
    # Threads that exist before this revision belong to no key: only an admin key sees them.
    with op.batch_alter_table("threads") as batch:
        batch.add_column(sa.Column("owner", sa.String(128), nullable=True))
        batch.create_index("ix_threads_owner", ["owner"])
    # Keys that exist before this revision could do everything; they stay admins.
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="admin"))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("role")
    with op.batch_alter_table("threads") as batch:
        batch.drop_index("ix_threads_owner")
        batch.drop_column("owner")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("added_by")
