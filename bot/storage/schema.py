"""Tables of the question log, event claims, the welcome registry and the readiness write probe.

Keep in step with bot/storage/migrations/versions/ (tests compare the two on both dialects).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, String,
                        Table, Text, TypeDecorator)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in and out, on both dialects.

    PostgreSQL stores `timestamptz`; SQLite stores text without an offset, so values are converted
    to UTC before binding (keeping text comparisons correct) and marked UTC when read back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @staticmethod
    def _utc(value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return self._utc(value)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return self._utc(value)


# BIGINT on PostgreSQL, INTEGER (the rowid alias, so autoincrementing) on SQLite.
_Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

questions = Table(
    "questions",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("asked_at", UTCDateTime(), nullable=False),
    Column("channel_id", String(64)),
    Column("user_hash", String(128)),
    Column("source", String(32), nullable=False),
    Column("text", Text),  # redacted question; NULL for kind 'private'
    Column("normalized", Text),  # matcher's normalised text; NULL for kind 'private'
    Column("kind", String(16), nullable=False),
    Column("faq_id", String(128)),
    Column("confidence", Float, nullable=False),
    Column("route_id", String(128)),
    Column("suggestion_ids", Text),  # comma-joined entry ids (kebab-case, never contain commas)
    Column("ref", String(300)),  # '<inbox event key>#<n>' when logged after the reply (migration 0004)
    Index("ix_questions_asked_at", "asked_at"),
    Index("ix_questions_kind_asked_at", "kind", "asked_at"),
    Index("ix_questions_faq_id", "faq_id"),
    Index("ux_questions_ref", "ref", unique=True),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("question_id", _Id, ForeignKey("questions.id", ondelete="SET NULL")),
    Column("faq_id", String(128)),
    Column("user_hash", String(128)),
    Column("helpful", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("reason", String(32)),  # why not helpful (the feedback modal, migration 0004)
    Column("comment", Text),  # its optional comment: bounded, credentials redacted
    Index("ix_feedback_created_at", "created_at"),
    Index("ix_feedback_faq_id", "faq_id"),
    Index("ix_feedback_question_id", "question_id"),
    Index("ux_feedback_question_user", "question_id", "user_hash", unique=True),  # one vote per person
)

suggestion_picks = Table(
    "suggestion_picks",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("question_id", _Id, ForeignKey("questions.id", ondelete="CASCADE"), nullable=False),
    Column("faq_id", String(128), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_suggestion_picks_question_id", "question_id"),
    Index("ix_suggestion_picks_created_at", "created_at"),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("event_id", String(255), primary_key=True),
    Column("state", String(16), nullable=False),  # 'processing' | 'done'
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Index("ix_processed_events_claimed_at", "claimed_at"),
)

welcomed_users = Table(
    "welcomed_users",
    metadata,
    Column("user_hash", String(128), primary_key=True),
    Column("welcomed_at", UTCDateTime(), nullable=False),
)

# /readyz writes one row per replica (its host name) to prove the database takes writes.
readiness_probes = Table(
    "readiness_probes",
    metadata,
    Column("replica", String(255), primary_key=True),
    Column("probed_at", UTCDateTime(), nullable=False),
)

# The durable inbox (bot/storage/inbox.py): accepted Slack events until Slack accepted every reply.
inbox = Table(
    "inbox",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("event_key", String(255), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),  # the event, redacted
    Column("state", String(16), nullable=False),  # pending | processing | done | failed
    Column("attempts", Integer, nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("not_before", UTCDateTime(), nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_expires", UTCDateTime()),
    Column("outbox", Text),  # the rendered replies (JSON), once decided
    Column("sent", Integer, nullable=False),  # how many of them Slack accepted
    Column("finished_at", UTCDateTime()),
    Column("last_error", String(200)),
    Index("ix_inbox_state_not_before", "state", "not_before"),
    Index("ix_inbox_received_at", "received_at"),
)

# The per-user rate limit, shared by every replica.
rate_hits = Table(
    "rate_hits",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("user_hash", String(128), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_rate_hits_user_hash_at", "user_hash", "at"),
)

# Threads the bot answered in (bot/storage/threads.py): the asker's follow-ups there need no mention.
conversation_threads = Table(
    "conversation_threads",
    metadata,
    Column("channel_id", String(64), primary_key=True),
    Column("thread_ts", String(32), primary_key=True),
    Column("user_hash", String(128), nullable=False),  # the asker
    Column("question", Text, nullable=False),  # the first question, redacted and cut: the thread's topic
    Column("faq_id", String(128)),  # the entry the bot last answered with there
    Column("answered_at", UTCDateTime(), nullable=False),
    Column("other_reply_ts", String(32)),  # first message by someone else since the bot answered
    Index("ix_conversation_threads_answered_at", "answered_at"),
)

# The official CVE feed as last refreshed (issue 12): one row per CVE id, the feed item as JSON, and
# when a refresh last saw it; a restart serves it while the feed is unreachable.
cve_feed_items = Table(
    "cve_feed_items",
    metadata,
    Column("cve_id", String(32), primary_key=True),
    Column("item", Text, nullable=False),
    Column("fetched_at", UTCDateTime(), nullable=False),
)

ALL_TABLES = (questions, feedback, suggestion_picks, processed_events, welcomed_users, readiness_probes, inbox,
              rate_hits, cve_feed_items, conversation_threads)
