"""aiogram routers, one module per feature; `get_routers` gives them in their order."""

from __future__ import annotations

from aiogram import Router

from bot.texts import Catalogue
from handlers import fallback, lead_form, start


def get_routers(catalogue: Catalogue) -> list[Router]:
    return [
        # /start and the menu first: they work in any state (and offer to resume a form).
        start.build_router(),
        # The prospect's form: one handler per state, /cancel and back included.
        lead_form.build_router(catalogue),
        # Last: stale or forged buttons and messages that nobody else took.
        fallback.build_router(),
    ]
