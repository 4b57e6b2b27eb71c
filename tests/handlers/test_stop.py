"""A stop (a deploy's SIGTERM) waits for the updates being handled, including those waiting for
their chat's turn: Telegram counts them delivered already."""

from __future__ import annotations

import asyncio

from tests.handlers.conftest import World


async def test_a_stop_waits_for_an_update_waiting_for_its_chats_turn(world: World) -> None:
    prospect = world.prospect()
    first = asyncio.create_task(prospect.send("/start"))
    second = asyncio.create_task(prospect.send("Здравствуйте"))  # after the first, in turn
    await asyncio.sleep(0)  # both fed: the second waits for the chat's lock
    assert await world.dp["under_way"].drain(6) == 0
    assert first.done() and second.done()
    assert "оставьте заявку" in (await second)[-1].text  # handled, not cut off
