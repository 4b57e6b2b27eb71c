"""Per-update work that every handler needs: the user's language and role."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.callbacks import DealAction, DealCb
from bot.clock import Clock
from bot.commands import set_staff_commands
from bot.domain.desk import Viewer
from bot.services.desk import NoAccess
from bot.services.staff import StaffService
from bot.taps import MemoryTaps, SharedTaps
from bot.texts import LOCALES, Catalogue, Translator, locale_for, translator

log = logging.getLogger(__name__)


class UserMiddleware(BaseMiddleware):
    """Gives handlers who is writing: `t`, the catalogue in the user's Telegram language (no
    I/O), and `viewer`, the member of staff acting or None for a prospect (the set of managers
    is cached by StaffService, so most updates cost no query); staff also get `tz`, their own
    zone. One middleware rather than two: each one is a level every update goes through."""

    def __init__(
        self, catalogue: Catalogue, default_locale: str, staff: StaffService, clock: Clock
    ) -> None:
        self._translators = {locale: translator(catalogue, locale) for locale in LOCALES}
        self._default = default_locale
        self._staff = staff
        self._now = clock.now

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            data["t"], data["viewer"] = self._translators[self._default], None
            return await handler(event, data)
        t = data["t"] = self._translators[locale_for(user.language_code, self._default)]
        viewer = data["viewer"] = await self._staff.viewer(user.id)
        if viewer is None:
            return await handler(event, data)
        data["tz"] = (await self._staff.schedule(user.id)).tz  # they see and type their own times
        result = await handler(event, data)
        # After the answer: a new command menu is a Bot API call the answer need not wait for.
        await self._note_language(data["bot"], user, viewer, t)
        return result

    async def _note_language(self, bot: Bot, user: User, viewer: Viewer, t: Translator) -> None:
        """What is pushed to staff later (alerts, reminders) and their command menu follow
        their language too; failing to record it must not cost them the update."""
        try:
            if await self._staff.note_language(user.id, user.language_code, self._now()):
                await set_staff_commands(bot, user.id, t, viewer.is_admin)
        except Exception:
            log.warning("could not record the language of %s", user.id, exc_info=True)


class DropPendingInput(BaseMiddleware):
    """A member of staff who presses another button or sends a command while the bot waits for
    their typed input (a reply to a client, an amount, a search) has moved on: the wait ends, so
    that what they type next cannot land somewhere they no longer expect. Buttons of a question
    walk continue it (they answer the question being asked)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        moved_on = (isinstance(event, CallbackQuery) and not _continues(event.data)) or (
            isinstance(event, Message) and (event.text or "").startswith("/")
        )
        if moved_on and state is not None:
            current = await state.get_state()
            if (
                current is not None
                and current.split(":")[0] in ("DealWork", "StaffInput")
                and await _acts(event, data)
            ):
                await state.clear()
        return await handler(event, data)


def _pressed_deal(data: str | None) -> DealCb | None:
    if not data or not data.startswith(f"{DealCb.__prefix__}:"):
        return None
    try:
        return DealCb.unpack(data)
    except (TypeError, ValueError):
        return None


def _continues(data: str | None) -> bool:
    pressed = _pressed_deal(data)
    return pressed is not None and pressed.action in (DealAction.ANSWER, DealAction.SKIP)


async def _acts(event: TelegramObject, data: dict[str, Any]) -> bool:
    """Whether a press can act at all: a deal's button that will be refused (a deal handed to
    someone else, a forged number) moves nobody on, and what they were typing stays asked."""
    pressed = _pressed_deal(event.data) if isinstance(event, CallbackQuery) else None
    if pressed is None or pressed.action is DealAction.TAKE or "desk" not in data:
        return True
    try:
        await data["desk"].check(data["viewer"], pressed.deal)
    except NoAccess:
        return False
    return True


class DoubleTap(BaseMiddleware):
    """A second press of the same button of a message within `window` seconds of the first is a
    double tap (on a slow network people tap again), not a second request: it is answered and
    dropped, so a deal is not moved on twice, an offer not numbered twice, a reminder not set
    twice. Another button of the message in between (hot, warm, hot again) counts, and so do
    buttons meant to be pressed again and again (`repeatable`: an offer's ➕/➖, pages); a press
    whose handling failed may be tried again at once. The presses are noted in `taps` of the
    dispatcher's data when there is one (Redis: the two taps may reach two processes), in this
    process's memory otherwise."""

    def __init__(
        self,
        window: float = 3.0,
        repeatable: Callable[[str], bool] = lambda data: False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window, self._repeatable = window, repeatable
        self._memory = MemoryTaps(monotonic)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not (
            isinstance(event, CallbackQuery)
            and event.data
            and event.message is not None
            and not self._repeatable(event.data)
        ):
            return await handler(event, data)
        taps: MemoryTaps | SharedTaps = data.get("taps") or self._memory
        key = (event.from_user.id, event.message.message_id)
        if await taps.again(key, event.data, self._window):
            await event.answer()
            return None
        try:
            return await handler(event, data)
        except Exception:
            await taps.forget(key, event.data)
            raise
