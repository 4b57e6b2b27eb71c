"""aiogram FSM storage on our own database, so a half-filled form survives a restart."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.schema import fsm_states


def storage_key(key: StorageKey) -> str:
    parts = [str(key.bot_id), str(key.chat_id), str(key.user_id)]
    if key.thread_id is not None:
        parts.append(f"t{key.thread_id}")
    if key.business_connection_id is not None:
        parts.append(f"b{key.business_connection_id}")
    if key.destiny != "default":
        parts.append(f"d{key.destiny}")
    return ":".join(parts)


class SqlStorage(BaseStorage):
    """One row per chat/user: the state name and the data as JSON. An empty record is deleted."""

    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._now = now or (lambda: datetime.now(UTC))
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._insert = insert

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        async with self._engine.begin() as connection:
            await self._write(connection, storage_key(key), state=name)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._engine.connect() as connection:
            row = await self._read(connection, storage_key(key))
        return row[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._engine.begin() as connection:
            await self._write(connection, storage_key(key), data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._engine.connect() as connection:
            row = await self._read(connection, storage_key(key))
        return dict(row[1])

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        text_key = storage_key(key)
        async with self._engine.begin() as connection:
            _state, current = await self._read(connection, text_key)
            merged = {**current, **data}
            await self._write(connection, text_key, data=merged)
        return merged

    async def _read(
        self, connection: AsyncConnection, key: str
    ) -> tuple[str | None, dict[str, Any]]:
        result = await connection.execute(
            sa.select(fsm_states.c.state, fsm_states.c.data).where(fsm_states.c.key == key)
        )
        row = result.first()
        return (None, {}) if row is None else (row[0], row[1])

    async def _write(self, connection: AsyncConnection, key: str, **values: Any) -> None:
        state, data = await self._read(connection, key)
        state = values.get("state", state)
        data = values.get("data", data)
        if state is None and not data:
            # An empty record is no record: the table holds only forms in progress.
            await connection.execute(sa.delete(fsm_states).where(fsm_states.c.key == key))
            return
        now = self._now()
        statement = self._insert(fsm_states).values(key=key, state=state, data=data, updated_at=now)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[fsm_states.c.key],
                set_={"state": state, "data": data, "updated_at": now},
            )
        )
