"""Question log, feedback, suggestion picks, event dedupe and welcomes.

Revision ID: 0001
Revises:
Create Date: 2024-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("asked_at", When, nullable=False),
        sa.Column("channel_id", sa.String(64)),
        sa.Column("user_hash", sa.String(128)),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("text", sa.Text()),
        sa.Column("normalized", sa.Text()),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("faq_id", sa.String(128)),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("route_id", sa.String(128)),
        sa.Column("suggestion_ids", sa.Text()),
    )
    op.create_index("ix_questions_asked_at", "questions", ["asked_at"])
    op.create_index("ix_questions_kind_asked_at", "questions", ["kind", "asked_at"])
    op.create_index("ix_questions_faq_id", "questions", ["faq_id"])

    op.create_table(
        "feedback",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("question_id", Id, sa.ForeignKey("questions.id", ondelete="SET NULL")),
        sa.Column("faq_id", sa.String(128)),
        sa.Column("user_hash", sa.String(128)),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    op.create_index("ix_feedback_faq_id", "feedback", ["faq_id"])
    op.create_index("ix_feedback_question_id", "feedback", ["question_id"])

    op.create_table(
        "suggestion_picks",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("question_id", Id, sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("faq_id", sa.String(128), nullable=False),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_index("ix_suggestion_picks_question_id", "suggestion_picks", ["question_id"])
    op.create_index("ix_suggestion_picks_created_at", "suggestion_picks", ["created_at"])

    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_at", When, nullable=False),
        sa.Column("finished_at", When),
    )
    op.create_index("ix_processed_events_claimed_at", "processed_events", ["claimed_at"])

    op.create_table(
        "welcomed_users",
        sa.Column("user_hash", sa.String(128), primary_key=True),
        sa.Column("welcomed_at", When, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("welcomed_users")
    op.drop_table("processed_events")
    op.drop_table("suggestion_picks")
    op.drop_table("feedback")
    op.drop_table("questions")
