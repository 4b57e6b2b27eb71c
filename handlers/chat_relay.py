"""Chat between a prospect and their manager through the bot. What a prospect with a deal writes
reaches the assigned manager under a one-line deal header (no manager yet: the admins and the
inbox); a manager's reply to it (or after the "reply" button) reaches the prospect as the
company. Both directions are kept in the deal's history."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import timedelta
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReactionTypeEmoji
from markupsafe import Markup, escape

from bot import desk_keyboards as kb
from bot.clock import Clock
from bot.config import BusinessConfig
from bot.desk_views import relay_header
from bot.domain.desk import Viewer, asks_for_price
from bot.domain.parsing import is_blank
from bot.filters import IsStaff, NotCommand, PrivateChat
from bot.services.desk import DeskService, NoAccess, ProspectDeal
from bot.services.staff import StaffService
from bot.states import DealWork
from bot.texts import LOCALES, Catalogue, Translator, translator
from handlers.deal_context import DEAL_KEY
from handlers.notify import staff_to_alert, staff_translator

log = logging.getLogger(__name__)

PASSED_ON = "👀"  # the reaction on a client's message that reached their manager
LONG_TEXT = 3500  # longer texts go as a copy under the header: one message holds 4096
MEDIA = ("photo", "document", "voice", "video", "audio", "video_note", "sticker", "animation",
         "location", "contact")  # fmt: skip


class ProspectWithDeal(Filter):
    """A prospect (not staff) outside any form who has a deal: gives handlers `prospect_deal`."""

    async def __call__(
        self, message: Message, viewer: Viewer | None, desk: DeskService, raw_state: str | None
    ) -> bool | dict[str, Any]:
        if viewer is not None or raw_state is not None or message.from_user is None:
            return False
        if message.text is not None and message.text.startswith("/"):
            return False
        found = await desk.prospect_deal(message.from_user.id)
        return False if found is None else {"prospect_deal": found}


class ReplyToRelayed(Filter):
    """Staff replying to a message the bot relayed: gives handlers `reply_deal`."""

    async def __call__(self, message: Message, desk: DeskService) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return False
        deal_id = await desk.relayed_deal(message.chat.id, replied.message_id)
        return False if deal_id is None else {"reply_deal": deal_id}


async def reply_to_manager(message: Message, desk: DeskService) -> ProspectDeal | None:
    """The client's deal if this is their reply to a manager's message the bot passed on: it is
    for the manager, whatever the bot was asking (a form's question above it, say)."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return None
    if await desk.relayed_deal(message.chat.id, replied.message_id) is None:
        return None
    assert message.from_user is not None
    return await desk.prospect_deal(message.from_user.id)


def build_staff_router() -> Router:
    """Before the other staff routers: an explicit reply wins over any input being waited for."""
    router = Router(name="relay_staff")
    router.message.filter(PrivateChat(), IsStaff(), NotCommand())
    router.message.register(reply_to_relayed, ReplyToRelayed())
    router.message.register(reply_typed, StateFilter(DealWork.reply))
    return router


def build_prospect_router() -> Router:
    router = Router(name="relay_prospect")
    router.message.filter(PrivateChat())
    router.message.register(from_prospect, ProspectWithDeal())
    return router


# --- prospect -> staff -----------------------------------------------------------------------


async def from_prospect(
    message: Message,
    prospect_deal: ProspectDeal,
    bot: Bot,
    desk: DeskService,
    staff: StaffService,
    config: BusinessConfig,
    catalogue: Catalogue,
    clock: Clock,
    t: Translator,
) -> bool:
    """Whether anybody got it (the client is told if nobody did)."""
    deal = prospect_deal
    now = clock.now()
    text = message.text or message.caption or ""
    content: dict[str, Any] = {"text": message.text} if message.text else {}
    media = next((kind for kind in MEDIA if getattr(message, kind) is not None), None)
    if media:
        content.update(media=media, caption=message.caption)
    await desk.log_message(deal.deal_id, True, content, message.chat.id, now)
    became_hot = bool(text) and asks_for_price(text, config.routing.price_words)
    if became_hot:
        became_hot = await desk.price_request(deal.deal_id, message.chat.id, now)
    recipients = await _recipients(deal, staff, config)
    delivered = 0
    for recipient, inbox in recipients:
        staff_t = await staff_translator(catalogue, staff, recipient)
        header = relay_header(staff_t, config, deal)
        if became_hot:
            header = Markup("{}\n{}").format(header, staff_t("relay_price_request"))
        markup = (
            kb.alert(staff_t, deal.deal_id, inbox=True)
            if inbox
            else kb.relayed(staff_t, deal.deal_id)
        )
        try:
            if message.text is not None and len(message.text) < LONG_TEXT:
                sent = await bot.send_message(
                    recipient, Markup("{}\n\n{}").format(header, escape(message.text)),
                    reply_markup=markup,
                )  # fmt: skip
                ids = [sent.message_id]
            else:
                sent = await bot.send_message(recipient, header, reply_markup=markup)
                copied = await bot.copy_message(
                    recipient, message.chat.id, message.message_id,
                    reply_to_message_id=sent.message_id,
                )  # fmt: skip
                ids = [sent.message_id, copied.message_id]
        except TelegramAPIError:
            log.warning("message of deal %s not relayed to %s", deal.deal_id, recipient)
            continue
        delivered += 1
        await desk.remember_relay(recipient, ids, deal.deal_id, now)
    if not delivered:
        await message.answer(t("relay_nobody"))
        return False
    # A quiet "passed on": a reply in words to every message would be noise, silence leaves the
    # client wondering whether anybody got it.
    with suppress(TelegramAPIError):
        await message.react([ReactionTypeEmoji(emoji=PASSED_ON)])
    return True


async def _recipients(
    deal: ProspectDeal, staff: StaffService, config: BusinessConfig
) -> list[tuple[int, bool]]:
    """(chat, shown as an inbox item with "take") for everybody who should see the message."""
    return await staff_to_alert(deal.manager_telegram_id, staff, config)


# --- staff -> prospect -----------------------------------------------------------------------


async def reply_to_relayed(message: Message, reply_deal: int, **data: Any) -> None:
    await _deliver(message, reply_deal, data)


async def reply_typed(message: Message, state: FSMContext, **data: Any) -> None:
    deal_id = (await state.get_data()).get(DEAL_KEY)
    if message.text is not None and is_blank(message.text):
        await message.answer(data["t"]("err_empty"))  # zero-width signs only: nothing to send
        return
    await state.clear()
    if not isinstance(deal_id, int):
        return
    await _deliver(message, deal_id, data)


INTRODUCE_AFTER = timedelta(hours=12)  # a reply after such a pause says again who writes


async def _introduction(deal_id: int, data: dict[str, Any]) -> Markup | None:
    """Who answers, above a conversation's first reply ("💬 Вам отвечает Олег, «Ромашка»:"),
    in the client's language: a copy comes from the bot with no sender of its own."""
    desk: DeskService = data["desk"]
    viewer: Viewer = data["viewer"]
    now = data["clock"].now()
    last = await desk.last_reply(deal_id, viewer.telegram_id)
    if last is not None and now - last < INTRODUCE_AFTER:
        return None
    staff: StaffService = data["staff"]
    config: BusinessConfig = data["config"]
    t: Translator = data["t"]
    manager = await staff.manager(viewer.telegram_id)
    language = await desk.client_language(viewer, deal_id)
    client_t = translator(t.catalogue, language if language in LOCALES else t.locale)
    return client_t(
        "reply_from",
        name=manager.name if manager else None,
        company=config.company.name.get(client_t.locale),
    )


async def _deliver(message: Message, deal_id: int, data: dict[str, Any]) -> None:
    t: Translator = data["t"]
    desk: DeskService = data["desk"]
    bot: Bot = data["bot"]
    try:
        chat = await desk.prospect_chat(data["viewer"], deal_id)
    except NoAccess:
        await message.answer(t("err_no_access"))
        return
    if chat is None:
        await message.answer(t("reply_no_telegram"))
        return
    introduced: Message | None = None
    try:
        introduction = await _introduction(deal_id, data)
        if introduction:
            introduced = await bot.send_message(chat, introduction)
        copied = await bot.copy_message(chat, message.chat.id, message.message_id)
    except TelegramAPIError as error:
        if introduced is not None:  # not left alone above nothing, nor doubled by a retry
            with suppress(TelegramAPIError):
                await bot.delete_message(chat, introduced.message_id)
        if isinstance(error, TelegramForbiddenError):  # the deal's card has the phone instead
            await message.answer(t("reply_blocked"), reply_markup=kb.back_to_card(t, deal_id))
            return
        log.warning("reply of deal %s not delivered", deal_id, exc_info=True)
        await message.answer(t("reply_failed"), reply_markup=kb.back_to_card(t, deal_id))
        return
    content: dict[str, Any] = {"text": message.text} if message.text else {}
    media = next((kind for kind in MEDIA if getattr(message, kind) is not None), None)
    if media:
        content.update(media=media, caption=message.caption)
    now = data["clock"].now()
    await desk.log_message(deal_id, False, content, message.chat.id, now)
    # the client's reply to it reaches the manager even from inside a form (see ReplyToManager)
    shown = [copied.message_id, *([introduced.message_id] if introduced else [])]
    await desk.remember_relay(chat, shown, deal_id, now)
    await message.answer(t("reply_sent"), reply_markup=kb.back_to_card(t, deal_id))
