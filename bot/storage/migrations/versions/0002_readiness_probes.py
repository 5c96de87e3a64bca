"""Readiness write probe: /readyz upserts one row per replica to prove the database takes writes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness_probes",
        sa.Column("replica", sa.String(255), primary_key=True),
        sa.Column("probed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("readiness_probes")
