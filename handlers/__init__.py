"""aiogram routers, one module per feature; `get_routers` gives them in their order."""

from __future__ import annotations

from aiogram import Router

from bot.filters import IsStaff, PrivateChat
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
        # Staff only, behind one check of the role: a prospect's update skips all of them at
        # once instead of being offered to each in turn (most of an update's cost in aiogram is
        # the walk through routers).
        _staff_routers(),
        # The prospect's form: one handler per state, /cancel and back included.
        lead_form.build_router(catalogue),
        # The prospect's own price offer (buttons only, none of the form's).
        self_offer.build_router(),
        # A prospect with a deal writing outside the form: relayed to their manager.
        chat_relay.build_prospect_router(),
        # Last: stale or forged buttons and messages that nobody else took.
        fallback.build_router(),
    ]


def _staff_routers() -> Router:
    staff = Router(name="staff")
    for observer in (staff.message, staff.callback_query):
        observer.filter(PrivateChat(), IsStaff())
    staff.include_routers(
        # Staff replying to a relayed prospect message: an explicit reply wins over any input
        # the bot was waiting for.
        chat_relay.build_staff_router(),
        # Admin tools, outbound leads, reminders, offers, settings, the deal card with the
        # stage gate, and the menu with lists, search and today (each also checks the role it
        # needs).
        admin.build_router(),
        catalogue_admin.build_router(),
        new_lead.build_router(),
        reminders.build_router(),
        offers.build_router(),
        staff_settings.build_router(),
        deal_card.build_router(),
        desk.build_router(),
    )
    return staff
