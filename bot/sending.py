"""The one sending path: every Bot API call goes through this session middleware, which keeps to
Telegram's limits and retries what can be retried (DESIGN.md, "Sending").

- Messages (send*, copy*, forward*, edit*) first wait for their chat (1/s on average, in bursts
  of 3 so that an answer and the card after it are not held apart; 20/min in a group), then for
  a turn of the overall rate (about 30/s, evenly spaced: never more than that in any second). A
  message held by its chat holds no share of the overall rate meanwhile.
- Turns go by priority, not a fixed share: interactive replies first, then bulk work (reminders)
  in its own order (`queue_order`: the earliest due first, then the person with most waiting, as
  a person's own limit makes theirs the slowest to send). A batch uses the whole rate when
  nobody else is sending, and a reply waits for at most the turn already given.
- 429: no turns are given until the pause is over (a second 429 extends it), then this message
  queues again; never dropped.
- With REDIS_URL, the overall rate and a 429's pause are those of all the bot's processes
  together (bot.shared_rate).
- 5xx and network errors: retried with exponential backoff, a few times.
- 403 (blocked by the user) and other 4xx: raised at once; retrying would not help.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import OrderedDict, deque
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

    from bot.shared_rate import SharedRate

log = logging.getLogger(__name__)

_BULK: ContextVar[bool] = ContextVar("salesbot_bulk_sending", default=False)
_ORDER: ContextVar[tuple[float, ...]] = ContextVar("salesbot_bulk_order", default=())
_START_BY: ContextVar[float | None] = ContextVar("salesbot_start_by", default=None)


class TooLate(Exception):
    """The message's turn came after the moment it had to start by: not sent, left for later."""


_LIMITED_PREFIXES = ("send", "copy", "forward", "edit")
_CHATS_KEPT = 10_000  # per-chat limiters of the most recent chats
WINDOW_MARGIN = 0.02  # seconds


@contextmanager
def bulk() -> Iterator[None]:
    """Messages sent inside this block are bulk work (they leave room for interactive ones)."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


@contextmanager
def queue_order(*order: float) -> Iterator[None]:
    """Bulk messages sent inside this block take their turns in this order (lower first)."""
    token = _ORDER.set(order)
    try:
        yield
    finally:
        _ORDER.reset(token)


@contextmanager
def start_by(deadline: float) -> Iterator[None]:
    """Messages sent inside this block are not sent once the policy's clock (the event loop's)
    has passed `deadline`, whatever held them (their turn, a 429 pause, retries): TooLate."""
    token = _START_BY.set(deadline)
    try:
        yield
    finally:
        _START_BY.reset(token)


@dataclass(frozen=True, slots=True)
class Limits:
    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3  # a reply and the card after it go at once; 1/s on average
    per_group_per_minute: float = 20.0
    server_retries: int = 5
    backoff_seconds: float = 0.5


Sleep = Callable[[float], Awaitable[None]]
Now = Callable[[], float]


class Turns:
    """The overall rate: one turn every `interval` seconds, to the waiter of the lowest rank
    (then the earliest), none during a pause. One pacing task runs while anybody waits."""

    def __init__(
        self, per_second: float, sleep: Sleep, now: Now, shared: SharedRate | None = None
    ) -> None:
        self._interval, self._sleep, self._now = 1 / per_second, sleep, now
        self._shared = shared  # the rate of the bot's other processes too
        # The last second's turns: never more than per_second of them in any second, with a
        # margin for the jitter between here and Telegram's clock.
        self._recent: deque[float] = deque(maxlen=max(1, int(per_second)))
        self._waiting: list[tuple[tuple[float, ...], int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()
        self._next = 0.0
        self._paused_until = 0.0
        self._pacer: asyncio.Task[None] | None = None

    async def wait(self, rank: tuple[float, ...]) -> None:
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank, next(self._arrivals), turn))
        if self._pacer is None or self._pacer.done():
            self._pacer = asyncio.create_task(self._pace())
        await turn

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._now())

    def _next_live(self) -> asyncio.Future[None] | None:
        """The best waiter not cancelled meanwhile (a turn given is never wasted on one)."""
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():
                return turn
        return None

    async def _pace(self) -> None:
        while self._waiting:
            start = max(self._next, self._paused_until)
            if len(self._recent) == self._recent.maxlen:
                start = max(start, self._recent[0] + 1 + WINDOW_MARGIN)
            now = self._now()
            if start > now:
                await self._sleep(start - now)
                continue  # a pause may have begun, a better waiter may have come
            if self._shared is not None:
                while self._waiting and self._waiting[0][2].done():  # cancelled meanwhile
                    heapq.heappop(self._waiting)
                if not self._waiting:
                    break  # a place of the whole bot's rate is not taken for nobody
                wait = await self._shared.claim()
                if wait > 0:  # the other processes took this second's turns
                    await self._sleep(wait)
                    continue
                now = self._now()
                if self._paused_until > now:
                    continue  # a 429 came back while Redis was asked
            turn = self._next_live()
            if turn is not None:
                turn.set_result(None)
                # From the planned moment, so that waking a little late does not slow the rate
                # down; from now after a quiet spell, so that it is not made up for in a burst.
                late = now - start > self._interval / 2
                self._next = (now if late else start) + self._interval
                self._recent.append(now)


class SendingPolicy(BaseRequestMiddleware):
    def __init__(
        self,
        limits: Limits = Limits(),
        sleep: Sleep = asyncio.sleep,
        now: Now | None = None,
        shared: SharedRate | None = None,
    ) -> None:
        self._limits = limits
        self._sleep = sleep
        self._now = now or (lambda: asyncio.get_running_loop().time())
        self._shared = shared
        self._turns = Turns(limits.per_second, sleep, self._now, shared)
        self._chats: OrderedDict[int | str, AsyncLimiter] = OrderedDict()
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
            deadline = _START_BY.get()
            if deadline is not None and self._now() > deadline:
                raise TooLate(method.__api_method__)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                self.retried_429 += 1
                if not limited:  # another method's own limit (setWebhook at a deploy): not
                    await self._sleep(error.retry_after)  # the messages', and not at once
                    continue
                self._pause(error.retry_after)
                if self._shared is not None:
                    await self._shared.pause(error.retry_after)
            except (TelegramServerError, TelegramNetworkError) as error:
                failures += 1
                if failures > self._limits.server_retries:
                    raise
                delay = self._limits.backoff_seconds * 2 ** (failures - 1)
                log.warning(
                    "%s failed (%s), retry %d in %.1f s",
                    method.__api_method__, error.message, failures, delay,
                )  # fmt: skip
                await self._sleep(delay)

    async def _acquire(self, method: TelegramMethod[Any]) -> None:
        chat = getattr(method, "chat_id", None)
        paused = self._turns.paused_for()
        if paused:  # not even the chat's token: it would be spent on waiting
            await self._sleep(paused)
        if isinstance(chat, int | str):
            await self._chat_limiter(chat).acquire()
        await self._turns.wait((1.0, *_ORDER.get()) if _BULK.get() else (0.0,))

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

    def _pause(self, seconds: float) -> None:
        """Telegram said too many: everybody waits, as its flood control counts them all."""
        log.warning("429 from Telegram: pausing sends for %s s", seconds)
        self._turns.pause(seconds)
