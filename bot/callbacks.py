"""Typed callback data. It comes from the client, so every handler re-checks what it says."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MenuAction(StrEnum):
    REQUEST = "request"


class FormAction(StrEnum):
    AGREE = "agree"
    DECLINE = "decline"
    BACK = "back"
    CANCEL = "cancel"
    CONFIRM = "confirm"
    CONTINUE = "continue"
    RESTART = "restart"


class FormField(StrEnum):
    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    COMPANY = "company"
    NEED = "need"
    TIMELINE = "timeline"
    BUDGET = "budget"
    CONTACT_METHOD = "contact_method"
    CONTACT_TIME = "contact_time"


class MenuCb(CallbackData, prefix="menu"):
    action: MenuAction


class FormCb(CallbackData, prefix="form"):
    action: FormAction


class ChoiceCb(CallbackData, prefix="pick"):
    field: FormField
    value: str


class EditCb(CallbackData, prefix="edit"):
    field: FormField
