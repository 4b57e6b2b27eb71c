"""Engine creation: SQLite (WAL, busy_timeout, foreign keys) or PostgreSQL, one code path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util.concurrency import greenlet_spawn

from storage.checkpoint import BACKSTOP_PAGES, Checkpointer
from storage.sqlite_driver import OneTripConnection, one_trip_dbapi

T = TypeVar("T")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    database = parsed.database or ""
    checkpointer: Checkpointer | None = None
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        checkpointer = Checkpointer(Path(database))
    # One connection: SQLite has one writer anyway, and an async FIFO for the connection is
    # fairer and faster than several connections spinning in busy_timeout.
    kwargs.setdefault("pool_size", 1)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", 60)
    kwargs.setdefault("module", one_trip_dbapi())
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if checkpointer is not None:
        event.listen(engine.sync_engine, "connect", lambda *_: checkpointer.ensure_running())
        event.listen(engine.sync_engine, "engine_disposed", lambda _: checkpointer.stop())
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Checkpoints are the Checkpointer's, off this connection (storage/checkpoint.py).
    cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    cursor.close()
    # SQLite's lower() folds ASCII only; search needs "Вектор" to match "вектор".
    dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def upsert(engine: AsyncEngine, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT with ON CONFLICT for the engine's dialect (both have it, spelled the same)."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def run_unit(engine: AsyncEngine, unit: Callable[[Connection], T]) -> T:
    """`unit` -- a plain function of a synchronous Connection -- in one transaction, committed
    when it returns. On SQLite it runs in the database's thread in a single trip; on PostgreSQL
    in SQLAlchemy's greenlet (`run_sync`), the same code."""
    if engine.dialect.name == "sqlite":
        # The pool's connection itself, held while the unit runs: nothing else uses it meanwhile.
        pooled = await engine.raw_connection()
        try:
            adapted = pooled.dbapi_connection
            if isinstance(adapted, OneTripConnection):
                try:
                    return await adapted.run_unit(unit)
                except Exception as error:
                    if not engine.dialect.is_disconnect(error, adapted, None):
                        raise
                    pooled.invalidate(error)  # a new connection next time
                    raise OperationalError(
                        "(a unit of work)", None, error, connection_invalidated=True
                    ) from error
        finally:
            await greenlet_spawn(pooled.close)  # back to the pool
    async with engine.begin() as connection:
        return await connection.run_sync(unit)
