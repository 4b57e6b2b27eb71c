"""Automatic follow-ups: a quiet deal nudges its manager; a half-filled form, its prospect."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import BusinessConfig, FollowUps, SpeedToLead
from bot.reminder_push import ReminderPusher, stale_days
from bot.services.reminders import ReminderService
from bot.texts import Translator, default_catalogue
from tests.fakes import FakeClock, Prospect, RecordingSession
from tests.handlers.conftest import World, make_world
from tests.handlers.test_deal_card import manager_with_deal


def quiet_config(config: BusinessConfig, **followups: object) -> BusinessConfig:
    """Without the speed-to-lead ladder, so that only the follow-up under test is due."""
    return config.model_copy(
        update={"followups": FollowUps(speed_to_lead=SpeedToLead(temperatures=()), **followups)}
    )


@pytest.fixture
def world(sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock) -> World:
    return make_world(sqlite_engine, quiet_config(business_config), clock, RecordingSession())


async def tick(world: World) -> int:
    service: ReminderService = world.dp["reminders"]
    pusher = ReminderPusher(
        world.bot, world.dp["desk"], world.config, Translator(default_catalogue(), "ru"),
        world.dp["tz"], world.dp["staff"], service, world.dp.storage,
    )  # fmt: skip
    return await service.deliver_due(world.clock.now(), pusher, digest=pusher.digest)


async def scan(world: World) -> int:
    service: ReminderService = world.dp["reminders"]
    return await service.plan_stale(world.clock.now(), *stale_days(world.config))


async def test_a_quiet_deal_nudges_its_manager_once_per_quiet_spell(world: World) -> None:
    oleg = await manager_with_deal(world)  # Monday 12:00 in Moscow; stale after 5 days
    world.clock.advance(days=4)
    assert await scan(world) == 0
    world.clock.advance(days=1)  # Saturday: the nudge waits for Monday 09:00
    assert await scan(world) == 1 and await scan(world) == 0
    assert await tick(world) == 0
    world.clock.current = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert await tick(world) == 1
    nudge = oleg.last()
    assert "Сделка без движения 6 дн." in nudge.text and "«Установление контакта»" in nudge.text
    assert "Анна" in nudge.text and "Открыть сделку" in nudge.buttons()[-1]
    assert await scan(world) == 0  # nudged for this quiet spell already

    await oleg.press("Открыть сделку")
    await oleg.press("Звонок / встреча")
    await oleg.press("Звонок")
    await oleg.send("Перезвонить после праздников")  # work on the deal: a new spell begins
    world.clock.advance(days=5)
    assert await scan(world) == 1


async def test_work_done_before_the_nudge_arrives_cancels_it(world: World) -> None:
    oleg = await manager_with_deal(world)
    world.clock.advance(days=5)  # Saturday
    assert await scan(world) == 1
    world.clock.advance(hours=2)
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Звонок / встреча")
    await oleg.press("Заметка")
    await oleg.send("Клиент сам написал в выходные")
    before = len(world.session.to(7001))
    world.clock.current = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert await tick(world) == 0 and len(world.session.to(7001)) == before


async def test_a_stage_can_have_its_own_quiet_days(
    sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock
) -> None:
    pipeline = business_config.pipeline
    first = pipeline.stages[0].model_copy(update={"stale_days": 1})
    config = quiet_config(business_config, stale_days=0).model_copy(
        update={"pipeline": pipeline.model_copy(update={"stages": (first, *pipeline.stages[1:])})}
    )
    world = make_world(sqlite_engine, config, clock, RecordingSession())
    await manager_with_deal(world)
    world.clock.advance(days=1)
    assert await scan(world) == 1


async def half_filled(world: World, user_id: int = 1001, language: str = "ru") -> Prospect:
    prospect = world.prospect(user_id=user_id, language=language)
    await prospect.send("/start")
    await prospect.press("Оставить заявку" if language == "ru" else "Send a request")
    await prospect.press("Согласен" if language == "ru" else "I agree")
    await prospect.press("Анна")
    return prospect


async def test_a_prospect_who_stopped_half_way_is_reminded_once(world: World) -> None:
    prospect = await half_filled(world)
    world.clock.advance(hours=23)
    assert await tick(world) == 0
    world.clock.advance(hours=1)  # Tuesday 12:00: within working hours
    assert await tick(world) == 1
    nudge = prospect.last()
    assert "Вы начали оставлять заявку в ООО «Ромашка»" in nudge.text
    [asked] = await prospect.press("Продолжить")
    assert "Ваш телефон для связи?" in asked.text

    await prospect.send("/cancel")  # ... and begins again, and stops again: no second nudge
    await prospect.send("/start")
    await prospect.press("Оставить заявку")
    await prospect.press("Согласен")
    await prospect.press("Анна")
    world.clock.advance(days=3)
    assert await tick(world) == 0
    assert sum("Вы начали оставлять заявку" in s.text for s in world.session.to(1001)) == 1


async def test_a_prospect_who_went_on_with_the_form_is_reminded_a_day_after_the_last_step(
    world: World,
) -> None:
    prospect = await half_filled(world)  # Monday 12:00
    world.clock.advance(hours=23, minutes=50)
    await prospect.send("+7 916 123-45-67")  # Tuesday 11:50: still at it
    world.clock.advance(minutes=10)
    assert await tick(world) == 0  # not in the middle of the form
    world.clock.advance(hours=23, minutes=49)
    assert await tick(world) == 0
    world.clock.advance(minutes=1)  # Wednesday 11:50: a day after the last step
    assert await tick(world) == 1
    assert "Вы начали оставлять заявку" in prospect.last().text
    world.clock.advance(days=3)
    assert await tick(world) == 0  # still only one


async def test_no_nudge_after_the_form_was_sent_or_consent_refused(world: World) -> None:
    from tests.handlers.test_staff import submit_lead

    await submit_lead(world, 1001)
    refusing = world.prospect(user_id=1002)
    await refusing.send("/start")
    await refusing.press("Оставить заявку")
    await refusing.press("Не согласен")
    world.clock.advance(days=2)
    assert await tick(world) == 0
    assert not any("Вы начали" in s.text for s in world.session.to(1001) + world.session.to(1002))


async def test_the_nudge_speaks_the_language_of_the_form_and_waits_for_the_morning(
    world: World,
) -> None:
    world.clock.current = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 20:00 in Moscow
    prospect = await half_filled(world, 1003, "en")
    world.clock.current = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # 24 h later: 20:30
    assert await tick(world) == 0
    world.clock.current = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 09:00 next morning
    assert await tick(world) == 1
    assert "You started a request to Romashka LLC" in prospect.last().text
    assert "Continue" in prospect.last().buttons()[0]


async def test_many_quiet_deals_at_once_come_as_one_message(world: World) -> None:
    from tests.handlers.test_staff import submit_lead

    await world.add_manager(7001, "Олег")
    for n in range(5):
        await submit_lead(world, 1001 + n, name=f"Клиент{n}")
    world.clock.advance(days=7)  # Monday again: within working hours
    assert await scan(world) == 5
    before = len(world.session.to(7001))
    assert await tick(world) == 5
    [digest] = world.session.to(7001)[before:]
    assert "Накопилось напоминаний: 5" in digest.text
    assert digest.text.count("💤") == 5 and "#3 Клиент2" in digest.text
    assert "Открыть сделку" not in " ".join(digest.buttons())  # a list, not five cards


async def test_a_manager_who_left_gets_no_nudge_about_clients_the_admin_does(world: World) -> None:
    await manager_with_deal(world)
    world.clock.advance(days=7)
    assert await scan(world) == 1
    admin = world.admin()
    await admin.send("/managers")
    await admin.press("⏸ Олег")
    await admin.press("Да, отключить")
    world.dp["staff"].forget()
    before = len(world.session.to(7001))
    assert await tick(world) == 1 and len(world.session.to(7001)) == before
    # the quiet deal is not forgotten with him: the admin is nudged in his place
    assert "Из списка менеджера Олег" in admin.last().text and "без движения" in admin.last().text


async def test_a_form_sent_in_time_leaves_the_one_reminder_for_a_later_request(
    world: World,
) -> None:
    from tests.handlers.test_staff import submit_lead

    await submit_lead(world, 1001)  # its form reminder comes due and is dropped: nothing sent
    world.clock.advance(days=2)
    assert await tick(world) == 0
    prospect = world.prospect(user_id=1001)
    await prospect.send("/start")
    await prospect.press("Оставить заявку")  # consent and contacts on file: straight to the need
    await prospect.press("Нужна консультация")
    world.clock.advance(days=1)
    assert await tick(world) == 1
    assert "Вы начали оставлять заявку" in prospect.last().text
