"""Durable inbox, shared rate limit, one vote per person.

* inbox: every accepted Slack event (redacted) with its processing lease and the rendered replies
  still to send, so nothing acknowledged is lost to a crash, a restart or a Slack outage;
* rate_hits: the per-user rate limit shared by every replica;
* feedback: one vote per person per question (older duplicates removed, the newest kept).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("event_key", sa.String(255), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_expires", sa.DateTime(timezone=True)),
        sa.Column("outbox", sa.Text()),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.String(200)),
    )
    op.create_index("ix_inbox_state_not_before", "inbox", ["state", "not_before"])
    op.create_index("ix_inbox_received_at", "inbox", ["received_at"])
    op.create_table(
        "rate_hits",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("user_hash", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rate_hits_user_hash_at", "rate_hits", ["user_hash", "at"])
    # One vote per person per question: keep each person's newest vote.
    op.execute(
        "DELETE FROM feedback WHERE question_id IS NOT NULL AND user_hash IS NOT NULL AND id NOT IN ("
        "SELECT max_id FROM (SELECT MAX(id) AS max_id FROM feedback WHERE question_id IS NOT NULL "
        "AND user_hash IS NOT NULL GROUP BY question_id, user_hash) AS newest)"
    )
    op.create_index("ux_feedback_question_user", "feedback", ["question_id", "user_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_feedback_question_user", table_name="feedback")
    op.drop_index("ix_rate_hits_user_hash_at", table_name="rate_hits")
    op.drop_table("rate_hits")
    op.drop_index("ix_inbox_received_at", table_name="inbox")
    op.drop_index("ix_inbox_state_not_before", table_name="inbox")
    op.drop_table("inbox")
