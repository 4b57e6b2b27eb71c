"""An offer or an invoice from the deal card: items and quantities by buttons (or a typed
quantity), a discount, the totals on screen, then the PDF in the chat and, on request, the
editable DOCX."""

from __future__ import annotations

import logging
from contextlib import suppress
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from aiogram import Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import StateFilter
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import desk_keyboards as kb
from bot.callbacks import BACK, DealAction, DealCb, row_id
from bot.config import MAX_VALID_DAYS
from bot.desk_views import format_amount
from bot.documents import Party
from bot.domain.offers import OfferLine, decimal_text, money
from bot.domain.parsing import InputError, parse_decimal
from bot.filters import HasText, IsStaff, NotCommand, PrivateChat
from bot.live_cards import Shown
from bot.middlewares import DropPendingInput
from bot.paging import page_of, pager
from bot.rendering import RenderFailed
from bot.services.documents import Basket, DocumentService, MadeDocument, NothingChosen, UnknownItem
from bot.states import DealWork
from bot.texts import LOCALES, Translator, translator
from handlers.deal_context import DEAL_KEY, DealContext, offered

DISCOUNTS = ("0", "5", "10", "15", "20")
VALIDITY = ("3", "7", "14", "30")  # days
SKU_KEY = "sku"
NAME_CUT = 28  # characters of an item's name on a button
LINE_NAME_CUT = 70  # ... and on the screen's line (the document has it whole)
# Lines a screen shows with their ➖/➕/🔢: the last 25 added (where a mistaken tap is) fit a
# message's 4096 characters and a keyboard's 100 buttons; the earlier ones are in the
# document, and counted on the screen
SCREEN_LINES = 25
UNIT_CUT = 12  # characters of a unit on the screen's line

log = logging.getLogger(__name__)


def build_router() -> Router:
    """Typed quantities and discounts; the buttons come through the deal card's router."""
    router = Router(name="offers")
    router.message.filter(PrivateChat(), IsStaff(), NotCommand())
    router.message.middleware(DropPendingInput())
    router.message.register(quantity_typed, StateFilter(DealWork.offer_quantity), HasText())
    router.message.register(discount_typed, StateFilter(DealWork.offer_discount), HasText())
    router.message.register(validity_typed, StateFilter(DealWork.offer_validity), HasText())
    router.message.register(
        not_a_number,
        StateFilter(DealWork.offer_quantity, DealWork.offer_discount, DealWork.offer_validity),
    )
    return router


def _button(text: str, deal_id: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=_data(deal_id, arg))


def _data(deal_id: int, arg: str) -> str:
    return DealCb(action=DealAction.OFFER, deal=deal_id, arg=arg).pack()


def _short(text: str, limit: int = NAME_CUT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def offer(ctx: DealContext, arg: str) -> None:
    """The deal card's "offer / invoice" and every button of its screen."""
    service = ctx.documents
    if service is None or not await service.catalogue() or not service.kinds():
        await ctx.send(ctx.t("offer_not_configured"))
        return
    command, _, value = arg.partition(".")
    try:
        if command == "cat":  # "cat": the first page; "cat.<n>": page n, in place of the shown
            await _catalogue(ctx, service, row_id(value) or 0, bool(value))
            return
        # "pick": an item from the catalogue's list, one unit a tap (its double tap is one);
        # "add"/"sub": the screen's ➕/➖, pressed again on purpose
        if command in ("add", "sub", "pick"):
            step = Decimal(-1 if command == "sub" else 1)
            await service.change(ctx.viewer, ctx.deal_id, value, step, ctx.now())
        elif command == "qty":
            await service.item(value)
            await ctx.expect(DealWork.offer_quantity, **{SKU_KEY: value})
            name = (await service.item(value)).name.get(ctx.t.locale)
            await ctx.send(ctx.t("offer_quantity_ask", name=name))
            return
        elif command == "disc" and not value:
            await _discounts(ctx)
            return
        elif command == "disc" and value in DISCOUNTS:
            await service.set_discount(ctx.viewer, ctx.deal_id, Decimal(value))
        elif command == "valid" and not value:
            buttons = [_button(ctx.t.label("btn_days", days=d), ctx.deal_id, f"valid.{d}")
                       for d in VALIDITY]  # fmt: skip
            await ctx.expect(DealWork.offer_validity)  # or typed: "60"
            await ctx.send(
                ctx.t("offer_validity_ask"), InlineKeyboardMarkup(inline_keyboard=[buttons])
            )
            return
        elif command == "valid" and value in VALIDITY:
            await service.set_validity(ctx.viewer, ctx.deal_id, int(value))
        elif command == "lang" and value in LOCALES:
            await ctx.desk.set_client_language(ctx.viewer, ctx.deal_id, value, ctx.now())
        elif command == "docs":
            await _documents(ctx, service)
            return
        elif command == "again" and (document := row_id(value)) is not None:
            await _again(ctx, service, document)
            return
        elif command == "send" and (document := row_id(value)) is not None:
            await _to_client(ctx, service, document)
            return
        elif command == "amount" and (document := row_id(value)) is not None:
            await _amount_of(ctx, service, document)
            return
        elif command == "make":
            await _make(ctx, service, value)
            return
        elif command:
            await ctx.send(ctx.t("err_stale_button"))
            return
    except UnknownItem:
        await ctx.send(ctx.t("err_stale_button"))
        return
    await show(ctx, service)


async def show(ctx: DealContext, service: DocumentService) -> None:
    """The deal's quote screen: changed in place when its own button was pressed (➕, ➖, the
    language); else sent anew, and the one before shrinks to a line without buttons, so that a
    chat has one screen that changes the basket."""
    basket = await service.basket(ctx.viewer, ctx.deal_id, ctx.t.locale)
    language = await service.document_locale(ctx.viewer, ctx.deal_id, ctx.t.locale)
    documents = ctx.config.documents
    vat_on_top = documents is not None and not documents.prices_include_vat
    text = _screen(ctx.t, ctx.deal_id, basket, language, vat_on_top)
    markup = _keyboard(ctx, service, basket, language)
    screens = ctx.live_screens
    current = screens.shown(ctx.chat_id, ctx.deal_id) if screens is not None else None
    pressed = ctx.message.message_id if ctx.message is not None else None
    if current is not None and pressed == current.message_id:
        await ctx.replace(text, markup)
        return
    sent = await ctx.send(text, markup)
    if screens is None:
        return
    previous = screens.replace(ctx.chat_id, ctx.deal_id, Shown(sent.message_id, ""))
    if previous is not None:
        with suppress(TelegramAPIError):  # deleted, or too old to edit
            await ctx.bot.edit_message_text(
                ctx.t("offer_screen_replaced", deal_id=ctx.deal_id),
                chat_id=ctx.chat_id,
                message_id=previous.message_id,
            )


def _on_screen(basket: Basket) -> list[tuple[int, OfferLine]]:
    """The lines a screen shows, with their numbers in the document."""
    numbered = list(enumerate(basket.lines, start=1))
    return numbered[-SCREEN_LINES:]


def _screen(t: Translator, deal_id: int, basket: Basket, language: str, vat_on_top: bool) -> str:
    lines = [
        {
            "n": n,
            "name": _short(line.name, LINE_NAME_CUT),
            "quantity": decimal_text(line.quantity, t.locale),
            "unit": _short(line.unit, UNIT_CUT),
            "price": money(line.price_minor, t.locale),
            "amount": money(line.amount_minor, t.locale),
        }
        for n, line in _on_screen(basket)
    ]
    result = basket.totals
    return str(
        t(
            "offer_screen",
            deal_id=deal_id,
            lines=lines,
            discount=decimal_text(basket.discount, t.locale) if basket.discount else "",
            discount_amount=money(result.discount_minor, t.locale) if result else "",
            vat=money(result.vat_total_minor, t.locale)
            if result and result.vat_total_minor
            else "",
            vat_on_top=vat_on_top,  # prices without VAT: it is added, not inside
            valid_days=basket.valid_days,
            total=money(result.total_minor, t.locale) if result else "",
            document_locale=language,
            withdrawn=basket.withdrawn,
            more=max(len(basket.lines) - SCREEN_LINES, 0),
        )
    )


def _keyboard(
    ctx: DealContext, service: DocumentService, basket: Basket, language: str
) -> InlineKeyboardMarkup:
    t, deal_id = ctx.t, ctx.deal_id
    other = next(code for code in LOCALES if code != language)
    rows = [
        [
            _button(f"➖ {_short(line.name)}", deal_id, f"sub.{line.sku}"),
            _button("➕", deal_id, f"add.{line.sku}"),
            _button("🔢", deal_id, f"qty.{line.sku}"),
        ]
        for _, line in _on_screen(basket)
    ]
    rows.append([_button(t.label("btn_offer_add"), deal_id, "cat")])
    rows.append(
        [
            _button(t.label("btn_offer_discount"), deal_id, "disc"),
            _button(t.label("btn_offer_validity"), deal_id, "valid"),
        ]
    )
    rows.append(
        [
            _button(t.label("btn_offer_documents"), deal_id, "docs"),
            _button(t.label("btn_offer_language", to=other), deal_id, f"lang.{other}"),
        ]
    )
    if basket.lines:
        rows.append(
            [
                _button(t.label("btn_offer_make", title=kind.title.get(t.locale)), deal_id,
                        f"make.{kind.id}")
                for kind in service.kinds()
            ]
        )  # fmt: skip
    to_card = DealCb(action=DealAction.OPEN, deal=deal_id, arg=BACK).pack()
    rows.append([InlineKeyboardButton(text=t.label("btn_to_card"), callback_data=to_card)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _catalogue(ctx: DealContext, service: DocumentService, page: int, in_place: bool) -> None:
    shown, page, pages = page_of(await service.catalogue(), page)
    rows = [
        [_button(f"{_short(item.name.get(ctx.t.locale))} · {money(int(item.price * 100), ctx.t.locale)} ₽",
                 ctx.deal_id, f"pick.{item.sku}")]
        for item in shown
    ]  # fmt: skip
    nav = pager(page, pages, lambda n: _data(ctx.deal_id, f"cat.{n}"))
    if nav:
        rows.append(nav)
    rows.append([_button(ctx.t.label("btn_back"), ctx.deal_id, "")])
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    if in_place:
        await ctx.replace(ctx.t("offer_catalogue"), markup)
    else:
        await ctx.send(ctx.t("offer_catalogue"), markup)


async def _documents(ctx: DealContext, service: DocumentService) -> None:
    """The deal's latest documents: each sent again by its file id, without rendering."""
    made = await service.of_deal(ctx.viewer, ctx.deal_id)
    if not made:
        await ctx.send(ctx.t("offer_no_documents"))
        return
    rows = [
        [_button(ctx.t.label("btn_send_again", number=row["number"],
                             total=money(row["total_minor"], ctx.t.locale)), ctx.deal_id, f"again.{row['id']}")]
        for row in made
        if row["pdf_file_id"]
    ]  # fmt: skip
    await ctx.send(ctx.t("offer_documents"), InlineKeyboardMarkup(inline_keyboard=rows))


async def _again(ctx: DealContext, service: DocumentService, document_id: int) -> None:
    """A document made before, back in the manager's chat with what can be done with it (sent
    to the client, its Word copy), as it came when it was made."""
    row = next((r for r in await service.of_deal(ctx.viewer, ctx.deal_id, 50)
                if r["id"] == document_id and r["pdf_file_id"]), None)  # fmt: skip
    kind = next((k for k in service.kinds() if row and k.id == row["kind"]), None)
    if row is None:
        await ctx.send(ctx.t("err_stale_button"))
        return
    rows = await _document_rows(ctx, document_id, kind is not None and kind.docx is not None)
    await ctx.bot.send_document(
        ctx.chat_id, row["pdf_file_id"], caption=row["number"],
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )  # fmt: skip


async def _document_rows(
    ctx: DealContext, document_id: int, word: bool
) -> list[list[InlineKeyboardButton]]:
    """Under a document in the manager's chat: to the client, its Word copy, the card."""
    rows: list[list[InlineKeyboardButton]] = []
    if await ctx.desk.open_chat(ctx.viewer, ctx.deal_id) is not None:
        # The client talks to this bot: the document goes to them from here, as the company
        rows.append(
            [_button(ctx.t.label("btn_offer_to_client"), ctx.deal_id, f"send.{document_id}")]
        )
    if word:
        editable = DealCb(action=DealAction.OFFER_DOCX, deal=ctx.deal_id, arg=str(document_id))
        rows.append(
            [
                InlineKeyboardButton(
                    text=ctx.t.label("btn_offer_docx"), callback_data=editable.pack()
                )
            ]
        )
    rows.append([kb.to_card(ctx.t, ctx.deal_id)])
    return rows


async def _to_client(ctx: DealContext, service: DocumentService, document_id: int) -> None:
    """A document made before, sent to the client in their chat with the bot."""
    row = next((r for r in await service.of_deal(ctx.viewer, ctx.deal_id, 50)
                if r["id"] == document_id and r["pdf_file_id"]), None)  # fmt: skip
    chat = await ctx.desk.open_chat(ctx.viewer, ctx.deal_id)
    kind = next((k for k in service.kinds() if row and k.id == row["kind"]), None)
    if row is None or chat is None or kind is None:
        await ctx.send(ctx.t("err_stale_button"))
        return
    language = await ctx.desk.client_language(ctx.viewer, ctx.deal_id)
    client_t = translator(ctx.catalogue, language if language in LOCALES else ctx.t.locale)
    values = {"title": kind.title.get(client_t.locale), "number": row["number"],
              "company": ctx.config.company.name.get(client_t.locale)}  # fmt: skip
    caption = client_t("offer_for_client", **values)
    try:
        await ctx.bot.send_document(chat, row["pdf_file_id"], caption=caption)
    except TelegramForbiddenError:  # the card has the phone to call instead
        await ctx.send(ctx.t("reply_blocked"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    except TelegramAPIError:
        log.warning("document %s of deal %s not delivered", document_id, ctx.deal_id, exc_info=True)
        await ctx.send(ctx.t("reply_failed"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    # the history escapes what it shows: the plain words, not the HTML sent
    content = {"media": "document", "caption": client_t.label("offer_for_client", **values)}
    await ctx.desk.log_message(ctx.deal_id, False, content, ctx.viewer.telegram_id, ctx.now())
    await ctx.send(
        ctx.t("offer_sent_to_client", number=row["number"]), kb.back_to_card(ctx.t, ctx.deal_id)
    )


async def _amount_of(ctx: DealContext, service: DocumentService, document_id: int) -> None:
    """The deal's amount set to a document's total, one tap."""
    made = await service.stored(ctx.viewer, ctx.deal_id, document_id)
    if made is None or not made.total_minor:
        await ctx.send(ctx.t("err_stale_button"))
        return
    await ctx.set_amount(made.total_minor)
    await ctx.drop_buttons(lambda button: offered(button, DealAction.OFFER, "amount."))
    await ctx.show_card(
        done=ctx.t("amount_set", amount=format_amount(made.total_minor, ctx.t.locale))
    )


async def _discounts(ctx: DealContext) -> None:
    sign = "%" if ctx.t.locale == "en" else " %"  # "10%" in English, "10 %" in Russian
    buttons = [_button(f"{value}{sign}", ctx.deal_id, f"disc.{value}") for value in DISCOUNTS]
    await ctx.expect(DealWork.offer_discount)
    await ctx.send(ctx.t("offer_discount_ask"), InlineKeyboardMarkup(inline_keyboard=[buttons]))


async def _make(ctx: DealContext, service: DocumentService, kind_id: str) -> None:
    kind = next((k for k in service.kinds() if k.id == kind_id), None)
    if kind is None:
        await ctx.send(ctx.t("err_stale_button"))
        return
    await ctx.bot.send_chat_action(ctx.chat_id, ChatAction.UPLOAD_DOCUMENT)
    manager = await ctx.staff.manager(ctx.viewer.telegram_id)
    me = Party(
        manager.name if manager else ctx.config.company.name.get(ctx.t.locale),
        phone=ctx.config.company.phone,
        contact=f"@{manager.username}" if manager and manager.username else "",
    )
    try:
        made = await service.make(
            ctx.viewer, ctx.deal_id, kind, ctx.now(), ctx.t.locale, me,
            ctx.now().astimezone(ctx.tz).date(),
        )  # fmt: skip
    except NothingChosen:
        await show(ctx, service)
        return
    except RenderFailed:
        await ctx.send(ctx.t("offer_render_failed"))
        return
    await _send_pdf(ctx, service, made)


async def _send_pdf(ctx: DealContext, service: DocumentService, made: MadeDocument) -> None:
    rows: list[list[InlineKeyboardButton]] = []
    current = (await ctx.desk.card(ctx.viewer, ctx.deal_id)).amount_minor
    if made.total_minor and current != made.total_minor:
        # the quote's total is the likeliest amount of the deal; one the card has is named,
        # so that a quote for more (or less) is seen against it
        label = ctx.t.label(
            "btn_offer_amount",
            total=money(made.total_minor, ctx.t.locale),
            current=money(current, ctx.t.locale) if current else None,
        )
        rows.append([_button(label, ctx.deal_id, f"amount.{made.id}")])
    rows += await _document_rows(ctx, made.id, made.kind.docx is not None)
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    sent = await ctx.bot.send_document(
        ctx.chat_id,
        BufferedInputFile(made.pdf, made.filename),
        caption=ctx.t(
            "offer_made", title=made.kind.title.get(ctx.t.locale), number=made.number,
            total=money(made.total_minor, ctx.t.locale),
        ),
        reply_markup=markup,
    )  # fmt: skip
    await service.sent(made.id, sent.document.file_id if sent.document else None)


async def docx(ctx: DealContext, arg: str) -> None:
    """The editable copy of a document already made (rendered from what the PDF was given)."""
    service = ctx.documents
    document = row_id(arg)
    if service is None or document is None:
        await ctx.send(ctx.t("err_stale_button"))
        return
    made = await service.stored(ctx.viewer, ctx.deal_id, document)
    if made is None:
        await ctx.send(ctx.t("err_stale_button"))
        return
    await ctx.bot.send_chat_action(ctx.chat_id, ChatAction.UPLOAD_DOCUMENT)
    try:
        content = await service.docx(made)
    except RenderFailed:
        await ctx.send(ctx.t("offer_render_failed"))
        return
    if content is None:
        await ctx.send(ctx.t("err_stale_button"))
        return
    sent = await ctx.bot.send_document(
        ctx.chat_id, BufferedInputFile(content, f"{made.number}.docx")
    )
    await service.sent(made.id, None, sent.document.file_id if sent.document else None)


# --- typed input -----------------------------------------------------------------------------


async def _typed(
    message: Message, data: dict[str, Any], hint: str, percent: bool = False
) -> tuple[DealContext, Decimal] | None:
    state = data["state"]
    stored = await state.get_data()
    deal_id = stored.get(DEAL_KEY)
    if not isinstance(deal_id, int):
        await state.clear()
        return None
    ctx = DealContext.from_data(message.chat.id, deal_id, data)
    text = (message.text or "").strip()
    try:
        typed = parse_decimal(text.removesuffix("%") if percent else text, ctx.t.locale)
        # as stored: three decimals for a quantity, two for a discount (checked after rounding)
        value = typed.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        if value == 0 and typed != 0:  # "0,0001" would take the item off without a word
            value = Decimal(-1)
    except (InputError, InvalidOperation):
        value = Decimal(-1)
    if value < 0 or value >= 1_000_000:
        await ctx.send(ctx.t(hint))
        return None
    return ctx, value


async def quantity_typed(message: Message, **data: Any) -> None:
    typed = await _typed(message, data, "err_quantity")
    if typed is None:
        return
    ctx, value = typed
    sku = (await ctx.state.get_data()).get(SKU_KEY)
    assert ctx.documents is not None
    try:
        await ctx.documents.set_quantity(ctx.viewer, ctx.deal_id, str(sku), value, ctx.now())
    except UnknownItem:
        await ctx.state.clear()
        await ctx.send(ctx.t("err_stale_button"))
        return
    await ctx.state.clear()
    await show(ctx, ctx.documents)


async def discount_typed(message: Message, **data: Any) -> None:
    typed = await _typed(message, data, "err_discount", percent=True)
    if typed is None:
        return
    ctx, typed_value = typed
    value = typed_value.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    if value >= 100 or (value == 0 and typed_value > 0):  # "0,001" is no discount to give
        await ctx.send(ctx.t("err_discount"))
        return
    assert ctx.documents is not None
    await ctx.documents.set_discount(ctx.viewer, ctx.deal_id, value)
    await ctx.state.clear()
    await show(ctx, ctx.documents)


async def validity_typed(message: Message, **data: Any) -> None:
    typed = await _typed(message, data, "err_validity")
    if typed is None:
        return
    ctx, value = typed
    if value != value.to_integral_value() or not 1 <= value <= MAX_VALID_DAYS:
        await ctx.send(ctx.t("err_validity"))
        return
    assert ctx.documents is not None
    await ctx.documents.set_validity(ctx.viewer, ctx.deal_id, int(value))
    await ctx.state.clear()
    await show(ctx, ctx.documents)


_HINTS = {
    DealWork.offer_discount.state: "err_discount",
    DealWork.offer_validity.state: "err_validity",
}


async def not_a_number(message: Message, t: Translator, raw_state: str | None) -> None:
    await message.answer(t(_HINTS.get(raw_state or "", "err_quantity")))
