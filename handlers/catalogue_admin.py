"""Admins keep the catalogue and the document templates from the chat: /catalogue shows the
catalogue, and a CSV or XLSX file sent to the bot is imported (the good rows, in one
transaction) and answered with what was added, updated and rejected, and why; /templates lists
the templates, and a file with a template's name replaces it once it renders with sample data."""

from __future__ import annotations

import asyncio
import io
import logging
from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.callbacks import StaffAction, StaffCb, TemplateAction, TemplateCb
from bot.catalogue_export import catalogue_xlsx
from bot.catalogue_import import MAX_BYTES, UnreadableFile, read_catalogue
from bot.clock import Clock
from bot.domain.offers import money
from bot.filters import IsAdmin, PrivateChat
from bot.middlewares import DropPendingInput
from bot.services.documents import DocumentService
from bot.template_store import MAX_TEMPLATE_BYTES, NotAPicture, TemplateRejected, TemplateStore
from bot.texts import Translator

log = logging.getLogger(__name__)

TABLES = (".csv", ".xlsx", ".txt")
TEMPLATE_FILES = (".html", ".css", ".docx", ".png", ".jpg", ".jpeg", ".svg")
REJECTED_SHOWN = 20
SHOWN_CHARS = 3_000  # of /catalogue's item lines


def build_router() -> Router:
    router = Router(name="catalogue_admin")
    for observer in (router.message, router.callback_query):
        observer.filter(PrivateChat(), IsAdmin())
    # Its menu buttons and commands end a wait for typed input, as everywhere on the desk.
    router.callback_query.middleware(DropPendingInput())
    router.message.middleware(DropPendingInput())
    router.message.register(show, Command("catalogue", ignore_case=True))
    router.message.register(list_templates, Command("templates", ignore_case=True))
    router.callback_query.register(template_action, TemplateCb.filter())
    router.callback_query.register(
        menu_button, StaffCb.filter(F.action.in_({StaffAction.CATALOGUE, StaffAction.TEMPLATES}))
    )
    router.callback_query.register(
        catalogue_file, StaffCb.filter(F.action == StaffAction.CATALOGUE_FILE)
    )
    # A reply with a file is meant for a client (so is a file after "message the client": the
    # relay's router comes first), but for a reply to a file of the bot's own: the template or
    # the catalogue it gave to edit, sent back.
    for_us = (
        F.document,
        F.reply_to_message.is_(None)
        | (F.reply_to_message.from_user.is_bot & F.reply_to_message.document),
    )
    router.message.register(
        template_uploaded, *for_us, F.document.file_name.lower().endswith(TEMPLATE_FILES)
    )
    router.message.register(imported, *for_us, F.document.file_name.lower().endswith(TABLES))
    router.message.register(unknown_file, *for_us, StateFilter(None))
    return router


async def menu_button(
    callback: CallbackQuery,
    callback_data: StaffCb,
    t: Translator,
    documents: DocumentService,
    templates: TemplateStore,
) -> None:
    await callback.answer()
    if callback.message is None:
        return
    if callback_data.action is StaffAction.CATALOGUE:
        await show(callback.message, t, documents)
    else:
        await list_templates(callback.message, t, templates)


async def show(
    message: Message | InaccessibleMessage, t: Translator, documents: DocumentService
) -> None:
    items = await documents.catalogue()
    lines: list[str] = []
    size = 0
    for item in items:
        line = (
            f"{item.sku} · {item.name.get(t.locale)} · {money(int(item.price * 100), t.locale)} ₽"
        )
        size += len(line) + 3
        if size > SHOWN_CHARS:  # a message has 4,096 characters; the help text needs its part
            break
        lines.append(line)
    download = InlineKeyboardButton(
        text=t.label("btn_catalogue_file"),
        callback_data=StaffCb(action=StaffAction.CATALOGUE_FILE).pack(),
    )
    await message.answer(
        t("catalogue_show", count=len(items), lines=lines, more=len(items) - len(lines)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[download]]),
    )


async def catalogue_file(
    callback: CallbackQuery, bot: Bot, t: Translator, documents: DocumentService, clock: Clock
) -> None:
    await callback.answer()
    items = await documents.catalogue()
    data = await asyncio.to_thread(catalogue_xlsx, items, t.locale)  # thousands of rows
    name = f"catalogue-{clock.now().date().isoformat()}.xlsx"
    await bot.send_document(
        callback.from_user.id, BufferedInputFile(data, name), caption=t("catalogue_file_sent")
    )


async def unknown_file(message: Message, t: Translator, templates: TemplateStore) -> None:
    await message.answer(t("admin_file_unknown", names=", ".join(templates.names())))


async def imported(
    message: Message, bot: Bot, t: Translator, documents: DocumentService, clock: Clock
) -> None:
    assert message.document is not None
    name = message.document.file_name or "catalogue.csv"
    buffer = io.BytesIO()
    try:
        if (message.document.file_size or 0) > MAX_BYTES:  # Telegram serves bots up to 20 MB
            raise UnreadableFile("too_big")
        await bot.download(message.document, destination=buffer)
        stored = await documents.known_items()
        # A workbook of a few MB takes a moment to parse: not on the event loop.
        read = await asyncio.to_thread(read_catalogue, buffer.getvalue(), name, stored)
    except UnreadableFile as error:
        await message.answer(t(f"catalogue_unreadable_{error}"))
        return
    done = await documents.import_items(read.items, clock.now(), withdraw=read.withdrawn)
    log.info("catalogue import from %s: %s, %d rejected", message.chat.id, done, len(read.rejected))
    await message.answer(
        t(
            "catalogue_imported",
            added=done.added,
            updated=done.updated,
            removed=done.removed,
            unchanged=done.unchanged,
            rejected=[
                t.label(
                    "import_rejected_row",
                    row=row,
                    column=t.label(f"import_column_{why.key}"),
                    problem=t.label(f"import_problem_{why.problem}", value=why.value),
                )
                for row, why in read.rejected[:REJECTED_SHOWN]
            ],
            more=max(0, len(read.rejected) - REJECTED_SHOWN),
            total=len(read.rejected),
        )
    )


async def list_templates(
    message: Message | InaccessibleMessage, t: Translator, templates: TemplateStore
) -> None:
    lines = [
        f"{name} — {', '.join(kind.title.get(t.locale) for kind in kinds)}"
        for name, kinds in templates.names().items()
    ]
    await message.answer(
        t("templates_show", lines=lines), reply_markup=_template_buttons(t, templates)
    )


def _template_buttons(t: Translator, templates: TemplateStore) -> InlineKeyboardMarkup:
    """Each template to download (to edit and send back), and one replaced by an upload back
    to the shipped one. A name too long for a button's data has no button."""
    rows: list[list[InlineKeyboardButton]] = []
    for name in templates.names():
        actions = []
        if templates.exists(name):  # a logo named but not sent yet: nothing to get
            actions.append((TemplateAction.GET, "btn_template_get"))
        if templates.restorable(name):
            actions.append((TemplateAction.RESTORE, "btn_template_restore"))
        row = []
        for action, key in actions:
            with suppress(ValueError):
                data = TemplateCb(action=action, name=name).pack()
                row.append(InlineKeyboardButton(text=t.label(key, name=name), callback_data=data))
        if row:
            rows.append(row)
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def template_action(
    callback: CallbackQuery,
    callback_data: TemplateCb,
    bot: Bot,
    t: Translator,
    templates: TemplateStore,
) -> None:
    name = callback_data.name
    content = templates.current(name)
    if content is None:  # no longer a template of the configuration
        await callback.answer(t.label("err_stale_button"))
        return
    if callback_data.action is TemplateAction.RESTORE and not templates.restorable(name):
        await callback.answer(t.label("template_not_replaced", name=name), show_alert=True)
        return
    await callback.answer()
    chat_id = callback.from_user.id
    if callback_data.action is TemplateAction.GET:
        caption = t("template_file_sent", name=name)
        await bot.send_document(chat_id, BufferedInputFile(content, name), caption=caption)
        return
    # the replaced version comes first: a restore is then one upload away from undone
    caption = t("template_replaced_copy", name=name)
    await bot.send_document(chat_id, BufferedInputFile(content, name), caption=caption)
    templates.restore(name)
    log.info("template %s restored by %s", name, chat_id)
    await bot.send_message(chat_id, t("template_restored", name=name))


async def template_uploaded(
    message: Message, bot: Bot, t: Translator, templates: TemplateStore
) -> None:
    assert message.document is not None
    sent_name = message.document.file_name or ""
    name = templates.known(sent_name)
    if name is None:
        picture = sent_name.lower().endswith((".png", ".jpg", ".jpeg", ".svg"))
        key = "logo_not_configured" if picture and not templates.logo() else "template_unknown"
        await message.answer(t(key, names=", ".join(templates.names())))
        return
    try:
        if (message.document.file_size or 0) > MAX_TEMPLATE_BYTES:  # Telegram serves up to 20 MB
            raise TemplateRejected("too_big")
        await bot.send_chat_action(message.chat.id, "typing")
        buffer = io.BytesIO()
        await bot.download(message.document, destination=buffer)
        checked = await templates.replace(name, buffer.getvalue())
    except NotAPicture as error:
        log.info("logo %s from %s rejected: %s", name, message.chat.id, error)
        await message.answer(t("logo_not_a_picture", name=name))
        return
    except TemplateRejected as error:
        log.info("template %s from %s rejected: %s", name, message.chat.id, error)
        why = t.label(f"template_{error.reason}", detail=error.detail[:300])
        await message.answer(t("template_rejected", name=name, why=why))
        return
    log.info("template %s replaced by %s", name, message.chat.id)
    titles = ", ".join(kind.title.get(t.locale) for kind in checked)
    await message.answer(t("template_replaced", name=name, checked=titles))
