"""What no other router took: stale or forged buttons, and messages outside any conversation."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.config import BusinessConfig
from bot.domain.desk import Viewer, asks_for_price
from bot.filters import PrivateChat
from bot.services.documents import DocumentService
from bot.services.staff import StaffService
from bot.texts import Translator
from handlers.form_flow import FORM_STATES

EDIT_NOTED_WITHIN = 3600  # seconds


def build_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(stale_button)
    router.message.register(outside_conversation, PrivateChat())
    router.edited_message.register(edited, PrivateChat())
    return router


async def edited(
    message: Message, t: Translator, viewer: Viewer | None, raw_state: str | None = None
) -> None:
    """Telegram tells the bot of an edit, but what was answered or relayed has gone on: a person
    who fixed a typo that way is told it did not count. Not for a live location (it comes as
    edits every few seconds), nor for an edit long after the message (nothing then waits)."""
    if message.location is not None or message.edit_date is None:
        return
    if message.edit_date - int(message.date.timestamp()) > EDIT_NOTED_WITHIN:
        return
    if viewer is not None:
        await message.reply(t("edit_not_seen_staff"))
        return
    # the check step is there to correct a request only while it is being filled in
    await message.reply(t("edit_not_seen", in_form=raw_state in FORM_STATES))


async def stale_button(callback: CallbackQuery, t: Translator) -> None:
    await callback.answer(t.label("err_stale_button"))


async def outside_conversation(
    message: Message,
    t: Translator,
    config: BusinessConfig,
    staff: StaffService,
    documents: DocumentService | None = None,
) -> None:
    """A visitor with no request yet: a question gets told how to reach a manager (nothing is
    kept before consent), a command what the bot is for. A manager whose access was switched
    off is told that, not offered to leave a request."""
    command = message.text is not None and message.text.startswith("/")
    former = await staff.manager(message.chat.id)
    if former is not None and not former.active:
        await message.answer(t("access_off"))
        return
    if command:
        text = t("prospect_help", company=config.company.name.get(t.locale))
    elif (
        documents is not None
        and documents.standard() is not None
        and asks_for_price(message.text or message.caption or "", config.routing.price_words)
    ):
        text = t("visitor_price")  # the quote button answers that at once
    else:
        text = t("visitor_message")
    await message.answer(text, reply_markup=keyboards.menu(t))
