"""aiogram routers, one module per feature; `get_routers` gives them in their order."""

from __future__ import annotations

from aiogram import Router

from bot.texts import Catalogue
from handlers import (
    admin,
    catalogue_admin,
    chat_relay,
    deal_card,
    desk,
    fallback,
    lead_form,
    new_lead,
    offers,
    reminders,
    self_offer,
    staff_settings,
    start,
)


def get_routers(catalogue: Catalogue) -> list[Router]:
    return [
        # /start and the menu first: they work in any state (and offer to resume a form);
        # staff get their menu, and an invitation link makes a manager.
        start.build_router(),
        self_offer.build_router(),
        # Staff replying to a relayed prospect message: an explicit reply wins over any input
        # the bot was waiting for.
        chat_relay.build_staff_router(),
        # Staff only (each router filters on the role): admin tools, outbound leads, the deal
        # card with the stage gate, and the menu with lists, search and today.
        admin.build_router(),
        catalogue_admin.build_router(),
        new_lead.build_router(),
        reminders.build_router(),
        offers.build_router(),
        staff_settings.build_router(),
        deal_card.build_router(),
        desk.build_router(),
        # The prospect's form: one handler per state, /cancel and back included.
        lead_form.build_router(catalogue),
        # A prospect with a deal writing outside the form: relayed to their manager.
        chat_relay.build_prospect_router(),
        # Last: stale or forged buttons and messages that nobody else took.
        fallback.build_router(),
    ]
