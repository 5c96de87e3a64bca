"""The async engine per dialect, Alembic migrations, the clock and small write helpers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable, Mapping

from sqlalchemy import Table, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Serialises `upgrade_database` across replicas sharing one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x5167_5365_6342  # "QgSecB", any constant works

Clock = Callable[[], dt.datetime]  # returns an aware UTC datetime; tests inject their own


def utcnow() -> dt.datetime:
    """The system clock, in UTC: the default `Clock`."""
    return dt.datetime.now(dt.UTC)


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, connect_args: Mapping[str, Any] | None = None) -> AsyncEngine:
    """An async engine with the per-dialect settings the bot relies on.

    `hide_parameters`: a failed statement's error never carries its parameters (question text) into a log.
    """
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
        engine = create_async_engine(url, hide_parameters=True, **options)

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
    return create_async_engine(url, hide_parameters=True, connect_args=args, pool_size=10, max_overflow=10,
                               pool_recycle=1800)


def single_statements(engine: AsyncEngine) -> AsyncEngine:
    """The engine for one-statement reads and writes, used as `async with single.begin()`.

    PostgreSQL: AUTOCOMMIT, so a statement costs one round trip (no BEGIN / COMMIT). SQLite: the engine
    itself; switching a connection to autocommit and back would cost two more trips to aiosqlite's
    thread per checkout than the commit it saves.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


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


async def upgrade(engine: AsyncEngine) -> None:
    """Migrate the database behind `engine` to the latest revision."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_sync)


async def upgrade_database(url: str, *, connect_args: Mapping[str, Any] | None = None) -> None:
    """Apply every pending Alembic revision (idempotent; safe with concurrent replicas on PostgreSQL)."""
    engine = make_engine(url, connect_args=connect_args)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def insert_ignore(table: Table, index_elements: list[str], dialect: str, *, update: tuple[str, ...] = ()) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for `dialect` (or DO UPDATE of the `update` columns)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(table)
    if update:
        return statement.on_conflict_do_update(index_elements=index_elements,
                                               set_={name: statement.excluded[name] for name in update})
    return statement.on_conflict_do_nothing(index_elements=index_elements)
