"""Admins: invite managers with one-time links, list, deactivate and reactivate them, hand a
manager's open deals to another."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import tzinfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import desk_keyboards as kb
from bot.callbacks import InviteCb, ManagerAction, ManagerCb, StaffAction, StaffCb
from bot.clock import Clock
from bot.commands import drop_staff_commands, set_staff_commands
from bot.desk_views import local
from bot.domain.desk import Manager, Viewer
from bot.filters import IsAdmin, PrivateChat
from bot.middlewares import DropPendingInput
from bot.services.desk import DeskService
from bot.services.staff import INVITE_PREFIX, StaffService
from bot.texts import Catalogue, Translator
from handlers.notify import staff_translator

log = logging.getLogger(__name__)


LISTED_INVITES = 10  # withdraw buttons under the managers' list; the rest are counted


def build_router() -> Router:
    router = Router(name="admin")
    for observer in (router.message, router.callback_query):
        observer.filter(PrivateChat(), IsAdmin())
    router.callback_query.middleware(DropPendingInput())
    router.message.middleware(DropPendingInput())
    router.message.register(invite_command, Command("invite", ignore_case=True))
    router.message.register(managers_command, Command("managers", ignore_case=True))
    router.callback_query.register(invite_button, StaffCb.filter(F.action == StaffAction.INVITE))
    router.callback_query.register(
        managers_button, StaffCb.filter(F.action == StaffAction.MANAGERS)
    )
    router.callback_query.register(manager_action, ManagerCb.filter())
    router.callback_query.register(revoke_invite, InviteCb.filter())
    return router


async def invite_command(
    message: Message, bot: Bot, t: Translator, viewer: Viewer, staff: StaffService, clock: Clock,
    tz: tzinfo,
) -> None:  # fmt: skip
    await _invite(bot, message.chat.id, t, viewer, staff, clock, tz)


async def invite_button(
    callback: CallbackQuery, bot: Bot, t: Translator, viewer: Viewer, staff: StaffService,
    clock: Clock, tz: tzinfo,
) -> None:  # fmt: skip
    await callback.answer()
    await _invite(bot, callback.from_user.id, t, viewer, staff, clock, tz)


async def _invite(
    bot: Bot, chat_id: int, t: Translator, viewer: Viewer, staff: StaffService, clock: Clock,
    tz: tzinfo,
) -> None:  # fmt: skip
    token, expires_at = await staff.invite(viewer.telegram_id, clock.now())
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={INVITE_PREFIX}{token}"
    revoke = InlineKeyboardButton(
        text=t.label("btn_invite_revoke"),
        callback_data=InviteCb(key=staff.invite_key(token)).pack(),
    )
    await bot.send_message(
        chat_id,
        t("invite_link", link=link, expires=local(expires_at, tz, locale=t.locale)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[revoke]]),
    )


async def revoke_invite(
    callback: CallbackQuery, callback_data: InviteCb, bot: Bot, t: Translator,
    staff: StaffService, clock: Clock, tz: tzinfo,
) -> None:  # fmt: skip
    """A link sent to the wrong person, or no longer wanted: nobody joins by it any more. Its
    button goes either way (a used or expired invitation has nothing left to withdraw)."""
    revoked = await staff.revoke_invite(callback_data.key, clock.now())
    await callback.answer(
        t.label("invite_revoked" if revoked else "invite_not_open"), show_alert=True
    )
    if not isinstance(callback.message, Message):
        return
    if callback_data.listed:  # the managers' list, told again without it
        await _list(bot, callback.message.chat.id, t, staff, clock, tz, callback.message)
        return
    with suppress(TelegramAPIError):
        await callback.message.edit_reply_markup(reply_markup=None)  # the link's own message


async def managers_command(
    message: Message, bot: Bot, t: Translator, staff: StaffService, clock: Clock, tz: tzinfo
) -> None:
    await _list(bot, message.chat.id, t, staff, clock, tz)


async def managers_button(
    callback: CallbackQuery, bot: Bot, t: Translator, staff: StaffService, clock: Clock,
    tz: tzinfo,
) -> None:  # fmt: skip
    await callback.answer()
    await _list(bot, callback.from_user.id, t, staff, clock, tz)


async def _list(
    bot: Bot, chat_id: int, t: Translator, staff: StaffService, clock: Clock, tz: tzinfo,
    instead_of: Message | None = None,
) -> None:  # fmt: skip
    """The managers and the invitations not used yet (the soonest to expire first, as many as
    a keyboard holds); `instead_of`: the list's message to tell again."""
    found = await staff.managers()
    now = clock.now()
    invites = await staff.open_invites(now)
    shown = [
        (invite.key, local(invite.expires_at, tz, now, t.locale))
        for invite in invites[:LISTED_INVITES]
    ]
    counts = await staff.open_deal_counts() if found else {}
    lines = [
        t.label(
            "manager_line",
            name=m.name,
            username=m.username,
            active=m.active,
            deals=counts.get(m.telegram_id, 0),
        )
        for m in found
    ]
    text = t("managers_list", lines=lines, invites=len(invites), shown=len(shown))
    markup = kb.managers(t, found, shown)
    if instead_of is not None:
        with suppress(TelegramAPIError):  # "not modified": the same list
            await instead_of.edit_text(text, reply_markup=markup)
        return
    await bot.send_message(chat_id, text, reply_markup=markup)


async def manager_action(
    callback: CallbackQuery,
    callback_data: ManagerCb,
    bot: Bot,
    t: Translator,
    viewer: Viewer,
    staff: StaffService,
    desk: DeskService,
    clock: Clock,
    catalogue: Catalogue,
    tz: tzinfo,
) -> None:
    manager = await staff.manager(callback_data.manager)
    if manager is None:
        await callback.answer(t.label("err_stale_button"))
        return
    await callback.answer()
    chat_id = callback.from_user.id
    action = callback_data.action
    if action is ManagerAction.ASK_OFF:
        if not manager.active:
            await bot.send_message(chat_id, t("err_stale_button"))
            return
        open_deals = (await staff.open_deal_counts()).get(manager.telegram_id, 0)
        await bot.send_message(
            chat_id,
            t("deactivate_ask", name=manager.name, deals=open_deals),
            reply_markup=kb.confirm_deactivation(t, manager.telegram_id, _stamp(manager)),
        )
    elif action is ManagerAction.KEEP:
        await _answered(callback)
        await _list(bot, chat_id, t, staff, clock, tz)
    elif action in (ManagerAction.ACTIVATE, ManagerAction.DEACTIVATE):
        active = action is ManagerAction.ACTIVATE
        if not active:
            await _answered(callback)
            # a question from before the manager was last switched off and on (0: a question
            # of an older version, which carried no moment)
            if callback_data.target and callback_data.target != _stamp(manager):
                await bot.send_message(chat_id, t("err_stale_button"))
                return
        if (
            await staff.set_active(manager.telegram_id, active, viewer.telegram_id, clock.now())
            is None
        ):
            await bot.send_message(chat_id, t("err_stale_button"))  # done already
            return
        key = "manager_activated" if active else "manager_deactivated"
        await bot.send_message(chat_id, t(key, name=manager.name))
        await _list(bot, chat_id, t, staff, clock, tz)
        await _tell_access(bot, catalogue, staff, manager.telegram_id, active)
    elif action is ManagerAction.HANDOVER:
        if not (await staff.open_deal_counts()).get(manager.telegram_id):
            await bot.send_message(chat_id, t("handover_no_deals", name=manager.name))
            return
        targets = [
            m for m in await staff.managers() if m.active and m.telegram_id != manager.telegram_id
        ]
        if not targets:
            await bot.send_message(chat_id, t("handover_nobody"))
            return
        await bot.send_message(
            chat_id,
            t("handover_pick", name=manager.name),
            reply_markup=kb.handover_targets(t, manager.telegram_id, targets),
        )
    elif action is ManagerAction.HAND_TO:
        # the choice is made: a tap on it later would move deals taken since, unasked
        await _answered(callback)
        target = await staff.manager(callback_data.target)
        if target is None or not target.active or target.telegram_id == manager.telegram_id:
            await bot.send_message(chat_id, t("err_stale_button"))
            return
        moved = await desk.handover(viewer, manager.telegram_id, target.telegram_id, clock.now())
        await bot.send_message(
            chat_id, t("handover_done", count=len(moved), source=manager.name, target=target.name)
        )
        if moved:
            await _tell_handover(bot, t.catalogue, staff, manager, target, moved)


async def _tell_handover(
    bot: Bot,
    catalogue: Catalogue,
    staff: StaffService,
    source: Manager,
    target: Manager,
    moved: list[int],
) -> None:
    """The new owner gets the deals one tap away; the former one, still at work, hears that
    they are no longer theirs (a switched-off one was told of that already)."""
    target_t = await staff_translator(catalogue, staff, target.telegram_id)
    told: list[tuple[int, str, InlineKeyboardMarkup | None]] = [
        (target.telegram_id, target_t("handover_received", count=len(moved)),
         kb.handed_deals(target_t, moved)),
    ]  # fmt: skip
    if source.active:
        source_t = await staff_translator(catalogue, staff, source.telegram_id)
        taken = source_t("handover_taken", count=len(moved), name=target.name, deals=moved)
        told.append((source.telegram_id, taken, None))
    for chat, text, markup in told:
        try:
            await bot.send_message(chat, text, reply_markup=markup)
        except TelegramAPIError:
            log.warning("could not tell manager %s about a handover", chat)


def _stamp(manager: Manager) -> int:
    """The manager's last change, in whole seconds: what a switch-off question was asked about."""
    return int(manager.updated_at.timestamp()) if manager.updated_at else 0


async def _answered(callback: CallbackQuery) -> None:
    """The switch-off question answered (yes, or cancel): its buttons go, so that a tap on it
    an hour later, with the manager at work again, switches nobody off."""
    if isinstance(callback.message, Message):
        with suppress(TelegramAPIError):  # too old to edit: its buttons stay, still checked
            await callback.message.edit_reply_markup(reply_markup=None)


async def _tell_access(
    bot: Bot, catalogue: Catalogue, staff: StaffService, telegram_id: int, active: bool
) -> None:
    """The manager hears it from the bot, and their command menu follows: a deactivated one
    would otherwise tap /deals and get a prospect's menu without a word of why."""
    their_t = await staff_translator(catalogue, staff, telegram_id)
    if active:
        await set_staff_commands(bot, telegram_id, their_t, admin=False)
    else:
        await drop_staff_commands(bot, telegram_id)
    try:
        await bot.send_message(telegram_id, their_t("access_on" if active else "access_off"))
    except TelegramAPIError:
        log.warning("could not tell %s that their access changed", telegram_id)
