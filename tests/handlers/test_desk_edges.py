"""The desk under bad input: commands during typed input, forged ids, long texts, closed deals."""

from __future__ import annotations

import sqlalchemy as sa

from bot.callbacks import DealAction, DealCb, ListCb
from storage.schema import deal_answers, deals
from tests.handlers.conftest import World
from tests.handlers.test_deal_card import deal_of, manager_with_deal
from tests.handlers.test_staff import submit_lead


async def test_a_command_during_typed_input_is_a_command(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Проиграна")
    await oleg.press("Другое")
    [cancelled, menu] = await oleg.send("/cancel")
    assert "Отменено" in cancelled.text and "Рабочее место" in menu.text
    assert (await deal_of(world)).status == "open"  # not lost "because /cancel"

    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Написать клиенту")
    await oleg.send("/today")
    assert all(sent.kind != "copy" for sent in world.session.to(1001))
    await oleg.send("/search")
    [menu] = await oleg.send("/menu")
    assert "Рабочее место" in menu.text


async def test_forged_ids_and_pages_are_refused_without_a_failure(world: World) -> None:
    """Ids past what a 32-bit row id or a 64-bit Telegram id can be would overflow a database
    column (on PostgreSQL from 2**31): they are refused as stale buttons, like unknown ones."""
    oleg = await manager_with_deal(world)
    await world.add_manager(7002, "Ира")
    admin = world.admin()
    for who, data in (
        (oleg, f"d:open:{10**20}:"),
        (oleg, f"d:open:{2**31}:"),
        (oleg, "d:open:0:"),
        (oleg, f"play:{10**20}"),
        (oleg, f"rm:done:{2**63}:"),
        (oleg, f"rm:snooze:{2**31 + 5}:1h"),
        (oleg, f"d:docx:1:{10**24}"),
        (oleg, f"d:docx:1:{2**31 + 5}"),
        (oleg, ListCb(page=10**20).pack()),
        (oleg, ListCb(stage="nowhere").pack()),
        (admin, f"mg:ask_off:{2**63}:0"),
        (admin, f"mg:to:7001:{10**30}"),
        (admin, "mg:on:-5:0"),
    ):
        told = [sent.text for sent in await who.callback(data)]
        answered = who.answer_callback_texts()[-1]
        stale = "Эта кнопка уже не действует."
        assert (told == [] and answered == stale) or told == [stale], (data, told, answered)
    assert world.session.to(7002) == []  # nobody was switched off or given deals


async def test_an_old_lost_other_button_of_a_closed_deal_does_not_ask_for_a_reason(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(status="lost"))
    [answer] = await oleg.callback(DealCb(action=DealAction.LOST, deal=1, arg="other").pack())
    assert "уже закрыта" in answer.text
    for arg in ("", "hot"):  # nor is its temperature changed: "🔥 Горячий · проиграна"
        [answer] = await oleg.callback(
            DealCb(action=DealAction.TEMPERATURE, deal=1, arg=arg).pack()
        )
        assert "температура больше не меняется" in answer.text
    for action, arg in ((DealAction.OBJECTIONS, ""), (DealAction.OBJECTION, "expensive")):
        [answer] = await oleg.callback(DealCb(action=action, deal=1, arg=arg).pack())
        assert "возражения записываются в открытой сделке" in answer.text  # an old picker
    [idle] = await oleg.send("передумали")  # not taken for a reason, offered as a note
    assert "пока никуда не записан" in idle.text
    assert (await deal_of(world)).lost_reason is None


async def test_take_is_for_the_shared_inbox_only(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)  # round robin: Олег's
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(manager_telegram_id=None))
    [refused] = await oleg.callback(DealCb(action=DealAction.TAKE, deal=1).pack())
    assert "не действует" in refused.text
    assert (await deal_of(world)).manager_telegram_id is None


async def test_a_closed_deal_keeps_its_answers(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Проиграна")
    await oleg.press("Не устроила цена")
    await oleg.callback(DealCb(action=DealAction.MOVE, deal=1, arg="walk.needs").pack())
    assert "Сделка уже закрыта" in oleg.last().text
    await oleg.callback(DealCb(action=DealAction.ASK, deal=1, arg="reached").pack())
    assert "Сделка уже закрыта" in oleg.last().text
    async with world.engine.connect() as connection:
        assert (await connection.execute(sa.select(deal_answers))).all() == []


async def test_the_won_stage_is_reached_by_winning(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Этап…")
    [refusal] = await oleg.press("Постпродажное")
    assert "Отметить сделку выигранной пока нельзя" in refusal.text
    assert (await deal_of(world)).status == "open"


async def test_long_texts_fit_in_a_message(world: World) -> None:
    oleg = await manager_with_deal(world)
    anna = world.prospect(user_id=1001)
    for _ in range(3):
        await anna.send("Очень длинный вопрос. " * 180)  # ~4,000 characters each
    header, copy = world.session.to(7001)[-2:]
    assert "сделка #1" in header.text and copy.kind == "copy"
    for _ in range(15):
        await oleg.callback(DealCb(action=DealAction.LOG, deal=1, arg="note").pack())
        await oleg.send("Заметка. " * 110)
    await oleg.callback(DealCb(action=DealAction.HISTORY, deal=1).pack())
    [history] = [s for s in world.session.to(7001) if "История сделки" in s.text][-1:]
    assert len(history.text) < 4096
    await oleg.callback(DealCb(action=DealAction.OPEN, deal=1).pack())
    assert len(oleg.last().text) < 4096


async def test_a_command_typed_with_a_phones_capital_letter_works(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    [menu] = await oleg.send("/Menu")
    assert "Рабочее место" in menu.text
    [listing] = await oleg.send("/Reminders")
    assert "напоминаний нет" in listing.text.lower()
    prospect = world.prospect()
    [greeting] = await prospect.send("/Start")
    assert "Оставить заявку" in " ".join(greeting.buttons())


async def test_staff_are_told_why_nothing_happened(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    [told, menu] = await oleg.send("/invite")
    assert told.text == "Эта команда — для администраторов." and "Рабочее место" in menu.text
    [told, _] = await oleg.send("/dela")
    assert "Такой команды нет" in told.text
    [told, _] = await oleg.send_sticker()
    assert "никуда не записано" in told.text and "Написать клиенту" in told.text
    [told, _] = await oleg.send_photo()
    assert "никуда не записано" in told.text


async def test_an_empty_list_without_filters_says_none_yet_not_that_none_match(
    world: World,
) -> None:
    oleg = await world.add_manager(7001, "Олег")
    [listing] = await oleg.send("/deals")
    assert "В работе сделок нет" in listing.text and "/newlead" in listing.text
    assert "фильтр" not in listing.text  # nothing was filtered
    await oleg.press("🌡")
    await oleg.press("Холодный")
    assert "ни одна не подходит под фильтр" in listing.text
