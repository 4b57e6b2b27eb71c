from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import CopyMessage

from tests.handlers.conftest import World
from tests.handlers.test_staff import submit_lead


async def test_intro_orphaned_when_copy_fails(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    kate = await submit_lead(world, 1001)
    await kate.send("Hello?")
    relayed = world.session.to(7001)[-1]
    original = world.session.make_request
    fail = {"on": True}

    async def flaky(bot, method, timeout=None):  # type: ignore[no-untyped-def]
        if isinstance(method, CopyMessage) and int(method.chat_id) == 1001 and fail["on"]:
            raise TelegramBadRequest(method, "Bad Request: message can't be copied")
        return await original(bot, method, timeout)

    world.session.make_request = flaky  # type: ignore[method-assign]
    told = await oleg.send("Добрый день!", reply_to=relayed)
    print("TOLD", [s.text[:50] for s in told])
    fail["on"] = False
    await oleg.send("Добрый день!", reply_to=relayed)
    print("CLIENT", [(s.kind, s.text) for s in world.session.to(1001)][-4:])
