"""Several processes of the bot keep to one overall rate and one 429 pause through Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage
from redis.asyncio import Redis

from bot.sending import Limits, SendingPolicy
from bot.shared_rate import SharedRate

REDIS_URL = os.environ.get("TEST_REDIS_URL")
PER_SECOND = 10


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set")
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


class Process:
    """One bot process's sending path; records when each message left it."""

    def __init__(self, shared: SharedRate | None, times: list[float]) -> None:
        self.policy = SendingPolicy(Limits(per_second=PER_SECOND), shared=shared)
        self.times = times
        self.fail_first_with: Exception | None = None

    async def make_request(self, bot: object, method: SendMessage) -> object:
        if self.fail_first_with is not None:
            error, self.fail_first_with = self.fail_first_with, None
            raise error
        self.times.append(asyncio.get_running_loop().time())
        return object()

    async def send(self, chat: int) -> None:
        await self.policy(self.make_request, None, SendMessage(chat_id=chat, text="x"))  # type: ignore[arg-type]


def busiest_second(times: list[float]) -> int:
    ordered = sorted(times)
    return max(sum(1 for t in ordered if start <= t < start + 1.0) for start in ordered)


async def two_processes_send(shared: tuple[SharedRate | None, SharedRate | None]) -> list[float]:
    times: list[float] = []
    first, second = Process(shared[0], times), Process(shared[1], times)
    await asyncio.gather(
        *(first.send(1000 + n) for n in range(15)), *(second.send(2000 + n) for n in range(15))
    )
    return times


async def test_two_processes_together_keep_to_the_overall_rate(redis: Redis) -> None:
    alone = await two_processes_send((None, None))
    assert busiest_second(alone) > PER_SECOND  # each at its own pace: twice the rate

    key = f"test:{uuid.uuid4().hex}"
    shared = await two_processes_send(
        (SharedRate(redis, PER_SECOND, key), SharedRate(redis, PER_SECOND, key))
    )
    assert len(shared) == 30
    assert busiest_second(shared) <= PER_SECOND


async def test_a_429_met_by_one_process_pauses_the_other(redis: Redis) -> None:
    key = f"test:{uuid.uuid4().hex}"
    first_times: list[float] = []
    second_times: list[float] = []
    first = Process(SharedRate(redis, PER_SECOND, key), first_times)
    second = Process(SharedRate(redis, PER_SECOND, key), second_times)
    first.fail_first_with = TelegramRetryAfter(
        SendMessage(chat_id=1, text="x"), "Too Many Requests: retry after 1", 1
    )
    loop = asyncio.get_running_loop()
    began = loop.time()
    paused = asyncio.create_task(first.send(1))
    await asyncio.sleep(0.1)  # the 429 has come back
    await second.send(2)
    await paused
    assert second_times[0] - began >= 0.9  # held by the other process's pause
    assert first_times[0] - began >= 0.9


async def test_without_redis_messages_still_go_at_the_process_s_own_pace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    times: list[float] = []
    process = Process(SharedRate(unreachable, PER_SECOND), times)
    try:
        await asyncio.gather(*(process.send(3000 + n) for n in range(5)))
    finally:
        await unreachable.aclose()
    assert len(times) == 5
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1


async def test_messages_given_up_take_no_place_of_the_bots_rate(redis: Redis) -> None:
    key = f"test:{uuid.uuid4().hex}"
    times: list[float] = []
    process = Process(SharedRate(redis, PER_SECOND, key), times)
    sends = [asyncio.create_task(process.send(4000 + n)) for n in range(20)]
    await asyncio.sleep(0.05)  # the first has gone; the others wait for their turns
    for task in sends[5:]:
        task.cancel()  # a process shutting down gives up its queued messages
    await asyncio.gather(*sends, return_exceptions=True)
    assert len(times) == 5
    await asyncio.sleep(0.5)  # time for five more turns, had the given-up ones kept theirs
    assert await redis.zcard(f"{key}:turns") == 5  # the other processes lose no places
