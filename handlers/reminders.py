"""Reminders from a deal card (one-tap choices or a typed time), the push's buttons (done,
snooze), and /reminders: the manager's upcoming ones, with cancel."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import (
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot import desk_keyboards as kb
from bot.callbacks import (
    BACK,
    DealAction,
    DealCb,
    ReminderAction,
    ReminderCb,
    StaffAction,
    StaffCb,
)
from bot.clock import Clock
from bot.desk_views import local, reminder_purpose, short
from bot.domain.desk import Viewer
from bot.domain.parsing import InputError
from bot.domain.reminders import Reminder, ReminderStatus
from bot.domain.when import (
    FURTHEST,
    MORNING,
    QuickTime,
    names_a_moment,
    parse_reminder,
    quick_time,
)
from bot.filters import HasText, IsStaff, NotCommand, PrivateChat
from bot.middlewares import DoubleTap, DropPendingInput
from bot.services.desk import DeskService, NoAccess
from bot.services.reminders import MANUAL, ReminderService
from bot.states import DealWork
from bot.texts import Translator
from handlers.deal_context import DEAL_KEY, DealContext, offered, swap_buttons

LIST = "list"  # a reminder's button on the /reminders list, not on its push
AT = "at."  # a reminder at the moment a next step named: "at.<Unix time>.<the step's crc32>"
CALL_BACK = "back."  # a quick choice's prefix on the buttons offered when a deal is lost
REDIAL = "redial."  # a quick choice's prefix on the buttons offered after "no answer"
_NOTES = {CALL_BACK: "call_back_note", REDIAL: "redial_note"}  # what such a reminder says
SNOOZE = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1)}


def build_router() -> Router:
    router = Router(name="reminders")
    for observer in (router.message, router.callback_query):
        observer.filter(PrivateChat(), IsStaff())
    router.callback_query.middleware(DoubleTap())
    router.callback_query.middleware(DropPendingInput())
    router.message.middleware(DropPendingInput())
    router.message.register(list_command, Command("reminders", ignore_case=True))
    router.callback_query.register(list_button, StaffCb.filter(F.action == StaffAction.REMINDERS))
    router.callback_query.register(reminder_action, ReminderCb.filter())
    router.message.register(typed_time, StateFilter(DealWork.remind), HasText(), NotCommand())
    router.message.register(not_text, StateFilter(DealWork.remind), NotCommand())
    return router


def choices(t: Translator, deal_id: int, closed: bool = False) -> InlineKeyboardMarkup:
    """Within days for an open deal; within months for a closed one (the repeat sale, a client
    who put the purchase off)."""

    def button(choice: QuickTime) -> InlineKeyboardButton:
        return quick_button(t, deal_id, choice)

    rows = (
        [
            [button(QuickTime.TOMORROW), button(QuickTime.MONDAY)],
            [button(QuickTime.MONTH), button(QuickTime.QUARTER)],
            [button(QuickTime.HALF_YEAR)],
        ]
        if closed
        else [
            [button(QuickTime.HOUR), button(QuickTime.EVENING)],
            [button(QuickTime.TOMORROW), button(QuickTime.THREE_DAYS)],
            [button(QuickTime.MONDAY)],
        ]
    )
    to_card = DealCb(action=DealAction.OPEN, deal=deal_id, arg=BACK).pack()
    rows.append([InlineKeyboardButton(text=t.label("btn_to_card"), callback_data=to_card)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def redial_choices(t: Translator, deal_id: int) -> InlineKeyboardMarkup:
    """When to call again a client who did not pick up: one tap."""
    later = (QuickTime.HOUR, QuickTime.EVENING, QuickTime.TOMORROW)
    to_card = DealCb(action=DealAction.OPEN, deal=deal_id, arg=BACK).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [quick_button(t, deal_id, when, prefix=REDIAL) for when in later],
            [InlineKeyboardButton(text=t.label("btn_to_card"), callback_data=to_card)],
        ]
    )


def quick_button(
    t: Translator, deal_id: int, choice: QuickTime, prefix: str = ""
) -> InlineKeyboardButton:
    """A one-tap reminder; with `prefix` CALL_BACK one to get back to a client who left, with
    REDIAL one to call again a client who did not pick up (the note says which)."""
    arg = f"{prefix}{choice.value}"
    data = DealCb(action=DealAction.REMIND, deal=deal_id, arg=arg)
    return InlineKeyboardButton(text=t.label(f"btn_when_{choice.value}"), callback_data=data.pack())


async def moment_in(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """The moment a text names, if it names one ("Демо в четверг 15:00")."""
    if not names_a_moment(text):
        return None
    try:
        # Off the event loop: with a note, dateparser is tried on several runs of words.
        due, _ = await asyncio.to_thread(parse_reminder, text, now, tz)
    except InputError:
        return None
    return due


def at_button(
    t: Translator, deal_id: int, due: datetime, step: str, when: str
) -> InlineKeyboardMarkup:
    """A one-tap reminder at `due` (written `when`) about the deal's next step `step` (while it
    is the step): named by its time, apart from the card's own "⏰ Напомнить"."""
    arg = f"{AT}{int(due.timestamp())}.{_crc(step)}"
    data = DealCb(action=DealAction.REMIND, deal=deal_id, arg=arg)
    label = t.label("btn_remind_step", when=when)
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data.pack())]]
    )


def _crc(text: str) -> str:
    return f"{zlib.crc32(text.encode()):08x}"


async def _remind_at(ctx: DealContext, arg: str) -> None:
    """The next step's reminder: at the moment it named, about it, while it is the step."""
    stamp, _, crc = arg.partition(".")
    forged = not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12)
    due = None if forged else datetime.fromtimestamp(int(stamp), UTC)
    if due is None or not ctx.now() < due <= ctx.now() + FURTHEST:  # gone since, or forged
        await ctx.send(ctx.t("err_stale_button"))
        return
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    if not card.next_step or _crc(card.next_step) != crc:  # the step has changed since
        await ctx.drop_buttons(_an_offered_time)
        await ctx.send(ctx.t("step_changed_since"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    if await _create(ctx, due, card.next_step):
        await ctx.drop_buttons(_an_offered_time)  # a second tap would set a second one


async def remind(ctx: DealContext, arg: str) -> None:
    """The deal card's "remind me": choices, or a quick choice pressed."""
    if arg.startswith(AT):
        await _remind_at(ctx, arg.removeprefix(AT))
        return
    if not arg:
        card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
        await ctx.expect(DealWork.remind)
        await ctx.ask(ctx.t("remind_ask"), choices(ctx.t, ctx.deal_id, closed=not card.is_open))
        return
    prefix = next((p for p in _NOTES if arg.startswith(p)), "")
    arg = arg.removeprefix(prefix)
    if arg not in {choice.value for choice in QuickTime} or (
        # a call back is for a closed deal (reopened since?), a redial for an open one
        prefix and (await ctx.desk.card(ctx.viewer, ctx.deal_id)).is_open is (prefix == CALL_BACK)
    ):
        await ctx.send(ctx.t("err_stale_button"))
        return
    note = ctx.t.label(_NOTES[prefix]) if prefix else None
    created = await _create(ctx, quick_time(QuickTime(arg), ctx.now(), ctx.tz), note)
    if created and prefix:  # one is enough: a second tap would set another
        await ctx.drop_buttons(_an_offered_time)


def _an_offered_time(button: InlineKeyboardButton) -> bool:
    return offered(button, DealAction.REMIND, CALL_BACK, REDIAL, AT)


async def typed_time(message: Message, **data: Any) -> None:
    assert message.text is not None
    deal_id = (await data["state"].get_data()).get(DEAL_KEY)
    if not isinstance(deal_id, int):
        await data["state"].clear()
        return
    ctx = DealContext.from_data(message.chat.id, deal_id, data)
    try:
        # Off the event loop: with a note, dateparser is tried on several runs of words.
        due, note = await asyncio.to_thread(parse_reminder, message.text, ctx.now(), ctx.tz)
    except InputError as error:
        await ctx.send(ctx.t(f"err_{error.problem.value}", limit=error.limit))
        return
    await _create(ctx, due, note)


async def _create(ctx: DealContext, due: datetime, note: str | None = None) -> bool:
    service: ReminderService = ctx.reminders
    try:
        await service.remind(ctx.viewer, ctx.deal_id, due, ctx.now(), note)
    except NoAccess:
        await ctx.state.clear()
        await ctx.send(ctx.t("err_no_access"))
        return False
    await ctx.state.clear()
    await ctx.send(
        ctx.t("remind_set", when=local(due, ctx.tz, ctx.now(), ctx.t.locale), note=note),
        kb.back_to_card(ctx.t, ctx.deal_id),
    )
    return True


async def not_text(message: Message, t: Translator) -> None:
    await message.answer(t("err_not_a_time"))


async def reminder_action(
    callback: CallbackQuery,
    callback_data: ReminderCb,
    t: Translator,
    viewer: Viewer,
    reminders: ReminderService,
    clock: Clock,
    tz: tzinfo,
    desk: DeskService,
) -> None:
    now = clock.now()
    try:
        reminder = await reminders.mine(viewer, callback_data.reminder)
    except NoAccess:
        await callback.answer(t.label("err_stale_button"))
        return
    action = callback_data.action
    from_list = callback_data.arg == LIST
    if action is ReminderAction.RESTORE or (action is ReminderAction.CANCEL and from_list):
        # A tap on a /reminders row cancels at once, so the row offers a reminder set by hand
        # back until its time
        names = await desk.client_names([reminder.deal_id] if reminder.deal_id else [])
        row: InlineKeyboardButton | None = None
        if action is ReminderAction.RESTORE:
            key = "reminder_restored"
            try:
                done = await reminders.restore(viewer, reminder.id, now)
            except NoAccess:  # the deal went to another manager meanwhile
                done, key = False, "err_no_access"
            if done or reminder.status is not ReminderStatus.CANCELLED:  # or restored already
                row = list_row(t, reminder, names, tz, now)
            elif key != "err_no_access":
                key = "reminder_restore_late"
        else:
            done = await reminders.close(viewer, reminder.id, ReminderStatus.CANCELLED, now)
            key = "reminder_cancelled" if done else "reminder_closed_already"
            if done and reminder.kind == MANUAL and reminder.due_at > now:
                row = list_row(t, reminder, names, tz, now, cancelled=True)
        await callback.answer(t.label(key))
        await _swap_buttons_of(callback, reminder.id, row)
        return
    if action is ReminderAction.SNOOZE:
        if callback_data.arg == "tomorrow":
            due = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), MORNING, tz)
        elif callback_data.arg in SNOOZE:
            due = now + SNOOZE[callback_data.arg]
        else:
            await callback.answer(t.label("err_stale_button"))
            return
        snoozed = await reminders.snooze(viewer, callback_data.reminder, due)
        answer = (
            t.label("reminder_snoozed", when=local(due, tz, now, t.locale))
            if snoozed
            else t.label("reminder_closed_already")  # done: a snooze must not bring it back
        )
        done = snoozed
    else:
        status = ReminderStatus.DONE if action is ReminderAction.DONE else ReminderStatus.CANCELLED
        done = await reminders.close(viewer, callback_data.reminder, status, now)
        answer = t.label(f"reminder_{status.value}" if done else "reminder_closed_already")
    await callback.answer(answer)
    # the push keeps what became of it: a popup is gone before the phone is put away
    await _swap_buttons_of(callback, callback_data.reminder, None, f"— {answer}" if done else None)


async def _swap_buttons_of(
    callback: CallbackQuery,
    reminder_id: int,
    instead: InlineKeyboardButton | None,
    note: str | None = None,
) -> None:
    """The push or the /reminders list loses this reminder's buttons (the deal's stays), or has
    `instead` in their place: what is on screen shows what can still be done."""

    def its_own(data: str | None) -> bool:
        try:
            return data is not None and ReminderCb.unpack(data).reminder == reminder_id
        except (TypeError, ValueError):
            return False

    message = callback.message if isinstance(callback.message, Message) else None
    await swap_buttons(message, lambda b: instead if its_own(b.callback_data) else b, note)


async def list_button(
    callback: CallbackQuery,
    t: Translator,
    viewer: Viewer,
    reminders: ReminderService,
    tz: tzinfo,
    clock: Clock,
    desk: DeskService,
) -> None:
    await callback.answer()
    if callback.message is not None:
        await list_command(callback.message, t, viewer, reminders, tz, clock, desk)


async def list_command(
    message: Message | InaccessibleMessage,
    t: Translator,
    viewer: Viewer,
    reminders: ReminderService,
    tz: tzinfo,
    clock: Clock,
    desk: DeskService,
) -> None:
    upcoming = await reminders.upcoming(viewer)
    if not upcoming:
        await message.answer(t("reminders_none"))
        return
    # Whom each one is about: a deal's number alone says little on a phone.
    names = await desk.client_names({r.deal_id for r in upcoming if r.deal_id is not None})
    rows = [[list_row(t, r, names, tz, clock.now())] for r in upcoming]
    await message.answer(
        t("reminders_list", count=len(upcoming)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


def list_row(
    t: Translator,
    reminder: Reminder,
    names: Mapping[int, str],
    tz: tzinfo,
    now: datetime,
    cancelled: bool = False,
) -> InlineKeyboardButton:
    """A /reminders row: a tap cancels it; once cancelled, a tap restores it."""
    action = ReminderAction.RESTORE if cancelled else ReminderAction.CANCEL
    return InlineKeyboardButton(
        text=t.label(
            "btn_reminder_restore" if cancelled else "btn_reminder_cancel",
            when=local(reminder.due_at, tz, now, t.locale),
            deal=reminder.deal_id,
            client=short(names.get(reminder.deal_id or 0), 20),
            note=short(reminder.text, 30) if reminder.text else reminder_purpose(t, reminder.kind),
        ),
        callback_data=ReminderCb(action=action, reminder=reminder.id, arg=LIST).pack(),
    )
