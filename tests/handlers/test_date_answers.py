"""A stage question that asks for a date, answered the way people say dates."""

from __future__ import annotations

import sqlalchemy as sa

from storage.schema import deal_answers
from tests.handlers.conftest import World
from tests.handlers.test_deal_card import manager_with_deal
from tests.handlers.test_staff import submit_lead


async def stored_answers(world: World) -> dict[str, str]:
    async with world.engine.connect() as connection:
        rows = await connection.execute(sa.select(deal_answers))
        return {row.question_id: row.value for row in rows}


async def test_a_date_in_words_is_stored_and_read_back(world: World) -> None:
    oleg = await manager_with_deal(world)  # the clock says Monday, 23 November 2026
    await oleg.press("Вопросы")
    [asked] = await oleg.press("Когда следующий разговор?")

    [hint] = await oleg.send("декабрь")  # a month is not a day
    assert "Нужна дата" in hint.text and "«в пятницу»" in hint.text
    [gone] = await oleg.send("вчера")  # the next conversation is ahead, not behind
    assert "Этот день уже прошёл" in gone.text
    assert "next_talk" not in await stored_answers(world)

    replies = await oleg.send("к пятнице")
    # the question shows which Friday it was taken for; no message of its own
    assert asked.text.endswith("✔ пт, 27.11.2026") and not any("Записал" in r.text for r in replies)
    assert (await stored_answers(world))["next_talk"] == "2026-11-27"
    await oleg.press("Вопросы")
    assert any("Когда следующий разговор?: 27.11.2026" in b for b in oleg.last().buttons())


async def test_a_day_and_month_without_a_year_is_read_back_with_it(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Вопросы")
    [asked] = await oleg.press("Когда следующий разговор?")
    await oleg.send("10.12")  # a date, not 10:12 today
    assert asked.text.endswith("✔ чт, 10.12.2026")
    assert (await stored_answers(world))["next_talk"] == "2026-12-10"


async def test_a_written_out_date_is_not_read_back(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Вопросы")
    await oleg.press("Когда следующий разговор?")
    replies = await oleg.send("27.11.2026")
    assert not any("Записал" in sent.text for sent in replies)
    assert (await stored_answers(world))["next_talk"] == "2026-11-27"


async def test_an_english_speaking_manager_reads_dates_the_english_way(world: World) -> None:
    ann = await world.add_manager(7002, "Ann", language="en")
    await submit_lead(world, 1001)
    await ann.send("/deals")
    await ann.press("#1")
    await ann.press("Questions")
    [asked] = await ann.press("When is the next conversation?")
    await ann.send("12/25")
    assert asked.text.endswith("✔ Fri, Dec 25, 2026")
    await ann.press("Questions")
    assert any("next conversation?: Dec 25, 2026" in b for b in ann.last().buttons())
