"""A value read from the database on almost every update, kept in memory for a while.

Under load many updates find the value out of date at the same moment. Each of them querying
would put a burst of identical queries in front of the one database connection (200 prospects
at once made 200 queries of the managers' list): one query refreshes it for everybody.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class SharedCache(Generic[T]):
    """`load()`'s result, kept `ttl` seconds; one refresh at a time, whoever asks.

    For another `ttl` after that, callers get the value while one refresh runs, so nobody waits
    for the query and a change made elsewhere arrives within twice `ttl`. An older value is not
    served (after a quiet night it could be hours old): callers wait, all for the same query.
    `forget()` drops the value and any refresh already under way, whose result could predate
    the change that made the caller forget."""

    # While the old value may still be served, a failed refresh is tried again only after this
    # pause: every update starting a query against a database that is down floods the log.
    RETRY_PAUSE = 1.0

    def __init__(
        self,
        load: Callable[[], Awaitable[T]],
        ttl: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._monotonic = monotonic
        self._value: T | None = None
        self._loaded_at = 0.0
        self._retry_at = 0.0
        self._refresh: asyncio.Future[T] | None = None
        self._awaited: asyncio.Future[T] | None = None
        self._generation = 0

    async def get(self) -> T:
        value, now = self._value, self._monotonic()
        age = now - self._loaded_at
        if value is not None and age <= self._ttl:
            return value
        stale = value if value is not None and age <= 2 * self._ttl else None
        refresh = self._refresh
        if refresh is None:
            if stale is not None and now < self._retry_at:
                return stale
            refresh = self._refresh = asyncio.ensure_future(self._reload(self._generation))
            refresh.add_done_callback(self._log_unseen_failure)
        if stale is not None:
            return stale
        self._awaited = refresh
        return await asyncio.shield(refresh)  # a cancelled caller leaves the query to the others

    def forget(self) -> None:
        self._value = None
        self._refresh = None
        self._generation += 1

    async def _reload(self, generation: int) -> T:
        try:
            value = await self._load()
        except BaseException:
            if generation == self._generation:
                self._retry_at = self._monotonic() + self.RETRY_PAUSE
            raise
        else:
            if generation == self._generation:
                self._value, self._loaded_at = value, self._monotonic()
            return value
        finally:
            if generation == self._generation:
                self._refresh = None

    def _log_unseen_failure(self, refresh: asyncio.Future[Any]) -> None:
        # A failure that callers waited for reaches them (and the error handler); one that
        # nobody waited for, the old value being served meanwhile, would otherwise go unseen.
        if refresh.cancelled() or refresh.exception() is None or refresh is self._awaited:
            return
        log.error("could not refresh a cached value", exc_info=refresh.exception())
