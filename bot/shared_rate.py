"""The overall sending rate, shared by every process of the bot through Redis (with REDIS_URL).

Telegram counts a bot's messages together: two processes each pacing themselves at 30/s would
send 60, and a 429 that one of them meets concerns the others too. Each process still orders
and spaces its own messages (bot.sending.Turns); before a turn is given, this asks Redis for one
of the `per_second` places of the last second, and every process sees a 429's pause. Redis's own
clock is used, so the processes' clocks need not agree. If Redis does not answer within
ANSWER_WITHIN, sending goes on at the process's own pace (logged once) and Redis is asked again
after RETRY_AFTER: messages are not held up by it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

ANSWER_WITHIN = 0.25  # seconds: Redis on the same network answers in well under a millisecond
RETRY_AFTER = 5.0  # seconds without asking a Redis that failed

# KEYS: the places taken (a sorted set scored by the moment, ms), the pause's end (ms).
# ARGV: places in a window, the window (ms), a unique member. Returns 0 when a place was taken,
# otherwise the milliseconds to wait before asking again.
_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return paused - now end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""

# KEYS: the pause's end (ms). ARGV: the pause (ms). A second 429 can only extend it.
_PAUSE = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_, 'PX', ARGV[1])
end
return 0
"""


class SharedRate:
    def __init__(
        self,
        redis: Redis,
        per_second: float,
        key: str = "salesbot:sending",
        window_seconds: float = 1.02,  # a margin for the jitter between here and Telegram
    ) -> None:
        self._redis = redis
        self._places = max(1, int(per_second))
        self._window_ms = int(window_seconds * 1000)
        self._keys = [f"{key}:turns", f"{key}:paused"]
        self._claim = redis.register_script(_CLAIM)
        self._pause = redis.register_script(_PAUSE)
        self._members = (f"{uuid.uuid4().hex}:{n}" for n in itertools.count())
        self._failing = False
        self._skip_until = 0.0

    async def claim(self) -> float:
        """0.0: a place in the bot's overall rate is ours; otherwise the seconds to wait."""
        args = [self._places, self._window_ms, next(self._members)]
        wait_ms = await self._call(self._claim, self._keys, args)
        return 0.0 if wait_ms is None else int(wait_ms) / 1000

    async def pause(self, seconds: float) -> None:
        """Telegram said too many: every process waits."""
        await self._call(self._pause, self._keys[1:], [max(1, int(seconds * 1000))])

    async def _call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        """The script's answer; None when Redis does not answer at once. After a failure Redis
        is left alone for a while: each message must not wait for a connection that fails."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._skip_until:
            return None
        try:
            answer = await asyncio.wait_for(script(keys=keys, args=args), ANSWER_WITHIN)
        except (RedisError, OSError, TimeoutError):
            if not self._failing:  # once per outage, not once per message
                log.warning("Redis unreachable: sending at this process's own rate", exc_info=True)
            self._failing = True
            self._skip_until = loop.time() + RETRY_AFTER
            return None
        if self._failing:
            log.warning("Redis reachable again: the overall sending rate is shared again")
        self._failing = False
        return answer
