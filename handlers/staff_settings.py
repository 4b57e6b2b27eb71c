"""/settings: a member of staff's own time zone and working hours, by buttons or typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.callbacks import SettingsAction, SettingsCb, StaffAction, StaffCb
from bot.clock import Clock
from bot.desk_views import WEEKDAYS
from bot.domain.desk import Viewer
from bot.domain.hours import CITY_ZONES, HOUR_PRESETS, parse_hours, parse_schedule, parse_timezone
from bot.domain.parsing import InputError
from bot.filters import HasText, IsStaff, NotCommand, PrivateChat
from bot.middlewares import DropPendingInput
from bot.services.staff import StaffService
from bot.states import StaffInput
from bot.texts import Translator


def build_router() -> Router:
    router = Router(name="staff_settings")
    for observer in (router.message, router.callback_query):
        observer.filter(PrivateChat(), IsStaff())
    router.callback_query.middleware(DropPendingInput())
    router.message.middleware(DropPendingInput())
    router.message.register(show, Command("settings", ignore_case=True))
    router.callback_query.register(show_button, StaffCb.filter(F.action == StaffAction.SETTINGS))
    router.callback_query.register(pressed, SettingsCb.filter())
    router.message.register(typed_zone, StateFilter(StaffInput.timezone), HasText(), NotCommand())
    router.message.register(typed_hours, StateFilter(StaffInput.hours), HasText(), NotCommand())
    router.message.register(not_text, StateFilter(StaffInput.timezone), NotCommand())
    router.message.register(not_text, StateFilter(StaffInput.hours), NotCommand())
    return router


def _button(t: Translator, key: str, action: SettingsAction, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=t.label(key), callback_data=SettingsCb(action=action, arg=arg).pack()
    )


async def _summary(t: Translator, viewer: Viewer, staff: StaffService, clock: Clock) -> str:
    schedule = await staff.schedule(viewer.telegram_id)
    hours = schedule.hours
    return str(
        t(
            "settings_show",
            zone=schedule.own.timezone or getattr(schedule.tz, "key", str(schedule.tz)),
            own_zone=schedule.own.timezone is not None,
            now=f"{clock.now().astimezone(schedule.tz):%H:%M}",
            hours=hours.label(),
            own_hours=schedule.own.start is not None or schedule.own.days is not None,
            days=", ".join(t.label(f"weekday_{WEEKDAYS[day]}") for day in sorted(hours.days)),
        )
    )


def _menu(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t, "btn_settings_zone", SettingsAction.TIMEZONES)],
            [_button(t, "btn_settings_hours", SettingsAction.HOURS)],
        ]
    )


async def show_button(
    callback: CallbackQuery, t: Translator, viewer: Viewer, staff: StaffService, clock: Clock
) -> None:
    await callback.answer()
    if callback.message is not None:
        await show(callback.message, t, viewer, staff, clock)


async def show(
    message: Message | InaccessibleMessage,
    t: Translator,
    viewer: Viewer,
    staff: StaffService,
    clock: Clock,
) -> None:
    await message.answer(await _summary(t, viewer, staff, clock), reply_markup=_menu(t))


async def pressed(
    callback: CallbackQuery,
    callback_data: SettingsCb,
    t: Translator,
    viewer: Viewer,
    staff: StaffService,
    clock: Clock,
    state: FSMContext,
) -> None:
    action, arg = callback_data.action, callback_data.arg
    if action is SettingsAction.TIMEZONES:
        cities = [_button(t, f"tz_city_{city}", SettingsAction.ZONE, city) for city in CITY_ZONES]
        rows = [cities[i : i + 2] for i in range(0, len(cities), 2)]
        await state.set_state(StaffInput.timezone)
        await _reply(callback, t("settings_zone_ask"), InlineKeyboardMarkup(inline_keyboard=rows))
    elif action is SettingsAction.HOURS:
        presets = [
            InlineKeyboardButton(
                text=preset.replace("-", "–"),
                callback_data=SettingsCb(action=SettingsAction.SET_HOURS, arg=preset).pack(),
            )
            for preset in HOUR_PRESETS
        ]
        await state.set_state(StaffInput.hours)
        await _reply(
            callback, t("settings_hours_ask"), InlineKeyboardMarkup(inline_keyboard=[presets])
        )
    elif action is SettingsAction.ZONE and arg in CITY_ZONES:
        await staff.set_timezone(viewer.telegram_id, CITY_ZONES[arg], clock.now())
        await _saved(callback, t, viewer, staff, clock)
    elif action is SettingsAction.SET_HOURS and arg in HOUR_PRESETS:
        hours = parse_hours(arg, (await staff.schedule(viewer.telegram_id)).hours.days)
        await staff.set_hours(viewer.telegram_id, hours, clock.now())
        await _saved(callback, t, viewer, staff, clock)
    else:
        await callback.answer(t.label("err_stale_button"))
        return
    await callback.answer()


async def _reply(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup) -> None:
    # An old button's message may be inaccessible (too old, or deleted): the chat still is
    if callback.message is not None:
        await callback.message.answer(text, reply_markup=markup)


async def _saved(
    callback: CallbackQuery, t: Translator, viewer: Viewer, staff: StaffService, clock: Clock
) -> None:
    await _reply(
        callback, f"{t('settings_saved')}\n\n{await _summary(t, viewer, staff, clock)}", _menu(t)
    )


async def typed_zone(message: Message, state: FSMContext, **data: Any) -> None:
    await _typed(message, state, data, _save_zone)


async def typed_hours(message: Message, state: FSMContext, **data: Any) -> None:
    await _typed(message, state, data, _save_hours)


async def _save_zone(staff: StaffService, viewer: Viewer, text: str, now: datetime) -> None:
    await staff.set_timezone(viewer.telegram_id, parse_timezone(text), now)


async def _save_hours(staff: StaffService, viewer: Viewer, text: str, now: datetime) -> None:
    """ "9-18", or "9-18 пн-сб" with the days they work."""
    current = (await staff.schedule(viewer.telegram_id)).hours.days
    hours, own_days = parse_schedule(text, current)
    await staff.set_hours(viewer.telegram_id, hours, now, own_days)


async def _typed(
    message: Message,
    state: FSMContext,
    data: dict[str, Any],
    save: Callable[[StaffService, Viewer, str, datetime], Awaitable[None]],
) -> None:
    """A typed zone or hours: saved and shown, or a clear re-ask (the wait goes on)."""
    assert message.text is not None
    t: Translator = data["t"]
    staff: StaffService = data["staff"]
    viewer: Viewer = data["viewer"]
    clock: Clock = data["clock"]
    try:
        await save(staff, viewer, message.text, clock.now())
    except InputError as error:
        await message.answer(t(f"err_{error.problem.value}", limit=error.limit))
        return
    await state.clear()
    summary = await _summary(t, viewer, staff, clock)
    await message.answer(f"{t('settings_saved')}\n\n{summary}", reply_markup=_menu(t))


async def not_text(message: Message, t: Translator, state: FSMContext) -> None:
    current = await state.get_state()
    # a sticker is no unknown time zone: it is asked for in words
    await message.answer(
        t("err_hours_not_text" if current == StaffInput.hours.state else "err_zone_not_text")
    )
