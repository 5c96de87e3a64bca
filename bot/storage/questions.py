"""The question log: what was asked, what the bot did, what people thought of it, and the report queries.

Privacy rules enforced here, not by callers:
* user ids arrive hashed through `user_key` (HMAC-SHA256 with the salt) unless ids are kept;
* a `private` question (an undisclosed vulnerability) leaves only its kind, channel, surface and
  time: no text, no normalised text, no user, no entry.
`reply.question` arrives already secret-redacted by the core; the log never sees raw input.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from sqlalchemy import String, and_, case, delete, false, func, insert, or_, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.reply import AskContext, Reply, ReplyKind
from bot.storage.batching import GroupCommit
from bot.storage.engine import Clock, insert_ignore, single_statements
from bot.storage.values import clean_text
from bot.storage.schema import feedback, inbox, processed_events, questions, rate_hits, suggestion_picks

INBOX_DONE_KEEP = dt.timedelta(days=1)  # answered events (redacted text) outlive Slack's retries, no longer
# Claims the retention purge keeps: the CVE feed's baseline and per-CVE announcement claims (bot.delivery.jobs).
# Purged, the next refresh would take the baseline again and never announce what arrived meanwhile. One short
# row per Kubernetes CVE, no user data.
KEPT_CLAIMS = "cve-%"
OFF_TOPIC_KIND = "off_topic"  # stored kind of an UNKNOWN reply to a non-security message
GAP_KINDS = (ReplyKind.UNKNOWN.value, ReplyKind.ROUTED.value)

# One row of `gap_rows`: (asked_at, channel_id, user_hash, text, normalized, route_id, reason)
GapRow = tuple[Any, str | None, str | None, str | None, str | None, str | None, str]


class QuestionLog:
    """Writes and reads of questions, feedback and suggestion picks."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock, user_key: Callable[[str | None], str | None]) -> None:
        self._engine = engine
        self._single = single_statements(engine)
        self._clock = clock
        self._user_key = user_key
        self._log_statement = insert(questions).returning(questions.c.id, sort_by_parameter_order=True)
        self._log_batch = GroupCommit(self._insert_questions)
        self._rate_batch = GroupCommit(self._rate_hits)

    async def drain(self) -> None:
        await self._log_batch.drain()
        await self._rate_batch.drain()

    async def _insert_questions(self, rows: list[dict[str, Any]]) -> list[int]:
        async with self._single.begin() as connection:
            result = await connection.execute(self._log_statement, rows)
            return [int(row[0]) for row in result.all()]

    # ------------------------------------------------------------------ writes

    def question_row(self, reply: Reply, context: AskContext, *, asked_at: dt.datetime | None = None
                     ) -> dict[str, Any]:
        """The row `log_question` writes for one question (no I/O: `LogLater` keeps it until the reply is sent)."""
        row: dict[str, Any] = {
            "asked_at": asked_at or self._clock(),
            "channel_id": context.channel_id,
            "source": context.source,
            # Chit-chat and everyday operations are logged apart so they never count as FAQ gaps.
            "kind": OFF_TOPIC_KIND if reply.off_topic else reply.kind.value,
        }
        if reply.kind is ReplyKind.PRIVATE:
            # Only the fact: no text, no person, no entry, nothing that hints at the report.
            row.update(user_hash=None, text=None, normalized=None, faq_id=None, confidence=0.0,
                       route_id=None, suggestion_ids=None)
        else:
            row.update(
                user_hash=self._user_key(context.user_id),
                text=reply.question,
                normalized=reply.normalized or None,
                faq_id=reply.faq_id,
                confidence=float(reply.confidence),
                route_id=reply.route_id,
                suggestion_ids=",".join(reply.suggestion_ids) or None,
            )
        return clean_text(row)

    async def log_question(self, reply: Reply, context: AskContext, *, asked_at: dt.datetime | None = None) -> int:
        """Record one question and what the bot did; returns the question id."""
        return await self._log_batch.submit(self.question_row(reply, context, asked_at=asked_at))

    async def _question_id(self, connection: Any, question: int | str | None) -> tuple[int, str | None] | None:
        """(id, answered entry) of a question named by its row id or by its `ref`; None when there is none."""
        if isinstance(question, bool) or question is None:
            return None
        where = questions.c.id == question if isinstance(question, int) else questions.c.ref == str(question)[:300]
        found = (await connection.execute(select(questions.c.id, questions.c.faq_id).where(where))).first()
        return (int(found.id), found.faq_id) if found is not None else None

    async def record_feedback(self, *, question_id: int | str | None, user_id: str | None, helpful: bool,
                              reason: str | None = None, comment: str | None = None) -> bool:
        """One person's vote on one answered question; a second click changes it. `question_id` is the row
        id or its `ref`. A reason (and comment) from the "Not helpful" modal is stored with the vote.

        False (nothing stored) when the question does not exist (never logged, or purged). The entry
        voted on is the one the question log says was answered, never what the button claimed.
        """
        async with self._engine.begin() as connection:
            found = await self._question_id(connection, question_id)
            if found is None:
                return False
            row = dict(question_id=found[0], faq_id=found[1], user_hash=self._user_key(user_id),
                       helpful=bool(helpful), created_at=self._clock())
            changed: tuple[str, ...] = ("helpful", "created_at")
            if reason is not None:
                row.update(reason=reason, comment=clean_text(comment) if comment else None)
                changed += ("reason", "comment")
            if row["user_hash"] is None:  # no person to count once: a plain insert
                await connection.execute(insert(feedback).values(**row))
                return True
            upsert = insert_ignore(feedback, ["question_id", "user_hash"], self._engine.dialect.name, update=changed)
            await connection.execute(upsert.values(**row))
        return True

    async def record_suggestion_pick(self, *, question_id: int | str, faq_id: str) -> bool:
        """The asker chose one of the 'did you mean' entries (by row id or `ref`); False if the question is gone."""
        async with self._engine.begin() as connection:
            found = await self._question_id(connection, question_id)
            if found is None:
                return False
            await connection.execute(
                insert(suggestion_picks).values(question_id=found[0], faq_id=faq_id, created_at=self._clock())
            )
        return True

    async def purge(self, *, older_than_days: int, now: dt.datetime | None = None) -> int:
        """Delete questions, feedback, picks, processed events (not `KEPT_CLAIMS`) and failed inbox events older
        than that, and answered inbox events older than a day (their redacted text is not kept longer); rows deleted."""
        if older_than_days < 0:
            raise ValueError("older_than_days must not be negative")
        cutoff = (now or self._clock()) - dt.timedelta(days=older_than_days)
        old_questions = select(questions.c.id).where(questions.c.asked_at < cutoff)
        statements = (
            delete(suggestion_picks).where(
                or_(suggestion_picks.c.created_at < cutoff, suggestion_picks.c.question_id.in_(old_questions))
            ),
            delete(feedback).where(feedback.c.created_at < cutoff),
            # Newer feedback on an old question keeps its vote; question_id becomes NULL.
            update(feedback).where(feedback.c.question_id.in_(old_questions)).values(question_id=None),
            delete(questions).where(questions.c.asked_at < cutoff),
            delete(processed_events).where(processed_events.c.claimed_at < cutoff,
                                           processed_events.c.event_id.not_like(KEPT_CLAIMS)),
            delete(inbox).where(inbox.c.state == "done", inbox.c.finished_at < (now or self._clock()) - INBOX_DONE_KEEP),
            delete(inbox).where(inbox.c.state == "failed", inbox.c.received_at < cutoff),
            # Rate-limit hits matter for a minute; keep an hour (they hold hashed ids only).
            delete(rate_hits).where(rate_hits.c.at < (now or self._clock()) - dt.timedelta(hours=1)),
        )
        deleted = 0
        async with self._engine.begin() as connection:
            for statement in statements:
                result = await connection.execute(statement)
                if statement.is_delete:
                    deleted += max(result.rowcount or 0, 0)
        return deleted

    # ------------------------------------------------------------------ reads (reports, App Home)

    async def popular_entries(
        self, *, days: int, limit: int = 5, now: dt.datetime | None = None
    ) -> list[tuple[str, int]]:
        """The FAQ entries answered most often in the last `days` days, most first."""
        cutoff = (now or self._clock()) - dt.timedelta(days=days)
        count = func.count().label("n")
        statement = (
            select(questions.c.faq_id, count)
            .where(
                questions.c.kind == ReplyKind.ANSWERED.value,
                questions.c.asked_at >= cutoff,
                questions.c.faq_id.is_not(None),
            )
            .group_by(questions.c.faq_id)
            .order_by(count.desc(), questions.c.faq_id)
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        return [(str(faq_id), int(n)) for faq_id, n in rows]

    async def allow_question(self, user_id: str, *, per_minute: int) -> bool:
        """The per-user rate limit shared by every replica: record this question unless the user is over it."""
        return await self._rate_batch.submit({"user_hash": self._user_key(user_id), "at": self._clock(),
                                              "limit": per_minute})

    async def _rate_hits(self, rows: list[dict[str, Any]]) -> list[bool]:
        """One batch of rate-limit checks: one count query and one insert for all of them."""
        window = max(row["at"] for row in rows) - dt.timedelta(seconds=60)
        users = {row["user_hash"] for row in rows}
        async with self._engine.begin() as connection:
            counted = await connection.execute(
                select(rate_hits.c.user_hash, func.count()).where(rate_hits.c.user_hash.in_(users),
                                                                  rate_hits.c.at > window)
                .group_by(rate_hits.c.user_hash))
            counts = {user: int(n) for user, n in counted.all()}
            allowed, hits = [], []
            for row in rows:
                seen = counts.get(row["user_hash"], 0)
                allowed.append(seen < row["limit"])
                if seen < row["limit"]:
                    counts[row["user_hash"]] = seen + 1
                    hits.append({"user_hash": row["user_hash"], "at": row["at"]})
            if hits:
                await connection.execute(insert(rate_hits), hits)
        return allowed

    async def gap_rows(self, *, since: dt.datetime, until: dt.datetime, low_confidence: float) -> list[GapRow]:
        """Questions the FAQ served badly in the window, each with its reason."""
        q = questions
        picked = select(suggestion_picks.c.question_id)
        unhelpful = select(feedback.c.question_id).where(feedback.c.helpful == false(),
                                                         feedback.c.question_id.is_not(None))
        is_unhelpful = q.c.id.in_(unhelpful)
        # SQLite keeps timestamps as fixed-width UTC text that sorts like the instant; reading it raw
        # skips parsing 100k datetimes (min/max work on the text; each group's two are parsed later).
        asked_at = type_coerce(q.c.asked_at, String) if self._engine.dialect.name == "sqlite" else q.c.asked_at
        statement = (
            select(asked_at, q.c.channel_id, q.c.user_hash, q.c.text, q.c.normalized, q.c.route_id, q.c.kind,
                   q.c.confidence, is_unhelpful.label("unhelpful"), q.c.id.in_(picked).label("picked"))
            .where(
                q.c.asked_at >= since,
                q.c.asked_at <= until,
                or_(
                    q.c.kind.in_(GAP_KINDS),
                    q.c.kind == ReplyKind.SUGGESTIONS.value,
                    and_(q.c.kind == ReplyKind.ANSWERED.value, or_(q.c.confidence < low_confidence, is_unhelpful)),
                ),
            )
        )
        async with self._engine.connect() as connection:
            raw = (await connection.execute(statement)).all()
        rows: list[GapRow] = []
        for asked, channel_id, user_hash, text, normalized, route_id, kind, _confidence, unhelpful_, picked_ in raw:
            if kind in GAP_KINDS:
                reason = "unanswered"
            elif unhelpful_:
                reason = "not_helpful"
            elif kind == ReplyKind.SUGGESTIONS.value:
                if picked_:
                    continue
                reason = "suggestions_unpicked"
            else:
                reason = "low_confidence"
            rows.append((asked, channel_id, user_hash, text, normalized, route_id, reason))
        return rows

    async def kind_counts(self, *, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
        """How many questions of each stored kind in the window."""
        statement = (
            select(questions.c.kind, func.count())
            .where(questions.c.asked_at >= since, questions.c.asked_at <= until)
            .group_by(questions.c.kind)
        )
        async with self._engine.connect() as connection:
            return {str(kind): int(n) for kind, n in (await connection.execute(statement)).all()}

    async def worst_rated(self, *, since: dt.datetime, until: dt.datetime, limit: int) -> list[tuple[str, int, int]]:
        """(faq_id, not helpful, helpful) for entries with at least one 'not helpful' vote, worst first."""
        not_helpful = func.sum(case((feedback.c.helpful == false(), 1), else_=0)).label("not_helpful")
        helpful = func.sum(case((feedback.c.helpful == false(), 0), else_=1)).label("helpful")
        statement = (
            select(feedback.c.faq_id, not_helpful, helpful)
            .where(feedback.c.created_at >= since, feedback.c.created_at <= until, feedback.c.faq_id.is_not(None))
            .group_by(feedback.c.faq_id)
            .having(not_helpful > 0)
            .order_by(not_helpful.desc(), helpful, feedback.c.faq_id)
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        return [(str(faq_id), int(bad), int(good)) for faq_id, bad, good in rows]

    # ------------------------------------------------------------------ feedback reasons (issue 13)

    async def reason_counts(self, *, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
        """How many 'not helpful' votes gave each reason in the window (the feedback modal's choices)."""
        statement = (
            select(feedback.c.reason, func.count())
            .where(feedback.c.created_at >= since, feedback.c.created_at <= until, feedback.c.helpful == false(),
                   feedback.c.reason.is_not(None))
            .group_by(feedback.c.reason)
        )
        async with self._engine.connect() as connection:
            return {str(reason): int(n) for reason, n in (await connection.execute(statement)).all()}
