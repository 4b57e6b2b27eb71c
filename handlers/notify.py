"""Who among the staff hears about a deal, and the new-lead alert."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup

from bot import desk_keyboards as kb
from bot.config import BusinessConfig
from bot.desk_views import lost_reason_label
from bot.domain.desk import Role, RoutingRule, Viewer
from bot.services.staff import StaffService
from bot.texts import Catalogue, Translator, translator
from handlers.deal_context import DealContext

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


async def _owner_name(manager: int, staff: StaffService, config: BusinessConfig) -> str | None:
    found = await staff.manager(manager)
    if found is not None:
        return found.name
    return next((r.name for r in config.sources.reps if r.telegram_id == manager and r.name), None)


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
) -> set[int]:
    """The assigned manager gets the lead card with its buttons; admins see every alert. The
    card is rendered once per language among the recipients. Returns those it reached."""
    recipients = dict(await staff_to_alert(manager, staff, config))
    for admin in staff.admin_ids:
        recipients.setdefault(admin, False)
    if manager is not None:
        recipients.setdefault(manager, False)  # a rep from the configuration file
    cards: dict[str, str] = {}
    # Admins see every alert: whose lead it is, unless it is their own
    told = [r for r in recipients if r in staff.admin_ids and r != manager]
    owner = await _owner_name(manager, staff, config) if manager is not None and told else None
    reached: set[int] = set()
    for recipient, inbox in sorted(recipients.items()):
        t = await staff_translator(catalogue, staff, recipient)
        text = cards.get(t.locale) or cards.setdefault(t.locale, card(t))
        if recipient in told:
            if manager is None:
                whose = t("alert_no_owner")
            else:  # a rep from the configuration file, or an admin, may have no name here
                whose = t("alert_owner", name=owner) if owner else t("alert_owner_unnamed")
            text = f"{text}\n{whose}"
        try:
            # an admin can take a lead nobody has in one tap (a lone owner, managers all off)
            take = manager is None and recipient in staff.admin_ids
            markup = kb.alert(t, deal_id, inbox=inbox, take=take)
            await bot.send_message(recipient, text, reply_markup=markup)
        except TelegramAPIError:
            log.exception("new-lead alert for deal %s not delivered to %s", deal_id, recipient)
        else:
            reached.add(recipient)
    return reached


async def owner_of_reopened(ctx: DealContext, owner: int | None, stage: str) -> None:
    """An admin reopened a manager's deal: it is back on their desk."""
    if owner is None or owner == ctx.viewer.telegram_id:
        return
    staff_t = await ctx.staff_t(owner)
    client = await ctx.client_name()
    text = staff_t("deal_reopened_by_admin", deal_id=ctx.deal_id, stage=stage, client=client)
    try:
        await ctx.bot.send_message(
            owner, text, reply_markup=kb.alert(staff_t, ctx.deal_id, inbox=False)
        )
    except TelegramAPIError:
        log.warning("could not tell %s about deal %s", owner, ctx.deal_id)


async def owner_of_closed(
    ctx: DealContext, owner: int | None, lost_reason: str | None = None
) -> None:
    """An admin closed a manager's (`owner`'s) deal, won, or lost for `lost_reason`: the manager
    hears it from the bot, with the deal's button and a way to cancel the reminders they set to
    work it (not the repeat sale's, which is not theirs to set)."""
    if owner is None or owner == ctx.viewer.telegram_id:
        return
    staff_t = await ctx.staff_t(owner)
    client = await ctx.client_name()
    rows = kb.alert(staff_t, ctx.deal_id, inbox=False).inline_keyboard
    left = await ctx.reminders.on_deal(Viewer(owner, Role.MANAGER), ctx.deal_id)
    if left:
        rows = [*rows, *kb.drop_reminders(staff_t, ctx.deal_id, left).inline_keyboard]
    if lost_reason is not None:
        reason = lost_reason_label(ctx.config, lost_reason, staff_t.locale)
        text = staff_t("deal_lost_by_admin", deal_id=ctx.deal_id, reason=reason, client=client)
    else:
        post_sale = bool(ctx.config.followups.post_sale_days)
        text = staff_t("deal_won_by_admin", deal_id=ctx.deal_id, post_sale=post_sale, client=client)
    try:
        await ctx.bot.send_message(
            owner, text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
        )
    except TelegramAPIError:
        log.warning("could not tell %s about deal %s", owner, ctx.deal_id)
