from __future__ import annotations

from tests.handlers.conftest import World


async def test_old_menu_button_without_source(world: World) -> None:
    prospect = world.prospect()
    await prospect.send("/start")
    sent = await prospect.callback("menu:request")  # as packed before 51e2b4c
    print("SENT", [s.text[:60] for s in sent], prospect.answer_callback_texts())
    sent = await prospect.callback("menu:request:")  # as packed now
    print("SENT NEW", [s.text[:60] for s in sent], prospect.answer_callback_texts())
