"""The database engine: creation, SQLite tuning and migrations on start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant works; it only has to be the same in every gateway process.
_MIGRATION_LOCK_ID = 0x7473756E
_STARTUP_LOCK_ID = 0x7473756F


def _json_text(value: Any) -> str:
    # Like json.dumps for what the record holds (non-text keys become text), faster.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# The JSON columns (bot state, event data, quick replies…) through orjson.
JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets WAL, a busy timeout and write locks up front."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite allows one writer anyway, and waiting for the
        # pool is an asyncio wait, while waiting on SQLite's lock is a sleep-poll
        # that added ~100 ms per contended transaction.
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=60,
            **JSON_CODEC,
        )
        _tune_sqlite(engine)
        return engine
    # No ping per checkout (a round trip each time): a connection found dead fails
    # its statement, which answers `unavailable`, and SQLAlchemy then discards
    # the whole pool, so the retry gets a fresh connection.
    return create_async_engine(url, pool_size=10, max_overflow=20, **JSON_CODEC)


def _tune_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling defers the write lock to the first
    # write, so two writers can deadlock on the upgrade; take it at BEGIN.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; safe when several processes start at once."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:id)")
            await conn.execute(lock, {"id": _MIGRATION_LOCK_ID})
        await conn.run_sync(_upgrade)


@asynccontextmanager
async def startup_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold a deployment-wide lock while a process prepares what all processes share.

    Several gateway processes starting at once on one PostgreSQL would each
    seed the training data and make a first model; with the lock, the first
    does it and the others find it done. SQLite deployments are one process:
    there the database's own write lock is enough.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _STARTUP_LOCK_ID})
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _STARTUP_LOCK_ID})
            await conn.commit()
