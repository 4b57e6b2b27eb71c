"""Search results and "today" page like the deal list: the true total, pages of the same size,
◀️/▶️ that edit the message, and no deal of another manager on any page."""

from __future__ import annotations

import re

from aiogram.methods import EditMessageText
from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import SearchCb, TodayCb
from bot.desk_keyboards import search_data, search_query_of
from bot.domain.desk import PAGE_SIZE
from bot.texts import Catalogue
from storage.schema import deals
from tests.fakes import Prospect
from tests.handlers.conftest import World
from tests.handlers.test_staff import submit_lead

OLEGS = set(range(1, 13))  # deals #1-#12 are Олег's, #13-#15 Ира's; all at "ООО Вектор", hot


async def vector_deals(world: World) -> Prospect:
    oleg = await world.add_manager(7001, "Олег")
    for user_id in range(2001, 2016):
        await submit_lead(world, user_id, name=f"Клиент{user_id}")
    await world.add_manager(7002, "Ира")
    async with world.engine.begin() as connection:
        await connection.execute(
            deals.update().where(deals.c.id > 12).values(manager_telegram_id=7002)
        )
    return oleg


def deal_ids(buttons: list[str]) -> list[int]:
    return [int(found.group(1)) for b in buttons if (found := re.search(r"#(\d+) ", b))]


def markup_ids(markup: object) -> list[int]:
    assert isinstance(markup, InlineKeyboardMarkup)
    return deal_ids([button.text for row in markup.inline_keyboard for button in row])


async def test_search_pages_through_every_match_and_only_the_managers_own(world: World) -> None:
    oleg = await vector_deals(world)
    await oleg.send("/search")
    [found] = await oleg.send("вектор")
    assert "Найдено по запросу «вектор»: 12" in found.text  # the true total, not a page's rows
    first = deal_ids(found.buttons())
    assert len(first) == PAGE_SIZE and "1/2" in found.buttons() and "◀️" not in found.buttons()

    await oleg.press("▶️")
    assert found.edits == 1  # in place
    assert "Найдено по запросу «вектор»: 12" in found.text
    second = deal_ids(found.buttons())
    assert len(second) == 4 and "2/2" in found.buttons() and "▶️" not in found.buttons()
    assert set(first) | set(second) == OLEGS and not set(first) & set(second)

    await oleg.press("◀️")
    assert deal_ids(found.buttons()) == first

    # A page past the end (the deals went meanwhile, or a forged one) shows the last page.
    await oleg.callback(search_data(99, "вектор"), found.message_id)
    assert deal_ids(found.buttons()) == second and "2/2" in found.buttons()

    admin = world.admin()
    await admin.send("/search")
    [everyone] = await admin.send("Вектор")
    assert "Найдено по запросу «Вектор»: 15" in everyone.text
    await admin.press("▶️")
    assert len(deal_ids(everyone.buttons())) == 7


async def test_a_forged_search_page_shows_nothing_of_another_manager(world: World) -> None:
    oleg = await vector_deals(world)
    await oleg.send("/search")
    [found] = await oleg.send("вектор")
    await oleg.callback(search_data(0, "Клиент2013"), found.message_id)  # Ира's client
    assert "Найдено по запросу «Клиент2013»: 0" in found.text and deal_ids(found.buttons()) == []
    await oleg.callback(search_data(0, "Клиент201"), found.message_id)  # #10-#15: Олег's three
    assert sorted(deal_ids(found.buttons())) == [10, 11, 12]
    for data in (
        SearchCb(page=10**20, query="вектор").pack(),
        SearchCb(page=-1, query="вектор").pack(),
        SearchCb(page=0, query="").pack(),
        SearchCb(page=0, query="%0A%0A").pack(),  # control characters only
        "sr:0",
    ):
        assert await oleg.callback(data) == [], data
        assert oleg.answer_callback_texts()[-1] == "Эта кнопка уже не действует."
    # Nobody but staff pages at all.
    assert await world.prospect(user_id=2001).callback(search_data(0, "вектор")) == []


async def test_a_search_page_survives_a_restart(world: World) -> None:
    oleg = await vector_deals(world)
    await oleg.send("/search")
    [found] = await oleg.send("вектор")
    forward = next(
        button.callback_data
        for row in found.markup.inline_keyboard  # type: ignore[union-attr]
        for button in row
        if button.text == "▶️"
    )
    assert forward is not None
    fresh = await world.restart()
    again = fresh.prospect(user_id=7001, first_name="Олег")
    await again.callback(forward, found.message_id)
    [edit] = [call for call in fresh.session.calls if isinstance(call, EditMessageText)]
    assert "Найдено по запросу «вектор»: 12" in edit.text  # type: ignore[operator]
    assert len(markup_ids(edit.reply_markup)) == 4


def test_the_query_in_a_page_button_fits_and_comes_back() -> None:
    for query in ("вектор", "a:b%3A%c", "8 916 000-10-01", "ООО «Вектор» : 100%"):
        data = search_data(123456, query)
        assert search_query_of(SearchCb.unpack(data)) == query
    # A long query is cut to what a button holds (64 bytes), on a character.
    long = ("Константинопольский " * 5).strip()
    data = search_data(999999, long)
    assert len(data.encode()) <= 64
    query = search_query_of(SearchCb.unpack(data))
    assert 0 < len(query) < len(long) and long.startswith(query) and query.strip() == query


async def test_today_pages_every_deal_and_only_the_managers_own(world: World) -> None:
    oleg = await vector_deals(world)
    [today] = await oleg.send("/today")
    assert "Сегодня</b> (12)" in today.text and "Горячие (12)" in today.text
    first = deal_ids(today.buttons())
    assert len(first) == PAGE_SIZE and "1/2" in today.buttons()
    await oleg.press("▶️")
    assert today.edits == 1 and "Сегодня</b> (12)" in today.text
    second = deal_ids(today.buttons())
    assert len(second) == 4 and "2/2" in today.buttons()
    assert set(first) | set(second) == OLEGS
    # The text lists the deals of the page shown, and only them.
    assert set(deal_ids(today.text.split("\n"))) == set(second)

    await oleg.callback(TodayCb(page=50).pack(), today.message_id)
    assert deal_ids(today.buttons()) == second
    assert await oleg.callback(TodayCb(page=10**20).pack()) == []
    assert oleg.answer_callback_texts()[-1] == "Эта кнопка уже не действует."

    admin = world.admin()
    [everyone] = await admin.send("/today")
    assert "Сегодня</b> (15)" in everyone.text


async def test_today_from_the_menu_pages_too(world: World) -> None:
    oleg = await vector_deals(world)
    await oleg.send("/menu")
    [today] = await oleg.press("Сегодня")
    assert "1/2" in today.buttons()
    await oleg.press("▶️")
    assert len(deal_ids(today.buttons())) == 4


def test_today_reads_the_same_in_both_languages() -> None:
    catalogue = Catalogue()
    for locale, title in (("ru", "Сегодня</b> (3)"), ("en", "Today</b> (3)")):
        text = catalogue.text(
            locale, "today_page", total=3, hot=["#1", "#2"], new=["#3"], stale=[], tasks=[], tasks_total=0, more_tasks=0,
            hot_total=2, new_total=1, stale_total=0, stale_days=3, unclaimed=0,
        )  # fmt: skip
        lines = text.split("\n")
        assert title in lines[0] and "• #1" in lines and "• #3" in lines
        assert catalogue.text(
            locale, "today_page", total=0, hot=[], new=[], stale=[], tasks=[], tasks_total=0, more_tasks=0,
            hot_total=0, new_total=0, stale_total=0, stale_days=3, unclaimed=0,
        ).count("\n") == 1  # fmt: skip
