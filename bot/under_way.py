"""Work under way at a stop: the updates being handled and the scheduler's jobs running. A stop
(a deploy's SIGTERM) waits for them before the bot's session and the database close under them:
a lead just stored still gets its alert, a client's message its relay, a job its last query."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

log = logging.getLogger(__name__)


class UnderWay:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        """The current task is waited for by `drain` while inside."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._tasks.discard(task)

    def tracked(self, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        @functools.wraps(job)  # the scheduler's log names the job, not this wrapper
        async def run() -> None:
            async with self.track():
                await job()

        return run

    async def drain(self, timeout: float) -> int:
        """Wait up to `timeout` seconds until nothing is under way (an update waiting for its
        chat's turn starts when the one before ends); the number of tasks left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks and (left := deadline - loop.time()) > 0:
            await asyncio.wait(set(self._tasks), timeout=left)
        if self._tasks:
            log.warning("stopping with %d tasks still under way", len(self._tasks))
        return len(self._tasks)


class TrackedDispatcher(Dispatcher):
    """Each update is work under way from the moment it is fed, before any middleware: one
    waiting for its chat's lock (aiogram's FSM middleware) is already delivered as far as
    Telegram knows, so a stop must wait for it too."""

    def __init__(self, under_way: UnderWay, /, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.under_way = under_way

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        async with self.under_way.track():
            return await super().feed_update(bot, update, **kwargs)
