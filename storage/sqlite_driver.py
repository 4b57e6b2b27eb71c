"""SQLAlchemy's aiosqlite adapter, with one trip to aiosqlite's thread per statement, and a
whole unit of work in one trip when asked.

SQLAlchemy's adapter runs a statement as four trips to the thread that owns the SQLite
connection -- open a cursor, execute, fetch the rows, close the cursor -- and each trip costs
the event loop a future, a queue hand-off and a wake-up: on a two-core machine most of a
lead's confirm step was spent there (docs/BENCHMARKS.md). Here the whole statement, rows
included, is one function run in that thread. Everything else -- the dialect, the pool,
transactions, error types -- is SQLAlchemy's and aiosqlite's own, so the code above it is
the same for SQLite and PostgreSQL.

A unit of work (`run_unit`) goes further: a plain function given a synchronous SQLAlchemy
Connection on the same SQLite connection runs in aiosqlite's thread, all its statements and its
commit in one trip. Under load this matters most: a transaction of eight trips held the single
connection while the busy event loop came round to each of its eight answers, and every other
update needing the database queued behind it.

aiosqlite has no public way to run a function in its thread; `Connection._execute` is the
method all of its own calls go through, and SQLAlchemy's adapter puts work on aiosqlite's queue
(`_tx`) directly for `isolation_level`, as `run_unit` does. The whole suite runs through this
adapter, so a change in aiosqlite that breaks it fails the tests (pyproject pins the minor
versions tested).
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy import Connection, Engine, StaticPool, create_engine
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]
T = TypeVar("T")


def _statement(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """Run in aiosqlite's thread: the statement, and its rows if it has any."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A DBAPI cursor whose statement and rows come back in one trip; the rows are kept here
    (SQLAlchemy's own cursor also reads them all at once)."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # no aiosqlite cursor is opened
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return None  # nothing is open in the thread

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        try:
            outcome = await_(self._trip(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> _Outcome:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            outcome: _Outcome = await connection._execute(  # type: ignore[no-untyped-call]
                _statement, connection._conn, operation, parameters, many
            )
            return outcome


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Statements in one trip each (OneTripCursor), a unit of work in one trip (`run_unit`).
    Commit and rollback outside a transaction do nothing in SQLite, so they are not sent to the
    thread: the pool's rollback of a returned connection after a commit, and the commit of a
    block that only read, cost no trip."""

    __slots__ = ("_units",)
    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._units: Engine | None = None

    async def run_unit(self, unit: Callable[[Connection], T]) -> T:
        """`unit` in aiosqlite's thread inside one transaction, committed (rolled back if it
        raises). The caller holds this connection checked out of the pool, so nothing else
        runs on it meanwhile.

        The unit's engine is SQLAlchemy's plain SQLite one on the same connection: listeners
        and options of the bot's engine do not apply inside a unit (the bot sets none that
        change what is stored or read)."""
        try:
            return await self._run_unit(unit)
        except Exception as error:
            # "Connection closed" and the like become OperationalError, as for a statement, so
            # that the caller can tell a lost connection (storage.db.run_unit invalidates it).
            self._handle_exception(error)

    async def _run_unit(self, unit: Callable[[Connection], T]) -> T:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        if self._units is None:
            raw = connection._conn
            # The same SQLite connection, lent to a synchronous engine that never closes it.
            self._units = create_engine(
                "sqlite://", creator=lambda: _Lent(raw), poolclass=StaticPool
            )
        units = self._units
        abandoned = threading.Event()

        def in_thread() -> T:
            with units.begin() as sync_connection:
                result = unit(sync_connection)
                if abandoned.is_set():
                    raise _Abandoned  # rolled back: nobody waits for the result any more
                return result

        if not connection._running or connection._connection is None:
            raise ValueError("Connection closed")  # as aiosqlite's own calls say it
        async with self._execute_mutex:
            # Queued as aiosqlite's own calls are (Connection._execute), without a task of its own.
            trip: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            connection._tx.put_nowait((trip, in_thread))
            try:
                return await asyncio.shield(trip)
            except asyncio.CancelledError:
                # The unit is already in the thread: it must not commit for a caller who has
                # gone (PostgreSQL's run_sync rolls back too), and the connection goes back to
                # the pool only once the thread is done with it.
                abandoned.set()
                await asyncio.wait([trip])
                if not trip.cancelled():
                    trip.exception()  # seen: the rollback's _Abandoned is expected
                raise

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def _in_transaction(self) -> bool:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        # Read from this thread while no statement runs in the other: the adapter runs one
        # statement at a time, and the flag is sqlite3_get_autocommit's.
        return connection._connection is not None and connection.in_transaction


class _Abandoned(Exception):
    """Raised inside a unit whose caller was cancelled, to roll it back."""


class _Lent:
    """aiosqlite's sqlite3 connection as a synchronous engine's DBAPI connection: everything is
    passed through but `close`, since the connection belongs to aiosqlite."""

    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Passed to `create_async_engine(..., module=...)` in place of the dialect's own."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's adapter does: no hang at exit
        return OneTripConnection(self, await_(connection))


def one_trip_dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
