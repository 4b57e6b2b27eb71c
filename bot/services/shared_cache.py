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

    While a refresh runs, callers get the value it replaces (out of date by the length of one
    query at most); only when there is no value yet do they wait, all for the same query.
    `forget()` drops the value and any refresh already under way, whose result could predate
    the change that made the caller forget."""

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
        self._refresh: asyncio.Future[T] | None = None
        self._generation = 0

    async def get(self) -> T:
        value = self._value
        if value is not None and self._monotonic() - self._loaded_at <= self._ttl:
            return value
        refresh = self._refresh
        if refresh is None:
            refresh = self._refresh = asyncio.ensure_future(self._reload(self._generation))
            refresh.add_done_callback(_log_failure)
        if value is not None:
            return value
        return await asyncio.shield(refresh)  # a cancelled caller leaves the query to the others

    def forget(self) -> None:
        self._value = None
        self._refresh = None
        self._generation += 1

    async def _reload(self, generation: int) -> T:
        try:
            value = await self._load()
            if generation == self._generation:
                self._value, self._loaded_at = value, self._monotonic()
            return value
        finally:
            if generation == self._generation:
                self._refresh = None


def _log_failure(refresh: asyncio.Future[Any]) -> None:
    # Callers holding an older value do not wait for the refresh: its error is logged here (and
    # the next caller tries again), not left as "exception never retrieved".
    if not refresh.cancelled() and refresh.exception() is not None:
        log.error("could not refresh a cached value", exc_info=refresh.exception())
