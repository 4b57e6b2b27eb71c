from __future__ import annotations

import asyncio

import sqlalchemy as sa

from storage.schema import events
from tests.handlers.conftest import World
from tests.handlers.test_deal_card import manager_with_deal
from tests.handlers.test_staff import button_data, submit_lead


async def notes(world: World) -> list[tuple[int, dict]]:
    async with world.engine.connect() as connection:
        return [
            (row.deal_id, row.data)
            for row in await connection.execute(
                sa.select(events.c.deal_id, events.c.data).where(events.c.kind == "activity")
            )
        ]


async def test_double_tap_on_keep_logs_twice(world: World) -> None:
    oleg = await manager_with_deal(world)
    [offer] = await oleg.send("перезвонить в пятницу")
    data = button_data(offer, "#1")
    await asyncio.gather(
        oleg.callback(data, offer.message_id), oleg.callback(data, offer.message_id)
    )
    print("NOTES", await notes(world))
    assert len(await notes(world)) == 1


async def test_two_deals_tapped_at_once(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    await submit_lead(world, 1002, name="Борис")
    await oleg.send("/deals")
    await oleg.press("#2")
    await oleg.send("/deals")
    await oleg.press("#1")
    [offer] = await oleg.send("перезвонить после обеда")
    await asyncio.gather(
        oleg.callback(button_data(offer, "#1"), offer.message_id),
        oleg.callback(button_data(offer, "#2"), offer.message_id),
    )
    print("NOTES", await notes(world))
    assert len(await notes(world)) == 1
