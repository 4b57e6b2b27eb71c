"""An admin's deal lists say whose each deal is and can show one manager's deals."""

from __future__ import annotations

import sqlalchemy as sa

from bot.callbacks import ListCb, ListPick
from storage.schema import deals
from tests.handlers.conftest import ADMIN_ID, World
from tests.handlers.test_staff import submit_lead


async def three_deals(world: World) -> None:
    """Deal 1 is Олег's, deal 2 Ира's (round robin), deal 3 nobody's."""
    await world.add_manager(7001, "Олег")
    await world.add_manager(7002, "Ира")
    for user_id, name in ((1001, "Анна"), (1002, "Борис"), (1003, "Вера")):
        await submit_lead(world, user_id, name=name)
    async with world.engine.begin() as connection:
        await connection.execute(
            deals.update().where(deals.c.id == 3).values(manager_telegram_id=None)
        )


def deal_buttons(buttons: list[str]) -> list[str]:
    return [b for b in buttons if " #" in b]


async def test_an_admins_list_names_each_deals_manager_and_filters_by_one(world: World) -> None:
    await three_deals(world)
    async with world.engine.connect() as connection:
        found = await connection.execute(sa.select(deals.c.id, deals.c.manager_telegram_id))
        owners: dict[int, int | None] = {deal_id: owner for deal_id, owner in found}
    names = {7001: "Олег", 7002: "Ира", None: "📥 без менеджера"}
    admin = world.admin()
    [listing] = await admin.send("/deals")
    rows = " | ".join(deal_buttons(listing.buttons()))
    for deal_id, owner in owners.items():
        # whose, right after the number: a phone cuts a long button at its end
        whose = names[owner] if owner is None else f"👔 {names[owner]}"
        assert f"🔥 #{deal_id} {whose} · " in rows, rows

    await admin.press("Менеджер: все")
    picker = admin.last()
    assert {"Олег", "Ира", "📥 без менеджера"} <= set(picker.buttons())
    await admin.press("Ира")
    ira_deal = next(d for d, o in owners.items() if o == 7002)
    assert "<b>Сделки: Ира</b> (1)" in listing.text
    [shown] = deal_buttons(listing.buttons())
    assert f"#{ira_deal} " in shown and "👔" not in shown  # one manager's list need not say whose
    # another filter keeps the manager chosen
    await admin.press("🌡")
    await admin.press("Холодный")
    assert "Сделок нет" in listing.text
    await admin.press("🌡")
    await admin.press("все")
    assert "<b>Сделки: Ира</b> (1)" in listing.text and "👔 Менеджер: Ира" in listing.buttons()
    await admin.press("Менеджер: Ира")
    await admin.press("без менеджера")
    assert "<b>Сделки: 📥 без менеджера</b> (1)" in listing.text
    assert "#3 " in deal_buttons(listing.buttons())[0]


async def test_a_managers_list_is_theirs_whatever_a_button_says(world: World) -> None:
    await three_deals(world)
    oleg = world.prospect(user_id=7001)
    [listing] = await oleg.send("/deals")
    assert not any("Менеджер" in b for b in listing.buttons())  # no such filter
    assert not any("👔" in b for b in deal_buttons(listing.buttons()))
    mine = deal_buttons(listing.buttons())
    for forged in ("7002", "none"):
        await oleg.callback(ListCb(manager=forged).pack(), message_id=listing.message_id)
        assert deal_buttons(listing.buttons()) == mine and "Мои сделки" in listing.text
    shown_before = listing.text
    await oleg.callback(ListCb(pick=ListPick.MANAGER).pack(), message_id=listing.message_id)
    assert oleg.answer_callback_texts()[-1] == "Эта кнопка уже не действует."
    assert listing.text == shown_before  # no picker for a manager
    await oleg.callback("dl:0:::manager:1; drop table", message_id=listing.message_id)
    assert oleg.answer_callback_texts()[-1] == "Эта кнопка уже не действует."
    # beyond a 64-bit id: refused as a stale button, not an error
    admin = world.admin()
    [admin_list] = await admin.send("/deals")
    await admin.callback("dl:0::::" + "9" * 19, message_id=admin_list.message_id)
    assert admin.answer_callback_texts()[-1] == "Эта кнопка уже не действует."


async def test_search_and_today_name_the_manager_for_an_admin(world: World) -> None:
    await three_deals(world)
    admin = world.admin()
    await admin.send("/search")
    [found] = await admin.send("Вера")
    assert deal_buttons(found.buttons())[0].startswith("🔥 #3 📥 без менеджера · Вера")
    [today] = await admin.send("/today")
    assert "👔 Олег" in today.text and "👔 Ира" in today.text
    oleg = world.prospect(user_id=7001)
    [today] = await oleg.send("/today")
    assert "👔" not in today.text


async def test_closed_deals_are_marked_and_an_admins_own_deal_is_theirs(world: World) -> None:
    await three_deals(world)
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().where(deals.c.id == 1).values(status="won"))
        await connection.execute(deals.update().where(deals.c.id == 2).values(status="lost"))
        await connection.execute(
            deals.update().where(deals.c.id == 3).values(manager_telegram_id=ADMIN_ID)
        )
    admin = world.admin()
    await admin.send("/search")
    [found] = await admin.send("ООО Вектор")
    rows = deal_buttons(found.buttons())
    assert any(r.startswith("✅ #1 👔 Олег · Анна") for r in rows), rows
    assert any(r.startswith("❌ #2 👔 Ира · Борис") for r in rows), rows
    assert any(r.startswith("🔥 #3 👔 вы · Вера") for r in rows), rows


async def test_lost_deals_are_a_tap_away_from_the_list(world: World) -> None:
    await three_deals(world)
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().where(deals.c.id == 1).values(status="lost"))
    oleg = world.prospect(user_id=7001)
    [listing] = await oleg.send("/deals")
    assert not any("#1 " in b for b in listing.buttons())  # the working list
    await oleg.press("Проигранные")
    assert "<b>Проигранные сделки</b> (1)" in listing.text
    assert deal_buttons(listing.buttons()) == ["❌ #1 Анна, ООО Вектор · Установление контакта"]
    await oleg.press("В работе")  # back: Олег has no other deal at work
    assert "В работе сделок нет" in listing.text and "❌ Проигранные" in listing.buttons()
    admin = world.admin()
    [all_deals] = await admin.send("/deals")
    await admin.press("Проигранные")
    await admin.press("Менеджер: все")
    await admin.press("Ира")  # Ира has none lost: the filters hold together
    assert "Сделок нет" in all_deals.text
