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
        last = self._last.pop(key, None)  # and noted again at the end: the newest
        self._last[key] = (data, now)
        return last is not None and last[0] == data

    async def forget(self, key: Key, data: str) -> None:
        """The press failed: the same button may be tried again at once."""
        if key in self._last and self._last[key][0] == data:
            del self._last[key]


class SharedTaps:
    """In Redis, each message's last press expiring after the window. If Redis does not answer,
    this process's memory serves (a double tap split between processes is then possible)."""

    def __init__(self, redis: Redis, key: str) -> None:
        self._redis, self._key = redis, key
        self._fallback = MemoryTaps()
        self._failing = False

    def _name(self, key: Key) -> str:
        return f"{self._key}:{key[0]}:{key[1]}"

    async def again(self, key: Key, data: str, window: float) -> bool:
        try:
            previous = await self._redis.set(
                self._name(key), data, px=max(1, int(window * 1000)), get=True
            )
        except RedisError:
            self._note_failure()
            return await self._fallback.again(key, data, window)
        self._failing = False
        if isinstance(previous, bytes):
            previous = previous.decode()
        return previous == data

    async def forget(self, key: Key, data: str) -> None:
        await self._fallback.forget(key, data)
        try:
            name = self._name(key)
            current = await self._redis.get(name)
            if (
                current is not None
                and (current.decode() if isinstance(current, bytes) else current) == data
            ):
                await self._redis.delete(name)
        except RedisError:
            self._note_failure()

    def _note_failure(self) -> None:
        if not self._failing:
            log.warning("Redis does not answer: double taps are told apart in this process only")
        self._failing = True
