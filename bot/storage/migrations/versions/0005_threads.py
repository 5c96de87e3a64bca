"""Conversation threads: the bot's answer threads, so the asker's follow-ups there need no mention (issue 13).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_threads",
        sa.Column("channel_id", sa.String(64), primary_key=True),
        sa.Column("thread_ts", sa.String(32), primary_key=True),
        sa.Column("user_hash", sa.String(128), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("faq_id", sa.String(128)),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("other_reply_ts", sa.String(32)),
    )
    op.create_index("ix_conversation_threads_answered_at", "conversation_threads", ["answered_at"])


def downgrade() -> None:
    op.drop_index("ix_conversation_threads_answered_at", table_name="conversation_threads")
    op.drop_table("conversation_threads")
