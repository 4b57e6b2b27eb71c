"""The last line of defence: a failing handler is logged and the user gets a polite answer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent, User

from bot.texts import Catalogue, locale_for

log = logging.getLogger("salesbot.errors")


def make_error_handler(
    catalogue: Catalogue, default_locale: str
) -> Callable[[ErrorEvent], Awaitable[bool]]:
    async def on_error(event: ErrorEvent) -> bool:
        log.error("update %s failed", event.update.update_id, exc_info=event.exception)
        update = event.update
        user: User | None = None
        if update.message is not None:
            user = update.message.from_user
        elif update.callback_query is not None:
            user = update.callback_query.from_user
            with suppress(TelegramAPIError):
                await update.callback_query.answer()
        if user is not None and update.bot is not None:
            locale = locale_for(user.language_code, default_locale)
            with suppress(TelegramAPIError):
                # The prospect's conversations are private chats: the chat id is the user's id.
                await update.bot.send_message(user.id, catalogue.text(locale, "err_internal"))
        return True

    return on_error
