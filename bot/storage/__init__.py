"""Storage: one async SQLAlchemy engine over SQLite (default, WAL) or PostgreSQL (several replicas).

    Storage.open(url) -> Storage
        .questions   QuestionLog: questions, feedback, suggestion picks, retention, report queries
        .claims      Claims: event claims (dedupe across retries, restarts, replicas), welcome registry
        .inbox       Inbox: accepted Slack events with their leases and replies still to send
        .threads     ThreadStore: threads the bot answered in (follow-ups there need no mention)
        .cve_feed    CveFeedStore: the official CVE feed as last refreshed
        .ping()      the database answers
        .probe_write()  the database takes a committed write (readiness)

The schema (`schema.py`) is owned by the Alembic revisions in `migrations/`; `Storage.open` applies
them. The clock is injectable (`clock=`), so tests move time instead of backdating rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import socket
from typing import Any, Mapping

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.config import DEFAULT_USER_ID_SALT, mask
from bot.storage.claims import Claims
from bot.storage.engine import Clock, make_engine, upgrade, upgrade_database, utcnow
from bot.storage.cve_feed import CveFeedStore
from bot.storage.inbox import Inbox
from bot.storage.questions import OFF_TOPIC_KIND, QuestionLog
from bot.storage.schema import readiness_probes
from bot.storage.threads import ThreadStore

__all__ = ["Storage", "upgrade_database", "utcnow", "OFF_TOPIC_KIND"]

log = logging.getLogger(__name__)
PROBE_KEEP = dt.timedelta(days=7)  # rows of replicas gone this long are pruned by the next probe


class Storage:
    """The database: open with `await Storage.open(url)`, `await close()` after."""

    def __init__(self, engine: AsyncEngine, *, url: str, user_id_salt: str, keep_user_ids: bool,
                 clock: Clock = utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self.keep_user_ids = keep_user_ids
        self._url = url
        self._salt = user_id_salt.encode("utf-8")
        self.questions = QuestionLog(engine, clock=clock, user_key=self.user_key)
        self.claims = Claims(engine, clock=clock, user_key=self.user_key)
        self.threads = ThreadStore(engine, clock=clock, user_key=self.user_key)
        self.inbox = Inbox(engine, clock=clock, write_threads=self.threads.write_rows)
        self.cve_feed = CveFeedStore(engine)

    def __repr__(self) -> str:
        ids = "raw" if self.keep_user_ids else "hashed"
        return f"Storage(url={mask(self._url)!r}, dialect={self.dialect!r}, user_ids={ids})"

    __str__ = __repr__

    @classmethod
    async def open(cls, url: str, *, user_id_salt: str = DEFAULT_USER_ID_SALT, keep_user_ids: bool = False,
                   migrate: bool = True, connect_args: Mapping[str, Any] | None = None,
                   clock: Clock = utcnow) -> Storage:
        """Connect (and by default migrate to the latest schema)."""
        engine = make_engine(url, connect_args=connect_args)
        try:
            if migrate:
                await upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, url=url, user_id_salt=user_id_salt, keep_user_ids=keep_user_ids, clock=clock)

    async def close(self) -> None:
        """Write what is pending, then close every connection."""
        await self.inbox.drain()
        await self.claims.drain()
        await self.questions.drain()
        await self.threads.drain()
        await self.engine.dispose()

    async def __aenter__(self) -> Storage:
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

    async def probe_write(self, replica: str | None = None, *, timeout: float = 2.5) -> str | None:
        """Prove the database takes writes: upsert this replica's row of `readiness_probes` and commit.

        None when it worked, else a short reason (an exception type, or `timeout`). A read-only
        database (SQLite `query_only` or a read-only file, PostgreSQL `default_transaction_read_only`
        or a standby) fails the INSERT; a full disk or a broken connection fails the commit.
        """
        replica = (replica or socket.gethostname() or "unknown")[:255]
        now = self.clock()
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        upsert = insert(readiness_probes).values(replica=replica, probed_at=now)
        upsert = upsert.on_conflict_do_update(index_elements=["replica"], set_={"probed_at": now})
        prune = delete(readiness_probes).where(readiness_probes.c.probed_at < now - PROBE_KEEP)

        async def write() -> None:
            async with self.engine.begin() as connection:
                await connection.execute(upsert)
                await connection.execute(prune)

        try:
            await asyncio.wait_for(write(), timeout)
            return None
        except asyncio.TimeoutError:
            return "timeout"
        except Exception as exc:  # noqa: BLE001 - a readiness check reports, it does not raise
            return type(exc).__name__

    def user_key(self, user_id: str | None) -> str | None:
        """What is stored for a person: HMAC-SHA256 of the id with the salt, or the id itself."""
        if not user_id:
            return None
        if self.keep_user_ids:
            return user_id
        return hmac.new(self._salt, user_id.encode("utf-8"), hashlib.sha256).hexdigest()
