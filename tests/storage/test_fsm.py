"""The FSM storage on our database keeps a half-filled form across restarts."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.fsm import SqlStorage


class Form(StatesGroup):
    name = State()


KEY = StorageKey(bot_id=42, chat_id=1001, user_id=1001)


async def test_state_and_data_survive_a_new_storage_on_the_same_database(
    engine: AsyncEngine,
) -> None:
    storage = SqlStorage(engine)
    await storage.set_state(KEY, Form.name)
    await storage.set_data(KEY, {"draft": {"name": "Анна", "n": 1}})
    assert await storage.update_data(KEY, {"extra": True}) == {
        "draft": {"name": "Анна", "n": 1},
        "extra": True,
    }
    await storage.close()  # as at shutdown

    reopened = SqlStorage(engine)
    assert await reopened.get_state(KEY) == "Form:name"
    assert await reopened.get_data(KEY) == {"draft": {"name": "Анна", "n": 1}, "extra": True}


async def test_keys_are_separate_per_chat_thread_and_destiny(engine: AsyncEngine) -> None:
    storage = SqlStorage(engine)
    other_chat = StorageKey(bot_id=42, chat_id=2002, user_id=1001)
    other_destiny = StorageKey(bot_id=42, chat_id=1001, user_id=1001, destiny="dialog")
    await storage.set_state(KEY, "a")
    await storage.set_state(other_chat, "b")
    await storage.set_state(other_destiny, "c")
    assert [await storage.get_state(k) for k in (KEY, other_chat, other_destiny)] == ["a", "b", "c"]


async def test_clearing_removes_the_record(engine: AsyncEngine) -> None:
    storage = SqlStorage(engine)
    await storage.set_state(KEY, "a")
    await storage.set_data(KEY, {"x": 1})
    await storage.set_state(KEY, None)
    assert await storage.get_data(KEY) == {"x": 1}  # data without a state is kept
    await storage.set_data(KEY, {})
    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {}
    await storage.flush()
    async with engine.connect() as connection:
        from sqlalchemy import func, select

        from storage.schema import fsm_states

        assert (
            await connection.execute(select(func.count()).select_from(fsm_states))
        ).scalar() == 0


async def test_unknown_key_reads_as_empty(engine: AsyncEngine) -> None:
    storage = SqlStorage(engine)
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}


async def test_writes_of_many_chats_at_once_are_all_saved_and_read_back(
    engine: AsyncEngine,
) -> None:
    storage = SqlStorage(engine)
    keys = [StorageKey(bot_id=42, chat_id=n, user_id=n) for n in range(1, 301)]
    await asyncio.gather(
        *(storage.set_state(key, f"Form:step{key.chat_id % 7}") for key in keys),
        *(storage.set_data(key, {"n": key.chat_id}) for key in keys),
    )
    await storage.close()

    reopened = SqlStorage(engine)
    states = [await reopened.get_state(key) for key in keys]
    data = [await reopened.get_data(key) for key in keys]
    assert states == [f"Form:step{key.chat_id % 7}" for key in keys]
    assert data == [{"n": key.chat_id} for key in keys]


async def test_data_handed_out_is_a_copy(engine: AsyncEngine) -> None:
    storage = SqlStorage(engine)
    await storage.set_data(KEY, {"draft": {"name": "Анна"}})
    data = await storage.get_data(KEY)
    data["draft"]["name"] = "changed by a handler that did not save"
    assert await storage.get_data(KEY) == {"draft": {"name": "Анна"}}


async def test_data_that_is_not_json_fails_in_the_caller(engine: AsyncEngine) -> None:
    storage = SqlStorage(engine)
    with pytest.raises(TypeError):
        await storage.set_data(KEY, {"when": object()})
    assert await storage.get_data(KEY) == {}


async def test_a_failed_commit_is_retried_and_loses_nothing(engine: AsyncEngine) -> None:
    storage = SqlStorage(engine)
    assert await storage.get_state(KEY) is None  # loaded while the table is there
    async with engine.begin() as connection:
        await connection.execute(sa.text("alter table fsm_states rename to fsm_states_away"))
    await storage.set_state(KEY, "Form:name")  # the writer fails and keeps the record
    with pytest.raises(sa.exc.DBAPIError):
        await storage.flush()
    assert await storage.get_state(KEY) == "Form:name"
    async with engine.begin() as connection:
        await connection.execute(sa.text("alter table fsm_states_away rename to fsm_states"))
    for attempt in range(3):  # the writer retries by itself; one retry may still have failed
        try:
            await storage.flush()
            break
        except sa.exc.DBAPIError:
            assert attempt < 2

    assert await SqlStorage(engine).get_state(KEY) == "Form:name"
