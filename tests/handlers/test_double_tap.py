"""A button tapped twice (a slow network makes people tap again) acts once; buttons meant to be
pressed again and again still count every press."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User
from redis.asyncio import Redis

from bot.app import create_application
from bot.callbacks import DealAction, DealCb
from bot.middlewares import DoubleTap
from bot.settings import load_settings
from bot.taps import MemoryTaps, SharedTaps
from storage.schema import deal_answers, documents, events, reminders
from tests.fakes import Prospect, RecordingSession, Sent, make_bot
from tests.handlers.conftest import World, make_world
from tests.handlers.test_deal_card import deal_of, manager_with_deal
from tests.handlers.test_staff import button_data


@pytest.fixture
def world(quiet_world: World) -> World:
    return quiet_world


async def twice(who: Prospect, data: str, together: bool) -> list[Sent]:
    if together:  # both in flight at once
        first, second = await asyncio.gather(who.callback(data), who.callback(data))
        return first + second
    return await who.callback(data) + await who.callback(data)


async def count(world: World, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    async with world.engine.connect() as connection:
        query = sa.select(sa.func.count()).select_from(table).where(*where)
        return int((await connection.execute(query)).scalar_one())


CONTACT_AND_NEEDS = {
    "reached": "yes", "problems": "учёт в Excel", "priority": "saving", "experience": "нет",
    "decision_maker": "yes", "budget": "100000", "deadline": "2026-12-31",
}  # fmt: skip


async def answer(world: World, answers: dict[str, str]) -> None:
    async with world.engine.begin() as connection:
        await connection.execute(
            deal_answers.insert(),
            [
                {"deal_id": 1, "question_id": question, "value": value, "answered_by": 7001,
                 "answered_at": world.clock.now()}
                for question, value in answers.items()
            ],
        )  # fmt: skip


@pytest.mark.parametrize("together", [False, True])
async def test_next_stage_tapped_twice_moves_the_deal_once(world: World, together: bool) -> None:
    oleg = await manager_with_deal(world)
    await answer(world, CONTACT_AND_NEEDS)  # so that the gate would let it move on twice
    await oleg.send("/deals")
    [card] = await oleg.press("#1")
    next_stage = next(b.callback_data for row in card.markup.inline_keyboard for b in row  # type: ignore[union-attr]
                      if "Следующий этап" in b.text)  # fmt: skip
    assert next_stage is not None
    await twice(oleg, next_stage, together)
    assert (await deal_of(world)).stage == "needs"
    assert await count(world, events, events.c.kind == "stage_changed") == 1


async def test_an_old_cards_next_stage_does_not_move_a_deal_that_has_moved(world: World) -> None:
    oleg = await manager_with_deal(world)
    await answer(world, CONTACT_AND_NEEDS)
    old = DealCb(action=DealAction.NEXT, deal=1, arg="contact").pack()
    await oleg.callback(old, message_id=10)
    [told] = await oleg.callback(old, message_id=11)  # another card of the same stage, later
    assert "уже на этапе «Выявление потребностей»" in told.text
    assert (await deal_of(world)).stage == "needs"


@pytest.mark.parametrize("together", [False, True])
async def test_an_offer_tapped_twice_is_made_once(world: World, together: bool) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("КП / счёт")
    await oleg.press("Добавить из каталога")
    await oleg.press("Консультация эксперта")
    await twice(oleg, DealCb(action=DealAction.OFFER, deal=1, arg="make.offer").pack(), together)
    assert len([s for s in world.session.to(7001) if s.kind == "document"]) == 1
    assert await count(world, documents) == 1


async def test_a_quick_reminder_and_an_objection_tapped_twice_are_kept_once(world: World) -> None:
    oleg = await manager_with_deal(world)
    await twice(oleg, DealCb(action=DealAction.REMIND, deal=1, arg="1h").pack(), False)
    assert await count(world, reminders, reminders.c.kind == "manual") == 1
    await twice(oleg, DealCb(action=DealAction.OBJECTION, deal=1, arg="expensive").pack(), True)
    assert await count(world, events, events.c.kind == "objection") == 1


async def test_plus_pressed_three_times_adds_three(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("КП / счёт")
    [listing] = await oleg.press("Добавить из каталога")
    item = button_data(listing, "Консультация эксперта")
    [screen] = await twice(oleg, item, False)  # "one unit a tap" on the list: a double tap is one
    assert "1 ч" in screen.text.replace("\xa0", " ")
    for _ in range(2):
        assert await oleg.press("➕") == []  # the screen changes in place
    assert "3 ч" in screen.text.replace("\xa0", " ") and screen.edits == 2


async def test_only_the_same_button_again_within_the_window_is_dropped() -> None:
    session = RecordingSession()
    bot = make_bot(session)
    now = [0.0]
    tap = DoubleTap(window=3.0, monotonic=lambda: now[0])
    handled: list[str] = []

    async def handler(event: TelegramObject, data: dict[str, Any]) -> None:
        assert isinstance(event, CallbackQuery) and event.data
        if event.data == "fails":
            raise RuntimeError("the database went away")
        handled.append(event.data)

    async def press(data: str, message_id: int = 1) -> None:
        query = CallbackQuery(
            id=data, from_user=User(id=7001, is_bot=False, first_name="Олег"), chat_instance="c",
            data=data, message=Message(message_id=message_id, date=datetime.now(UTC),
                                       chat=Chat(id=7001, type="private")),
        ).as_(bot)  # fmt: skip
        await tap(handler, query, {})

    await press("hot")
    await press("hot")  # a double tap
    await press("warm")
    await press("hot")  # hot, warm, hot again: meant
    await press("hot", message_id=2)  # the same button of another message
    now[0] = 3.5
    await press("hot", message_id=2)  # after the window: meant
    assert handled == ["hot", "warm", "hot", "hot", "hot"]
    for _ in range(2):  # a press that failed may be tried again at once
        with pytest.raises(RuntimeError):
            await press("fails")
    await bot.session.close()


async def test_the_two_taps_reaching_two_processes_make_one_offer(world: World) -> None:
    """With REDIS_URL the two taps may go to two processes (a webhook behind a balancer): the
    press is noted in Redis, where both look."""
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set")
    other = make_world(world.engine, world.config, world.clock, world.session)
    async with Redis.from_url(redis_url) as redis:
        key = f"test-{uuid.uuid4().hex[:8]}:tap"
        for process in (world, other):  # as create_application does with REDIS_URL
            process.dp["taps"] = SharedTaps(redis, key=key)
        oleg = await manager_with_deal(world)
        await oleg.press("КП / счёт")
        await oleg.press("Добавить из каталога")
        await oleg.press("Консультация эксперта")
        make = DealCb(action=DealAction.OFFER, deal=1, arg="make.offer").pack()
        await oleg.callback(make, message_id=500)  # to this process
        again = other.prospect(user_id=7001, first_name="Олег", username=None)
        await again.callback(make, message_id=500)  # to the other one
        assert await count(world, documents) == 1
        await again.callback(
            DealCb(action=DealAction.OFFER, deal=1, arg="make.offer").pack(), message_id=501
        )  # the same button on another message: a request of its own
        assert await count(world, documents) == 2
        await redis.delete(*[k async for k in redis.scan_iter(f"{key}:*")] or [key])
        other.dp["documents"].close()


async def test_redis_url_notes_presses_in_redis(tmp_path: Path) -> None:
    settings = load_settings(
        _env_file=None, redis_url="redis://127.0.0.1:6379/15",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", bot_token="123456:ABCdef-xyz",
    )  # fmt: skip
    app = create_application(settings)
    try:
        assert isinstance(app.dispatcher["taps"], SharedTaps)
    finally:
        await app.close()


async def test_a_redis_that_does_not_answer_leaves_the_taps_to_this_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2) as gone:
        taps = SharedTaps(gone, key="test:tap")
        assert not await taps.again((7001, 5), "d:offer:1:make.offer", 3.0)
        assert await taps.again((7001, 5), "d:offer:1:make.offer", 3.0)  # still a double tap
        assert not await taps.again((7001, 5), "d:history:1:", 3.0)
    warnings = [r for r in caplog.records if "Redis does not answer" in r.getMessage()]
    assert len(warnings) == 1  # said once, not at every press


@pytest.mark.parametrize("where", ["memory", "redis"])
async def test_the_window_runs_from_the_first_press(where: str) -> None:
    """Taps every 0.2 s within a 0.3 s window: the third, 0.4 s after the first, is a new
    request, not dropped for ever by a window each tap would restart."""
    redis_url = os.environ.get("TEST_REDIS_URL")
    if where == "redis" and not redis_url:
        pytest.skip("TEST_REDIS_URL is not set")
    async with Redis.from_url(redis_url or "redis://127.0.0.1:1/0") as redis:
        key = f"test-{uuid.uuid4().hex[:8]}:tap"
        taps = SharedTaps(redis, key=key) if where == "redis" else MemoryTaps()
        assert not await taps.again((7001, 5), "d:offer:1:make.offer", 0.3)
        await asyncio.sleep(0.2)
        assert await taps.again((7001, 5), "d:offer:1:make.offer", 0.3)
        await asyncio.sleep(0.2)
        assert not await taps.again((7001, 5), "d:offer:1:make.offer", 0.3)
        if where == "redis":
            await redis.delete(f"{key}:7001:5")
