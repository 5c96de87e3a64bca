"""The durable inbox: every accepted Slack event, stored (redacted) before Slack gets its 2xx.

A row is `pending` until a worker leases it (`processing`, with an owner and an expiry a heartbeat
keeps moving), then `done` once Slack accepted every reply, or `failed` with its reason when it
failed for good. An expired lease (its process died) is leased again by any replica; PostgreSQL
uses FOR UPDATE SKIP LOCKED so replicas never take the same row. The rendered replies are kept in
`outbox` with how many were `sent`, so a retry or a takeover never posts one twice; with them, the
question-log rows of the event (`questions`), written after the reply by `log_questions`, insert-or-ignore
on their unique `ref`, so a retry or a takeover logs each question exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Collection

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.batching import GroupCommit
from bot.storage.engine import Clock, insert_ignore, single_statements
from bot.storage.values import clean_text
from bot.storage.schema import inbox, questions as questions_table

log = logging.getLogger("sigsec.inbox")
# An event leased this many times without finishing is failed: it crashes or stalls every process that
# works it (the worker gives up on its own retries after `retry_for`, 600 s by default, about 15
# attempts). A shutdown's hand-back does not count.
MAX_ATTEMPTS = 25
WriteRows = Callable[[Any, list[dict[str, Any]]], Awaitable[None]]  # (connection, rows), in its transaction


@dataclass(frozen=True)
class InboxItem:
    """One leased event."""

    id: int
    event_key: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    received_at: dt.datetime
    outbox: list[dict[str, Any]] | None
    sent: int
    questions: list[dict[str, Any]] = field(default_factory=list)  # log rows to write once the reply is sent


class Inbox:
    """Queries of the inbox table."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock, write_threads: WriteRows | None = None) -> None:
        self._engine = engine
        self._write_threads = write_threads  # thread memory rows, written with an event's outbox
        self._single = single_statements(engine)
        self._clock = clock
        self._dialect = engine.dialect.name
        self._insert = insert_ignore(inbox, ["event_key"], self._dialect).returning(inbox.c.event_key)
        self._set_outbox = (update(inbox).where(inbox.c.id == bindparam("b_id"), inbox.c.lease_owner == bindparam("b_owner"))
                            .values(outbox=bindparam("b_outbox")))
        self._done = (update(inbox).where(inbox.c.id == bindparam("b_id"), inbox.c.lease_owner == bindparam("b_owner"))
                      .values(state="done", sent=bindparam("b_sent"), finished_at=bindparam("b_now"), lease_owner=None,
                              lease_expires=None))
        # Concurrent events share round trips: one statement per batch for the writes every event makes.
        self._enqueue_batch = GroupCommit(self._insert_rows)
        self._outbox_batch = GroupCommit(self._keep_outboxes)
        self._done_batch = GroupCommit(self._finish)
        self._log_ignore = insert_ignore(questions_table, ["ref"], self._dialect)
        self._log_batch = GroupCommit(self._insert_questions)

    async def drain(self) -> None:
        for batch in (self._enqueue_batch, self._outbox_batch, self._done_batch, self._log_batch):
            await batch.drain()

    async def _insert_rows(self, rows: list[dict[str, Any]]) -> list[bool]:
        """Insert-or-ignore a batch; True for each row this batch stored (a Slack retry in the same batch
        as its original, or a key already there, is False)."""
        first: dict[str, dict[str, Any]] = {}
        for row in rows:
            first.setdefault(row["event_key"], row)
        async with self._single.begin() as connection:
            inserted = {key for (key,) in (await connection.execute(self._insert, list(first.values()))).all()}
        wins = []
        for row in rows:
            wins.append(row["event_key"] in inserted)
            inserted.discard(row["event_key"])
        return wins

    async def _execute_many(self, statement: Any, rows: list[dict[str, Any]]) -> list[None]:
        async with self._engine.begin() as connection:
            await connection.execute(statement, rows)
        return [None] * len(rows)

    async def enqueue(self, event_key: str, kind: str, payload: dict[str, Any]) -> bool:
        """Store one event, pending; False when this key is already in the inbox (a Slack retry)."""
        now = self._clock()
        row = dict(event_key=event_key[:255], kind=kind, payload=json.dumps(clean_text(payload)), state="pending",
                   attempts=0, received_at=now, not_before=now, sent=0)
        return await self._enqueue_batch.submit(row)

    async def lease(self, owner: str, *, limit: int, lease_seconds: float,
                    busy: Collection[int] = ()) -> list[InboxItem]:
        """Take up to `limit` due rows: pending ones, and processing ones whose lease expired, except `busy`
        (rows the caller is still working on: their lease may have run out while heartbeats failed)."""
        now = self._clock()
        due = or_(and_(inbox.c.state == "pending", inbox.c.not_before <= now),
                  and_(inbox.c.state == "processing", inbox.c.lease_expires < now))
        if busy:
            due = and_(due, inbox.c.id.not_in(list(busy)))
        chosen = select(inbox.c.id).where(due).order_by(inbox.c.id).limit(limit)
        if self._dialect == "postgresql":
            chosen = chosen.with_for_update(skip_locked=True)
        statement = (
            update(inbox)
            .where(inbox.c.id.in_(chosen.scalar_subquery()))
            .values(state="processing", lease_owner=owner, attempts=inbox.c.attempts + 1,
                    lease_expires=now + dt.timedelta(seconds=lease_seconds))
            .returning(inbox.c.id, inbox.c.event_key, inbox.c.kind, inbox.c.payload, inbox.c.attempts,
                       inbox.c.received_at, inbox.c.outbox, inbox.c.sent)
        )
        async with self._engine.begin() as connection:
            rows = (await connection.execute(statement)).all()
        items, given_up = [], []
        for r in rows:
            if r.attempts > MAX_ATTEMPTS:  # leased this often: it brings its worker down, or never finishes
                given_up.append((r.id, f"gave up after {r.attempts - 1} attempts"))
                continue
            try:
                outbox, questions = _outbox(r.outbox)
                payload = json.loads(r.payload)
            except (TypeError, ValueError):  # one unreadable row must not strand the rows leased with it
                given_up.append((r.id, "stored event unreadable"))
                continue
            items.append(InboxItem(r.id, r.event_key, r.kind, payload, r.attempts, r.received_at,
                                   outbox, r.sent, questions))
        for item_id, reason in given_up:
            await self.fail(item_id, owner, error=reason)
            log.error("inbox event failed: %s", reason)  # no text of the event
        return sorted(items, key=lambda item: item.id)

    async def heartbeat(self, owner: str, ids: list[int], *, lease_seconds: float) -> None:
        """Extend this owner's leases on `ids`."""
        if not ids:
            return
        statement = (update(inbox).where(inbox.c.id.in_(ids), inbox.c.lease_owner == owner,
                                         inbox.c.state == "processing")
                     .values(lease_expires=self._clock() + dt.timedelta(seconds=lease_seconds)))
        async with self._single.begin() as connection:
            await connection.execute(statement)

    async def save_outbox(self, item_id: int, owner: str, messages: list[dict[str, Any]],
                          questions: list[dict[str, Any]] | None = None,
                          threads: list[dict[str, Any]] | None = None) -> bool:
        """The rendered replies, kept so a retry sends the same ones, with the question-log rows to write
        once they are sent; the answers' thread memory rows are written in the same transaction. False
        when `owner` no longer holds the lease (another replica took the event over): send nothing then."""
        kept: Any = {"messages": messages, "questions": [_storable(row) for row in questions]} if questions else messages
        return await self._outbox_batch.submit({"outbox": {"b_id": item_id, "b_owner": owner,
                                                           "b_outbox": json.dumps(clean_text(kept))},
                                                "threads": threads or []})

    async def _keep_outboxes(self, entries: list[dict[str, Any]]) -> list[bool]:
        """One transaction for a batch of decided events: their outboxes, their thread memory rows, and
        which of them their owner still holds.

        A batch that fails is retried event by event (GroupCommit); if one event's memory rows are refused,
        its outbox is still kept (the answer matters more than the follow-ups) and the refusal is logged.
        """
        outboxes = [entry["outbox"] for entry in entries]
        rows = [row for entry in entries for row in entry["threads"]] if self._write_threads is not None else []
        try:
            async with self._engine.begin() as connection:
                if rows:
                    await self._write_threads(connection, rows)  # type: ignore[misc]  # rows imply a writer
                return await self._write_outboxes(connection, outboxes)
        except (IntegrityError, DataError) as exc:  # a refused row; an outage propagates (the event is retried)
            if len(entries) > 1 or not rows:
                raise
            log.warning("could not remember a thread: %s", type(exc).__name__)
        async with self._engine.begin() as connection:
            return await self._write_outboxes(connection, outboxes)

    async def _write_outboxes(self, connection: Any, outboxes: list[dict[str, Any]]) -> list[bool]:
        """Write the outbox rows (owner-guarded); for each, whether its owner still holds the event's lease."""
        written: Any = await connection.execute(self._set_outbox, outboxes)
        if connection.dialect.supports_sane_multi_rowcount and written.rowcount == len(outboxes):
            return [True] * len(outboxes)  # every row matched its owner (SQLite counts them): nothing to read
        held = {(row.id, row.lease_owner) for row in (await connection.execute(
            select(inbox.c.id, inbox.c.lease_owner).where(inbox.c.id.in_({o["b_id"] for o in outboxes})))).all()}
        return [(o["b_id"], o["b_owner"]) in held for o in outboxes]

    async def log_questions(self, rows: list[dict[str, Any]]) -> None:
        """Write an event's question-log rows; a row whose `ref` is already there is skipped (retry, takeover)."""
        if rows:
            await self._log_batch.submit([_loaded(row) for row in rows])

    async def _insert_questions(self, batches: list[list[dict[str, Any]]]) -> list[None]:
        rows = list({row["ref"]: row for batch in batches for row in batch}.values())
        async with self._single.begin() as connection:
            await self._write_question_rows(connection, rows)
        return [None] * len(batches)

    async def _write_question_rows(self, connection: Any, rows: list[dict[str, Any]]) -> None:
        """Insert-or-ignore question-log rows on their `ref` (the one place they are written)."""
        await connection.execute(self._log_ignore, rows)

    async def mark_sent(self, item_id: int, owner: str, sent: int) -> bool:
        """`sent` replies are out; False when `owner` no longer holds the lease (send no more then)."""
        return await self._update(item_id, owner, sent=sent)

    async def complete(self, item_id: int, owner: str, *, sent: int,
                       questions: list[dict[str, Any]] | None = None) -> None:
        """Slack accepted all `sent` replies: done, and the event's question-log rows written in the same
        transaction (insert-or-ignore on their `ref`)."""
        await self._done_batch.submit({"done": {"b_id": item_id, "b_owner": owner, "b_sent": sent,
                                                "b_now": self._clock()},
                                       "questions": [_loaded(row) for row in questions or ()]})

    async def _finish(self, entries: list[dict[str, Any]]) -> list[None]:
        """One transaction for a batch of finished events: their question rows, then their `done`.

        A batch that fails is retried event by event (GroupCommit); if one event's rows are refused, the
        event is still marked done (its replies are out) and the refusal is logged without the rows.
        """
        rows = list({row["ref"]: row for entry in entries for row in entry["questions"]}.values())
        try:
            async with self._engine.begin() as connection:
                if rows:
                    await self._write_question_rows(connection, rows)
                await connection.execute(self._done, [entry["done"] for entry in entries])
        except (IntegrityError, DataError) as exc:  # a refused row; an outage propagates (the event is retried)
            if len(entries) > 1 or not rows:
                raise
            log.warning("could not log a question: %s", type(exc).__name__)  # never the question itself
            await self._execute_many(self._done, [entries[0]["done"]])
        return [None] * len(entries)

    async def retry_later(self, item_id: int, owner: str, *, delay: float, error: str) -> None:
        """Back to pending, due after `delay` seconds."""
        await self._update(item_id, owner, state="pending", lease_owner=None, lease_expires=None,
                           not_before=self._clock() + dt.timedelta(seconds=delay), last_error=error[:200])

    async def fail(self, item_id: int, owner: str, *, error: str) -> None:
        """Failed for good: kept with its reason for the maintainers' report."""
        await self._update(item_id, owner, state="failed", finished_at=self._clock(), lease_owner=None,
                           lease_expires=None, last_error=error[:200])

    async def release(self, owner: str, ids: list[int]) -> None:
        """Hand leased rows back (shutdown): pending again, due now, for the next replica or restart."""
        if not ids:
            return
        statement = (update(inbox).where(inbox.c.id.in_(ids), inbox.c.lease_owner == owner,
                                         inbox.c.state == "processing")
                     .values(state="pending", lease_owner=None, lease_expires=None, not_before=self._clock(),
                             attempts=inbox.c.attempts - 1))
        async with self._single.begin() as connection:
            await connection.execute(statement)

    async def _update(self, item_id: int, owner: str, **values: Any) -> bool:
        """Update the row if `owner` holds its lease; whether it did."""
        statement = update(inbox).where(inbox.c.id == bindparam("b_id"), inbox.c.lease_owner == bindparam("b_owner"))
        async with self._single.begin() as connection:
            result: Any = await connection.execute(statement.values(**values), {"b_id": item_id, "b_owner": owner})
            return bool(result.rowcount)

    async def depth(self) -> tuple[int, dt.datetime | None]:
        """(events not yet done or failed, when the oldest of them was received)."""
        open_ = inbox.c.state.in_(("pending", "processing"))
        async with self._engine.connect() as connection:
            count, oldest = (await connection.execute(
                select(func.count(), func.min(inbox.c.received_at)).where(open_))).one()
        if isinstance(oldest, str):  # SQLite's min() of the stored text
            oldest = dt.datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        return int(count), oldest

    async def failed(self, *, since: dt.datetime) -> list[tuple[str, str, str | None]]:
        """(event key, kind, reason) of events that failed for good since `since`."""
        statement = (select(inbox.c.event_key, inbox.c.kind, inbox.c.last_error)
                     .where(inbox.c.state == "failed", inbox.c.finished_at >= since).order_by(inbox.c.id))
        async with self._engine.connect() as connection:
            return [tuple(row) for row in (await connection.execute(statement)).all()]


def _outbox(raw: str | None) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]]]:
    """(messages, question rows) from the stored outbox: a list of messages, or both in an object."""
    if not raw:
        return None, []
    kept = json.loads(raw)
    if isinstance(kept, dict):
        return kept.get("messages") or [], kept.get("questions") or []
    return kept, []


def _storable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}


def _loaded(row: dict[str, Any]) -> dict[str, Any]:
    asked_at = row.get("asked_at")
    return {**row, "asked_at": dt.datetime.fromisoformat(asked_at) if isinstance(asked_at, str) else asked_at}
