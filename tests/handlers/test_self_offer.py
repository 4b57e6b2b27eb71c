"""A prospect's own offer from the menu: the PDF at once, the deal hot, the manager told; with
no request on file, the form first and the offer right after it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from aiogram.types import BufferedInputFile
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.callbacks import MenuAction, MenuCb, ProspectOfferCb
from bot.config import BusinessConfig
from bot.services.documents import DocumentService
from storage.schema import deals
from tests.fakes import FakeClock, RecordingSession
from tests.handlers.conftest import World, choose_quickly, make_world
from tests.handlers.test_offers import a_long_catalogue
from tests.handlers.test_staff import submit_lead


@pytest.fixture
def world(quiet_world: World) -> World:
    return quiet_world


def pdf_text(upload: object) -> str:
    assert isinstance(upload, BufferedInputFile)
    pages = PdfReader(io.BytesIO(upload.data)).pages
    return "\n".join(page.extract_text() for page in pages).replace("\xa0", " ")


async def test_a_client_with_a_request_gets_the_offer_at_once(world: World) -> None:
    await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)
    async with world.engine.begin() as c:  # a cold deal, to see it become hot
        await c.execute(deals.update().values(temperature="cold"))
    await anna.send("/start")
    await anna.press("Получить КП")
    [offer] = await anna.press("Консультация эксперта")
    assert offer.kind == "document" and "коммерческое предложение № KP-2026-0001" in offer.text
    text = pdf_text(offer.file)
    assert "Консультация эксперта" in text and "5 000,00" in text and "Анна" in text
    alert = world.session.to(7001)[-1]
    assert "Клиент сам запросил КП по «Консультация эксперта»" in alert.text
    async with world.engine.connect() as c:
        assert (await c.execute(select(deals.c.temperature))).scalar_one() == "hot"


@pytest.fixture
def broken_world(
    sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock, tmp_path: Path
) -> Iterator[World]:
    """The offer's template broken on disk (an upload from before the check, a bad deploy)."""
    (tmp_path / "offer.html").write_text("{% for line in lines %}", encoding="utf-8")
    made = make_world(sqlite_engine, business_config, clock, RecordingSession(), tmp_path)
    yield made
    made.dp["documents"].close()


async def test_an_offer_that_cannot_be_made_reaches_the_manager_to_send(
    broken_world: World,
) -> None:
    world = broken_world
    await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)
    async with world.engine.begin() as c:
        await c.execute(deals.update().values(temperature="cold"))
    await anna.send("/start")
    await anna.press("Получить КП")
    [told] = await anna.press("Консультация эксперта")
    assert "менеджер пришлёт его сам" in told.text
    # what the client was promised, the manager is asked to do
    alert = world.session.to(7001)[-1]
    assert "Клиент сам запросил КП по «Консультация эксперта»" in alert.text
    assert "документ не сформировался" in alert.text and "КП / счёт" in alert.text
    assert alert.buttons() == ["📋 Открыть сделку"]
    async with world.engine.connect() as c:
        assert (await c.execute(select(deals.c.temperature))).scalar_one() == "hot"


async def test_an_english_speaking_manager_is_told_in_english(world: World) -> None:
    await world.add_manager(7001, "Oleg", language="en")
    await world.prospect(user_id=7001, first_name="Oleg", language="en").send("/start")
    anna = await submit_lead(world, 1001)
    await anna.send("/start")
    await anna.press("Получить КП")
    await anna.press("Консультация эксперта")  # the client reads Russian
    alert = world.session.to(7001)[-1]
    assert "The client asked for a quote for “Expert consultation” themselves" in alert.text
    assert "· deal #1 ·" in alert.text


async def test_a_new_prospect_fills_the_form_first_and_then_gets_the_offer(world: World) -> None:
    await world.add_manager(7001, "Олег")
    prospect = world.prospect(user_id=1002, first_name="Борис")
    await prospect.send("/start")
    await prospect.press("Получить КП")
    sent = await prospect.press("Внедрение CRM под ключ")
    assert any("нужны контакты" in s.text for s in sent)
    await prospect.press("Согласен")
    await prospect.press("Борис")
    await prospect.send("+7 916 000-10-02")
    await prospect.press("Пропустить")
    await prospect.send("ООО Борис и сыновья")
    for label in ("Автоматизация продаж", "Как можно скорее", "Больше 300", "Звонок", "Утром"):
        await prospect.press(label)
    after = await prospect.press("Всё верно")
    [offer] = [s for s in after if s.kind == "document"]
    text = pdf_text(offer.file)
    assert "Внедрение CRM под ключ" in text and "ООО Борис и сыновья" in text
    assert "Итого к оплате 120 000,00 ₽" in text


async def test_an_offer_asked_for_half_way_through_the_form_keeps_the_answers(
    world: World,
) -> None:
    await world.add_manager(7001, "Олег")
    prospect = world.prospect(user_id=1002, first_name="Борис")
    await prospect.send("/start")
    await prospect.press("Оставить заявку")
    await prospect.press("Согласен")
    await prospect.press("Борис")
    await prospect.send("+7 916 000-10-02")
    await prospect.send("boris@example.com")
    await prospect.callback(MenuCb(action=MenuAction.OFFER).pack())  # the greeting's button
    sent = await prospect.press("Внедрение CRM под ключ")
    assert "сразу после заявки — она почти готова" in sent[0].text
    assert "компани" in sent[-1].text.lower()  # the question they had reached, asked again
    await prospect.send("ООО Борис и сыновья")
    for label in ("Автоматизация продаж", "Как можно скорее", "Больше 300", "Звонок", "Утром"):
        await prospect.press(label)
    summary = prospect.last_with_buttons()
    assert "boris@example.com" in summary.text and "+7 916 000-10-02" in summary.text
    after = await prospect.press("Всё верно")
    [offer] = [s for s in after if s.kind == "document"]
    assert "Внедрение CRM под ключ" in pdf_text(offer.file)


async def test_a_forged_product_is_refused(world: World) -> None:
    prospect = world.prospect(user_id=1003)
    await prospect.callback(ProspectOfferCb(sku="free-lunch").pack())
    assert prospect.answer_callback_texts()[-1] == "Эта кнопка уже не действует."
    assert not [s for s in world.session.to(1003) if s.kind == "document"]


async def test_a_member_of_staff_pressing_a_prospects_product_is_not_put_into_a_form(
    world: World,
) -> None:
    """An old prospect's menu, from before they joined the staff."""
    oleg = await world.add_manager(7001, "Олег")
    assert await oleg.callback(ProspectOfferCb(sku="consult-hour").pack()) == []
    assert oleg.answer_callback_texts()[-1] == "Эта кнопка уже не действует."
    [menu] = await oleg.send("/start")
    assert "Рабочее место менеджера" in menu.text  # not a form's question


async def test_the_same_offer_asked_again_is_the_same_file(world: World) -> None:
    await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)
    for _ in range(3):
        await anna.send("/start")
        await anna.press("Получить КП")
        await anna.press("Консультация эксперта")
    offers = [s for s in world.session.to(1001) if s.kind == "document"]
    assert len(offers) == 3 and all("KP-2026-0001" in s.text for s in offers)
    assert isinstance(offers[0].file, BufferedInputFile)  # made once ...
    assert offers[1].file == offers[2].file == f"doc-{offers[0].message_id}"  # ... then re-sent
    alerts = [s for s in world.session.to(7001) if "сам запросил КП" in s.text]
    assert len(alerts) == 1
    # the price changed since: a new offer at the new price, not the old file again
    service: DocumentService = world.dp["documents"]
    consultation = await service.item("consult-hour")
    await service.import_items(
        [consultation.model_copy(update={"price": Decimal(7000)})], world.clock.now()
    )
    await anna.send("/start")
    await anna.press("Получить КП")
    await anna.press("Консультация эксперта")
    newer = [s for s in world.session.to(1001) if s.kind == "document"][-1]
    assert "KP-2026-0002" in newer.text and "7 000,00" in pdf_text(newer.file)


async def test_a_long_catalogue_comes_in_pages_to_a_prospect_too(world: World) -> None:
    await a_long_catalogue(world)
    await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)
    await anna.send("/start")
    [first] = await anna.press("Получить КП")
    assert len([b for b in first.buttons() if "₽" in b]) == 8 and "1/4" in first.buttons()
    await anna.press("▶️")
    shown = anna.last_with_buttons()
    assert shown.message_id == first.message_id and "2/4" in shown.buttons()
    assert "Деталь 03 · 103\u00a0₽" in shown.buttons()  # no kopecks in whole roubles
    [offer] = await anna.press("Деталь 03")
    assert offer.kind == "document" and "Деталь 03" in pdf_text(offer.file)


async def test_an_offer_asked_for_at_the_forms_start_does_not_call_it_nearly_done(
    world: World,
) -> None:
    prospect = world.prospect(user_id=1002, first_name="Борис")
    await prospect.send("/start")
    await prospect.press("Оставить заявку")
    await prospect.callback(MenuCb(action=MenuAction.OFFER).pack())
    sent = await prospect.press("Внедрение CRM под ключ")
    assert "сразу после заявки" in sent[0].text and "почти готова" not in sent[0].text
    assert "Вы согласны?" in sent[-1].text  # the consent, asked again


async def test_a_client_whose_deal_is_closed_asks_anew_for_a_quote(world: World) -> None:
    await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(status="lost"))
    await anna.send("/start")
    await anna.press("Получить КП")
    sent = await anna.press("Консультация эксперта")
    # not filed on the lost deal: a new request first, her contacts already in
    assert "после новой заявки" in sent[0].text and "Что вам нужно" in sent[-1].text
    assert not [s for s in world.session.to(1001) if s.kind == "document"]
    await choose_quickly(anna)
    after = await anna.press("Всё верно")
    assert len([s for s in after if s.kind == "document"]) == 1  # the quote, after the form
    async with world.engine.connect() as connection:
        rows = list(await connection.execute(select(deals.c.id, deals.c.status)))
    assert [tuple(r) for r in rows] == [(1, "lost"), (2, "open")]  # the quote is the new deal's
