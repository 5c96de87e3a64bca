"""Claims: one caller per digest week, welcome or CVE announcement, across retries, restarts and replicas.

(Slack events themselves are deduplicated by the durable inbox, `bot/storage/inbox.py`.)

A claim row is `processing` while someone works on it and `done` once the work succeeded. A claim
whose work failed is released (`failed`, retryable at once); one left `processing` longer than
`stale_after` seconds (its process died) may be taken over by exactly one caller.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.batching import GroupCommit
from bot.storage.engine import Clock, insert_ignore, single_statements
from bot.storage.schema import processed_events, welcomed_users

log = logging.getLogger(__name__)


class Claims:
    """Event claims and the welcome registry."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock, user_key: Any) -> None:
        self._single = single_statements(engine)
        self._clock = clock
        self._user_key = user_key
        self._dialect = engine.dialect.name
        self._claim_statement = (
            insert_ignore(processed_events, ["event_id"], self._dialect).returning(processed_events.c.event_id)
        )
        self._takeover_statement = (
            update(processed_events)
            .where(
                processed_events.c.event_id == bindparam("b_event_id"),
                or_(
                    processed_events.c.state == "failed",
                    (processed_events.c.state == "processing") & (processed_events.c.claimed_at < bindparam("cutoff")),
                ),
            )
            .values(state="processing", claimed_at=bindparam("now"))
            .returning(processed_events.c.event_id)
        )
        self._finish_statement = (
            update(processed_events)
            .where(processed_events.c.event_id.in_(bindparam("event_ids", expanding=True)))
            .values(state="done", finished_at=bindparam("now"))
        )
        self._claim_batch = GroupCommit(self._insert_claims)
        self._finish_batch = GroupCommit(self._mark_done)

    async def drain(self) -> None:
        for batch in (self._claim_batch, self._finish_batch):
            await batch.drain()

    async def _write_one(self, statement: Any, parameters: dict[str, Any] | None = None) -> Any:
        async with self._single.begin() as connection:
            result = await connection.execute(statement, parameters)
            return result.first() if result.returns_rows else None

    async def _insert_claims(self, event_ids: list[str]) -> list[bool]:
        """Insert-or-ignore a batch of claims; True for each id this batch inserted first."""
        now = self._clock()
        unique = list(dict.fromkeys(event_ids))
        rows = [{"event_id": e, "state": "processing", "claimed_at": now, "finished_at": None} for e in unique]
        async with self._single.begin() as connection:
            result = await connection.execute(self._claim_statement, rows)
            inserted = {row[0] for row in result.all()}
        first: set[str] = set()
        wins = []
        for event_id in event_ids:  # a retry in the same batch as its original loses
            wins.append(event_id in inserted and event_id not in first)
            first.add(event_id)
        return wins

    async def _mark_done(self, event_ids: list[str]) -> list[None]:
        await self._write_one(self._finish_statement, {"event_ids": list(set(event_ids)), "now": self._clock()})
        return [None] * len(event_ids)

    async def claim_event(self, event_id: str, *, stale_after: float = 60.0) -> bool:
        """True for exactly one caller per delivery, across restarts and replicas.

        A released (failed) claim, or one left 'processing' for longer than `stale_after` seconds,
        can be taken over by one caller; a 'done' event is never processed again.
        """
        if await self._claim_batch.submit(event_id):
            return True
        # The row exists: the conditional UPDATE is atomic, so of several concurrent takers one wins.
        now = self._clock()
        takeover = {"b_event_id": event_id, "now": now, "cutoff": now - dt.timedelta(seconds=stale_after)}
        reclaimed = await self._write_one(self._takeover_statement, takeover) is not None
        if reclaimed:
            log.info("re-claimed event %s", event_id)
        return reclaimed

    async def finish_event(self, event_id: str) -> None:
        """Mark a claimed event as processed for good."""
        await self._finish_batch.submit(event_id)

    async def release_event(self, event_id: str) -> None:
        """The work on a claimed event failed: let the next delivery or attempt take it at once."""
        statement = (update(processed_events)
                     .where(processed_events.c.event_id == event_id, processed_events.c.state == "processing")
                     .values(state="failed"))
        await self._write_one(statement)

    async def is_welcomed(self, user_id: str) -> bool:
        """Whether this person was ever sent the welcome."""
        async with self._single.begin() as connection:
            found = await connection.execute(
                select(welcomed_users.c.user_hash).where(welcomed_users.c.user_hash == self._user_key(user_id)))
            return found.first() is not None

    async def mark_welcomed(self, user_id: str) -> bool:
        """Record that the welcome was sent; True only the first time for this person."""
        statement = (
            insert_ignore(welcomed_users, ["user_hash"], self._dialect)
            .values(user_hash=self._user_key(user_id), welcomed_at=self._clock())
            .returning(welcomed_users.c.user_hash)
        )
        return await self._write_one(statement) is not None
