"""Filters as classes with async __call__: aiogram runs sync (magic) filters in a thread."""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from bot.domain.desk import Viewer


class PrivateChat(Filter):
    async def __call__(self, event: Message | CallbackQuery) -> bool:
        message = event if isinstance(event, Message) else event.message
        if message is None:  # a callback from an inline message: no chat to check
            return isinstance(event, CallbackQuery)
        return message.chat.type == ChatType.PRIVATE


class HasText(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.text is not None


class HasContact(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.contact is not None


class NotCommand(Filter):
    """Anything but a /command: a command typed while the bot waits for input is a command."""

    async def __call__(self, message: Message) -> bool:
        return not (message.text or "").startswith("/")


class IsStaff(Filter):
    """A manager or an admin (UserMiddleware sets `viewer`)."""

    async def __call__(self, event: object, viewer: Viewer | None = None) -> bool:
        return viewer is not None


class IsProspect(Filter):
    """Not a member of staff."""

    async def __call__(self, event: object, viewer: Viewer | None = None) -> bool:
        return viewer is None


class IsAdmin(Filter):
    async def __call__(self, event: object, viewer: Viewer | None = None) -> bool:
        return viewer is not None and viewer.is_admin
