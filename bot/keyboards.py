"""Keyboards of the prospect's conversation. Labels come from the catalogue."""

from __future__ import annotations

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import ChoiceCb, EditCb, FormAction, FormCb, FormField, MenuAction, MenuCb
from bot.config import Choice
from bot.texts import Translator


def menu(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t.label("btn_request"),
                    callback_data=MenuCb(action=MenuAction.REQUEST).pack(),
                )
            ]
        ]
    )


def _form_button(t: Translator, key: str, action: FormAction) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t.label(key), callback_data=FormCb(action=action).pack())


def consent(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_form_button(t, "btn_agree", FormAction.AGREE)],
            [_form_button(t, "btn_decline", FormAction.DECLINE)],
        ]
    )


def resume(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_form_button(t, "btn_continue", FormAction.CONTINUE)],
            [_form_button(t, "btn_restart", FormAction.RESTART)],
        ]
    )


def text_step(
    t: Translator, *, suggestion: str | None = None, share_phone: bool = False, skip: bool = False
) -> ReplyKeyboardMarkup:
    """A reply keyboard under a question typed as text: a one-tap answer, then back / cancel."""
    rows: list[list[KeyboardButton]] = []
    if share_phone:
        rows.append([KeyboardButton(text=t.label("btn_share_phone"), request_contact=True)])
    if suggestion:
        rows.append([KeyboardButton(text=suggestion)])
    if skip:
        rows.append([KeyboardButton(text=t.label("btn_skip"))])
    rows.append(
        [KeyboardButton(text=t.label("btn_back")), KeyboardButton(text=t.label("btn_cancel"))]
    )
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)


def choice_step(
    t: Translator, field: FormField, choices: tuple[Choice, ...]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for choice in choices:
        builder.row(
            InlineKeyboardButton(
                text=choice.label.get(t.locale),
                callback_data=ChoiceCb(field=field, value=choice.id).pack(),
            )
        )
    builder.row(
        _form_button(t, "btn_back", FormAction.BACK),
        _form_button(t, "btn_cancel", FormAction.CANCEL),
    )
    return builder.as_markup()


def summary(t: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(_form_button(t, "btn_confirm", FormAction.CONFIRM))
    edits = [
        InlineKeyboardButton(
            text=t.label("btn_edit", field=t.label(f"field_{field.value}")),
            callback_data=EditCb(field=field).pack(),
        )
        for field in FormField
    ]
    for index in range(0, len(edits), 2):
        builder.row(*edits[index : index + 2])
    builder.row(_form_button(t, "btn_cancel", FormAction.CANCEL))
    return builder.as_markup()
