"""Work under way at a stop: the updates being handled and the scheduler's jobs running. A stop
(a deploy's SIGTERM) waits for them before the bot's session and the database close under them:
a lead just stored still gets its alert, a client's message its relay, a job its last query."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

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
        """Wait up to `timeout` seconds for what is under way; the number of tasks left."""
        if not self._tasks:
            return 0
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        if pending:
            log.warning("stopping with %d tasks still under way", len(pending))
        return len(pending)
