"""What every handler acting on a deal needs, bundled, and the deal card as it is sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from markupsafe import Markup

from bot import desk_keyboards as kb
from bot.callbacks import DealAction, DealCb
from bot.clock import Clock
from bot.config import BusinessConfig
from bot.desk_views import MESSAGE_LIMIT, deal_card
from bot.domain.desk import Viewer
from bot.domain.parsing import InputError, Problem, parse_free_text
from bot.live_cards import LiveCards, Shown
from bot.services.desk import DeskService, NoAccess
from bot.services.documents import DocumentService
from bot.services.pipeline import PipelineService
from bot.services.reminders import ReminderService
from bot.services.staff import StaffService
from bot.texts import Catalogue, Translator, translator

DEAL_KEY = "deal"  # the FSM data key of the deal a typed input is about

# A member of staff's typed input refused: in their words, not the prospect's (which offer a
# "share my number" button they lack, or ask them to put their question later)
_STAFF_INPUT_ERRORS = {
    Problem.NOT_A_NAME: "err_client_name",
    Problem.NOT_A_COMPANY: "err_client_company",
    Problem.PHONE_INVALID: "err_phone_invalid_staff",
    Problem.PHONE_EXTENSION: "err_phone_extension_staff",
    Problem.PHONE_ANONYMOUS: "err_phone_anonymous_staff",
    Problem.EMAIL_INVALID: "err_email_invalid_staff",
}


NOTE_LIMIT = 1000  # characters of a note: a call's summary, a voice's caption


def note_text(text: str | None) -> str | None:
    """A note's text as kept (its lines too), or None for none, blank or too long: a voice's
    caption, or a loose text offered as a note."""
    try:
        return parse_free_text(text or "", limit=NOTE_LIMIT, lines=True)
    except InputError:
        return None


def staff_input_error(t: Translator, error: InputError) -> Markup:
    key = _STAFF_INPUT_ERRORS.get(error.problem, f"err_{error.problem.value}")
    return t(key, limit=error.limit)


async def swap_buttons(
    message: Message | None,
    change: Callable[[InlineKeyboardButton], InlineKeyboardButton | None],
    note: str | None = None,
) -> None:
    """A message's buttons, each kept, replaced or dropped (None) by `change`: what is on
    screen shows what can still be done; `note` goes under its text, saying what was done. A
    message too old to edit keeps them."""
    if message is None or message.reply_markup is None:
        return
    rows = [
        [new for button in row if (new := change(button)) is not None]
        for row in message.reply_markup.inline_keyboard
    ]
    kept = [row for row in rows if row]
    markup = InlineKeyboardMarkup(inline_keyboard=kept) if kept else None
    if note is not None and message.text is not None:
        try:
            await message.edit_text(f"{message.html_text}\n\n{note}", reply_markup=markup)
            return
        except TelegramAPIError:  # the text would not go (too long, say): the buttons still
            pass
    with suppress(TelegramAPIError):
        await message.edit_reply_markup(reply_markup=markup)


def offered(button: InlineKeyboardButton, action: DealAction, *prefixes: str) -> bool:
    """Whether a button is a deal's `action` with an argument starting with one of `prefixes`."""
    try:
        pressed = DealCb.unpack(button.callback_data or "")
    except (TypeError, ValueError):
        return False
    return pressed.action is action and pressed.arg.startswith(prefixes)


@dataclass
class DealContext:
    bot: Bot
    chat_id: int
    deal_id: int
    state: FSMContext
    t: Translator
    viewer: Viewer
    desk: DeskService
    pipeline: PipelineService
    staff: StaffService
    reminders: ReminderService
    config: BusinessConfig
    clock: Clock
    tz: tzinfo
    catalogue: Catalogue
    documents: DocumentService | None = None
    message: Message | None = None  # the message whose button was pressed, if any
    live_cards: LiveCards | None = None
    live_screens: LiveCards | None = None  # each deal's quote screen (handlers/offers.py)

    @classmethod
    def from_data(cls, chat_id: int, deal_id: int, data: dict[str, Any]) -> DealContext:
        """From the handler's keyword arguments (aiogram's context data)."""
        fields = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(chat_id=chat_id, deal_id=deal_id, **fields)

    def now(self) -> datetime:
        return self.clock.now()

    async def send(self, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        return await self.bot.send_message(self.chat_id, text, reply_markup=markup)

    async def client_name(self) -> str | None:
        return (await self.desk.client_names({self.deal_id})).get(self.deal_id)

    async def ask(self, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        """A question about the deal, headed by its number and client ("#12 Анна · Сумма
        сделки?"): with several deals worked at once, each prompt says which one it is."""
        head = self.t("deal_head", deal_id=self.deal_id, name=await self.client_name())
        return await self.send(Markup("{} · {}").format(head, text), markup)

    async def replace(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """In place of the message whose button was pressed (a page of a list), or new."""
        if self.message is not None:
            with suppress(TelegramBadRequest):  # "message is not modified": the same again
                await self.message.edit_text(text, reply_markup=markup)
            return
        await self.send(text, markup)

    async def drop_buttons(self, gone: Callable[[InlineKeyboardButton], bool]) -> None:
        """The pressed message without the buttons `gone` picks (the others stay), now and
        when it shrinks as a card replaced."""
        await swap_buttons(self.message, lambda button: None if gone(button) else button)
        if self.live_cards is not None and self.message is not None:
            self.live_cards.drop_offers(self.chat_id, self.deal_id, self.message.message_id, gone)

    async def show_card(
        self,
        full: bool = False,
        done: str | None = None,
        first: Sequence[Sequence[InlineKeyboardButton]] = (),
    ) -> None:
        """The card at the bottom of the chat, under `done` (what was just done, one message
        for both): `full` where the deal is opened or enters a new stage; after an action, its
        short form (the whole one is a tap away). The card shown before shrinks to a line that
        opens the deal: a manager's chat is not to fill up with 25 lines per call logged, and
        an old card's figures are not to be read for the current ones."""
        try:
            card = await self.desk.card(self.viewer, self.deal_id)
        except NoAccess:
            await self.send(self.t("err_no_access"))
            return
        text = deal_card(self.t, self.config, card, self.tz, full=full, viewer=self.viewer)
        if done and len(done) + len(text) > MESSAGE_LIMIT:  # a long card: two messages
            await self.send(done, InlineKeyboardMarkup(inline_keyboard=[*map(list, first)]))
            done, first = None, ()
        buttons = kb.deal_card(self.t, self.config, card, self.viewer, full=full).inline_keyboard
        sent = await self.send(
            Markup("{}\n\n{}").format(done, text) if done else text,
            InlineKeyboardMarkup(inline_keyboard=[*map(list, first), *buttons]),
        )
        if self.live_cards is None:
            return
        shown = Shown(sent.message_id, done or "", tuple(tuple(row) for row in first))
        previous = self.live_cards.replace(self.chat_id, self.deal_id, shown)
        if previous is not None:
            stub = self.t("card_replaced", deal_id=self.deal_id, name=card.person.name)
            with suppress(TelegramAPIError):  # deleted by the manager, or too old to edit
                await self.bot.edit_message_text(
                    # what was done there stays readable in the chat
                    Markup("{}\n{}").format(Markup(previous.done), stub) if previous.done else stub,
                    chat_id=self.chat_id,
                    message_id=previous.message_id,
                    # what it offered, not used yet, stays with it
                    reply_markup=InlineKeyboardMarkup(
                        inline_keyboard=[
                            *map(list, previous.offers),
                            *kb.alert(self.t, self.deal_id, inbox=False).inline_keyboard,
                        ]
                    ),
                )

    async def set_amount(self, amount_minor: int) -> None:
        """The deal's amount, set from the card or a quote: on an open deal it is also the
        answer to the closing's amount question, which is then not asked again."""
        await self.desk.set_amount(self.viewer, self.deal_id, amount_minor, self.now())
        await self.pipeline.amount_answered(
            self.deal_id, amount_minor, self.viewer.telegram_id, self.now()
        )

    async def expect(self, state: Any, **data: Any) -> None:
        """Wait for typed input about this deal."""
        await self.state.set_state(state)
        await self.state.set_data({DEAL_KEY: self.deal_id, **data})

    async def staff_t(self, member: int) -> Translator:
        """For a note to another member of staff: in their language."""
        return translator(self.catalogue, await self.staff.locale(member))


def refused_closed(ctx: DealContext) -> Markup:
    """A closed deal's stage does not change; a manager is told who can bring it back (a loss
    tapped by mistake has no undo of theirs)."""
    return ctx.t("refused_closed", admin=ctx.viewer.is_admin)
