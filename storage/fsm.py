"""aiogram FSM storage on our own database, so a half-filled form survives a restart.

Every update reads the FSM record and most write it, so a round trip to the database per call
would dominate the bot's cost (on SQLite through aiosqlite each statement is several hops to a
worker thread). The storage therefore

* keeps every record in memory, read from the table in one query on first use, so a read never
  waits for the database (the table holds forms in progress, and how a visitor who consented
  and then cancelled arrived: a finished form's record is deleted), and
* writes behind: a `set_*` call changes the memory copy and returns; a single background
  writer commits everything written in the following GATHER_SECONDS (and during the previous
  commit) in one transaction. One commit carries the writes of many updates, and a transaction
  costs the event loop far more than the rows in it. `flush()` waits for everything written so
  far; `close()` (at shutdown) flushes.

What a crash can lose is the writes of the last few tens of milliseconds: the updates they belong to are
lost anyway, because long polling confirms updates to Telegram before they are handled.

The memory copy is authoritative, so one process owns the FSM records of its bot. That is what
long polling allows anyway (Telegram refuses a second concurrent getUpdates); several processes
behind a webhook need REDIS_URL (aiogram's RedisStorage).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import run_unit, upsert
from storage.schema import fsm_states

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.05, 0.2, 1.0, 5.0)  # seconds between attempts of a failed batch, then 5 s
GATHER_SECONDS = 0.02  # how long the writer collects writes before a commit


def storage_key(key: StorageKey) -> str:
    parts = [str(key.bot_id), str(key.chat_id), str(key.user_id)]
    if key.thread_id is not None:
        parts.append(f"t{key.thread_id}")
    if key.business_connection_id is not None:
        parts.append(f"b{key.business_connection_id}")
    if key.destiny != "default":
        parts.append(f"d{key.destiny}")
    return ":".join(parts)


@dataclass(frozen=True, slots=True)
class _Record:
    state: str | None
    data: str  # JSON text: each reader gets its own copy, and bad data fails in the caller

    @property
    def empty(self) -> bool:
        return self.state is None and self.data == "{}"


_ABSENT = _Record(None, "{}")


class SqlStorage(BaseStorage):
    """One row per chat/user: the state name and the data as JSON. An empty record is deleted."""

    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._now = now or (lambda: datetime.now(UTC))
        insert = upsert(engine, fsm_states)
        self._upsert = insert.on_conflict_do_update(
            index_elements=[fsm_states.c.key],
            set_={
                "state": insert.excluded.state,
                "data": insert.excluded.data,
                "updated_at": insert.excluded.updated_at,
            },
        )
        self._delete = sa.delete(fsm_states).where(
            fsm_states.c.key.in_(sa.bindparam("keys", expanding=True))
        )
        self._records: dict[str, _Record] | None = None  # None: not loaded yet
        self._loading: asyncio.Lock | None = None
        self._dirty: dict[str, _Record] = {}  # written, waiting for the next batch
        self._next_batch: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None

    # --- aiogram's interface ------------------------------------------------------------------

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        text_key = storage_key(key)
        current = await self._get(text_key)
        await self._put(text_key, _Record(name, current.data))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._get(storage_key(key))).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        text_key = storage_key(key)
        current = await self._get(text_key)
        await self._put(text_key, _Record(current.state, _dump(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return _load((await self._get(storage_key(key))).data)

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        text_key = storage_key(key)
        current = await self._get(text_key)
        merged = {**_load(current.data), **data}
        await self._put(text_key, _Record(current.state, _dump(merged)))
        return merged

    async def flush(self) -> None:
        """Wait until everything written so far is committed."""
        while self._dirty or self._writer is not None:
            if self._dirty:
                await asyncio.shield(self._batch_future())
            elif self._writer is not None:
                await asyncio.shield(self._writer)

    async def close(self) -> None:
        """Commit what is pending; the engine belongs to the application, which disposes of it."""
        try:
            await self.flush()
        except Exception:
            log.exception("FSM records could not be saved at shutdown: %d lost", len(self._dirty))

    # --- memory and the writer ---------------------------------------------------------------

    async def _get(self, key: str) -> _Record:
        records = self._records
        if records is None:
            records = await self._load_all()
        return records.get(key, _ABSENT)

    async def _load_all(self) -> dict[str, _Record]:
        if self._loading is None:
            self._loading = asyncio.Lock()
        async with self._loading:
            if self._records is None:
                async with self._engine.connect() as connection:
                    result = await connection.execute(
                        sa.select(fsm_states.c.key, fsm_states.c.state, fsm_states.c.data)
                    )
                    self._records = {row[0]: _Record(row[1], _dump(row[2])) for row in result}
            return self._records

    async def _put(self, key: str, record: _Record) -> None:
        records = self._records if self._records is not None else await self._load_all()
        if record.empty:
            records.pop(key, None)
        else:
            records[key] = record
        self._dirty[key] = record
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_batches(), name="fsm-writer")

    def _batch_future(self) -> asyncio.Future[None]:
        if self._next_batch is None:
            self._next_batch = asyncio.get_running_loop().create_future()
        return self._next_batch

    # --- the database ------------------------------------------------------------------------

    async def _write_batches(self) -> None:
        """The one writer: commits whatever is dirty, batch after batch, until nothing is."""
        failures = 0
        try:
            while self._dirty:
                await asyncio.sleep(GATHER_SECONDS)
                batch, self._dirty = self._dirty, {}
                done, self._next_batch = self._batch_future(), None
                try:
                    await self._commit(batch)
                except Exception as error:
                    # Keep the records (newer writes win) and tell this batch's writers.
                    log.exception("could not save %d FSM records", len(batch))
                    self._dirty = {**batch, **self._dirty}
                    done.set_exception(error)
                    done.exception()
                    await asyncio.sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)])
                    failures += 1
                else:
                    failures = 0
                    done.set_result(None)
        finally:
            self._writer = None

    async def _commit(self, batch: Mapping[str, _Record]) -> None:
        now = self._now()
        gone = [key for key, record in batch.items() if record.empty]
        rows = [
            {"key": key, "state": record.state, "data": _load(record.data), "updated_at": now}
            for key, record in batch.items()
            if not record.empty
        ]

        def unit(connection: Connection) -> None:
            if gone:
                connection.execute(self._delete, {"keys": gone})
            if rows:
                connection.execute(self._upsert, rows)

        await run_unit(self._engine, unit)  # one trip on SQLite


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _load(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data
