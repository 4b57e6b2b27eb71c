"""Keyboards of the prospect's conversation. Labels come from the catalogue.

Keyboards that are the same for everybody who speaks a language are built once per `Translator`
and reused: aiogram's markups are validated pydantic models, and building them afresh for every
message was a large part of the cost of an update. They are never mutated after being built.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.callbacks import (
    ChoiceCb,
    EditCb,
    FormAction,
    FormCb,
    FormField,
    MenuAction,
    MenuCb,
    SourcedMenuCb,
)
from bot.config import Choice
from bot.texts import Translator

Markup = TypeVar("Markup", InlineKeyboardMarkup, ReplyKeyboardMarkup)


def _memo(t: Translator, key: tuple[object, ...], build: Callable[[], Markup]) -> Markup:
    markup: Markup | None = t.memo.get(key)
    if markup is None:
        markup = t.memo[key] = build()
    return markup


def _per_language(build: Callable[[Translator], Markup]) -> Callable[[Translator], Markup]:
    @wraps(build)
    def cached(t: Translator) -> Markup:
        return _memo(t, (build.__name__,), lambda: build(t))

    return cached


def menu(t: Translator, source: str = "") -> InlineKeyboardMarkup:
    """The prospect's menu; `source`: the link that brought them, carried by the buttons (a
    link too long to fit in a button's data is left out)."""

    def build() -> InlineKeyboardMarkup:
        def item(key: str, action: MenuAction) -> list[InlineKeyboardButton]:
            try:
                data = SourcedMenuCb(action=action, source=source).pack()
            except ValueError:  # no link, or one too long for a button's data
                data = MenuCb(action=action).pack()
            return [InlineKeyboardButton(text=t.label(key), callback_data=data)]

        return InlineKeyboardMarkup(
            inline_keyboard=[
                item("btn_request", MenuAction.REQUEST),
                item("btn_get_offer", MenuAction.OFFER),
            ]
        )

    if source:
        return build()
    return _memo(t, ("menu",), build)


def _form_button(t: Translator, key: str, action: FormAction) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t.label(key), callback_data=FormCb(action=action).pack())


@_per_language
def consent(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_form_button(t, "btn_agree", FormAction.AGREE)],
            [_form_button(t, "btn_decline", FormAction.DECLINE)],
        ]
    )


@_per_language
def cancel_sure(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_form_button(t, "btn_cancel_sure", FormAction.DROP)],
            [_form_button(t, "btn_keep_request", FormAction.CONTINUE)],
        ]
    )


@_per_language
def resume(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_form_button(t, "btn_continue", FormAction.CONTINUE)],
            [_form_button(t, "btn_restart", FormAction.RESTART)],
        ]
    )


def text_step(
    t: Translator,
    *,
    suggestion: str | None = None,
    share_phone: bool = False,
    skip: bool = False,
    also: str | None = None,
) -> ReplyKeyboardMarkup:
    """A reply keyboard under a question typed as text: a one-tap answer (and `also` another),
    then back / cancel."""

    def build() -> ReplyKeyboardMarkup:
        rows: list[list[KeyboardButton]] = []
        if share_phone:
            rows.append([KeyboardButton(text=t.label("btn_share_phone"), request_contact=True)])
        if suggestion:
            rows.append([KeyboardButton(text=suggestion)])
        if also:
            rows.append([KeyboardButton(text=also)])
        if skip:
            rows.append([KeyboardButton(text=t.label("btn_skip"))])
        rows.append(
            [KeyboardButton(text=t.label("btn_back")), KeyboardButton(text=t.label("btn_cancel"))]
        )
        return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)

    if suggestion:  # a suggestion is one person's name: not worth keeping
        return build()
    return _memo(t, ("text_step", share_phone, skip), build)


def choice_step(
    t: Translator, field: FormField, choices: tuple[Choice, ...], without: str | None = None
) -> InlineKeyboardMarkup:
    """The choices of a step (but the one with id `without`), then back / cancel. A field's
    choices come from the business configuration, which is fixed for the lifetime of a
    dispatcher (and of its translators)."""

    def build() -> InlineKeyboardMarkup:
        rows = [
            [
                InlineKeyboardButton(
                    text=choice.label.get(t.locale),
                    callback_data=ChoiceCb(field=field, value=choice.id).pack(),
                )
            ]
            for choice in choices
            if choice.id != without
        ]
        rows.append(
            [
                _form_button(t, "btn_back", FormAction.BACK),
                _form_button(t, "btn_cancel", FormAction.CANCEL),
            ]
        )
        return InlineKeyboardMarkup(inline_keyboard=rows)

    return _memo(t, ("choice_step", field, without), build)


@_per_language
def summary(t: Translator) -> InlineKeyboardMarkup:
    edits = [
        InlineKeyboardButton(
            text=t.label("btn_edit", field=t.label(f"field_{field.value}")),
            callback_data=EditCb(field=field).pack(),
        )
        for field in FormField
    ]
    rows = [[_form_button(t, "btn_confirm", FormAction.CONFIRM)]]
    rows += [edits[index : index + 2] for index in range(0, len(edits), 2)]
    rows.append([_form_button(t, "btn_cancel", FormAction.CANCEL)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
