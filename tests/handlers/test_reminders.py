"""Reminders in the chat: set from a deal card, pushed when due, done, snoozed, listed, cancelled."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.callbacks import (
    DealAction,
    DealCb,
    ManagerAction,
    ManagerCb,
    ReminderAction,
    ReminderCb,
)
from bot.config import BusinessConfig, FollowUps, SpeedToLead
from bot.reminder_push import ReminderPusher, plan_morning
from bot.services.reminders import ReminderService
from bot.texts import Translator, default_catalogue
from storage.schema import deal_answers, deals, reminders
from tests.fakes import FakeClock, Prospect, RecordingSession, Sent
from tests.handlers.conftest import ADMIN_ID, World, make_world
from tests.handlers.test_deal_card import (
    hand_deal_to,
    manager_with_deal,
    without_double_tap_guard,
)
from tests.handlers.test_staff import button_data, fill_form, submit_lead


@pytest.fixture
def world(sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock) -> World:
    """Without the speed-to-lead ladder, so that only the reminders a test sets are due."""
    quiet = business_config.model_copy(
        update={"followups": FollowUps(speed_to_lead=SpeedToLead(temperatures=()))}
    )
    return make_world(sqlite_engine, quiet, clock, RecordingSession())


@pytest.fixture
def ladder_world(
    sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock
) -> World:
    return make_world(sqlite_engine, business_config, clock, RecordingSession())


async def tick(world: World) -> int:
    """What the scheduler's job does, at the fake clock's time."""
    service: ReminderService = world.dp["reminders"]
    config: BusinessConfig = world.config
    t = Translator(default_catalogue(), "ru")
    pusher = ReminderPusher(
        world.bot, world.dp["desk"], config, t, world.dp["tz"], world.dp["staff"], service
    )
    return await service.deliver_due(world.clock.now(), pusher, digest=pusher.digest)


async def test_a_date_typed_with_a_dot_is_a_date_and_next_years_shows_its_year(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    [done] = await oleg.send("01.12")
    assert "Напомню 01.12 10:00" in done.text  # not 01:12 tonight
    await oleg.press("К сделке")
    await oleg.press("Напомнить")
    [done] = await oleg.send("20.11 в 15")  # gone this year
    assert "Напомню 20.11.2027 15:00" in done.text
    [listing] = await oleg.send("/reminders")
    assert any("20.11.2027 15:00" in label for label in listing.buttons())


async def test_reminders_go_with_a_deal_to_its_new_manager(ladder_world: World) -> None:
    world = ladder_world
    oleg = await manager_with_deal(world)  # a hot lead: Олег's speed-to-lead is pending
    ira = await world.add_manager(7002, "Ира")
    await hand_deal_to(world, "Ира")
    assert "Сделка #1 (Анна) передана менеджеру Ира" in world.session.to(7001)[-1].text
    before = len(world.session.to(7001))
    world.clock.advance(minutes=16)
    await tick(world)
    assert len(world.session.to(7001)) == before  # nothing more about a client not his
    assert "Лид ждёт ответа" in world.session.to(ira.user.id)[-1].text

    await ira.send("/deals")
    await ira.press("#1")
    await ira.press("Напомнить")
    await ira.press("Через час")
    await hand_deal_to(world, "Олег")  # and back: her own reminder goes to him
    world.clock.advance(hours=1)
    await tick(world)
    assert "Напоминание" in oleg.last().text


async def test_a_reminder_set_from_the_card_arrives_on_time(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    [wrong] = await oleg.send("вчера")
    assert "уже прошло" in wrong.text
    [wrong] = await oleg.send("когда-нибудь потом")
    assert "Не понимаю, когда это" in wrong.text
    [done] = await oleg.send("завтра в 15:00 позвонить по договору")
    assert "Напомню 24.11 15:00: позвонить по договору" in done.text  # the clock is 12:00

    world.clock.advance(hours=26)
    assert await tick(world) == 0  # 14:00 next day: not yet
    world.clock.advance(hours=1)
    assert await tick(world) == 1
    push = oleg.last()
    assert "Напоминание</b>: позвонить по договору\n" in push.text
    assert "Анна" in push.text and "сделка #1" in push.text
    assert "Сделано" in push.buttons()[0] and "Открыть сделку" in push.buttons()[-1]
    assert await tick(world) == 0  # once only
    snooze = button_data(push, "15 мин")
    await oleg.press("Сделано")
    assert oleg.answer_callback_texts()[-1] == "Отмечено как сделанное ✔"
    assert push.buttons() == ["📋 Открыть сделку"]  # done: only the deal's button is left
    await oleg.callback(snooze, push.message_id)  # a press from a chat not updated yet
    assert oleg.answer_callback_texts()[-1] == "Это напоминание уже закрыто."
    [listing] = await oleg.send("/reminders")
    assert "нет" in listing.text  # not brought back by the snooze


async def test_snooze_brings_it_back_and_quick_choices_work(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.press("Через час")
    world.clock.advance(hours=1)
    assert await tick(world) == 1
    pushed = oleg.last()
    await oleg.press("15 мин")
    assert oleg.answer_callback_texts()[-1] == "Напомню 23.11 13:15"
    # the push itself keeps what became of it, its text as it was (bold and all)
    assert pushed.text.endswith("\n\n— Напомню 23.11 13:15") and "<b>Напоминание</b>" in pushed.text
    assert "15 мин" not in " ".join(pushed.buttons())
    world.clock.advance(minutes=14)
    assert await tick(world) == 0
    world.clock.advance(minutes=1)
    assert await tick(world) == 1


async def reminder_of_switched_off_oleg(world: World) -> tuple[Prospect, Prospect]:
    """Олег sets a reminder on his deal and is switched off; when it is due, it is pushed (to
    the admin, in his place). Олег and the admin."""
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.press("Через час")
    admin = world.admin()
    await admin.send("/managers")
    await admin.press("⏸ Олег")
    await admin.press("Да, отключить")
    world.clock.advance(hours=1)
    assert await tick(world) == 1
    return oleg, admin


async def test_a_switched_off_managers_reminder_comes_to_the_admin_instead(world: World) -> None:
    _, admin = await reminder_of_switched_off_oleg(world)
    pushed = admin.last()
    assert "Из списка менеджера Олег" in pushed.text and "Напоминание" in pushed.text
    assert "#1" in pushed.text and "✅ Сделано" in pushed.buttons()
    assert "Напоминание" not in world.session.to(7001)[-1].text  # not to him: he is gone
    await admin.press("15 мин")  # the admin's now: snoozed by them
    assert admin.answer_callback_texts()[-1] == "Напомню 23.11 13:15"
    async with world.engine.connect() as connection:
        [row] = list(
            await connection.execute(sa.select(reminders).where(reminders.c.kind == "manual"))
        )
    assert (row.chat_id, row.status) == (ADMIN_ID, "pending")
    world.clock.advance(minutes=15)
    assert await tick(world) == 1
    assert "Из списка менеджера Олег" in admin.last().text  # it says so every time it comes
    await admin.press("15 мин")

    # the deal handed to Ира: the reminder goes with it, hers and no longer "Олег's"
    await world.add_manager(7002, "Ира")
    await admin.callback(ManagerCb(action=ManagerAction.HANDOVER, manager=7001).pack())
    await admin.press("Ира")
    world.clock.advance(minutes=15)
    assert await tick(world) == 1
    ira = world.session.to(7002)[-1]
    assert "Напоминание" in ira.text and "Из списка" not in ira.text


async def test_a_manager_switched_on_again_gets_back_what_an_admin_got_meanwhile(
    world: World,
) -> None:
    oleg, admin = await reminder_of_switched_off_oleg(world)  # to the admin, in his place
    await admin.press("15 мин")
    await admin.callback(ManagerCb(action=ManagerAction.ACTIVATE, manager=7001).pack())
    world.dp["staff"].forget()
    world.clock.advance(minutes=15)
    assert await tick(world) == 1
    back = oleg.last()  # his again, without "no longer has access"
    assert "Напоминание" in back.text and "Из списка" not in back.text


async def test_the_list_cancels_and_another_managers_reminder_is_refused(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.press("Завтра в 10:00")
    [listing] = await oleg.send("/reminders")
    assert "Предстоящие напоминания</b> (1)" in listing.text
    assert "24.11 10:00 · #1 Анна" in listing.buttons()[0]  # whom it is about

    ira = await world.add_manager(7002, "Ира")
    await ira.callback(ReminderCb(action=ReminderAction.CANCEL, reminder=1).pack())
    assert ira.answer_callback_texts()[-1] == "Эта кнопка уже не действует."

    await oleg.press("24.11 10:00")
    assert oleg.answer_callback_texts()[-1] == "Напоминание отменено"
    world.clock.advance(days=2)
    assert await tick(world) == 0
    [empty] = await oleg.send("/reminders")
    assert "Предстоящих напоминаний нет" in empty.text


async def test_after_downtime_many_overdue_come_as_one_digest(world: World) -> None:
    oleg = await manager_with_deal(world)
    for choice in ("Через час", "Вечером", "Завтра в 10:00", "Через 3 дня"):
        await oleg.press("Напомнить")
        await oleg.press(choice)
        await oleg.press("К сделке")
    before = len(world.session.to(7001))
    world.clock.advance(days=5)  # the bot was down all this time
    assert await tick(world) == 4
    [digest] = world.session.to(7001)[before:]
    assert "Накопилось напоминаний: 4" in digest.text and "23.11 13:00 · #1 Анна" in digest.text
    assert await tick(world) == 0


async def test_speed_to_lead_reminds_the_manager_then_the_admins(ladder_world: World) -> None:
    world = ladder_world
    await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)  # hot: the ladder starts
    world.clock.advance(minutes=14)
    assert await tick(world) == 0
    world.clock.advance(minutes=1)
    assert await tick(world) == 1
    assert "Лид ждёт ответа" in world.session.to(7001)[-1].text
    world.clock.advance(minutes=30)
    assert await tick(world) == 1
    escalation = world.session.to(ADMIN_ID)[-1].text
    assert "до сих пор без ответа" in escalation and "👔 Олег" in escalation  # whom to ask


async def test_an_owners_own_lead_is_not_escalated_to_the_owner(ladder_world: World) -> None:
    world = ladder_world
    await submit_lead(world, 1001, payload=f"rep_{ADMIN_ID}")  # through the owner's own link
    world.clock.advance(minutes=15)
    assert await tick(world) == 1
    assert "Лид ждёт ответа" in world.session.to(ADMIN_ID)[-1].text
    world.clock.advance(minutes=30)
    assert await tick(world) == 0  # not told again, as their own boss, of their own silence
    assert not any("до сих пор без ответа" in s.text for s in world.session.to(ADMIN_ID))


async def test_done_on_a_lead_is_waiting_spares_the_admins_the_escalation(
    ladder_world: World,
) -> None:
    world = ladder_world
    oleg = await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    world.clock.advance(minutes=15)
    assert await tick(world) == 1
    push = oleg.last()
    assert "Лид ждёт ответа" in push.text
    await oleg.callback(button_data(push, "Сделано"), push.message_id)  # called from the phone
    world.clock.advance(minutes=30)
    assert await tick(world) == 0
    assert not any("до сих пор без ответа" in s.text for s in world.session.to(ADMIN_ID))


async def test_a_lead_whose_prospect_blocks_the_bot_on_confirm_still_reaches_the_staff(
    ladder_world: World,
) -> None:
    world = ladder_world
    await world.add_manager(7001, "Олег")
    anna = await fill_form(world, 1001)
    world.session.fail_for.add(1001)  # blocked the bot right after pressing "confirm"
    await anna.press("Всё верно")
    assert any("Новый лид" in s.text for s in world.session.to(7001))
    world.clock.advance(minutes=15)
    assert await tick(world) == 1
    assert "Лид ждёт ответа" in world.session.to(7001)[-1].text


async def test_a_contacted_lead_stops_the_ladder(ladder_world: World) -> None:
    world = ladder_world
    oleg = await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    await oleg.press("Открыть сделку")
    await oleg.press("Звонок / встреча")
    await oleg.press("Звонок")
    await oleg.send("Дозвонился, договорились о встрече")
    before = len(world.session.sent)
    world.clock.advance(hours=2)
    assert await tick(world) == 0
    assert world.session.sent[before:] == []


async def test_a_won_deal_brings_a_post_sale_follow_up(world: World) -> None:
    oleg = await manager_with_deal(world)
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(stage="closing"))
        await connection.execute(
            deal_answers.insert(),
            [
                {"deal_id": 1, "question_id": q, "value": v, "answered_at": world.clock.now()}
                for q, v in (("amount", "100000"), ("payment_date", "2026-12-01"))
            ],
        )
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Выиграна")
    world.clock.advance(days=29)
    assert await tick(world) == 0
    world.clock.advance(days=1)
    assert await tick(world) == 1
    assert "Пора напомнить о себе после сделки" in oleg.last().text


async def test_the_morning_digest_counts_every_hot_lead_not_only_those_it_lists(
    world: World,
) -> None:
    await world.add_manager(7001, "Олег")
    for n in range(10):  # all hot, all Олег's
        await submit_lead(world, 1001 + n)
    await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock)
    await tick(world)
    digest = next(s for s in world.session.to(7001) if "План на сегодня" in s.text)
    assert digest.text.count("• ") == 8 and "… и ещё 2 — /today" in digest.text


async def test_the_morning_digest_comes_once_a_day(world: World) -> None:
    oleg = await manager_with_deal(world)  # a hot lead, Олег's
    await oleg.press("Напомнить")
    await oleg.press("Вечером")  # 19:00 today
    service: ReminderService = world.dp["reminders"]
    staff = world.dp["staff"]
    # Two processes plan the same morning: one digest each for Олег and the admin.
    planned = [await plan_morning(service, staff, world.clock) for _ in range(2)]
    assert planned == [2, 0]
    assert await tick(world) == 2
    digest = next(s for s in world.session.to(7001) if "План на сегодня" in s.text)
    assert "23.11 19:00 · #1 Анна" in digest.text  # whom the reminder is about
    assert "Горячие лиды ждут" in digest.text
    assert any("План на сегодня" in s.text for s in world.session.to(ADMIN_ID))


async def test_a_long_note_is_one_line_of_the_morning_digest(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.send("сегодня в 18 " + "обсудить условия договора и скидку " * 12)
    await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock)
    await tick(world)
    digest = next(s for s in world.session.to(7001) if "План на сегодня" in s.text)
    [line] = [line for line in digest.text.splitlines() if "18:00" in line]
    assert line.endswith("…") and len(line) < 120  # thirty of them still fit one message


async def test_the_morning_digest_says_what_the_bots_own_reminders_are_for(
    ladder_world: World,
) -> None:
    world = ladder_world
    await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)  # hot, not answered yet: Олег's step, then the admin's
    await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock)
    await tick(world)
    olegs = next(s for s in world.session.to(7001) if "План на сегодня" in s.text)
    assert "#1 Анна: 🔥 лид ждёт ответа" in olegs.text
    admins = next(s for s in world.session.to(ADMIN_ID) if "План на сегодня" in s.text)
    assert "#1 Анна: 🔥 лид без ответа (для админа)" in admins.text


async def lose_a_deal(world: World, reminder: str | None) -> tuple[Prospect, Sent]:
    """Олег sets a reminder on his deal (unless None), then closes it as lost: his manager
    and the message that says the deal is lost."""
    oleg = await manager_with_deal(world)
    if reminder is not None:
        await oleg.press("Напомнить")
        await oleg.send(reminder)
        await oleg.press("К сделке")
    await oleg.press("Проиграна")
    replies = await oleg.press("Выбрали конкурента")
    [lost] = [sent for sent in replies if "проигранная" in sent.text]
    return oleg, lost


async def test_losing_a_deal_offers_to_cancel_its_reminders(world: World) -> None:
    oleg, lost = await lose_a_deal(world, "завтра в 11 позвонить")
    assert "По ней у вас 1 напоминание — отменить?" in lost.text
    # one message: what was done and what it asks, over the card's own buttons
    assert lost.buttons()[:2] == ["🔕 Отменить напоминания (1)", "📞 Звонок / встреча / заметка"]

    [done] = await oleg.callback(button_data(lost, "Отменить напоминания"), lost.message_id)
    assert "отменены (1)" in done.text
    [listing] = await oleg.send("/reminders")
    assert "нет" in listing.text  # nothing left to push


async def test_reminders_cancelled_meanwhile_are_not_counted(world: World) -> None:
    oleg, lost = await lose_a_deal(world, "завтра в 11")
    await oleg.send("/reminders")
    await oleg.press("#1")  # cancelled from the list instead
    [late] = await oleg.callback(button_data(lost, "Отменить напоминания"), lost.message_id)
    assert "уже нет" in late.text


async def test_an_automatic_reminder_on_the_list_says_what_it_is_for(ladder_world: World) -> None:
    oleg = await manager_with_deal(ladder_world)  # a hot lead: its speed-to-lead step waits
    [listing] = await oleg.send("/reminders")
    assert listing.buttons() == ["✖️ 23.11 12:15 · #1 Анна: 🔥 лид ждёт ответа"]


async def test_a_lost_deals_speed_to_lead_steps_leave_the_list(ladder_world: World) -> None:
    oleg, _ = await lose_a_deal(ladder_world, None)  # a hot lead: its speed-to-lead step waited
    [listing] = await oleg.send("/reminders")
    assert "нет" in listing.text
    async with ladder_world.engine.connect() as connection:
        rows = await connection.execute(sa.select(reminders.c.kind, reminders.c.status))
        assert ("sla", "cancelled") in [tuple(row) for row in rows]


async def test_a_reminder_cancelled_from_the_list_can_be_brought_back(world: World) -> None:
    oleg = await manager_with_deal(world)
    for when in ("Завтра в 10:00", "Через час"):
        await oleg.press("Напомнить")
        await oleg.press(when)
        await oleg.press("К сделке")
    [listing] = await oleg.send("/reminders")
    assert len(listing.buttons()) == 2
    await oleg.press("24.11 10:00")
    assert oleg.answer_callback_texts()[-1] == "Напоминание отменено"
    cancelled = world.session.shown(7001, listing.message_id)
    assert cancelled is not None and "↩️ Вернуть: 24.11 10:00 · #1 Анна" in cancelled.buttons()
    [again] = await oleg.send("/reminders")
    assert len(again.buttons()) == 1  # cancelled indeed

    await oleg.callback(button_data(cancelled, "Вернуть"), listing.message_id)  # a slip: back
    assert oleg.answer_callback_texts()[-1] == "Напоминание снова в силе"
    restored = world.session.shown(7001, listing.message_id)
    assert restored is not None and "✖️ 24.11 10:00 · #1 Анна" in restored.buttons()
    [again] = await oleg.send("/reminders")
    assert len(again.buttons()) == 2
    world.clock.advance(days=1)
    await tick(world)
    assert any("Напоминание" in sent.text for sent in world.session.to(7001)[-2:])  # it came


async def test_a_reminder_is_not_brought_back_on_a_deal_handed_to_another(world: World) -> None:
    oleg = await manager_with_deal(world)
    await world.add_manager(7002, "Ира")
    await oleg.press("Напомнить")
    await oleg.press("Через час")
    [listing] = await oleg.send("/reminders")
    await oleg.press("13:00")
    await hand_deal_to(world, "Ира")
    cancelled = world.session.shown(7001, listing.message_id)
    assert cancelled is not None
    await oleg.callback(button_data(cancelled, "Вернуть"), listing.message_id)
    assert oleg.answer_callback_texts()[-1] == "Эта сделка вам недоступна."
    async with world.engine.connect() as connection:
        statuses = await connection.execute(
            sa.select(reminders.c.status).where(reminders.c.kind == "manual")
        )
        assert [row.status for row in statuses] == ["cancelled"]


async def test_the_lost_messages_buttons_do_nothing_once_the_deal_is_reopened(
    world: World,
) -> None:
    oleg, lost = await lose_a_deal(world, "завтра в 11 позвонить")
    admin = world.admin()
    await admin.callback(DealCb(action=DealAction.REOPEN, deal=1).pack())
    await admin.press("Да, вернуть в работу")
    [stale] = await oleg.callback(button_data(lost, "Отменить напоминания"), lost.message_id)
    assert "кнопка уже не действует" in stale.text
    [listing] = await oleg.send("/reminders")
    assert len(listing.buttons()) == 1  # the reminder on the reopened deal is still there


async def test_a_reminder_whose_time_has_passed_is_not_brought_back(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.press("Через час")
    [listing] = await oleg.send("/reminders")
    await oleg.press("13:00")
    world.clock.advance(hours=2)
    cancelled = world.session.shown(7001, listing.message_id)
    assert cancelled is not None
    await oleg.callback(button_data(cancelled, "Вернуть"), listing.message_id)
    assert oleg.answer_callback_texts()[-1] == "Вернуть нельзя: его время уже прошло"
    shown = world.session.shown(7001, listing.message_id)
    assert shown is not None and shown.buttons() == []  # nothing left to offer


async def test_a_client_who_put_the_purchase_off_is_not_forgotten(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Проиграна")
    replies = await oleg.press("Отложили покупку")
    [lost] = [sent for sent in replies if "проигранная" in sent.text]
    assert "Клиент может вернуться к покупке — когда напомнить о нём?" in lost.text
    assert lost.buttons()[:3] == ["Через месяц", "Через 3 месяца", "Через полгода"]

    [done] = await oleg.callback(button_data(lost, "Через 3 месяца"), lost.message_id)
    assert "Напомню 23.02.2027 10:00: вернуться к клиенту." in done.text
    world.clock.advance(days=92)
    await tick(world)
    [push] = [sent for sent in world.session.to(7001) if "Напоминание" in sent.text][-1:]
    assert "вернуться к клиенту" in push.text


async def test_cancelling_the_old_reminders_spares_the_call_back_just_set(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.send("завтра в 11 позвонить")
    await oleg.press("К сделке")
    await oleg.press("Проиграна")
    replies = await oleg.press("Отложили покупку")
    [lost] = [sent for sent in replies if "проигранная" in sent.text]
    assert lost.buttons()[:4] == [
        "🔕 Отменить напоминания (1)", "Через месяц", "Через 3 месяца", "Через полгода",
    ]  # fmt: skip
    await oleg.callback(button_data(lost, "Через 3 месяца"), lost.message_id)
    shown = world.session.shown(7001, lost.message_id)
    assert shown is not None and shown.buttons()[0] == "🔕 Отменить напоминания (1)"
    assert not any("Через" in b for b in shown.buttons())  # set once
    [done] = await oleg.callback(button_data(lost, "Отменить напоминания"), lost.message_id)
    assert "отменены (1)" in done.text
    [listing] = await oleg.send("/reminders")
    assert [label for label in listing.buttons()] == [
        "✖️ 23.02.2027 10:00 · #1 Анна: вернуться к клиенту"
    ]


async def test_a_closed_deals_reminder_offers_months_not_hours(world: World) -> None:
    oleg, _ = await lose_a_deal(world, None)
    [ask] = await oleg.press("Напомнить")
    assert ask.buttons() == [
        "Завтра в 10:00", "В понедельник", "Через месяц", "Через 3 месяца", "Через полгода",
        "⬅️ К сделке",
    ]  # fmt: skip
    [done] = await oleg.press("Через полгода")
    assert "Напомню 24.05.2027 10:00." in done.text  # 23.05 is a Sunday


async def test_a_deal_lost_without_reminders_asks_nothing(world: World) -> None:
    oleg, lost = await lose_a_deal(world, None)
    # one message: what was done, over the card; no question about reminders, no buttons for it
    assert lost is oleg.last() and "<b>Сделка #1</b>" in lost.text
    assert "напоминани" not in lost.text.split("\n\n")[0]
    assert not any("Отменить" in b for b in lost.buttons())


async def test_a_next_step_with_a_moment_in_it_is_offered_as_a_reminder(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Следующий шаг")
    [saved] = await oleg.send("Демо в четверг 15:00")  # the offer, over the card's buttons
    assert saved.text.startswith("Следующий шаг записан ✔ Напомнить о нём чт, 26.11.2026 15:00?")
    assert saved.buttons()[0] == "⏰ Напомнить чт, 26.11.2026 15:00"  # not the card's own
    offer = button_data(saved, "Напомнить чт")
    [done] = await oleg.callback(offer, saved.message_id)
    assert "Напомню 26.11 15:00: Демо в четверг 15:00." in done.text
    shown = world.session.shown(7001, saved.message_id)
    assert shown is not None and not any("Напомнить чт" in b for b in shown.buttons())  # once
    await oleg.press("К сделке")
    for step in ("Уточнить бюджет", "Пробный период 30 дней"):  # no moment said: no offer
        await oleg.press("Следующий шаг")
        [plain_saved] = await oleg.send(step)  # the card, under what was done; no offer
        assert plain_saved.text.startswith("Следующий шаг записан ✔\n")
        assert not any("Напомнить в" in b for b in plain_saved.buttons())
    # an old offer after the step has changed sets nothing about a step that is no more
    without_double_tap_guard(world)
    [stale] = await oleg.callback(offer, saved.message_id)
    assert stale.text.startswith("Следующий шаг с тех пор изменился")  # says why
    offered = world.session.shown(7001, saved.message_id)
    assert offered is not None and not any("Напомнить" in b for b in offered.buttons())
    for forged in ("at.0", "at.abc", "at.99999999999999"):
        [refused] = await oleg.callback(DealCb(action=DealAction.REMIND, deal=1, arg=forged).pack())
        assert "кнопка уже не действует" in refused.text
    await oleg.callback(DealCb(action=DealAction.STEP, deal=1).pack())
    [mid] = await oleg.send("Созвониться в пятницу в 11, обсудить скидку")  # mid-sentence
    assert mid.buttons()[0] == "⏰ Напомнить пт, 27.11.2026 11:00"
    await oleg.callback(DealCb(action=DealAction.STEP, deal=1).pack())
    [inside] = await oleg.send("Созвон завтра в 10 по скидке")  # inside, without a comma
    assert inside.buttons()[0] == "⏰ Напомнить вт, 24.11.2026 10:00"


async def test_no_answer_is_one_tap_and_offers_when_to_call_again(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Звонок / встреча / заметка")
    [asked] = await oleg.press("Не дозвонился")
    assert "Записал: не дозвонились. Когда перезвонить?" in asked.text
    assert asked.buttons() == ["Через час", "Вечером (19:00)", "Завтра в 10:00", "⬅️ К сделке"]
    [done] = await oleg.callback(button_data(asked, "Вечером"), asked.message_id)
    assert "Напомню 23.11 19:00: перезвонить." in done.text
    shown = world.session.shown(7001, asked.message_id)
    assert shown is not None and shown.buttons() == ["⬅️ К сделке"]  # one reminder, not two
    await oleg.press("К сделке")
    [history] = await oleg.press("История")
    assert "📵 Не дозвонились" in history.text


async def test_a_missed_call_keeps_the_speed_to_lead_reminder(ladder_world: World) -> None:
    world = ladder_world
    oleg = await manager_with_deal(world)  # a hot lead: "a lead is waiting" in 15 minutes
    await oleg.press("Звонок / встреча / заметка")
    await oleg.press("Не дозвонился")  # nobody picked up: the client is still unanswered
    world.clock.advance(minutes=16)
    await tick(world)
    assert "Лид ждёт ответа" in world.session.to(7001)[-1].text


async def test_today_drops_an_automatic_reminder_that_came_once_its_reason_is_gone(
    ladder_world: World,
) -> None:
    world = ladder_world
    oleg = await manager_with_deal(world)  # a hot lead
    await oleg.press("Напомнить")
    await oleg.send("сегодня в 18:00 перезвонить")
    world.clock.advance(minutes=16)
    await tick(world)  # "a lead is waiting" came
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Проиграна")
    await oleg.press("Выбрали конкурента")
    [today] = await oleg.send("/today")
    assert "лид ждёт ответа" not in today.text  # cancelled with the deal
    assert "18:00 · #1 Анна: перезвонить" in today.text  # the manager's own stays


async def test_today_keeps_a_reminder_not_done_from_an_earlier_day(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.send("сегодня в 13:00 позвонить")
    world.clock.advance(days=1)
    await tick(world)  # it came; nobody pressed "done"
    [today] = await oleg.send("/today")
    assert "❗ 23.11 13:00 · #1 Анна: позвонить" in today.text


async def test_a_lead_called_is_no_longer_listed_as_waiting(ladder_world: World) -> None:
    oleg = await manager_with_deal(ladder_world)
    [today] = await oleg.send("/today")
    assert "#1 Анна: 🔥 лид ждёт ответа" in today.text
    await oleg.press("#1")
    await oleg.press("Звонок")
    await oleg.press("Звонок")
    await oleg.send("Обсудили задачу, ждёт КП")
    [today] = await oleg.send("/today")
    assert "лид ждёт ответа" not in today.text
    [listing] = await oleg.send("/reminders")
    assert not any("лид ждёт ответа" in b for b in listing.buttons())


async def test_winning_a_deal_offers_to_cancel_its_reminders_but_not_the_repeat_sale(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.send("завтра в 11 позвонить про демо")
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(stage="closing"))
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Выиграна")
    await oleg.press("Ответить и перейти")
    await oleg.send("150 000")
    replies = await oleg.send("01.12.2026")
    [won] = [sent for sent in replies if "выиграна" in sent.text]  # one message, the card too
    assert "<b>Сделка #1</b>" in won.text and won.buttons()[0].startswith("🔕 Отменить")
    assert "По ней у вас ещё 1 напоминание — отменить?" in won.text
    [dropped] = await oleg.callback(button_data(won, "Отменить напоминания"), won.message_id)
    assert "отменены (1)" in dropped.text
    assert not any("Отменить" in b for b in won.buttons())  # done: the card keeps the rest
    async with world.engine.connect() as connection:
        rows = await connection.execute(sa.select(reminders.c.kind, reminders.c.status))
        kinds = {(row.kind, row.status) for row in rows}
    assert ("manual", "cancelled") in kinds and ("post_sale", "pending") in kinds


async def test_the_morning_digest_counts_a_reminder_not_marked_done_as_today_does(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.send("сегодня в 13:00 перезвонить")
    world.clock.advance(hours=1)
    assert await tick(world) == 1  # it came, and was not marked done
    world.clock.advance(hours=21)  # the next morning
    await plan_morning(world.dp["reminders"], world.dp["staff"], world.clock)
    await tick(world)
    digest = next(s for s in world.session.to(7001) if "План на сегодня" in s.text)
    assert "Просрочено напоминаний: 1 — /today" in digest.text
    [today] = await oleg.send("/today")
    assert "❗" in today.text and "перезвонить" in today.text  # the same one


async def test_an_admin_takes_a_lead_nobody_has_from_its_alert_or_escalation(
    ladder_world: World,
) -> None:
    world = ladder_world
    await submit_lead(world, 1001)  # no manager at work: nobody has it
    [alert] = world.session.to(ADMIN_ID)
    assert alert.buttons() == ["🙋 Взять себе", "📋 Открыть сделку"]
    world.clock.advance(minutes=45)
    assert await tick(world) == 1
    escalation = world.session.to(ADMIN_ID)[-1]
    assert "до сих пор без ответа" in escalation.text
    assert escalation.buttons()[-2:] == ["🙋 Взять себе", "📋 Открыть сделку"]
    admin = world.admin()
    [card] = await admin.callback(button_data(alert, "Взять себе"), alert.message_id)
    assert "теперь ваша" in card.text
    async with world.engine.connect() as connection:
        owner = (await connection.execute(sa.select(deals.c.manager_telegram_id))).scalar_one()
    assert owner == ADMIN_ID


async def test_a_lead_alert_that_never_went_is_sent_by_the_next_tick(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process stopped (killed, the power gone) after the lead was stored and before its
    alert went: the alert was planned with the lead, and goes out two minutes later."""
    await world.add_manager(7001, "Олег")

    async def killed(*args: object, **kwargs: object) -> set[int]:
        return set()  # nobody reached: as if the process had died here

    monkeypatch.setattr("handlers.lead_form.new_lead_alert", killed)
    await submit_lead(world, 1001)
    assert not [m for m in world.session.to(7001) if "Новый лид" in m.text]
    world.clock.advance(minutes=1)
    assert await tick(world) == 0  # not before the alert had its time to go
    world.clock.advance(minutes=1, seconds=1)
    assert await tick(world) == 2  # the manager, and the admin who sees every alert
    [late] = [m for m in world.session.to(7001) if "Новый лид" in m.text]
    assert late.text.startswith("🆕 <b>Новый лид</b> — уведомление с опозданием")
    assert "Анна" in late.text and "Открыть сделку" in " ".join(late.buttons())
    assert "Сделано" not in " ".join(late.buttons())  # an alert, not a reminder to snooze
    assert [m for m in world.session.to(ADMIN_ID) if "с опозданием" in m.text]
    world.clock.advance(minutes=5)
    assert await tick(world) == 0  # once


async def test_a_lead_alert_that_went_is_not_sent_again(world: World) -> None:
    await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    assert [m for m in world.session.to(7001) if "Новый лид" in m.text]
    world.clock.advance(minutes=3)
    assert await tick(world) == 0
    assert not [m for m in world.session.to(7001) if "с опозданием" in m.text]
