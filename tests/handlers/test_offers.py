"""An offer from the deal card: items by buttons and typed, a discount, the PDF in the chat,
the DOCX on request, the document in the deal's history; bad input and forged buttons refused."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiogram.types import BufferedInputFile
from docx import Document
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.callbacks import DealAction, DealCb
from bot.config import BusinessConfig, CatalogueItem, FollowUps, Localized, SpeedToLead
from bot.services.documents import DocumentService
from storage.schema import deals, documents, people
from tests.fakes import FakeClock, Prospect, RecordingSession, Sent
from tests.handlers.conftest import World, make_world
from tests.handlers.test_deal_card import (
    deal_of,
    english_manager_with_deal,
    manager_with_deal,
    without_double_tap_guard,
)
from tests.handlers.test_staff import button_data


@pytest.fixture
def world(quiet_world: World) -> World:
    return quiet_world


def plain(text: str) -> str:
    return text.replace("\xa0", " ")  # amounts are grouped with no-break spaces


async def offer_of_consultation(world: World) -> Prospect:
    """A manager with a deal whose offer screen holds one expert consultation."""
    oleg = await manager_with_deal(world)
    await oleg.press("КП / счёт")
    await oleg.press("Добавить из каталога")
    await oleg.press("Консультация эксперта")
    return oleg


def text_of_pdf(sent: Sent) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(file_bytes(sent.file))).pages)


def file_bytes(upload: object) -> bytes:
    assert isinstance(upload, BufferedInputFile)
    return upload.data


async def test_a_manager_builds_an_offer_and_sends_it_as_pdf_and_docx(world: World) -> None:
    oleg = await manager_with_deal(world)
    [empty] = await oleg.press("КП / счёт")
    assert "Пока ничего не выбрано" in empty.text
    await oleg.press("Добавить из каталога")
    [screen] = await oleg.press("Внедрение CRM")
    assert "Внедрение CRM под ключ — 1 проект × 120 000,00 = 120 000,00 ₽" in plain(screen.text)
    world.clock.advance(minutes=1)
    await oleg.press("Добавить из каталога")
    [two_lines] = await oleg.press("Лицензия CRM")
    [screen] = await oleg.press("🔢")  # the first line's: the CRM setup
    assert "Сколько «Внедрение CRM под ключ»?" in plain(screen.text)
    [wrong] = await oleg.send("много")
    assert "Нужно количество числом" in wrong.text
    [screen] = await oleg.send("2")
    # the screen the "🔢" was on shrinks to a line: one screen changes the basket
    assert two_lines.text.endswith("актуальный экран ниже") and two_lines.markup is None
    assert await oleg.press("➕") == []  # the first line again: 3, on the same screen
    assert "3 проект × 120 000,00 = 360 000,00" in plain(screen.text) and screen.edits == 1
    await oleg.press("Скидка")
    [screen] = await oleg.press("10 %")
    assert "Скидка 10 %: −36 960,00 ₽" in plain(screen.text) and "Итого: 332 640,00 ₽" in plain(
        screen.text
    )

    [pdf] = await oleg.press("Коммерческое предложение")
    assert (
        pdf.kind == "document"
        and "KP-2026-0001" in plain(pdf.text)
        and "332 640,00" in plain(pdf.text)
    )
    text = text_of_pdf(pdf)
    assert "Итого к оплате 332 640,00 ₽" in plain(text)
    assert "Анна" in text and "ООО Вектор" in text
    assert any(call.__class__.__name__ == "SendChatAction" for call in world.session.calls)

    [docx] = await oleg.press("Word")
    assert docx.kind == "document"
    words = "\n".join(p.text for p in Document(io.BytesIO(file_bytes(docx.file))).paragraphs)
    assert "Коммерческое предложение № KP-2026-0001" in words

    async with world.engine.connect() as c:
        row = (await c.execute(select(documents))).one()
    assert (row.number, row.total_minor) == ("KP-2026-0001", 33_264_000)
    assert row.pdf_file_id and row.docx_file_id  # re-sent later without rendering
    await oleg.send("/deals")
    await oleg.press("#1")
    [history] = await oleg.press("История")
    assert "Коммерческое предложение № KP-2026-0001 на 332 640,00 ₽" in plain(history.text)


async def test_forged_offer_buttons_and_other_managers_are_refused(world: World) -> None:
    oleg = await manager_with_deal(world)
    ira = await world.add_manager(7002, "Ира")
    for arg in ("add.no-such-sku", "make.contract", "disc.99", "zap.x", "again.²", "again.9" * 5):
        [answer] = await oleg.callback(DealCb(action=DealAction.OFFER, deal=1, arg=arg).pack())
        assert "кнопка уже не действует" in answer.text
    for arg in ("²", "٣", "99999999999"):  # digits to str.isdigit, not to int() or the database
        [answer] = await oleg.callback(DealCb(action=DealAction.OFFER_DOCX, deal=1, arg=arg).pack())
        assert "кнопка уже не действует" in answer.text
    paged = await oleg.callback(DealCb(action=DealAction.OFFER, deal=1, arg="cat.²").pack())
    assert not any("пошло не так" in sent.text for sent in paged)  # the first page, no failure
    await ira.callback(DealCb(action=DealAction.OFFER, deal=1, arg="add.crm-setup").pack())
    assert ira.answer_callback_texts()[-1] is not None  # refused: not her deal
    async with world.engine.connect() as c:
        assert (await c.execute(select(documents))).first() is None


async def test_validity_is_chosen_and_documents_are_sent_again_without_rendering(
    world: World,
) -> None:
    oleg = await offer_of_consultation(world)
    await oleg.press("Срок действия")
    [screen] = await oleg.press("30 дн.")
    assert "Действует 30 дн." in screen.text
    [pdf] = await oleg.press("Коммерческое предложение")
    text = text_of_pdf(pdf)
    assert "действительно до 23.12.2026" in text
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("КП / счёт")
    await oleg.press("Документы сделки")
    rendered = len([c for c in world.session.calls if type(c).__name__ == "SendChatAction"])
    [again] = await oleg.press("KP-2026-0001")
    assert again.kind == "document" and again.file == f"doc-{pdf.message_id}"  # its file id
    assert rendered == len([c for c in world.session.calls if type(c).__name__ == "SendChatAction"])
    # with what can be done with it, as when it was made: an older quote goes to the client too
    assert "📤 Отправить клиенту" in again.buttons()
    await oleg.press("Отправить клиенту")
    [to_client] = [s for s in world.session.to(1001) if s.kind == "document"]
    assert to_client.file == f"doc-{pdf.message_id}"


async def test_a_validity_of_ones_own_is_typed(world: World) -> None:
    oleg = await offer_of_consultation(world)
    await oleg.press("Срок действия")
    for wrong in ("полгода", "0", "400", "7,5"):
        [answer] = await oleg.send(wrong)
        assert "целое число дней от 1 до 365" in answer.text
    [screen] = await oleg.send("60")
    assert "Действует 60 дн." in screen.text


async def test_a_failing_template_gives_a_clear_message_and_the_bot_goes_on(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    renderer = world.dp["documents"]._renderer  # the working copy of this world's templates
    (renderer.directory / "offer.html").write_text("{% for x in lines %}", encoding="utf-8")
    await oleg.press("КП / счёт")
    await oleg.press("Добавить из каталога")
    await oleg.press("Консультация эксперта")
    [failed] = await oleg.press("Коммерческое предложение")
    assert "Не получилось сформировать документ" in failed.text
    [invoice] = await oleg.press("Счёт на оплату")  # the other template still works
    assert invoice.kind == "document" and "SCH-2026-0001" in plain(invoice.text)


async def test_the_offer_is_written_in_the_clients_language(world: World) -> None:
    oleg = await manager_with_deal(world)  # Олег reads Russian
    async with world.engine.begin() as connection:
        await connection.execute(people.update().values(language="en"))  # the client, English
    await oleg.press("КП / счёт")
    await oleg.press("Добавить из каталога")
    [screen] = await oleg.press("Консультация эксперта")
    assert "Консультация эксперта" in screen.text  # the manager's screen stays in Russian
    [pdf] = await oleg.press("Коммерческое предложение")
    assert "Коммерческое предложение" in pdf.text  # so does what the bot tells him
    text = text_of_pdf(pdf)
    assert "Expert consultation" in text and "INN" in text and "ИНН" not in text


async def test_the_manager_chooses_the_language_of_a_client_the_bot_does_not_know(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    async with world.engine.begin() as connection:  # an outbound lead: no Telegram language
        await connection.execute(people.update().values(language=None))
    await oleg.press("КП / счёт")
    await oleg.press("Добавить из каталога")
    [screen] = await oleg.press("Консультация эксперта")
    assert "Документ на русском языке" in screen.text  # the manager's own, until told
    assert await oleg.press("Сделать на английском") == []  # the same screen, changed
    assert "Документ на английском языке" in screen.text
    assert "Консультация эксперта" in screen.text  # the manager's screen stays in Russian
    assert "Сделать на русском" in str(screen.markup)  # and can be turned back
    [screen] = await oleg.press("Добавить из каталога")
    [screen] = await oleg.press("Консультация эксперта")
    assert "Документ на английском языке" in screen.text  # remembered for the client
    [pdf] = await oleg.press("Коммерческое предложение")
    text = text_of_pdf(pdf)
    assert "Expert consultation" in text and "INN" in text and "ИНН" not in text

    [refused] = await oleg.callback(DealCb(action=DealAction.OFFER, deal=1, arg="lang.de").pack())
    assert "кнопка уже не действует" in refused.text
    ira = await world.add_manager(7002, "Ира")  # not her deal
    await ira.callback(DealCb(action=DealAction.OFFER, deal=1, arg="lang.ru").pack())
    async with world.engine.connect() as connection:
        assert (await connection.execute(select(people.c.language))).scalar_one() == "en"


async def test_tiny_quantities_and_a_discount_near_100_do_not_break_the_offer(
    world: World,
) -> None:
    oleg = await offer_of_consultation(world)
    await oleg.press("🔢")
    for typed in ("0,0001", "15%"):  # would round to nothing; a quantity is no percentage
        [wrong] = await oleg.send(typed)
        assert "Нужно количество числом" in wrong.text and "0,001" in wrong.text
    [screen] = await oleg.send("0,5")
    assert "Консультация эксперта — 0,5 ч" in plain(screen.text)
    await oleg.press("Скидка")
    for typed in ("150", "0,001"):  # over 100 %; one that rounds to no discount at all
        [wrong] = await oleg.send(typed)
        assert "Скидка — число процентов от 0,01 до 99,99" in wrong.text
    [screen] = await oleg.send("15%")
    assert "Скидка 15 %" in plain(screen.text)
    await oleg.press("Скидка")
    [screen] = await oleg.send("99,995")
    assert "Скидка 99,99 %" in plain(screen.text)  # rounded down: never 100 %
    [pdf] = await oleg.press("Коммерческое предложение")
    assert pdf.kind == "document"


async def a_long_catalogue(world: World) -> None:
    """24 items imported on top of the configuration's 6: 30, four pages of eight."""
    service: DocumentService = world.dp["documents"]
    items = [
        CatalogueItem(sku=f"part-{n:02d}", name=Localized({"ru": f"Деталь {n:02d}"}), price=100 + n)
        for n in range(1, 25)
    ]
    await service.import_items(items, world.clock.now())


def item_buttons(sent: Sent) -> list[str]:
    return [label for label in sent.buttons() if "₽" in label]


async def test_a_long_catalogue_comes_in_pages_and_an_item_of_any_page_is_added(
    world: World,
) -> None:
    await a_long_catalogue(world)
    oleg = await manager_with_deal(world)
    await oleg.press("КП / счёт")
    [first] = await oleg.press("Добавить из каталога")
    assert len(item_buttons(first)) == 8 and "1/4" in first.buttons()
    assert "◀️" not in first.buttons()

    await oleg.press("▶️")
    await oleg.press("▶️")
    await oleg.press("▶️")
    last = oleg.last_with_buttons()
    assert last.message_id == first.message_id  # pages replace each other: one message
    assert "4/4" in last.buttons() and "▶️" not in last.buttons()
    assert item_buttons(last) == [f"Деталь {n} · {100 + n},00 ₽" for n in range(19, 25)]

    [screen] = await oleg.press("Деталь 23")
    assert "Деталь 23 — 1 шт. × 123,00 = 123,00 ₽" in plain(screen.text)


async def test_a_catalogue_page_out_of_range_shows_the_last_page(world: World) -> None:
    await a_long_catalogue(world)
    oleg = await manager_with_deal(world)
    await oleg.press("КП / счёт")
    [shown] = await oleg.press("Добавить из каталога")
    await oleg.callback(
        DealCb(action=DealAction.OFFER, deal=1, arg="cat.999").pack(), shown.message_id
    )
    assert "4/4" in shown.buttons() and len(item_buttons(shown)) == 6


async def test_an_english_manager_reads_the_documents_total_the_english_way(world: World) -> None:
    oleg = await english_manager_with_deal(world)
    await oleg.press("Quote / invoice")
    await oleg.press("Add from the catalogue")
    await oleg.press("Expert consultation")
    await oleg.press("Invoice")
    await oleg.send("/deals")
    await oleg.press("#1")
    [history] = await oleg.press("History")
    assert "Invoice No. SCH-2026-0001 for 5,000.00 ₽" in plain(history.text)


async def test_the_quote_goes_to_the_client_from_the_bot(world: World) -> None:
    oleg = await offer_of_consultation(world)
    [pdf] = await oleg.press("Коммерческое предложение")
    assert pdf.buttons() == [
        "💰 Сумма сделки: 5\u00a0000,00 ₽", "📤 Отправить клиенту", "📝 Версия для Word (DOCX)",
        "⬅️ К сделке",
    ]  # fmt: skip
    [card] = await oleg.callback(button_data(pdf, "Сумма сделки"), pdf.message_id)
    assert card.text.startswith("Сумма сделки: 5\u00a0000\u00a0₽")
    assert "💰 5\u00a0000\u00a0₽" in card.text
    assert (await deal_of(world)).amount_minor == 500_000
    # a second quote for another total names the amount the card has
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(amount_minor=350_000))
    await oleg.callback(DealCb(action=DealAction.OFFER, deal=1).pack())
    [again] = await oleg.press("Коммерческое предложение")
    assert again.buttons()[0] == "💰 Сумма сделки: 5\u00a0000,00 ₽ (сейчас 3\u00a0500,00 ₽)"
    [done] = await oleg.callback(button_data(pdf, "Отправить клиенту"), pdf.message_id)
    assert "Документ № KP-2026-0001 отправлен клиенту" in done.text
    [received] = world.session.to(1001)[-1:]
    assert received.kind == "document"
    assert received.text == "📄 Коммерческое предложение № KP-2026-0001 от ООО «Ромашка»."
    await oleg.send("/deals")
    await oleg.press("#1")
    [history] = await oleg.press("История")
    assert "Коммерческое предложение № KP-2026-0001 от" in plain(history.text)  # what was sent
    world.session.fail_for.add(1001)  # the client blocked the bot since
    without_double_tap_guard(world)  # the same button again, a while later
    [blocked] = await oleg.callback(button_data(pdf, "Отправить клиенту"), pdf.message_id)
    assert "Не доставлено: клиент заблокировал бота" in blocked.text


@pytest.mark.parametrize("shared", [False, True])
async def test_a_quote_for_a_client_the_bot_cannot_write_to_has_no_send_button(
    world: World, shared: bool
) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await oleg.send("/newlead")
    if shared:  # a Telegram user, but one who has never written to the bot: it cannot write first
        await oleg.share_contact("+7 903 555-44-33", owner_id=3003, first_name="Пётр")
    else:
        await oleg.send("Пётр")
        await oleg.send("+7 903 555-44-33")
    await oleg.press("КП / счёт")
    await oleg.press("Добавить из каталога")
    await oleg.press("Консультация эксперта")
    [pdf] = await oleg.press("Коммерческое предложение")
    assert "Отправить клиенту" not in pdf.buttons()
    [refused] = await oleg.callback(DealCb(action=DealAction.OFFER, deal=1, arg="send.1").pack())
    assert "кнопка уже не действует" in refused.text


async def test_a_business_without_requisites_still_makes_offers_and_invoices(
    sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock
) -> None:
    company = business_config.company.model_copy(update={"requisites": None})
    config = business_config.model_copy(update={"company": company})
    async with quiet_world_of(sqlite_engine, config, clock) as world:
        oleg = await offer_of_consultation(world)
        [pdf] = await oleg.press("Коммерческое предложение")
        assert pdf.kind == "document" and "ИНН" not in text_of_pdf(pdf)
        await oleg.press("К сделке")
        await oleg.press("КП / счёт")
        [invoice] = await oleg.press("Счёт на оплату")
        assert invoice.kind == "document"


async def test_vat_added_to_prices_without_it_is_called_so_on_the_screen(
    sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock
) -> None:
    assert business_config.documents is not None
    documents = business_config.documents.model_copy(update={"prices_include_vat": False})
    config = business_config.model_copy(update={"documents": documents})
    async with quiet_world_of(sqlite_engine, config, clock) as world:
        oleg = await manager_with_deal(world)
        await oleg.press("КП / счёт")
        await oleg.press("Добавить из каталога")
        [screen] = await oleg.press("Внедрение CRM")
        assert "НДС сверху" in screen.text and "В том числе НДС" not in screen.text


@asynccontextmanager
async def quiet_world_of(
    engine: AsyncEngine, config: BusinessConfig, clock: FakeClock
) -> AsyncIterator[World]:
    """A world of another configuration, without the speed-to-lead ladder (as quiet_world)."""
    quiet = config.model_copy(
        update={"followups": FollowUps(speed_to_lead=SpeedToLead(temperatures=()))}
    )
    world = make_world(engine, quiet, clock, RecordingSession())
    try:
        yield world
    finally:
        world.dp["documents"].close()


async def test_a_long_basket_fits_one_screen_and_its_keyboard(world: World) -> None:
    service: DocumentService = world.dp["documents"]
    long_name = "Монтаж и пусконаладка оборудования на объекте заказчика, выезд инженера, "
    items = [
        CatalogueItem(sku=f"work-{n:02d}", name=Localized({"ru": f"{long_name}{n:02d}"}), price=n)
        for n in range(1, 36)
    ]
    await service.import_items(items, world.clock.now())
    oleg = await manager_with_deal(world)
    await oleg.press("КП / счёт")
    for item in items:
        await oleg.callback(DealCb(action=DealAction.OFFER, deal=1, arg=f"pick.{item.sku}").pack())
    screen = oleg.last()
    assert len(screen.text) <= 4096 and len(screen.buttons()) <= 100  # Telegram's limits
    # the last added (where a mistaken tap is) shown, with their buttons, the rest counted
    assert "… 10 поз. выше — в документе" in screen.text and "\n35. Монтаж" in screen.text
    await oleg.press("➖ Монтаж")  # the first line shown (the 11th): one unit, so taken off
    assert "… 9 поз. выше" in oleg.last().text and "\n34. Монтаж" in oleg.last().text
