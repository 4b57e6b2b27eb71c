"""The managers' list (read on every update) under load: one query however many updates ask."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.services.shared_cache import SharedCache


class Table:
    """A slow query over a value a test can change; counts the queries."""

    def __init__(self, value: frozenset[int]) -> None:
        self.value = value
        self.queries = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.reading = asyncio.Event()
        self.fail = False

    async def read(self) -> frozenset[int]:
        self.queries += 1
        seen = self.value
        self.reading.set()
        await self.gate.wait()
        if self.fail:
            raise ConnectionError("database gone")
        return seen


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_many_updates_at_once_make_one_query() -> None:
    table, clock = Table(frozenset({7})), Clock()
    cache = SharedCache(table.read, ttl=10, monotonic=clock)
    table.gate.clear()
    waiting = [asyncio.create_task(cache.get()) for _ in range(200)]
    await asyncio.sleep(0)
    table.gate.set()
    assert set(await asyncio.gather(*waiting)) == {frozenset({7})}
    assert table.queries == 1
    assert await cache.get() == frozenset({7}) and table.queries == 1  # kept


async def test_an_old_value_is_served_while_one_refresh_runs() -> None:
    table, clock = Table(frozenset({7})), Clock()
    cache = SharedCache(table.read, ttl=10, monotonic=clock)
    await cache.get()
    table.value = frozenset({7, 8})  # a manager joined on another instance
    clock.now = 11
    table.gate.clear()
    answers = await asyncio.gather(*(cache.get() for _ in range(50)))
    assert set(answers) == {frozenset({7})}  # nobody waited for the query
    assert table.queries == 2
    table.gate.set()
    await asyncio.sleep(0.01)
    assert await cache.get() == frozenset({7, 8})
    assert table.queries == 2


async def test_forget_is_not_undone_by_a_refresh_begun_before_it() -> None:
    table, clock = Table(frozenset({7})), Clock()
    cache = SharedCache(table.read, ttl=10, monotonic=clock)
    table.gate.clear()
    early = asyncio.create_task(cache.get())  # reads the table before the change
    await table.reading.wait()
    table.value = frozenset({7, 9})  # an invitation redeemed here...
    cache.forget()  # ...and the cache told so
    table.gate.set()
    assert await early == frozenset({7})
    assert await cache.get() == frozenset({7, 9})


async def test_a_value_older_than_twice_the_ttl_is_not_served() -> None:
    table, clock = Table(frozenset({7})), Clock()
    cache = SharedCache(table.read, ttl=10, monotonic=clock)
    await cache.get()
    table.value = frozenset()  # the manager deactivated on another instance overnight
    clock.now = 8 * 3600
    assert await cache.get() == frozenset()  # the morning's first update waits for the query
    assert table.queries == 2


async def test_a_failed_refresh_is_logged_and_tried_again_after_a_pause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    table, clock = Table(frozenset({7})), Clock()
    cache = SharedCache(table.read, ttl=10, monotonic=clock)
    await cache.get()
    clock.now = 11
    table.fail = True
    for _ in range(100):  # the database is down: updates keep coming
        assert await cache.get() == frozenset({7})  # the old value, while the refresh fails
        await asyncio.sleep(0)
    assert table.queries == 2  # not one query (and one logged error) an update
    failures = [r for r in caplog.records if "could not refresh" in r.getMessage()]
    assert len(failures) == 1 and failures[0].levelno == logging.ERROR
    table.fail = False
    table.value = frozenset({8})
    clock.now += SharedCache.RETRY_PAUSE
    await cache.get()
    await asyncio.sleep(0.01)
    assert await cache.get() == frozenset({8})
    assert table.queries == 3


async def test_with_no_value_a_failure_reaches_the_callers_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    table, clock = Table(frozenset({7})), Clock()
    cache = SharedCache(table.read, ttl=10, monotonic=clock)
    table.fail = True
    with pytest.raises(ConnectionError):
        await cache.get()
    await asyncio.sleep(0)
    assert "could not refresh" not in caplog.text  # the caller's error handler reports it
    table.fail = False
    assert await cache.get() == frozenset({7})
