"""The command menus in Telegram's UI: prospects see /start and /cancel; staff, their desk."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat

from bot.texts import Translator

log = logging.getLogger(__name__)

STAFF_COMMANDS = (
    "menu", "deals", "today", "reminders", "search", "newlead", "link", "settings", "help",
    "cancel",
)  # fmt: skip
ADMIN_COMMANDS = ("invite", "managers", "catalogue", "templates")


async def drop_staff_commands(bot: Bot, chat_id: int) -> None:
    """Back to the menu everybody has: for somebody who is staff no longer."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError:
        log.warning("could not reset the command menu of %s", chat_id, exc_info=True)


async def set_staff_commands(bot: Bot, chat_id: int, t: Translator, admin: bool) -> None:
    """A member of staff's own menu (a per-chat scope); a failure only costs the menu."""
    names = STAFF_COMMANDS + (ADMIN_COMMANDS if admin else ())
    commands = [
        # An admin's /deals are everybody's.
        BotCommand(command=name, description=t.label(f"cmd_staff_{name}", admin=admin))
        for name in names
    ]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError:
        log.warning("could not set the command menu of %s", chat_id, exc_info=True)
