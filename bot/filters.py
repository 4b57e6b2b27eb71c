"""Filters as classes with async __call__: aiogram runs sync (magic) filters in a thread."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from bot.callbacks import MenuAction, MenuCb, SourcedMenuCb
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


class MenuPressed(Filter):
    """The prospect's menu button `action`, plain (MenuCb) or carrying a link (SourcedMenuCb),
    as `callback_data`: one comparison for every other button of the form, instead of a
    callback data's unpacking (and its exception) per kind."""

    def __init__(self, action: MenuAction) -> None:
        self._plain = MenuCb(action=action).pack()
        self._sourced = f"{SourcedMenuCb.__prefix__}:{action.value}:"
        self._action = action

    async def __call__(self, callback: CallbackQuery) -> bool | dict[str, Any]:
        data = callback.data or ""
        if data == self._plain:
            return {"callback_data": MenuCb(action=self._action)}
        if not data.startswith(self._sourced):
            return False
        try:
            return {"callback_data": SourcedMenuCb.unpack(data)}
        except (TypeError, ValueError):  # a forged link
            return False
