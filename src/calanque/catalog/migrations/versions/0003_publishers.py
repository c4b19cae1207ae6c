"""Publishers: a log of citations per host and the hosts the operator was asked to forget.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # One row per citation in a stored answer: which page, when; never the question.
    op.create_table(
        "citations",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("cited_at", STAMP, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_citations_host", "citations", ["host"])
    # Hosts no crawl, worker or web answer may fetch until the operator unforgets them.
    op.create_table(
        "forgotten_hosts",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("forgotten_at", STAMP, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("forgotten_hosts")
    op.drop_index("ix_citations_host", table_name="citations")
    op.drop_table("citations")
