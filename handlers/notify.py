"""Who among the staff hears about a deal, and the new-lead alert."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot import desk_keyboards as kb
from bot.config import BusinessConfig
from bot.domain.desk import RoutingRule
from bot.services.staff import StaffService
from bot.texts import Catalogue, Translator, translator

log = logging.getLogger(__name__)


async def staff_to_alert(
    manager: int | None, staff: StaffService, config: BusinessConfig
) -> list[tuple[int, bool]]:
    """(chat, shown as an inbox item with "take"): the deal's manager while they are active;
    otherwise the admins, and with the shared inbox every active manager too."""
    active = await staff.active_managers()
    if manager is not None and (manager in active or manager in staff.admin_ids):
        return [(manager, False)]
    recipients = [(admin, False) for admin in sorted(staff.admin_ids)]
    if manager is None and config.routing.rule is RoutingRule.INBOX:
        recipients += [(m, True) for m in sorted(active) if m not in staff.admin_ids]
    return recipients


async def staff_translator(catalogue: Catalogue, staff: StaffService, member: int) -> Translator:
    """What the bot sends a member of staff unasked is in their language, as its replies."""
    return translator(catalogue, await staff.locale(member))


async def new_lead_alert(
    bot: Bot,
    card: Callable[[Translator], str],
    deal_id: int,
    manager: int | None,
    staff: StaffService,
    config: BusinessConfig,
    catalogue: Catalogue,
) -> None:
    """The assigned manager gets the lead card with its buttons; admins see every alert. The
    card is rendered once per language among the recipients."""
    recipients = dict(await staff_to_alert(manager, staff, config))
    for admin in staff.admin_ids:
        recipients.setdefault(admin, False)
    if manager is not None:
        recipients.setdefault(manager, False)  # a rep from the configuration file
    cards: dict[str, str] = {}
    for recipient, inbox in sorted(recipients.items()):
        t = await staff_translator(catalogue, staff, recipient)
        text = cards.get(t.locale) or cards.setdefault(t.locale, card(t))
        try:
            await bot.send_message(recipient, text, reply_markup=kb.alert(t, deal_id, inbox=inbox))
        except TelegramAPIError:
            log.exception("new-lead alert for deal %s not delivered to %s", deal_id, recipient)
