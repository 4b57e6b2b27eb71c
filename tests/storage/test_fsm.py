"""The FSM storage on our database keeps a half-filled form across restarts."""

from __future__ import annotations

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
