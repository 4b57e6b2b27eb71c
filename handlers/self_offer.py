"""A prospect asks for a standard offer from the menu: they choose a product and the PDF comes
at once; the deal becomes hot and its manager is told. Without a request on file, the form is
filled first (the offer needs a name and a phone) and the offer follows it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta, tzinfo

from aiogram import Bot, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from markupsafe import Markup

from bot import desk_keyboards as kb
from bot.callbacks import MenuAction, MenuCb, ProductsPageCb, ProspectOfferCb, SourcedMenuCb
from bot.clock import Clock
from bot.config import BusinessConfig, CatalogueItem, Localized
from bot.desk_views import format_amount, relay_header, short
from bot.domain.models import DealStatus
from bot.draft import load_draft, save_draft
from bot.filters import IsProspect, MenuPressed
from bot.paging import page_of, pager
from bot.rendering import RenderFailed
from bot.services.desk import DeskService
from bot.services.documents import DocumentService, UnknownItem
from bot.services.lead_capture import LeadCaptureService
from bot.services.reminders import ReminderService
from bot.services.staff import StaffService
from bot.texts import Catalogue, Translator
from handlers.form_flow import FORM_STATES, Flow
from handlers.notify import staff_to_alert, staff_translator
from handlers.start import arrived_by_button, begin_form

log = logging.getLogger(__name__)

REPEAT_WITHIN = timedelta(hours=1)  # the same offer asked for again: the same file


def register(router: Router) -> None:
    """The prospect's own price offer (buttons only), on the prospects' conversation router."""
    # A prospect's only: for a member of staff (an old menu from before they joined) the form
    # it leads to is a dead end.
    router.callback_query.register(products, MenuPressed(MenuAction.OFFER), IsProspect())
    router.callback_query.register(chosen, ProspectOfferCb.filter(), IsProspect())
    router.callback_query.register(products_page, ProductsPageCb.filter(), IsProspect())


async def products(
    callback: CallbackQuery,
    callback_data: MenuCb | SourcedMenuCb,
    t: Translator,
    documents: DocumentService,
    state: FSMContext,
    leads: LeadCaptureService,
    clock: Clock,
) -> None:
    items = await documents.catalogue()
    if not items or documents.standard() is None or callback.message is None:
        await callback.answer(t.label("self_offer_unavailable"), show_alert=True)
        return
    await callback.answer()
    if isinstance(callback_data, SourcedMenuCb):
        await arrived_by_button(callback, callback_data.source, state, leads, clock.now())
    assert callback.bot is not None
    await callback.bot.send_message(
        callback.from_user.id, t("self_offer_choose"), reply_markup=_products(t, items, 0)
    )


async def products_page(
    callback: CallbackQuery,
    callback_data: ProductsPageCb,
    t: Translator,
    documents: DocumentService,
) -> None:
    """Another page of the products, in place of the one shown."""
    items = await documents.catalogue()
    if not items or documents.standard() is None or not isinstance(callback.message, Message):
        await callback.answer(t.label("self_offer_unavailable"), show_alert=True)
        return
    await callback.answer()
    with suppress(TelegramBadRequest):  # "message is not modified": the same page again
        await callback.message.edit_text(
            t("self_offer_choose"), reply_markup=_products(t, items, callback_data.page)
        )


PRODUCT_NAME_SHOWN = 40  # characters of a product's name on its button


def _products(t: Translator, items: Sequence[CatalogueItem], page: int) -> InlineKeyboardMarkup:
    shown, page, pages = page_of(items, page)
    rows = [
        [
            InlineKeyboardButton(
                # the price stays in sight on a phone; whole roubles without kopecks
                text=f"{short(item.name.get(t.locale), PRODUCT_NAME_SHOWN)} · "
                f"{format_amount(int(item.price * 100), t.locale)}",
                callback_data=ProspectOfferCb(sku=item.sku).pack(),
            )
        ]
        for item in shown
    ]
    nav = pager(page, pages, lambda n: ProductsPageCb(page=n).pack())
    return InlineKeyboardMarkup(inline_keyboard=[*rows, nav] if nav else rows)


async def chosen(
    callback: CallbackQuery,
    callback_data: ProspectOfferCb,
    bot: Bot,
    state: FSMContext,
    t: Translator,
    config: BusinessConfig,
    documents: DocumentService,
    desk: DeskService,
    leads: LeadCaptureService,
    reminders: ReminderService,
    clock: Clock,
    staff: StaffService,
    catalogue: Catalogue,
    tz: tzinfo,
) -> None:
    try:
        await documents.item(callback_data.sku)
    except UnknownItem:
        await callback.answer(t.label("err_stale_button"))
        return
    await callback.answer()
    deal = await desk.prospect_deal(callback.from_user.id)
    # the offer needs a name and a phone (the form first, then the offer); a client whose deals
    # are closed asks anew: a new request (their contacts filled in), not a quote on a lost deal
    if deal is None or deal.status is not DealStatus.OPEN:
        draft = await load_draft(state)
        draft.offer_sku = callback_data.sku
        current = await state.get_state()
        if current in FORM_STATES:  # half-way through it: their answers stay, the form goes on
            # "nearly done" only once the contacts are in: at the consent it would not be
            nearly_done = draft.phone is not None
            text = t("self_offer_after_form", nearly_done=nearly_done)
            await bot.send_message(callback.from_user.id, text)
            user = callback.from_user
            flow = Flow(bot, user.id, state, t, config, user.first_name, draft, clock.now())
            await flow.resume(current)
            return
        await save_draft(state, draft)
        # (their contacts are filled in as the form does it: consent on file, and a phone)
        person = await leads.person(callback.from_user.id) if deal is not None else None
        known = person is not None and person.consent_at is not None and bool(person.phone)
        text = t("self_offer_form_first", known=known)
        await bot.send_message(callback.from_user.id, text)
        await begin_form(callback.from_user, bot, state, t, config, leads, reminders, clock.now())
        return
    await send_standard_offer(
        bot, callback.from_user.id, deal.deal_id, callback_data.sku, t, documents, desk, clock,
        config, staff, catalogue, tz,
    )  # fmt: skip


async def send_standard_offer(
    bot: Bot,
    chat_id: int,
    deal_id: int,
    sku: str,
    t: Translator,
    documents: DocumentService,
    desk: DeskService,
    clock: Clock,
    config: BusinessConfig,
    staff: StaffService | None = None,
    catalogue: Catalogue | None = None,
    tz: tzinfo | None = None,
) -> None:
    """Make the offer, send it to the client, heat the deal and tell its manager."""
    card = await desk.card_of(deal_id)
    if card is None:
        return
    now = clock.now()
    again = await documents.recent_own(deal_id, chat_id, sku, now - REPEAT_WITHIN, t.locale)
    if again is not None and again["pdf_file_id"]:
        await bot.send_document(
            chat_id, again["pdf_file_id"], caption=t("self_offer_sent", number=again["number"])
        )
        return
    await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    try:
        today = now.astimezone(tz).date() if tz else now.date()  # the business's date
        made = await documents.make_standard(card, sku, chat_id, now, t.locale, today)
    except (RenderFailed, UnknownItem):
        await bot.send_message(chat_id, t("self_offer_failed"))
        # the client is told a manager will send it: the manager must hear of it
        await desk.price_request(deal_id, chat_id, now)
        await _tell_staff(bot, deal_id, sku, None, documents, desk, config, staff, catalogue)
        return
    sent = await bot.send_document(
        chat_id, BufferedInputFile(made.pdf, made.filename),
        caption=t("self_offer_sent", number=made.number),
    )  # fmt: skip
    await documents.sent(made.id, sent.document.file_id if sent.document else None)
    await desk.price_request(deal_id, chat_id, now)
    await _tell_staff(bot, deal_id, sku, made.number, documents, desk, config, staff, catalogue)


async def _tell_staff(
    bot: Bot,
    deal_id: int,
    sku: str,
    number: str | None,
    documents: DocumentService,
    desk: DeskService,
    config: BusinessConfig,
    staff: StaffService | None,
    catalogue: Catalogue | None,
) -> None:
    """The deal's manager (or the admins) hear of the offer the client asked for: sent as
    `number`, or (None) not made, for them to send."""
    if staff is None or catalogue is None:
        return
    summary = await desk.deal_summary(deal_id)
    if summary is None:
        return
    try:
        name: Localized | None = (await documents.item(sku)).name
    except UnknownItem:  # gone from the catalogue meanwhile: its code is what is left
        name = None
    for recipient, inbox in await staff_to_alert(summary.manager_telegram_id, staff, config):
        staff_t = await staff_translator(catalogue, staff, recipient)
        item = name.get(staff_t.locale) if name else sku
        key = "self_offer_alert" if number else "self_offer_failed_alert"
        text = Markup("{}\n{}").format(
            relay_header(staff_t, config, summary), staff_t(key, number=number, item=item)
        )
        try:
            await bot.send_message(
                recipient, text, reply_markup=kb.alert(staff_t, deal_id, inbox=inbox)
            )
        except TelegramAPIError:
            log.warning("offer alert of deal %s not delivered to %s", deal_id, recipient)
