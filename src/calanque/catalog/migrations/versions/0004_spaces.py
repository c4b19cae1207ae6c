"""Spaces: named sets of sources with default filters, and API keys limited to spaces.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "spaces",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("domains", sa.JSON, nullable=False),
        sa.Column("recency", sa.String(8), nullable=False),
        sa.Column("instructions", sa.Text, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
    )
    op.create_table(
        "space_sources",
        sa.Column("space_id", ID, sa.ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "source_id", ID, sa.ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_table(
        "key_spaces",
        sa.Column("key_id", ID, sa.ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("space_id", ID, sa.ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("key_spaces")
    op.drop_table("space_sources")
    op.drop_table("spaces")
