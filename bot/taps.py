"""The last button pressed on each message, for telling a double tap from a second request
(bot.middlewares.DoubleTap): in the process's memory, or in Redis when several processes share
the bot (REDIS_URL), since the two taps may reach two of them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Key = tuple[int, int]  # (user, message)


class MemoryTaps:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        # (user, message) -> the last button pressed there and when; oldest first
        self._last: dict[Key, tuple[str, float]] = {}

    async def again(self, key: Key, data: str, window: float) -> bool:
        """Note `data` as the last button pressed on the message; whether it already was,
        within `window` seconds."""
        now = self._monotonic()
        while self._last:  # forget presses older than the window
            oldest = next(iter(self._last))
            if now - self._last[oldest][1] < window:
                break
            del self._last[oldest]
        last = self._last.get(key)
        if last is not None and last[0] == data:
            return True  # the window runs from the first press: a tap every 2 s still counts
        self._last.pop(key, None)  # noted again at the end: the newest
        self._last[key] = (data, now)
        return False

    async def forget(self, key: Key, data: str) -> None:
        """The press failed: the same button may be tried again at once."""
        if key in self._last and self._last[key][0] == data:
            del self._last[key]


# KEYS: the message's last press; ARGV: the button's data, the window (ms). 1: a double tap
# (the window runs from the first press, as in memory); 0: noted as the last press. A script,
# not SET ... GET, which Redis before 6.2 lacks.
_AGAIN = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
"""
# The press failed: forgotten, unless another button was pressed there since.
_FORGET = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""


class SharedTaps:
    """In Redis, each message's last press expiring after the window. If Redis does not answer,
    this process's memory serves (a double tap split between processes is then possible)."""

    def __init__(self, redis: Redis, key: str) -> None:
        self._key = key
        self._again = redis.register_script(_AGAIN)
        self._forget = redis.register_script(_FORGET)
        self._fallback = MemoryTaps()
        self._failing = False

    def _name(self, key: Key) -> str:
        return f"{self._key}:{key[0]}:{key[1]}"

    async def again(self, key: Key, data: str, window: float) -> bool:
        try:
            again = await self._again(
                keys=[self._name(key)], args=[data, max(1, int(window * 1000))]
            )
        except RedisError:
            self._note_failure()
            return await self._fallback.again(key, data, window)
        self._failing = False
        return bool(again)

    async def forget(self, key: Key, data: str) -> None:
        await self._fallback.forget(key, data)
        try:
            await self._forget(keys=[self._name(key)], args=[data])
        except RedisError:
            self._note_failure()

    def _note_failure(self) -> None:
        if not self._failing:
            log.warning("Redis does not answer: double taps are told apart in this process only")
        self._failing = True
