"""The one sending path: every Bot API call goes through this session middleware, which keeps to
Telegram's limits and retries what can be retried (DESIGN.md, "Sending").

- Messages (send*, copy*, forward*, edit*) take a token of the overall rate (about 30/s), of
  their chat's (1/s on average, in bursts of 3 so that an answer and the card after it are not
  held apart) and, in groups, of the group's (20/min).
- Bulk work (reminders) also takes a token of a smaller bulk rate, so a share of the overall
  rate is always left for interactive replies: a batch never starves a person in a chat.
- 429: every message waits for `retry_after`, then this one is sent again; never dropped.
- 5xx and network errors: retried with exponential backoff, a few times.
- 403 (blocked by the user) and other 4xx: raised at once; retrying would not help.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiolimiter import AsyncLimiter

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

_BULK: ContextVar[bool] = ContextVar("salesbot_bulk_sending", default=False)
_LIMITED_PREFIXES = ("send", "copy", "forward", "edit")
_CHATS_KEPT = 10_000  # per-chat limiters of the most recent chats


@contextmanager
def bulk() -> Iterator[None]:
    """Messages sent inside this block are bulk work (they leave room for interactive ones)."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


@dataclass(frozen=True, slots=True)
class Limits:
    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3  # a reply and the card after it go at once; 1/s on average
    per_group_per_minute: float = 20.0
    bulk_share: float = 0.8  # of per_second; the rest is kept for interactive replies
    server_retries: int = 5
    backoff_seconds: float = 0.5


Sleep = Callable[[float], Awaitable[None]]


class SendingPolicy(BaseRequestMiddleware):
    def __init__(self, limits: Limits = Limits(), sleep: Sleep = asyncio.sleep) -> None:
        self._limits = limits
        self._sleep = sleep
        self._overall = AsyncLimiter(limits.per_second, 1)
        self._bulk = AsyncLimiter(max(1.0, limits.per_second * limits.bulk_share), 1)
        self._chats: OrderedDict[int | str, AsyncLimiter] = OrderedDict()
        self._resume = asyncio.Event()
        self._resume.set()
        self.retried_429 = 0  # for benchmarks and logs

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        limited = method.__api_method__.startswith(_LIMITED_PREFIXES)
        failures = 0
        while True:
            if limited:
                await self._acquire(method)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                self.retried_429 += 1
                await self._pause(error.retry_after)
            except (TelegramServerError, TelegramNetworkError):
                failures += 1
                if failures > self._limits.server_retries:
                    raise
                delay = self._limits.backoff_seconds * 2 ** (failures - 1)
                log.warning("%s failed, retry %d in %.1f s", method.__api_method__, failures, delay)
                await self._sleep(delay)

    async def _acquire(self, method: TelegramMethod[Any]) -> None:
        await self._resume.wait()
        if _BULK.get():
            await self._bulk.acquire()
        await self._overall.acquire()
        chat = getattr(method, "chat_id", None)
        if isinstance(chat, int | str):
            await self._chat_limiter(chat).acquire()

    def _chat_limiter(self, chat: int | str) -> AsyncLimiter:
        limiter = self._chats.get(chat)
        if limiter is None:
            group = isinstance(chat, str) or chat < 0
            limiter = (
                AsyncLimiter(self._limits.per_group_per_minute, 60)
                if group
                else AsyncLimiter(
                    self._limits.per_chat_burst,
                    self._limits.per_chat_burst / self._limits.per_chat_per_second,
                )
            )
            self._chats[chat] = limiter
            if len(self._chats) > _CHATS_KEPT:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat)
        return limiter

    async def _pause(self, seconds: float) -> None:
        """Telegram said too many: everybody waits, as its flood control counts them all."""
        log.warning("429 from Telegram: pausing sends for %s s", seconds)
        self._resume.clear()
        try:
            await self._sleep(seconds)
        finally:
            self._resume.set()
