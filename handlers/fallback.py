"""What no other router took: stale or forged buttons, and messages outside any conversation."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.config import BusinessConfig
from bot.filters import PrivateChat
from bot.texts import Translator


def build_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(stale_button)
    router.message.register(outside_conversation, PrivateChat())
    return router


async def stale_button(callback: CallbackQuery, t: Translator) -> None:
    await callback.answer(t.label("err_stale_button"))


async def outside_conversation(message: Message, t: Translator, config: BusinessConfig) -> None:
    """A visitor with no request yet: a question gets told how to reach a manager (nothing is
    kept before consent), a command what the bot is for."""
    if message.text is not None and message.text.startswith("/"):
        text = t("prospect_help", company=config.company.name.get(t.locale))
    else:
        text = t("visitor_message")
    await message.answer(text, reply_markup=keyboards.menu(t))
