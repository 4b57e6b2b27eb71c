"""Offers and invoices as files, read back: items, totals, VAT, the sum in words, the number,
Cyrillic intact, hostile strings shown as written; broken or endless templates refused."""

from __future__ import annotations

import asyncio
import io
import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from bot.config import BusinessConfig
from bot.documents import Party, context, number
from bot.domain.offers import OfferLine
from bot.rendering import TEMPLATES, Renderer, RenderFailed

HOSTILE_COMPANY = "{{ 7*7 }} <b>x</b> & Co"


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    shared = Renderer(workers=1, timeout=20)
    yield shared
    shared.close()


def offer_context(
    config: BusinessConfig, kind_id: str = "offer", locale: str = "ru"
) -> dict[str, object]:
    assert config.documents is not None
    kind = next(k for k in config.documents.types if k.id == kind_id)
    items = {item.sku: item for item in config.catalogue}
    lines = [
        OfferLine(sku, items[sku].name.get("ru"), items[sku].unit.get("ru"), Decimal(qty),
                  int(items[sku].price * 100), items[sku].vat)
        for sku, qty in (("crm-setup", "1"), ("crm-seat", "10"), ("consult-hour", "2.5"))
    ]  # fmt: skip
    data, _ = context(
        config, kind, number(kind, 2026, 7), date(2026, 11, 23), lines, Decimal(10),
        Party("Анна Петрова", HOSTILE_COMPANY, "+79161234567", "anna@example.com"),  # as stored
        Party("Олег", phone="+7 495 123-45-67", contact="@oleg"), locale,
    )  # fmt: skip
    return data


def pdf_text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    # amounts are grouped with no-break spaces; phones are kept on one line with them and
    # no-break hyphens
    return text.replace("\xa0", " ").replace("\u2011", "-")


async def test_the_offer_pdf_has_everything_a_client_reads(
    renderer: Renderer, business_config: BusinessConfig
) -> None:
    text = pdf_text(await renderer.pdf("offer.html", offer_context(business_config)))
    assert "Коммерческое предложение № KP-2026-0007" in text
    assert "действительно до 07.12.2026" in text
    assert "ИНН 7701234567, КПП 770101001" in text
    assert "Внедрение CRM под ключ" in text and "120 000,00" in text
    assert "10 лиц. 9 600,00 22 % 96 000,00" in text
    assert "2,5 ч 5 000,00 — 12 500,00" in text
    # 228 500 − 10 % = 205 650; VAT 22 % inside the 194 400 of taxed lines: 35 055,74
    assert "Скидка 10 % −22 850,00 ₽" in text and "Итого к оплате 205 650,00 ₽" in text
    assert "В том числе НДС 22 % 35 055,74" in text and "Без НДС" in text
    assert "Двести пять тысяч шестьсот пятьдесят рублей 00 копеек" in text
    assert HOSTILE_COMPANY in text and "49" not in text.split("КЛИЕНТ")[1].split("\n")[1]
    assert "@oleg" in text
    assert "+7 916 123-45-67" in text  # the client's phone as people write it


async def test_an_english_offer_has_no_russian_words_of_its_own(
    renderer: Renderer, business_config: BusinessConfig
) -> None:
    data = offer_context(business_config, locale="en")
    text = " ".join(pdf_text(await renderer.pdf("offer.html", data)).split())
    assert "Tax ID (INN) 7701234567, KPP 770101001" in text and "ИНН" not in text
    assert "roubles and 00 kopecks" in text and "Двести" not in text  # the sum in words
    assert "205,650.00" in text and "2.5" in text
    assert "I. I. Ivanov" in text and "Иванов" not in text  # who signs, as the file says in English
    assert "offer" in text.lower()  # copied out as typed, not through a ligature's glyph
    invoice = pdf_text(
        await renderer.pdf("invoice.html", offer_context(business_config, "invoice", "en"))
    )
    assert "Sberbank, Moscow" in invoice and "Сбербанк" not in invoice
    assert "Number of items: 3, for a total of" in " ".join(invoice.split())
    document = Document(io.BytesIO(await renderer.docx("offer.docx", data)))
    written = "\n".join(p.text for p in document.paragraphs)
    assert "Tax ID (INN) 7701234567" in written and "ИНН" not in written
    assert "No. KP-2026-0007" in written and "Discount 10%:" in written and "№" not in written
    assert document.tables[0].rows[0].cells[0].text == "No."


async def test_the_invoice_pdf_carries_the_bank_details(
    renderer: Renderer, business_config: BusinessConfig
) -> None:
    text = pdf_text(await renderer.pdf("invoice.html", offer_context(business_config, "invoice")))
    assert "Счёт на оплату № SCH-2026-0007 от 23.11.2026" in text
    assert "044525225" in text and "40702810900000012345" in text
    assert "Оплатить до 28.11.2026" in text and "Всего наименований 3" in text
    # VAT included: the total, then the VAT inside it; VAT on top: the VAT, then the total
    assert text.index("Итого к оплате") < text.index("В том числе НДС")
    assert business_config.documents is not None
    documents = business_config.documents.model_copy(update={"prices_include_vat": False})
    on_top = business_config.model_copy(update={"documents": documents})
    text = pdf_text(await renderer.pdf("invoice.html", offer_context(on_top, "invoice")))
    assert text.index("НДС 22 %") < text.index("Итого к оплате")


async def test_the_offer_docx_is_editable_and_complete(
    renderer: Renderer, business_config: BusinessConfig
) -> None:
    document = Document(
        io.BytesIO(await renderer.docx("offer.docx", offer_context(business_config)))
    )
    text = "\n".join(p.text for p in document.paragraphs).replace("\xa0", " ")
    cells = [
        [cell.text.replace("\xa0", " ") for cell in row.cells] for row in document.tables[0].rows
    ]
    assert "Коммерческое предложение № KP-2026-0007" in text
    assert ["2", "Лицензия CRM, 1 пользователь на 12 месяцев", "10", "лиц.", "9 600,00",
            "22 %", "96 000,00"] in cells  # fmt: skip
    assert "Итого к оплате: 205 650,00 ₽" in text and "Скидка 10 %:" in text
    assert "Двести пять тысяч шестьсот пятьдесят рублей 00 копеек" in text
    assert HOSTILE_COMPANY in text


async def test_broken_and_endless_templates_fail_cleanly(
    tmp_path: Path, business_config: BusinessConfig
) -> None:
    shutil.copytree(TEMPLATES, tmp_path, dirs_exist_ok=True)
    (tmp_path / "broken.html").write_text("<p>{% for line in lines %}{{ line.name }</p>")
    (tmp_path / "endless.html").write_text(
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    )
    (tmp_path / "escape.html").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    renderer = Renderer(tmp_path, workers=1, timeout=3)
    try:
        data = offer_context(business_config)
        for name in ("broken.html", "endless.html", "escape.html"):
            with pytest.raises(RenderFailed):
                await renderer.pdf(name, data)
        assert "KP-2026-0007" in pdf_text(await renderer.pdf("offer.html", data))  # goes on
    finally:
        renderer.close()


async def test_a_stuck_render_does_not_take_other_managers_documents_with_it(
    tmp_path: Path, business_config: BusinessConfig
) -> None:
    shutil.copytree(TEMPLATES, tmp_path, dirs_exist_ok=True)
    (tmp_path / "endless.html").write_text(
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    )
    renderer = Renderer(tmp_path, workers=2, timeout=5)
    try:
        await renderer.warm_up()
        data = offer_context(business_config)
        stuck = asyncio.create_task(renderer.pdf("endless.html", data))
        await asyncio.sleep(0.2)
        running = asyncio.create_task(renderer.pdf("endless.html", data))  # the other worker
        await asyncio.sleep(0.2)
        queued = asyncio.create_task(renderer.docx("offer.docx", data))  # waits for a worker
        with pytest.raises(RenderFailed):
            await stuck
        running.cancel()  # replaced with the first one's pool: retried, and now not wanted
        assert (await queued)[:2] == b"PK"  # a Word file, made in the new pool
    finally:
        renderer.close()


async def test_a_worker_killed_while_idle_costs_no_document(
    business_config: BusinessConfig,
) -> None:
    renderer = Renderer(workers=2, timeout=20)
    try:
        await renderer.warm_up()
        pool = renderer._pool
        assert pool is not None
        next(iter(pool._processes.values())).kill()  # as the OOM killer would
        for _ in range(100):  # the pool notices in its own thread
            if pool._broken:
                break
            await asyncio.sleep(0.05)
        assert pool._broken
        data = offer_context(business_config)
        assert (await renderer.docx("offer.docx", data))[:2] == b"PK"  # made in a new pool
        assert (await renderer.docx("offer.docx", data))[:2] == b"PK"  # and it stays
    finally:
        renderer.close()


async def test_a_closed_renderer_refuses_instead_of_starting_workers_again(
    business_config: BusinessConfig,
) -> None:
    renderer = Renderer(workers=1, timeout=20)
    renderer.close()  # the bot is shutting down
    with pytest.raises(RenderFailed):
        await renderer.docx("offer.docx", offer_context(business_config))
    assert renderer._pool is None


async def test_an_uploaded_logo_appears_on_the_offer(business_config: BusinessConfig) -> None:
    import segno

    from bot.template_store import TemplateStore, effective_directory

    requisites = business_config.company.requisites
    assert requisites is not None
    company = business_config.company.model_copy(
        update={"requisites": requisites.model_copy(update={"logo": "logo.png"})}
    )
    config = business_config.model_copy(update={"company": company})
    png = io.BytesIO()
    segno.make("Romashka").save(png, kind="png", scale=4)
    renderer = Renderer(effective_directory(None), workers=1, owns_directory=True)
    try:
        store = TemplateStore(renderer, None, config)
        assert "logo.png" in store.names()
        checked = await store.replace("logo.png", png.getvalue())
        titles = [kind.title.get("ru") for kind in checked]
        assert "Коммерческое предложение" in titles and "Счёт на оплату" in titles
        pdf = await renderer.pdf("offer.html", offer_context(config))
        assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1
    finally:
        renderer.close()


async def test_a_template_cannot_reach_files_outside_its_directory(
    tmp_path: Path, business_config: BusinessConfig
) -> None:
    secret = tmp_path / "secret.env"
    secret.write_text("BOT_TOKEN=123:secret", encoding="utf-8")
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / "leak.html").write_text(
        f'<link rel="attachment" href="file://{secret}"><img src="file://{secret}">'
        '<link rel="attachment" href="fonts/LICENSE-DejaVu.txt"><p>x</p>',
        encoding="utf-8",
    )
    renderer = Renderer(templates, workers=1, timeout=20)
    try:
        pdf = await renderer.pdf("leak.html", offer_context(business_config))
    finally:
        renderer.close()
    attachments = PdfReader(io.BytesIO(pdf)).attachments
    assert list(attachments) == ["LICENSE-DejaVu.txt"]  # its own directory only
    assert b"secret" not in pdf


@pytest.mark.filterwarnings("ignore:HarfBuzz-Subset")  # the server's library, said at import
def test_a_long_name_without_spaces_stays_on_the_page(business_config: BusinessConfig) -> None:
    """ "Кабель_витая_пара_UTP_cat6…": the name wraps, the amounts stay on an A4 page."""
    from weasyprint import HTML

    from bot.rendering import _base_stylesheet, _environment, _fetcher, _fonts

    assert business_config.documents is not None
    kind = business_config.documents.types[0]
    name = "Кабель_витая_пара_UTP_cat6_23AWG_LSZH_305м_бухта_серый_дополнительно"
    long_words = "Монтаж и пусконаладка оборудования на объекте заказчика с выездом инженера"
    lines = [
        OfferLine("cable", name, "шт.", Decimal(12), 1_234_567, 22),
        OfferLine("works", long_words, "комплект", Decimal(1), 5_000_000, 22),
    ]
    data, _ = context(
        business_config, kind, number(kind, 2026, 1), date(2026, 11, 23), lines, Decimal(0),
        Party("Анна"), Party("Олег"), "ru",
    )  # fmt: skip
    directory = str(TEMPLATES)
    page_html = _environment(directory).get_template(kind.pdf).render(**data)
    document = HTML(string=page_html, base_url=directory, url_fetcher=_fetcher(directory))
    stylesheet = _base_stylesheet(directory)
    rendered = document.render(
        stylesheets=[stylesheet] if stylesheet is not None else None,
        font_config=_fonts,
        full_fonts=True,  # as the bot renders: the fonts shipped are subsets already
    )
    [page, *_] = rendered.pages
    assert "комплект" in pdf_text(rendered.write_pdf())  # a unit is not broken to make room
    boxes, rightmost = [page._page_box], 0.0
    while boxes:
        box = boxes.pop()
        rightmost = max(rightmost, box.position_x + (box.width or 0))
        boxes.extend(getattr(box, "children", None) or [])
    assert rightmost <= page.width
