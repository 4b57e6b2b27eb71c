"""The staff menu: my deals (pages, filters), search, today, my personal link with its QR code."""

from __future__ import annotations

import io
import re
from contextlib import suppress
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

import segno
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from markupsafe import Markup

from bot import desk_keyboards as kb
from bot.callbacks import (
    NOBODY,
    KeepCb,
    ListCb,
    ListPick,
    SearchCb,
    StaffAction,
    StaffCb,
    TodayCb,
)
from bot.clock import Clock
from bot.commands import ADMIN_COMMANDS, STAFF_COMMANDS
from bot.config import BusinessConfig
from bot.desk_views import deal_button, local, reminder_purpose, short
from bot.domain.desk import UNASSIGNED, DealFilter, Manager, RoutingRule, Viewer
from bot.domain.models import Temperature
from bot.domain.parsing import InputError, parse_free_text
from bot.domain.reminders import ReminderStatus
from bot.filters import HasText, IsStaff, NotCommand, PrivateChat
from bot.live_cards import LiveCards
from bot.middlewares import DoubleTap, DropPendingInput
from bot.services.desk import ActivityKind, DeskService, NoAccess
from bot.services.reminders import MANUAL, ReminderService
from bot.services.staff import StaffService
from bot.states import StaffInput
from bot.texts import Translator
from handlers.deal_context import DealContext, note_text

MENU_ACTIONS = frozenset(
    {StaffAction.MENU, StaffAction.DEALS, StaffAction.SEARCH, StaffAction.TODAY, StaffAction.LINK}
)
SEARCH_MAX = 100  # characters of a search query
TODAY_REMINDERS = 10  # on /today; the rest are on /reminders (a message holds 4,096 signs)
OVERDUE_DAYS = 7  # how far back /today looks for a reminder set by hand and not done


def build_router() -> Router:
    router = Router(name="desk")
    for observer in (router.message, router.callback_query):
        observer.filter(PrivateChat(), IsStaff())
    router.callback_query.middleware(DropPendingInput())
    router.message.middleware(DropPendingInput())
    # a note kept twice by a double tap; the lists' pages are pressed again on purpose
    router.callback_query.middleware(
        DoubleTap(repeatable=lambda data: not data.startswith(f"{KeepCb.__prefix__}:"))
    )
    router.message.register(menu_command, Command("menu", ignore_case=True))
    router.message.register(help_command, Command("help", ignore_case=True))
    router.message.register(deals_command, Command("deals", ignore_case=True))
    router.message.register(search_command, Command("search", ignore_case=True))
    router.message.register(today_command, Command("today", ignore_case=True))
    router.message.register(link_command, Command("link", ignore_case=True))
    router.callback_query.register(staff_action, StaffCb.filter(F.action.in_(MENU_ACTIONS)))
    router.callback_query.register(deal_list, ListCb.filter())
    router.callback_query.register(search_page, SearchCb.filter())
    router.callback_query.register(today_page, TodayCb.filter())
    router.message.register(cancel, Command("cancel", ignore_case=True))
    router.message.register(search_query, StateFilter(StaffInput.search), HasText(), NotCommand())
    # Last for staff: anything else shows the menu (the prospect's form is not for staff).
    router.callback_query.register(keep_in_deal, KeepCb.filter())
    router.message.register(outside_menu)
    return router


async def cancel(message: Message, state: FSMContext, t: Translator, viewer: Viewer) -> None:
    await state.clear()
    await message.answer(t("cancelled_staff"))
    assert message.bot is not None
    await show_menu(message.bot, message.chat.id, t, viewer)


async def outside_menu(
    message: Message,
    state: FSMContext,
    t: Translator,
    viewer: Viewer,
    desk: DeskService,
    live_cards: LiveCards | None = None,
) -> None:
    if await state.get_state() == StaffInput.search.state:
        await message.answer(t("err_not_text"))
        return
    # nothing was asked (a walk ended by a /command, a call's summary typed before pressing
    # "📞"): offer to keep the text or the voice with a deal, rather than lose it
    if await _offer_to_keep(message, t, viewer, desk, live_cards):
        return
    if message.voice is not None:
        await message.answer(t("idle_voice"))
    elif message.text and message.text.startswith("/"):
        command = (message.text[1:].split() or [""])[0].split("@")[0].lower()  # "/invite@bot x"
        admins_only = command in ADMIN_COMMANDS and not viewer.is_admin
        await message.answer(t("admins_only" if admins_only else "unknown_command"))
    elif message.text:
        await message.answer(t("idle_text"))
    else:  # a file, a photo, a sticker
        await message.answer(t("idle_media"))
    assert message.bot is not None
    await show_menu(message.bot, message.chat.id, t, viewer)


KEEP_DEALS = 3  # deals offered to keep a loose text or voice in


def _loose(message: Message) -> dict[str, Any] | None:
    """What a member of staff's message holds to keep as a note: a text, or a voice (with its
    caption); None for anything else."""
    if message.voice is not None:  # a caption that is no note leaves the voice itself
        voice = message.voice
        return {
            "voice": voice.file_id,
            "duration": voice.duration,
            "text": note_text(message.caption),
        }
    if message.text and not message.text.startswith("/"):
        text = note_text(message.text)
        return {"text": text} if text else None
    return None


async def _offer_to_keep(
    message: Message, t: Translator, viewer: Viewer, desk: DeskService, live_cards: LiveCards | None
) -> bool:
    """A text or voice sent while nothing waits for it, offered as a note to the deals the
    member of staff was shown last (or, after a restart, the first of their list). The offer
    quotes the text and replies to the voice: what is kept comes back with the button pressed,
    so nothing waits on our side (another note, or another typed answer, loses nothing)."""
    loose = _loose(message)
    if loose is None:
        return False
    deals = live_cards.recent(message.chat.id, KEEP_DEALS) if live_cards is not None else []
    if not deals:
        mine = DealFilter(manager=viewer.telegram_id)
        deals = [row.id for row in (await desk.page(viewer, mine, 0)).rows[:KEEP_DEALS]]
    if not deals:
        return False
    names = await desk.client_names(deals)
    if message.voice is not None:
        text = t("keep_voice")
    else:  # the quote last, after the one blank line: the button reads it back from there
        text = Markup("{}\n\n{}").format(t("keep_text"), loose["text"])
    await message.reply(
        text,
        reply_markup=kb.keep_in_deal(
            t, [(deal, names.get(deal)) for deal in deals], message.message_id
        ),
    )
    return True


def _offered(callback: CallbackQuery, callback_data: KeepCb) -> dict[str, Any] | None:
    """What the pressed offer is about: the voice it replies to, or the text it quotes."""
    offer = callback.message
    if not isinstance(offer, Message):  # too old: Telegram no longer gives its content
        return None
    origin = offer.reply_to_message
    if origin is not None and origin.voice is not None:
        return _loose(origin) if origin.message_id == callback_data.message else None
    _, blank, quoted = (offer.text or "").partition("\n\n")
    text = note_text(quoted) if blank else None
    return {"text": text} if text else None


async def keep_in_deal(callback: CallbackQuery, callback_data: KeepCb, **data: Any) -> None:
    t: Translator = data["t"]
    loose = _offered(callback, callback_data)
    if loose is None:
        await callback.answer(t.label("keep_gone"), show_alert=True)
        return
    ctx = DealContext.from_data(callback.from_user.id, callback_data.deal, data)
    try:
        await ctx.desk.log_activity(
            ctx.viewer, ctx.deal_id, ActivityKind.NOTE, ctx.now(),
            text=loose.get("text"), voice=loose.get("voice"), duration=loose.get("duration"),
        )  # fmt: skip
    except NoAccess:
        await callback.answer(t.label("err_no_access"), show_alert=True)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        with suppress(TelegramBadRequest):  # kept once: the other deals are not offered again
            await callback.message.edit_reply_markup(reply_markup=None)
    await ctx.show_card(
        done=t("activity_logged", what=t.label(f"activity_{ActivityKind.NOTE.value}"))
    )


async def show_menu(
    bot: Bot, chat_id: int, t: Translator, viewer: Viewer, staff: StaffService | None = None
) -> None:
    """`staff`: to tell an admin with no manager at work that new leads come to them."""
    if not viewer.is_admin:
        await bot.send_message(chat_id, t("staff_menu"), reply_markup=kb.staff_menu(t, viewer))
        return
    alone = staff is not None and not await staff.active_managers()
    text = t("staff_menu_admin", alone=alone)
    await bot.send_message(chat_id, text, reply_markup=kb.staff_menu(t, viewer))


async def help_command(
    message: Message, t: Translator, viewer: Viewer, staff: StaffService
) -> None:
    names = STAFF_COMMANDS + (ADMIN_COMMANDS if viewer.is_admin else ())
    commands = [(name, t.label(f"cmd_staff_{name}", admin=viewer.is_admin)) for name in names]
    alone = viewer.is_admin and not await staff.active_managers()
    await message.answer(t("staff_help", commands=commands, admin=viewer.is_admin, alone=alone))


async def menu_command(
    message: Message, state: FSMContext, t: Translator, viewer: Viewer, staff: StaffService
) -> None:
    await state.clear()
    assert message.bot is not None
    await show_menu(message.bot, message.chat.id, t, viewer, staff)


async def deals_command(
    message: Message,
    t: Translator,
    viewer: Viewer,
    desk: DeskService,
    staff: StaffService,
    config: BusinessConfig,
) -> None:
    text, markup = await _list(t, viewer, desk, staff, config, ListCb())
    await message.answer(text, reply_markup=markup)


async def search_command(message: Message, state: FSMContext, t: Translator) -> None:
    await state.set_state(StaffInput.search)
    await message.answer(t("search_ask"), reply_markup=kb.cancel_input(t))


async def today_command(
    message: Message,
    t: Translator,
    viewer: Viewer,
    desk: DeskService,
    staff: StaffService,
    reminders: ReminderService,
    config: BusinessConfig,
    clock: Clock,
    tz: tzinfo,
) -> None:
    text, markup = await _today(t, viewer, desk, staff, reminders, config, clock.now(), tz, 0)
    await message.answer(text, reply_markup=markup)


async def link_command(
    message: Message, bot: Bot, t: Translator, viewer: Viewer, config: BusinessConfig
) -> None:
    await _send_link(bot, message.chat.id, t, viewer, config)


async def staff_action(
    callback: CallbackQuery,
    callback_data: StaffCb,
    bot: Bot,
    state: FSMContext,
    t: Translator,
    viewer: Viewer,
    desk: DeskService,
    staff: StaffService,
    reminders: ReminderService,
    config: BusinessConfig,
    clock: Clock,
    tz: tzinfo,
) -> None:
    await callback.answer()
    chat_id = callback.from_user.id
    action = callback_data.action
    if action is StaffAction.MENU:
        await state.clear()
        await show_menu(bot, chat_id, t, viewer, staff)
    elif action is StaffAction.DEALS:
        text, markup = await _list(t, viewer, desk, staff, config, ListCb())
        await bot.send_message(chat_id, text, reply_markup=markup)
    elif action is StaffAction.SEARCH:
        await state.set_state(StaffInput.search)
        await bot.send_message(chat_id, t("search_ask"), reply_markup=kb.cancel_input(t))
    elif action is StaffAction.TODAY:
        text, markup = await _today(t, viewer, desk, staff, reminders, config, clock.now(), tz, 0)
        await bot.send_message(chat_id, text, reply_markup=markup)
    elif action is StaffAction.LINK:
        await _send_link(bot, chat_id, t, viewer, config)


async def deal_list(
    callback: CallbackQuery,
    callback_data: ListCb,
    t: Translator,
    viewer: Viewer,
    desk: DeskService,
    staff: StaffService,
    config: BusinessConfig,
) -> None:
    stages = {stage.id for stage in config.pipeline.stages}
    temps = {value.value for value in Temperature}
    if (
        (callback_data.stage and callback_data.stage not in stages)
        or (callback_data.temp and callback_data.temp not in temps)
        or not 0 <= callback_data.page < kb.PAGE_LIMIT
        or (callback_data.pick is ListPick.MANAGER and not viewer.is_admin)
    ):
        await callback.answer(t.label("err_stale_button"))
        return
    await callback.answer()
    if callback_data.pick is not ListPick.NONE:
        managers = await _pickable(staff) if viewer.is_admin else []
        markup = kb.list_filter(t, config, callback_data, managers)
        await _edit(callback, t("filter_pick"), markup)
        return
    text, markup = await _list(t, viewer, desk, staff, config, callback_data)
    await _edit(callback, text, markup)


async def _edit(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup) -> None:
    """Pages and filters change the list in place rather than filling the chat."""
    if isinstance(callback.message, Message):
        with suppress(TelegramBadRequest):  # "message is not modified": the same page again
            await callback.message.edit_text(text, reply_markup=markup)
            return
    assert callback.bot is not None
    await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)


async def _list(
    t: Translator,
    viewer: Viewer,
    desk: DeskService,
    staff: StaffService,
    config: BusinessConfig,
    data: ListCb,
) -> tuple[str, InlineKeyboardMarkup]:
    where = DealFilter(
        data.stage or None,
        Temperature(data.temp) if data.temp else None,
        None if not data.manager else UNASSIGNED if data.manager == NOBODY else int(data.manager),
        lost=data.lost,
    )
    page = await desk.page(viewer, where, data.page)
    if page.page >= page.pages and page.page > 0:  # a page that emptied since the button was made
        page = await desk.page(viewer, where, page.pages - 1)
    names = await _names(t, viewer, staff)
    if data.lost:
        text = t("deals_lost", total=page.total)
    elif names is not None and data.manager:
        whose = kb.manager_filter_label(t, data.manager, names)
        text = t("deals_of", whose=whose, total=page.total)
    else:
        text = t("deals_all" if viewer.is_admin else "deals_mine", total=page.total)
    if not page.total:
        filtered = data.lost or where != DealFilter()
        text = t("deals_none" if filtered else "deals_empty")
    return text, kb.deal_list(t, config, page, data, names)


async def _names(t: Translator, viewer: Viewer, staff: StaffService) -> dict[int, str] | None:
    """An admin's lists say whose each deal is (their own ones: "вы", as an admin has no
    manager's name); a manager's are all their own."""
    if not viewer.is_admin:
        return None
    names = {manager.telegram_id: manager.name for manager in await staff.managers()}
    return {viewer.telegram_id: t.label("list_you"), **names}


async def _pickable(staff: StaffService) -> list[Manager]:
    """The managers an admin's list can be narrowed to: those at work and those who still have
    open deals (a keyboard holds about a hundred buttons)."""
    holding = await staff.open_deal_counts()
    return [m for m in await staff.managers() if m.active or holding.get(m.telegram_id)][:90]


async def search_query(message: Message, **data: Any) -> None:
    state: FSMContext = data["state"]
    t: Translator = data["t"]
    viewer: Viewer = data["viewer"]
    desk: DeskService = data["desk"]
    config: BusinessConfig = data["config"]
    assert message.text is not None
    try:
        query = parse_free_text(message.text, limit=SEARCH_MAX)
    except InputError as error:
        await message.answer(t(f"err_{error.problem.value}", limit=error.limit))
        return
    # "#12" is deal 12; "12" is too, unless it is a part of a phone number found
    number = re.fullmatch(r"#\s*(\d{1,9})|(\d{1,9})", query)
    found = await desk.search_page(viewer, query, 0)
    if number is not None and (number[1] or not found.total):
        deal_id = int(number[1] or number[2])
        with suppress(NoAccess):  # not a deal of theirs: "nothing found"
            await desk.check(viewer, deal_id)
            await state.clear()
            await DealContext.from_data(message.chat.id, deal_id, data).show_card(full=True)
            return
    if not found.total:
        await message.answer(t("search_nothing", query=query), reply_markup=kb.cancel_input(t))
        return
    if found.pages > 1 and kb.fit_query(query) != query:
        # The buttons of the pages carry the query, and a long one is cut to fit them: it is
        # searched cut from the first page on, so that every page and the count agree.
        query = kb.fit_query(query)
        found = await desk.search_page(viewer, query, 0)
    await state.clear()
    names = await _names(t, viewer, data["staff"])
    await message.answer(
        t("search_found", query=query, count=found.total),
        reply_markup=kb.search_results(t, config, found, query, names),
    )


async def search_page(
    callback: CallbackQuery,
    callback_data: SearchCb,
    t: Translator,
    viewer: Viewer,
    desk: DeskService,
    staff: StaffService,
    config: BusinessConfig,
) -> None:
    """Another page of a search. The query comes from the button (it may be forged): it is
    checked as typed text, and searched in the viewer's own deals only, as a typed one is."""
    try:
        query = kb.fit_query(parse_free_text(kb.search_query_of(callback_data), SEARCH_MAX))
    except InputError:
        query = ""
    if not query or not 0 <= callback_data.page < kb.PAGE_LIMIT:
        await callback.answer(t.label("err_stale_button"))
        return
    await callback.answer()
    found = await desk.search_page(viewer, query, callback_data.page)
    text = t("search_found", query=query, count=found.total)
    names = await _names(t, viewer, staff)
    await _edit(callback, text, kb.search_results(t, config, found, query, names))


async def today_page(
    callback: CallbackQuery,
    callback_data: TodayCb,
    t: Translator,
    viewer: Viewer,
    desk: DeskService,
    staff: StaffService,
    reminders: ReminderService,
    config: BusinessConfig,
    clock: Clock,
    tz: tzinfo,
) -> None:
    if not 0 <= callback_data.page < kb.PAGE_LIMIT:
        await callback.answer(t.label("err_stale_button"))
        return
    await callback.answer()
    text, markup = await _today(
        t, viewer, desk, staff, reminders, config, clock.now(), tz, callback_data.page
    )
    await _edit(callback, text, markup)


async def _today(
    t: Translator,
    viewer: Viewer,
    desk: DeskService,
    staff: StaffService,
    reminders: ReminderService,
    config: BusinessConfig,
    now: datetime,
    tz: tzinfo,
    page: int,
) -> tuple[str, InlineKeyboardMarkup]:
    """The viewer's reminders of the day (on the first page), then a page of the deals that need
    attention today, each once (hot, then new, then idle): under the first group it is in, so
    that a hot lead of today is not read as two."""
    start = datetime.combine(now.astimezone(tz).date(), time(0), tz)
    found = await desk.today_page(viewer, start, config.routing.stale_days, page)
    # from a week back: one set by hand and not marked done is still to do (with its day)
    since = start - timedelta(days=OVERDUE_DAYS)
    due = [
        r
        for r in (
            await reminders.due_between(viewer.telegram_id, since, start + timedelta(days=1))
            if page == 0
            else []
        )
        # one set by hand is the manager's until they mark it done; an automatic one only
        # today and while it waits (once it came it stays "sent" after its reason is gone: the
        # lead answered, the deal lost)
        if r.kind == MANUAL or (r.status is ReminderStatus.PENDING and r.due_at >= start)
    ]
    shown_due, more_due = due[:TODAY_REMINDERS], len(due) - TODAY_REMINDERS
    names = await desk.client_names({r.deal_id for r in due if r.deal_id is not None})
    tasks = [
        t.label(
            "today_reminder", deal=r.deal_id, overdue=r.due_at < start,
            when=f"{r.due_at.astimezone(tz):%H:%M}" if r.due_at >= start else local(r.due_at, tz),
            client=short(names.get(r.deal_id or 0), 20),
            note=short(r.text, 40) if r.text else reminder_purpose(t, r.kind),
        )
        for r in shown_due
    ]  # fmt: skip

    owners = await _names(t, viewer, staff)
    # with the shared inbox, a manager's day begins with the leads nobody has taken, whoever
    # missed their alert (other rules give every lead a manager, or an admin takes it)
    inbox = config.routing.rule is RoutingRule.INBOX
    unclaimed = await desk.unclaimed(viewer) if page == 0 and inbox else None

    def lines(group: str) -> list[str]:
        return [
            deal_button(t, config, row.deal, owners) for row in found.rows if row.group == group
        ]

    text = t(
        "today_page",
        tasks=tasks,
        tasks_total=len(due),
        more_tasks=max(more_due, 0),
        total=found.total,
        hot=lines("hot"),
        new=lines("new"),
        stale=lines("stale"),
        hot_total=found.hot,
        new_total=found.new,
        stale_total=found.stale,
        stale_days=config.routing.stale_days,
        unclaimed=unclaimed.total if unclaimed else 0,
    )
    return text, kb.today(t, config, found, owners, unclaimed.rows if unclaimed else ())


async def _send_link(
    bot: Bot, chat_id: int, t: Translator, viewer: Viewer, config: BusinessConfig
) -> None:
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={config.sources.rep_prefix}{viewer.telegram_id}"
    image = io.BytesIO()
    segno.make(link, error="m").save(image, kind="png", scale=8, border=2)
    await bot.send_photo(
        chat_id,
        BufferedInputFile(image.getvalue(), filename="salesbot-link.png"),
        caption=t("my_link", link=link),
    )
