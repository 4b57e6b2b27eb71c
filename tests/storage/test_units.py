"""Units of work and SQLite's one-trip adapter: what is committed, what is rolled back, and how
many trips to aiosqlite's thread a statement and a unit cost (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import run_unit
from storage.schema import people

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def person(phone: str, telegram_id: int | None = None) -> dict[str, object]:
    return {
        "name": "Анна",
        "phone": phone,
        "telegram_id": telegram_id,
        "created_at": NOW,
        "updated_at": NOW,
    }


async def phones(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        result = await connection.execute(sa.select(people.c.phone).order_by(people.c.id))
        return [row.phone for row in result]


async def test_a_unit_is_committed_when_it_returns(engine: AsyncEngine) -> None:
    def unit(connection: Connection) -> int:
        row = connection.execute(
            people.insert().returning(people.c.id), person("+79160000001")
        ).one()
        connection.execute(people.insert(), [person("+79160000002"), person("+79160000003")])
        return int(row.id)

    first_id = await run_unit(engine, unit)

    assert first_id > 0
    assert await phones(engine) == ["+79160000001", "+79160000002", "+79160000003"]


async def test_a_unit_that_fails_half_way_leaves_nothing_behind(engine: AsyncEngine) -> None:
    await run_unit(engine, lambda c: c.execute(people.insert(), person("+79160000001", 5)))

    def unit(connection: Connection) -> None:
        connection.execute(people.insert(), person("+79160000002"))
        connection.execute(people.insert(), person("+79160000003", 5))  # the same Telegram id

    with pytest.raises(IntegrityError):
        await run_unit(engine, unit)

    assert await phones(engine) == ["+79160000001"]  # the unit's first insert is gone too
    # ... and the connection is usable afterwards
    await run_unit(engine, lambda c: c.execute(people.insert(), person("+79160000004")))
    assert await phones(engine) == ["+79160000001", "+79160000004"]


async def test_concurrent_units_do_not_interleave(engine: AsyncEngine) -> None:
    """Read, then write what was read: lost updates would show as a count below 30."""
    await run_unit(engine, lambda c: c.execute(people.insert(), person("0", 1)))
    phone = people.c.phone
    read = sa.select(phone).where(people.c.telegram_id == 1)
    if engine.dialect.name == "postgresql":
        read = read.with_for_update()

    def increment(connection: Connection) -> None:
        value = int(connection.execute(read).scalar_one())
        connection.execute(
            people.update().where(people.c.telegram_id == 1).values(phone=str(value + 1))
        )

    await asyncio.gather(*(run_unit(engine, increment) for _ in range(30)))

    assert await phones(engine) == ["30"]


async def test_statements_outside_units_work_as_before(engine: AsyncEngine) -> None:
    """The adapter under the async engine: rows, RETURNING, executemany, rowcount, errors."""
    async with engine.begin() as connection:
        inserted = await connection.execute(
            people.insert().returning(people.c.id, people.c.name), person("+79160000001")
        )
        assert inserted.one().name == "Анна"
        await connection.execute(people.insert(), [person("+7916000000" + str(i)) for i in (2, 3)])
        updated = await connection.execute(people.update().values(company="ООО Вектор"))
        assert updated.rowcount == 3
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(people.insert(), person("+79160000009"))
            await connection.execute(people.insert().values(id=1, name="x", created_at=NOW))
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(people.c.company))).all()
    assert [row.company for row in rows] == ["ООО Вектор"] * 3  # the failed block left nothing


# --- trips to aiosqlite's thread (SQLite only) ---------------------------------------------------


class CountingQueue:
    """Stands in for an aiosqlite connection's queue of work for its thread, noting each item
    (every trip, whichever way it is sent, goes through `put_nowait`)."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue
        self.sent: list[str] = []

    def put_nowait(self, item: tuple[object, Callable[[], object]]) -> None:
        function = item[1]
        self.sent.append(getattr(getattr(function, "func", function), "__name__", "?"))
        self.queue.put_nowait(item)


@pytest.fixture
async def trips(sqlite_engine: AsyncEngine) -> AsyncIterator[list[str]]:
    """The name of every function sent to the engine's aiosqlite thread from now on."""
    async with sqlite_engine.connect() as connection:  # the pool's connection, opened
        raw = (await connection.get_raw_connection()).driver_connection
    assert isinstance(raw, aiosqlite.Connection)
    counting = CountingQueue(raw._tx)
    raw._tx = counting  # type: ignore[assignment]
    yield counting.sent
    raw._tx = counting.queue


async def test_sqlite_a_statement_is_one_trip_and_a_read_costs_no_commit(
    sqlite_engine: AsyncEngine, trips: list[str]
) -> None:
    async with sqlite_engine.begin() as connection:
        await connection.execute(sa.select(people.c.id))
    assert len(trips) == 1  # the SELECT; no commit or rollback of an empty transaction

    trips.clear()
    async with sqlite_engine.begin() as connection:
        await connection.execute(people.insert(), person("+79160000001"))
    assert len(trips) == 2  # the INSERT and its commit


async def test_sqlite_a_unit_of_several_statements_is_one_trip(
    sqlite_engine: AsyncEngine, trips: list[str]
) -> None:
    def unit(connection: Connection) -> None:
        connection.execute(people.insert(), person("+79160000001"))
        connection.execute(sa.select(people.c.id)).all()
        connection.execute(people.update().values(company="ООО Вектор"))

    await run_unit(sqlite_engine, unit)

    assert trips == ["in_thread"]


async def test_sqlite_a_unit_whose_caller_is_cancelled_leaves_nothing_behind(
    sqlite_engine: AsyncEngine,
) -> None:
    """As on PostgreSQL, where run_sync rolls back: a bot stopping in the middle of a lead's
    unit must not store half of what the prospect sees as not done."""
    inside, go_on = threading.Event(), threading.Event()

    def unit(connection: Connection) -> None:
        connection.execute(people.insert(), person("+79160000001"))
        inside.set()
        go_on.wait(5)
        connection.execute(people.insert(), person("+79160000002"))

    task = asyncio.create_task(run_unit(sqlite_engine, unit))
    assert await asyncio.to_thread(inside.wait, 5)
    task.cancel()
    await asyncio.sleep(0.05)  # the cancellation reaches the task while the unit runs
    go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await phones(sqlite_engine) == []
    await run_unit(sqlite_engine, lambda c: c.execute(people.insert(), person("+79160000003")))
    assert await phones(sqlite_engine) == ["+79160000003"]


async def test_sqlite_a_lost_connection_is_replaced(sqlite_engine: AsyncEngine) -> None:
    await run_unit(sqlite_engine, lambda c: c.execute(people.insert(), person("+79160000001")))
    async with sqlite_engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert isinstance(raw, aiosqlite.Connection)
        await raw.close()  # as if the database had gone away under the bot

    with pytest.raises(OperationalError):
        await run_unit(sqlite_engine, lambda c: c.execute(people.insert(), person("+7916002")))
    await run_unit(sqlite_engine, lambda c: c.execute(people.insert(), person("+79160000003")))

    assert await phones(sqlite_engine) == ["+79160000001", "+79160000003"]
