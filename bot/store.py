"""The question log: what was asked, what the bot did, and what people thought of it.

One async SQLAlchemy engine over SQLite (default, WAL mode) or PostgreSQL (several replicas may
share it). The schema is owned by the Alembic revisions in `bot/migrations/`; `Store.open` applies
them. Privacy rules enforced here, not by callers:

* user ids are stored as HMAC-SHA256(salt, id) unless `keep_user_ids` is set;
* a `private` question (an undisclosed vulnerability) leaves only its kind, channel, surface and
  time: no text, no normalised text, no user, no entry.

`reply.question` arrives already secret-redacted by the core; the store never sees raw input.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from bot.config import mask
from bot.reply import AskContext, Reply, ReplyKind

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
OFF_TOPIC_KIND = "off_topic"  # stored kind of an UNKNOWN reply to a non-security message
# Serialises `upgrade_database` across replicas sharing one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x5167_5365_6342  # "QgSecB", any constant works


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


# --------------------------------------------------------------------------- schema
# Keep in step with bot/migrations/versions/ (tests compare the two on both dialects).

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
    Index("ix_questions_asked_at", "asked_at"),
    Index("ix_questions_kind_asked_at", "kind", "asked_at"),
    Index("ix_questions_faq_id", "faq_id"),
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
    Index("ix_feedback_created_at", "created_at"),
    Index("ix_feedback_faq_id", "faq_id"),
    Index("ix_feedback_question_id", "question_id"),
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

ALL_TABLES = (questions, feedback, suggestion_picks, processed_events, welcomed_users)


# --------------------------------------------------------------------------- engine and migrations


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, connect_args: Mapping[str, Any] | None = None) -> AsyncEngine:
    """An async engine with the per-dialect settings the bot relies on."""
    args: dict[str, Any] = dict(connect_args or {})
    if _is_sqlite(url):
        database = make_url(url).database or ""
        in_memory = database in ("", ":memory:") or "mode=memory" in url
        args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        options: dict[str, Any] = {"connect_args": args}
        if in_memory:  # one shared connection, or every checkout would see an empty database
            options["poolclass"] = StaticPool
        else:  # SQLite has one writer: queue in asyncio rather than in SQLite's sleeping busy handler
            options.update(pool_size=1, max_overflow=0, pool_timeout=30)
        engine = create_async_engine(url, **options)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                # busy_timeout first: switching to WAL needs a lock another process may hold.
                cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
                if not in_memory:
                    cursor.execute("PRAGMA journal_mode = WAL")
                    cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.execute("PRAGMA foreign_keys = ON")
            finally:
                cursor.close()

        return engine
    # No pre-ping round trip per checkout; recycle connections instead, and let a failed query fail.
    return create_async_engine(url, connect_args=args, pool_size=10, max_overflow=10, pool_recycle=1800)


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()  # no ini file: works from any working directory
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade_sync(connection: Connection) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        # Replicas starting together: one migrates, the others wait and then find nothing to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    command.upgrade(_alembic_config(connection), "head")


async def _upgrade(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_sync)


async def upgrade_database(url: str, *, connect_args: Mapping[str, Any] | None = None) -> None:
    """Apply every pending Alembic revision (idempotent; safe with concurrent replicas on PostgreSQL)."""
    engine = make_engine(url, connect_args=connect_args)
    try:
        await _upgrade(engine)
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------- group commit


class GroupCommit:
    """Concurrent callers' writes go to the database together, one statement per batch.

    `submit(item)` waits until the batch holding `item` is written and returns its own result, so
    callers keep their one-write semantics while a busy bot pays one round trip per batch instead
    of one per event. A batch closes `delay` seconds after its first item, or at `max_items`.
    """

    def __init__(self, write: Callable[[list[Any]], Awaitable[list[Any]]], *, delay: float = 0.002,
                 max_items: int = 500) -> None:
        self._write = write
        self._delay = delay
        self._max_items = max_items
        self._pending: list[tuple[Any, asyncio.Future[Any]]] = []
        self._flushing: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None

    async def submit(self, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self._max_items:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._delay, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)

    async def _run(self, batch: list[tuple[Any, asyncio.Future[Any]]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
        except Exception as exc:  # every caller of the batch sees the failure
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def drain(self) -> None:
        """Write what is pending and wait for batches in flight (before closing the engine)."""
        self._flush()
        if self._flushing:
            await asyncio.gather(*self._flushing, return_exceptions=True)


# --------------------------------------------------------------------------- the store


class Store:
    """Async access to the question log. Create with `await Store.open(url)`; `await close()` after."""

    def __init__(self, engine: AsyncEngine, *, url: str, user_id_salt: str, keep_user_ids: bool) -> None:
        self.engine = engine
        # Single-statement writes need no BEGIN/COMMIT round trips: the statement is its own transaction.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._url = url
        self._prepare_hot_statements()
        self._log_batch = GroupCommit(self._insert_questions)
        self._claim_batch = GroupCommit(self._insert_claims)
        self._finish_batch = GroupCommit(self._mark_done)
        self._salt = user_id_salt.encode("utf-8")
        self.keep_user_ids = keep_user_ids

    def __repr__(self) -> str:
        ids = "raw" if self.keep_user_ids else "hashed"
        return f"Store(url={mask(self._url)!r}, dialect={self.dialect!r}, user_ids={ids})"

    __str__ = __repr__

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        user_id_salt: str = "sigsec-bot",
        keep_user_ids: bool = False,
        migrate: bool = True,
        connect_args: Mapping[str, Any] | None = None,
    ) -> Store:
        """Connect (and by default migrate to the latest schema)."""
        engine = make_engine(url, connect_args=connect_args)
        try:
            if migrate:
                await _upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, url=url, user_id_salt=user_id_salt, keep_user_ids=keep_user_ids)

    async def close(self) -> None:
        for batch in (self._claim_batch, self._log_batch, self._finish_batch):
            await batch.drain()
        await self.engine.dispose()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def ping(self) -> bool:
        """True when the database answers `SELECT 1`."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
            log.warning("database ping failed: %s", type(exc).__name__)
            return False

    # ------------------------------------------------------------------ identity

    def user_key(self, user_id: str | None) -> str | None:
        """What is stored for a person: HMAC-SHA256 of the id with the salt, or the id itself."""
        if not user_id:
            return None
        if self.keep_user_ids:
            return user_id
        return hmac.new(self._salt, user_id.encode("utf-8"), hashlib.sha256).hexdigest()

    async def _write_one(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Any:
        """Run one write statement as its own transaction; the first RETURNING row, if any."""
        async with self._autocommit.connect() as connection:
            result = await connection.execute(statement, parameters)
            return result.first() if result.returns_rows else None

    def _prepare_hot_statements(self) -> None:
        """The per-event writes, built once (not rebuilt per event), each for a whole batch."""
        self._log_statement = insert(questions).returning(questions.c.id, sort_by_parameter_order=True)
        self._claim_statement = (
            self._insert_ignore(processed_events, ["event_id"]).returning(processed_events.c.event_id)
        )
        self._takeover_statement = (
            update(processed_events)
            .where(
                processed_events.c.event_id == bindparam("b_event_id"),
                processed_events.c.state == "processing",
                processed_events.c.claimed_at < bindparam("cutoff"),
            )
            .values(claimed_at=bindparam("now"))
            .returning(processed_events.c.event_id)
        )
        self._finish_statement = (
            update(processed_events)
            .where(processed_events.c.event_id.in_(bindparam("event_ids", expanding=True)))
            .values(state="done", finished_at=bindparam("now"))
        )

    async def _insert_questions(self, rows: list[dict[str, Any]]) -> list[int]:
        async with self._autocommit.connect() as connection:
            result = await connection.execute(self._log_statement, rows)
            return [int(row[0]) for row in result.all()]

    async def _insert_claims(self, event_ids: list[str]) -> list[bool]:
        """Insert-or-ignore a batch of claims; True for each id this batch inserted first."""
        now = utcnow()
        unique = list(dict.fromkeys(event_ids))
        rows = [{"event_id": e, "state": "processing", "claimed_at": now, "finished_at": None} for e in unique]
        async with self._autocommit.connect() as connection:
            result = await connection.execute(self._claim_statement, rows)
            inserted = {row[0] for row in result.all()}
        first: set[str] = set()
        wins = []
        for event_id in event_ids:  # a retry in the same batch as its original loses
            wins.append(event_id in inserted and event_id not in first)
            first.add(event_id)
        return wins

    async def _mark_done(self, event_ids: list[str]) -> list[None]:
        await self._write_one(self._finish_statement, {"event_ids": list(set(event_ids)), "now": utcnow()})
        return [None] * len(event_ids)

    def _insert_ignore(self, table: Table, index_elements: list[str]) -> Any:
        """INSERT ... ON CONFLICT DO NOTHING for this engine's dialect."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing(index_elements=index_elements)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=index_elements)

    # ------------------------------------------------------------------ writes

    async def log_question(self, reply: Reply, context: AskContext, *, asked_at: dt.datetime | None = None) -> int:
        """Record one question and what the bot did; returns the question id."""
        row: dict[str, Any] = {
            "asked_at": asked_at or utcnow(),
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
                user_hash=self.user_key(context.user_id),
                text=reply.question,
                normalized=reply.normalized or None,
                faq_id=reply.faq_id,
                confidence=float(reply.confidence),
                route_id=reply.route_id,
                suggestion_ids=",".join(reply.suggestion_ids) or None,
            )
        return await self._log_batch.submit(row)

    async def claim_event(self, event_id: str, *, stale_after: float = 60.0) -> bool:
        """True for exactly one caller per delivery, across restarts and replicas.

        A claim left in 'processing' for longer than `stale_after` seconds (its process died) can be
        taken over by one caller; a 'done' event is never processed again.
        """
        if await self._claim_batch.submit(event_id):
            return True
        # The row exists: take it over only if it is a stale 'processing' claim. The conditional
        # UPDATE is atomic, so of several concurrent takers exactly one changes the row.
        now = utcnow()
        cutoff = now - dt.timedelta(seconds=stale_after)
        takeover = {"b_event_id": event_id, "now": now, "cutoff": cutoff}
        reclaimed = await self._write_one(self._takeover_statement, takeover) is not None
        if reclaimed:
            log.info("re-claimed stale event %s", event_id)
        return reclaimed

    async def finish_event(self, event_id: str) -> None:
        """Mark a claimed event as processed for good."""
        await self._finish_batch.submit(event_id)

    async def record_feedback(
        self, *, question_id: int | None, faq_id: str | None, user_id: str | None, helpful: bool
    ) -> None:
        """A 'helpful?' vote; `question_id` may be unknown (e.g. the question was purged)."""
        async with self.engine.begin() as connection:
            if question_id is not None:  # tolerate votes on purged questions
                exists = await connection.execute(select(questions.c.id).where(questions.c.id == question_id))
                if exists.first() is None:
                    question_id = None
            await connection.execute(
                insert(feedback).values(
                    question_id=question_id,
                    faq_id=faq_id,
                    user_hash=self.user_key(user_id),
                    helpful=bool(helpful),
                    created_at=utcnow(),
                )
            )

    async def record_suggestion_pick(self, *, question_id: int, faq_id: str) -> None:
        """The asker chose one of the 'did you mean' entries (ignored if the question is gone)."""
        async with self.engine.begin() as connection:
            exists = await connection.execute(select(questions.c.id).where(questions.c.id == question_id))
            if exists.first() is None:
                return
            await connection.execute(
                insert(suggestion_picks).values(question_id=question_id, faq_id=faq_id, created_at=utcnow())
            )

    async def mark_welcomed(self, user_id: str) -> bool:
        """True only the first time ever this person is seen (send the welcome then)."""
        statement = (
            self._insert_ignore(welcomed_users, ["user_hash"])
            .values(user_hash=self.user_key(user_id), welcomed_at=utcnow())
            .returning(welcomed_users.c.user_hash)
        )
        return await self._write_one(statement) is not None

    async def purge(self, *, older_than_days: int, now: dt.datetime | None = None) -> int:
        """Delete questions, feedback, picks and processed events older than that; rows deleted."""
        if older_than_days < 0:
            raise ValueError("older_than_days must not be negative")
        cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
        old_questions = select(questions.c.id).where(questions.c.asked_at < cutoff)
        statements = (
            delete(suggestion_picks).where(
                or_(suggestion_picks.c.created_at < cutoff, suggestion_picks.c.question_id.in_(old_questions))
            ),
            delete(feedback).where(feedback.c.created_at < cutoff),
            # Newer feedback on an old question keeps its vote; question_id becomes NULL.
            update(feedback).where(feedback.c.question_id.in_(old_questions)).values(question_id=None),
            delete(questions).where(questions.c.asked_at < cutoff),
            delete(processed_events).where(processed_events.c.claimed_at < cutoff),
        )
        deleted = 0
        async with self.engine.begin() as connection:
            for statement in statements:
                result = await connection.execute(statement)
                if statement.is_delete:
                    deleted += max(result.rowcount or 0, 0)
        return deleted

    # ------------------------------------------------------------------ reads

    async def popular_entries(
        self, *, days: int, limit: int = 5, now: dt.datetime | None = None
    ) -> list[tuple[str, int]]:
        """The FAQ entries answered most often in the last `days` days, most first."""
        cutoff = (now or utcnow()) - dt.timedelta(days=days)
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
        async with self.engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        return [(str(faq_id), int(n)) for faq_id, n in rows]


async def retention_loop(store: Store, days: int, *, interval: float = 86400.0) -> None:
    """Purge rows older than `days` now and then every `interval` seconds; run it as a task."""
    while True:
        try:
            deleted = await store.purge(older_than_days=days)
            if deleted:
                log.info("retention: purged %d rows older than %d days", deleted, days)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep the loop alive; the next run retries
            log.exception("retention purge failed")
        await asyncio.sleep(interval)
