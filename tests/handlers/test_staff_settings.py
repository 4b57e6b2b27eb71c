"""/settings: a member of staff's own time zone and working hours, and what they change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.callbacks import SettingsAction, SettingsCb
from bot.config import BusinessConfig, FollowUps, SpeedToLead
from bot.reminder_push import plan_morning
from bot.services.reminders import SLA, SLA_ESCALATION
from storage.reminders import SqlReminderRepository
from tests.fakes import FakeClock, RecordingSession
from tests.handlers.conftest import ADMIN_ID, World, make_world
from tests.handlers.test_deal_card import manager_with_deal
from tests.handlers.test_followups import tick
from tests.handlers.test_staff import submit_lead


@pytest.fixture
def world(sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock) -> World:
    """Without the speed-to-lead ladder: only the reminders a test sets are there."""
    quiet = business_config.model_copy(
        update={"followups": FollowUps(speed_to_lead=SpeedToLead(temperatures=()))}
    )
    return make_world(sqlite_engine, quiet, clock, RecordingSession())


async def test_settings_buttons_under_a_message_telegram_no_longer_gives_still_answer(
    world: World,
) -> None:
    oleg = await world.add_manager(7001, "Олег")
    [picker] = await oleg.callback_on_gone(SettingsCb(action=SettingsAction.TIMEZONES).pack())
    assert "Екатеринбург" in str(picker.markup)  # not a silent press that left a wait behind
    [saved] = await oleg.callback_on_gone(
        SettingsCb(action=SettingsAction.ZONE, arg="yekaterinburg").pack()
    )
    assert "Сохранено" in saved.text and "Asia/Yekaterinburg" in saved.text


async def test_a_manager_picks_a_city_and_types_times_in_its_zone(world: World) -> None:
    oleg = await manager_with_deal(world)
    [shown] = await oleg.send("/settings")
    assert "Europe/Moscow (общий)" in shown.text and "сейчас 12:00" in shown.text
    assert "09:00–18:00 (общие), пн, вт, ср, чт, пт" in shown.text
    await oleg.press("Часовой пояс")
    [saved] = await oleg.press("Екатеринбург")
    assert "Сохранено" in saved.text and "Asia/Yekaterinburg," in saved.text
    assert "сейчас 14:00" in saved.text

    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Напомнить")
    [done] = await oleg.send("завтра в 15:00")
    assert "Напомню 24.11 15:00" in done.text
    [reminder] = await SqlReminderRepository(world.engine).upcoming(7001, 5)
    assert reminder.due_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 15:00 at UTC+5


async def test_typed_zone_and_hours_with_bad_input_re_asked(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await oleg.send("/settings")
    await oleg.press("Часовой пояс")
    [wrong] = await oleg.send("Марс")
    assert "Не знаю такого часового пояса" in wrong.text
    [hint] = await oleg.send_sticker()  # no unknown zone: asked for in words
    assert hint.text.startswith("Напишите часовой пояс текстом, например «UTC+5»")
    [saved] = await oleg.send("UTC+7")
    assert "UTC+07:00," in saved.text and "сейчас 16:00" in saved.text

    await oleg.press("Рабочие часы")
    [wrong] = await oleg.send("18-9")
    assert "Не понимаю часы" in wrong.text
    [saved] = await oleg.send("9:30-18:30")
    assert "09:30–18:30, пн" in saved.text and "(общие)" not in saved.text
    await oleg.press("Рабочие часы")
    [saved] = await oleg.press("10–19")
    assert "10:00–19:00, пн" in saved.text
    await oleg.press("Рабочие часы")
    [saved] = await oleg.send("9-18 пн-сб")  # a six-day week of his own
    assert "09:00–18:00" in saved.text and "пт, сб" in saved.text
    await oleg.press("Рабочие часы")
    [wrong] = await oleg.send("9-18 пн-абв")
    assert "Не понимаю часы" in wrong.text and "9-18 пн-сб" in wrong.text


async def test_a_forged_settings_button_changes_nothing(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await oleg.callback(SettingsCb(action=SettingsAction.ZONE, arg="atlantis").pack())
    await oleg.callback(SettingsCb(action=SettingsAction.SET_HOURS, arg="0-23").pack())
    assert oleg.answer_callback_texts()[-2:] == ["Эта кнопка уже не действует."] * 2
    [shown] = await oleg.send("/settings")
    assert "(общий)" in shown.text and "(общие)" in shown.text
    prospect = world.prospect(user_id=1001)
    await prospect.callback(SettingsCb(action=SettingsAction.ZONE, arg="moscow").pack())
    assert prospect.answer_callback_texts()[-1] != "Сохранено ✔"


async def test_the_morning_digest_comes_at_nine_in_each_persons_zone(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await oleg.send("/settings")
    await oleg.press("Часовой пояс")
    await oleg.press("Владивосток")  # UTC+10
    world.clock.current = datetime(
        2026, 11, 23, 22, 30, tzinfo=UTC
    )  # 08:30 Tue there, 01:30 Moscow
    planned = await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock)
    assert planned == 0
    world.clock.current = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # 09:00 there
    assert await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock) == 1
    world.clock.current = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 09:00 in Moscow: the admin's
    assert await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock) == 1
    world.clock.current = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # Saturday: a day off for both
    assert await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock) == 0


async def test_a_bot_started_after_the_working_day_sends_no_digest_that_night(
    world: World,
) -> None:
    """A fresh start at 23:00 used to greet everyone with "Доброе утро"; at 15:00 the plan
    still comes, without the greeting."""
    await world.add_manager(7001, "Олег")
    world.clock.current = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 23:00 in Moscow
    assert await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock) == 0
    world.clock.current = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 15:00 the next day
    assert await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock) == 2
    await tick(world)
    [plan] = [s for s in world.session.to(7001) if "План на сегодня" in s.text]
    assert "Доброе утро" not in plan.text
    world.clock.current = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 09:00 the day after
    assert await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock) == 2
    await tick(world)
    assert "Доброе утро! План на сегодня" in world.session.to(7001)[-1].text


@pytest.fixture
def ladder_world(
    sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock
) -> World:
    return make_world(sqlite_engine, business_config, clock, RecordingSession())


async def test_a_lead_at_night_is_chased_from_the_start_of_the_working_day(
    ladder_world: World,
) -> None:
    world = ladder_world
    await world.add_manager(7001, "Олег")
    world.clock.current = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Friday 23:00 in Moscow
    await submit_lead(world, 1001)
    rows = await SqlReminderRepository(world.engine).upcoming(7001, 5)
    [sla] = [r for r in rows if r.kind == SLA]
    assert sla.due_at == datetime(2026, 11, 30, 6, 15, tzinfo=UTC)  # Monday 09:15 Moscow
    [escalation] = [
        r for r in await SqlReminderRepository(world.engine).upcoming(ADMIN_ID, 5)
        if r.kind == SLA_ESCALATION
    ]  # fmt: skip
    assert escalation.due_at == datetime(2026, 11, 30, 6, 45, tzinfo=UTC)
