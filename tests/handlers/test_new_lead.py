"""A manager brings in an outbound lead from the phone, under the same duplicate rules."""

from __future__ import annotations

import sqlalchemy as sa

from bot.callbacks import DealAction, DealCb
from storage.schema import deals, events, people, touch_points
from tests.handlers.conftest import World
from tests.handlers.test_deal_card import without_double_tap_guard
from tests.handlers.test_staff import button_data, submit_lead


async def test_typed_name_and_phone_make_an_outbound_deal(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await oleg.send("/menu")
    await oleg.press("Новый лид")
    await oleg.send_sticker()
    assert "Отправьте контакт или напишите текстом" in oleg.last().text
    await oleg.send("Пётр Сидоров")
    [wrong] = await oleg.send("12")
    assert "Не получается распознать номер" in wrong.text
    assert "Отправить мой номер" not in wrong.text  # the client's button, not the manager's
    [office] = await oleg.send("+7 495 123-45-67 доб. 12")
    assert "до клиента можно дозвониться напрямую" in office.text
    created = await oleg.send("8 903 555-44-33")
    [card] = created  # what was done, over the card, and where the lead came from, asked
    assert card.text.startswith("➕ Лид создан: сделка #1. 📍 Откуда клиент?")
    assert "<b>Сделка #1</b>" in card.text and "🎯" not in card.text  # no request to show
    assert card.buttons()[:4] == [
        "🎯 Нашли сами: звонок, встреча, выставка", "📞 Сам позвонил или пришёл в офис",
        "🤝 По рекомендации", "🌐 С сайта, из рекламы или соцсетей",
    ]  # fmt: skip
    async with world.engine.connect() as connection:
        deal = (await connection.execute(sa.select(deals))).one()
        person = (await connection.execute(sa.select(people))).one()
    assert (deal.channel, deal.initiative, deal.manager_telegram_id) == ("spears", "outbound", 7001)
    assert (person.name, person.phone, person.consent_at) == ("Пётр Сидоров", "+79035554433", None)
    # a call to the office from a referral: the reports count it where it belongs
    [done] = await oleg.press("По рекомендации")
    assert done.text.startswith("📍 Источник: рекомендация, входящий ✔\n\n")
    assert card.buttons() == ["📋 Открыть сделку"]  # asked once: the card before shrinks
    async with world.engine.connect() as connection:
        deal = (await connection.execute(sa.select(deals))).one()
        point = (await connection.execute(sa.select(touch_points))).one()
    assert (deal.channel, deal.initiative, point.channel, point.initiative) == (
        "seeds", "inbound", "seeds", "inbound",
    )  # fmt: skip
    assert deal.score_reasons == [{"factor": "channel", "value": "seeds", "points": deal.score}]
    [history] = await oleg.press("История")
    assert "📍 Источник: личный контакт менеджера, исходящий → рекомендация, входящий" in (
        history.text
    )
    # a deal that came through the bot keeps the source of its link, whatever a button says
    await submit_lead(world, 1001, payload="vk_ads")
    await oleg.callback(DealCb(action=DealAction.SOURCE, deal=2, arg="seeds.inbound").pack())
    assert "кнопка уже не действует" in oleg.last().text
    await oleg.callback(DealCb(action=DealAction.SOURCE, deal=1, arg="nets.outbound").pack())
    assert "кнопка уже не действует" in oleg.last().text


async def test_a_shared_contact_and_the_duplicate_rules(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    ira = await world.add_manager(7002, "Ира")
    await oleg.send("/newlead")
    await oleg.share_contact("+7 903 555-44-33", owner_id=3003, first_name="Пётр")
    await oleg.send("/newlead")
    [again] = await oleg.share_contact("89035554433", owner_id=3003, first_name="Пётр")
    assert "уже есть: открытая сделка #1" in again.text
    await ira.send("/newlead")
    await ira.send("Петя")
    [taken] = await ira.send("+79035554433")
    assert "уже в работе у другого менеджера" in taken.text
    assert "Сделка #1" not in ira.last().text  # the deal is not shown to her
    async with world.engine.connect() as connection:
        assert (
            await connection.execute(sa.select(sa.func.count()).select_from(deals))
        ).scalar() == 1
        person = (await connection.execute(sa.select(people))).one()
    assert person.telegram_id == 3003  # the contact was a Telegram user: the relay can reach him


async def test_a_contact_shared_with_nothing_asked_brings_the_lead_in(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    [card] = await oleg.share_contact("+7 903 555-44-33", owner_id=3003, first_name="Пётр")
    assert card.text.startswith("➕ Лид создан: сделка #1.") and "Пётр" in card.text
    [again] = await oleg.share_contact("+7 903 555-44-33", owner_id=3003, first_name="Пётр")
    assert "уже есть: открытая сделка #1" in again.text  # the quickest way to find a client


async def test_a_staff_members_own_contact_makes_no_lead(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await world.add_manager(7002, "Ира")
    for owner in (7001, 7002):  # his own, a colleague's
        [told] = await oleg.share_contact("+7 903 555-44-33", owner_id=owner)
        assert "контакт сотрудника" in told.text
    async with world.engine.connect() as connection:
        assert (
            await connection.execute(sa.select(sa.func.count()).select_from(deals))
        ).scalar() == 0


async def test_the_source_question_waits_on_the_card_until_answered(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await oleg.send("/newlead")
    await oleg.send("Пётр Сидоров")
    [card] = await oleg.send("8 903 555-44-33")
    await oleg.callback(button_data(card, "Следующий шаг"), card.message_id)
    await oleg.send("Уточнить бюджет")  # another action first: the card shrinks...
    assert "актуальная карточка ниже" in card.text
    assert "🤝 По рекомендации" in card.buttons()  # ...and still asks where the lead came from
    await oleg.callback(button_data(card, "По рекомендации"), card.message_id)
    assert not any("По рекомендации" in b for b in card.buttons())  # answered
    async with world.engine.connect() as connection:
        deal = (await connection.execute(sa.select(deals))).one()
    assert (deal.channel, deal.initiative) == ("seeds", "inbound")
    # pressed again later (a slow network, an old message): nothing more is written
    without_double_tap_guard(world)
    await oleg.callback(DealCb(action=DealAction.SOURCE, deal=1, arg="seeds.inbound").pack())
    async with world.engine.connect() as connection:
        query = sa.select(sa.func.count()).where(events.c.kind == "source_changed")
        assert (await connection.execute(query)).scalar() == 1
    # a lost deal's source is in the reports: it does not change
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(status="lost"))
    await oleg.callback(DealCb(action=DealAction.SOURCE, deal=1, arg="nets.inbound").pack())
    assert "кнопка уже не действует" in oleg.last().text


async def test_an_owners_own_lead_is_theirs_on_the_whole_card(world: World) -> None:
    """A solo owner selling without managers: their deal says "вы", not a stranger's id."""
    admin = world.admin()
    await admin.send("/newlead")
    await admin.send("Пётр Сидоров")
    [card] = await admin.send("8 903 555-44-33")  # the whole card, a deal just made
    assert "👔 вы" in card.text and "не в списке менеджеров" not in card.text
    await admin.press("Свернуть")
    assert "👔 вы" in card.text  # the short card too
