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
    # Most of an update's cost in aiogram is the walk through routers (each level wraps
    # middlewares and checks filters), so a prospect's update meets as few routers as possible.
    return [
        # /start, the menu, the form and the prospect's own offer, in one router.
        _conversation(catalogue),
        # Staff only, behind one check of the role: a prospect's update skips all of them at
        # once instead of being offered to each in turn.
        _staff_routers(),
        # A prospect with a deal writing outside the form: relayed to their manager.
        chat_relay.build_prospect_router(),
        # Last: stale or forged buttons and messages that nobody else took.
        fallback.build_router(),
    ]


def _conversation(catalogue: Catalogue) -> Router:
    """Everything of the prospect's conversation that has its own command, button or state.

    It comes before the staff routers without taking anything of theirs: its buttons have
    prefixes of their own, /start serves staff too (their menu, an invitation), and the form
    (/cancel, typed input, its buttons and the menu's request button) is a prospect's only, even
    for a member of staff left in one of its states."""
    router = Router(name="conversation")
    for observer in (router.message, router.callback_query):
        observer.filter(PrivateChat())
    # /start and the menu first: they work in any state (and offer to resume a form).
    start.register(router)
    # The form: every state, /cancel and back included.
    lead_form.register(router, catalogue)
    # The prospect's own price offer (buttons only, none of the form's).
    self_offer.register(router)
    return router


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
