"""Readiness follows the database's writability, on SQLite and PostgreSQL, within 10 s.

/readyz proves the database takes writes with a committed upsert into `readiness_probes`
(`Storage.probe_write`), so a database that still answers SELECT but refuses writes is not ready.
How each backend is turned read-only under a running bot:

- SQLite: `PRAGMA query_only = ON` on the bot's pooled connection (the engine keeps exactly one),
  which makes SQLite refuse writes with SQLITE_READONLY, the error a read-only file or mount gives.
  (The tests run as root, for whom a chmod of the file changes nothing.)
- PostgreSQL: the bot's own role gets `default_transaction_read_only = on` and its sessions are
  terminated, as in a failover to a read-only standby: the pool reconnects into read-only sessions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import pytest
from conftest import POSTGRES_URL, _pg_execute
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.storage import Storage
from bot.storage.schema import readiness_probes


@dataclass
class Switch:
    url: str
    read_only: Callable[[Any], Awaitable[None]]
    writable: Callable[[Any], Awaitable[None]]


async def _sqlite_query_only(app: Any, on: bool) -> None:
    async with app.bot.service.storage.engine.connect() as connection:
        await connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if on else 'OFF'}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def switch(request: pytest.FixtureRequest, tmp_path: Any):
    if request.param == "sqlite":
        yield Switch(f"sqlite+aiosqlite:///{tmp_path / 'ready.db'}",
                     lambda app: _sqlite_query_only(app, True), lambda app: _sqlite_query_only(app, False))
        return
    schema: str = request.getfixturevalue("postgres_schema")
    role = f"sigsec_ro_{uuid.uuid4().hex[:10]}"
    terminate = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
    await _pg_execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"',
                      f'CREATE ROLE "{role}" LOGIN', f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO "{role}"',
                      f'ALTER ROLE "{role}" SET search_path = "{schema}"')

    async def read_only(_app: Any) -> None:
        await _pg_execute(f'ALTER ROLE "{role}" SET default_transaction_read_only = on', terminate)

    async def writable(_app: Any) -> None:
        await _pg_execute(f'ALTER ROLE "{role}" RESET default_transaction_read_only', terminate)

    url = make_url(POSTGRES_URL).set(username=role, password=None).render_as_string(hide_password=False)
    try:
        yield Switch(url, read_only, writable)
    finally:
        await _pg_execute(terminate, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')


async def _until(check: Callable[[], Awaitable[bool]], *, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def test_readiness_flips_within_10_s_of_the_database_turning_read_only(slack_factory, switch) -> None:
    app = await slack_factory(database_url=switch.url)

    async def status() -> int:
        return (await app.get("/readyz"))[0]

    assert await status() == 200
    await switch.read_only(app)
    took = await _until(lambda: _is(status, 503), timeout=10, what="not ready after the database went read-only")
    assert took < 10
    code, body = await app.get("/readyz")
    data = json.loads(body)
    assert code == 503 and data["database"]["writable"] is False and data["failed"] == ["database"]
    assert data["database"]["error"]  # the exception type, never its text
    # Stays not ready while read-only (a SELECT would still succeed), and stays alive.
    await asyncio.sleep(0.5)
    assert await status() == 503
    assert (await app.get("/healthz"))[0] == 200

    await switch.writable(app)
    await _until(lambda: _is(status, 200), timeout=10, what="ready again once writable")


async def _is(status: Callable[[], Awaitable[int]], expected: int) -> bool:
    return await status() == expected


async def test_probe_upserts_one_row_per_replica_and_prunes_old_ones(store: Storage) -> None:
    assert await store.probe_write("pod-a") is None
    assert await store.probe_write("pod-a") is None  # an upsert: still one row
    assert await store.probe_write("pod-b") is None
    async with store.engine.connect() as connection:
        rows = (await connection.execute(select(readiness_probes.c.replica))).scalars().all()
    assert sorted(rows) == ["pod-a", "pod-b"]

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    store.clock = lambda: later  # pod-a and pod-b gone for 8 days; pod-c probes
    assert await store.probe_write("pod-c") is None
    async with store.engine.connect() as connection:
        rows = (await connection.execute(select(readiness_probes.c.replica))).scalars().all()
    assert rows == ["pod-c"]


async def test_probe_reports_an_unreachable_database_quickly() -> None:
    storage = await Storage.open("postgresql+asyncpg://nobody@127.0.0.1:1/none", migrate=False)
    try:
        started = time.monotonic()
        assert await storage.probe_write("pod-a", timeout=2) is not None
        assert time.monotonic() - started < 3
    finally:
        await storage.close()
