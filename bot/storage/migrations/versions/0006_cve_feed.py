"""CVE feed store: the official Kubernetes CVE feed as last refreshed, so a restart keeps it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cve_feed_items",
        sa.Column("cve_id", sa.String(32), primary_key=True),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cve_feed_items")
