"""Conversation threads: where the bot answered in a channel thread, so the asker's follow-ups there need
no mention for a while.

One row per (channel, thread): the asker (hashed like every stored user id), the first question
(redacted by the core, cut to `QUESTION_LIMIT`), when the bot last answered there, the entry it last
answered with, and the Slack ts of the first message another person wrote in the thread since (after
which the bot stays quiet: the humans are talking). Nothing is read from Slack: the table is the whole
memory. An answer worked by the inbox worker is remembered in the transaction that keeps its outbox
(`memory_row`, `write_rows`), so the memory exists before the reply can be seen; `remember` writes
one directly (group-committed). Rows older than `KEEP` are pruned by the first write after `PRUNE_EVERY`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.batching import GroupCommit
from bot.storage.engine import Clock, insert_ignore, single_statements
from bot.storage.schema import conversation_threads as threads
from bot.storage.values import clean_text

QUESTION_LIMIT = 500  # characters of the first question kept as the thread's topic
KEEP = dt.timedelta(days=2)  # longer than any follow-up window (at most a day)
PRUNE_EVERY = dt.timedelta(minutes=10)  # a prune is an extra statement: not once per answer


@dataclass(frozen=True)
class ThreadMemory:
    """What the bot remembers of one of its answer threads."""

    channel_id: str
    thread_ts: str
    user_hash: str
    question: str
    answered_at: dt.datetime
    faq_id: str | None = None
    other_reply_ts: str | None = None  # first message by someone else since the bot answered

    def quiet_for(self, ts: str | None) -> bool:
        """True when someone else wrote in the thread before the message at `ts`: the bot keeps out."""
        return self.other_reply_ts is not None and _ts_key(self.other_reply_ts) <= _ts_key(ts)


def _ts_key(ts: str | None) -> tuple[int, int]:
    """Slack ts ("1700000001.000100") as a sortable pair; garbage sorts last."""
    seconds, _, micros = (ts or "").partition(".")
    try:
        return int(seconds), int(micros or 0)
    except ValueError:
        return (2**62, 0)


class ThreadStore:
    """Remember answer threads, find them again, and note when another person joins the conversation."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock, user_key: Callable[[str | None], str | None]) -> None:
        self._single = single_statements(engine)
        self._engine = engine
        self._dialect = engine.dialect.name
        self.clock = clock  # public: tests move time forward
        self._user_key = user_key
        self._upsert = insert_ignore(threads, ["channel_id", "thread_ts"], self._dialect,
                                     update=("user_hash", "question", "faq_id", "answered_at", "other_reply_ts"))
        self._remember_batch = GroupCommit(self._write_remembered)
        self._pruned_at: dt.datetime | None = None

    def memory_row(self, channel_id: str, thread_ts: str, *, user_id: str, question: str,
                   faq_id: str | None = None) -> dict[str, Any]:
        """The row that remembers the bot answered `user_id`'s `question` (already redacted) in this thread
        (no I/O: the inbox worker writes it with the event's outbox, see `write_rows`)."""
        row = clean_text({"channel_id": channel_id, "thread_ts": thread_ts, "user_hash": self._user_key(user_id),
                          "question": (question or "")[:QUESTION_LIMIT], "faq_id": faq_id})
        row.update(answered_at=self.clock(), other_reply_ts=None)
        return row

    async def remember(self, channel_id: str, thread_ts: str, *, user_id: str, question: str,
                       faq_id: str | None = None) -> None:
        """The bot answered `user_id`'s `question` (already redacted) in this thread: (re)start its memory.

        A new question in a known thread (a mention) makes its asker the thread's asker and forgets
        who else spoke.
        """
        await self._remember_batch.submit(self.memory_row(channel_id, thread_ts, user_id=user_id, question=question,
                                                          faq_id=faq_id))

    async def _write_remembered(self, rows: list[dict[str, Any]]) -> list[None]:
        async with self._engine.begin() as connection:
            await self.write_rows(connection, rows)
        return [None] * len(rows)

    async def write_rows(self, connection: Any, rows: list[dict[str, Any]]) -> None:
        """Upsert memory rows inside the caller's transaction (the last row per thread wins), and prune
        rows older than `KEEP` once per `PRUNE_EVERY`."""
        if not rows:
            return
        now = self.clock()
        latest = {(row["channel_id"], row["thread_ts"]): row for row in rows}  # one row per thread per statement
        await connection.execute(self._upsert, list(latest.values()))
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            await connection.execute(delete(threads).where(threads.c.answered_at < now - KEEP))
            self._pruned_at = now

    async def drain(self) -> None:
        await self._remember_batch.drain()

    async def answered_again(self, channel_id: str, thread_ts: str, *, faq_id: str | None) -> None:
        """The bot answered a follow-up: the window starts again, the topic (first question) stays."""
        statement = (update(threads)
                     .where(threads.c.channel_id == channel_id, threads.c.thread_ts == thread_ts)
                     .values(answered_at=self.clock(), faq_id=faq_id))
        async with self._single.begin() as connection:
            await connection.execute(statement)

    async def find(self, channel_id: str, thread_ts: str, *, within: dt.timedelta | None = None
                   ) -> ThreadMemory | None:
        """The thread's memory (one primary-key read); None when unknown or answered longer than `within` ago."""
        statement = select(threads).where(threads.c.channel_id == channel_id, threads.c.thread_ts == thread_ts)
        async with self._single.begin() as connection:
            found = (await connection.execute(statement)).mappings().first()
        if found is None or (within is not None and found["answered_at"] < self.clock() - within):
            return None
        return ThreadMemory(**dict(found))

    def is_asker(self, memory: ThreadMemory, user_id: str | None) -> bool:
        return bool(user_id) and self._user_key(user_id) == memory.user_hash

    async def mark_other_reply(self, channel_id: str, thread_ts: str, *, ts: str, user_id: str) -> bool:
        """Someone other than the asker wrote in the thread at `ts`; True when this changed the memory.

        Keeps the earliest such ts, and never marks the asker's own message (the asker may have changed
        since the caller looked).
        """
        statement = (update(threads)
                     .where(threads.c.channel_id == channel_id, threads.c.thread_ts == thread_ts,
                            threads.c.user_hash != self._user_key(user_id),
                            or_(threads.c.other_reply_ts.is_(None), threads.c.other_reply_ts > ts))
                     .values(other_reply_ts=ts))
        async with self._single.begin() as connection:
            result: Any = await connection.execute(statement)
            return bool(result.rowcount)
