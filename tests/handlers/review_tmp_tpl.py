from __future__ import annotations

from bot.callbacks import TemplateAction, TemplateCb
from tests.handlers.conftest import World
from tests.handlers.test_templates_admin import logo_world, png  # noqa: F401


async def test_logo_button_before_upload(logo_world: World) -> None:  # noqa: F811
    admin = logo_world.admin()
    [listing] = await admin.send("/templates")
    print("BUTTONS", listing.buttons())
    sent = await admin.press("⬇️ logo.png")
    print("LOGO GET", [s.text[:60] for s in sent], admin.answer_callback_texts()[-1])
    # a forged name outside the folder
    for name in ("..", "../config.yaml", "offer.html ", "OFFER.HTML", "base.css\x00"):
        try:
            data = TemplateCb(action=TemplateAction.GET, name=name).pack()
        except Exception as e:
            print("PACK", repr(name), type(e).__name__)
            continue
        sent = await admin.callback(data)
        print("FORGED", repr(name), [s.kind for s in sent], admin.answer_callback_texts()[-1])
    # a manager forging it
    oleg = await logo_world.add_manager(7001, "Олег")
    sent = await oleg.callback(TemplateCb(action=TemplateAction.GET, name="offer.html").pack())
    print("MANAGER", [s.kind for s in sent], oleg.answer_callback_texts())
