"""Delivery: question rows logged after the reply, and why an answer was not helpful.

* questions.ref: a unique reference ('<inbox event key>#<n>') for rows the inbox worker writes after
  the reply was sent (insert-or-ignore on it, so a retry or a takeover never logs a question twice);
  the reply's feedback and suggestion buttons name the question by it before the row exists;
* feedback.reason / feedback.comment: what the "Not helpful" modal asked (issue 13).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("ref", sa.String(300)))
    op.create_index("ux_questions_ref", "questions", ["ref"], unique=True)
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("reason", sa.String(32)))
        batch.add_column(sa.Column("comment", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("comment")
        batch.drop_column("reason")
    op.drop_index("ux_questions_ref", table_name="questions")
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("ref")
