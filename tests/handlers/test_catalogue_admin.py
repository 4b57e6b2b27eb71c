"""An admin updates the catalogue by sending a file: the good rows are in offers at once, the bad
ones are listed with their reasons; managers and prospects cannot."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from aiogram.types import BufferedInputFile

from bot.callbacks import DealAction, DealCb, StaffAction, StaffCb
from bot.services.documents import DocumentService
from storage.schema import catalogue_items
from tests.documents.test_catalogue_import import CSV
from tests.fakes import Prospect, RecordingSession
from tests.handlers.conftest import World, make_world
from tests.handlers.test_deal_card import manager_with_deal
from tests.handlers.test_staff import submit_lead


async def test_an_admin_imports_a_csv_and_managers_can_offer_the_new_items(world: World) -> None:
    admin = world.admin()
    [shown] = await admin.send("/catalogue")
    assert "Каталог</b>: 6 поз." in shown.text
    [report] = await admin.send_document(CSV.encode("cp1251"), "прайс.csv")
    assert "добавлено 1, обновлено 1" in report.text  # audit is new, crm-setup changed
    assert "Отклонено строк: 6" in report.text
    assert "строка 5: артикул — только латиница" in report.text
    assert "строка 10: цена — «сто рублей» — не число" in report.text
    [shown] = await admin.send("/catalogue")
    assert "Каталог</b>: 7 поз." in shown.text and "120\xa0000,50" in shown.text

    oleg = await manager_with_deal(world)
    await oleg.press("КП / счёт")
    await oleg.press("Добавить из каталога")
    [screen] = await oleg.press("Аудит отдела продаж")
    assert "Аудит отдела продаж — 1 день × 45\xa0000,00" in screen.text


async def test_files_that_are_not_a_catalogue_change_nothing(world: World) -> None:
    admin = world.admin()
    [answer] = await admin.send_document(b"sku;price\nx;1\n", "prices.csv")
    assert "не нашлось колонок" in answer.text
    [shown] = await admin.send("/catalogue")
    assert "6 поз." in shown.text


async def test_only_admins_import(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await oleg.send_document(CSV.encode("cp1251"), "прайс.csv")
    [shown] = await world.admin().send("/catalogue")
    assert "6 поз." in shown.text


async def test_a_long_catalogue_is_shown_in_one_message(world: World) -> None:
    rows = "".join(
        f"item-{n};Очень подробное наименование услуги номер {n} с пояснениями;1000;22\n"
        for n in range(120)
    )
    admin = world.admin()
    [report] = await admin.send_document(f"sku;name;price;vat\n{rows}".encode(), "big.csv")
    assert "добавлено 120" in report.text
    [shown] = await admin.send("/catalogue")
    assert "Каталог</b>: 126 поз." in shown.text and len(shown.text) <= 4096
    assert "…и ещё" in shown.text and "пришлите сюда файл" in shown.text


async def admin_on_a_deals_card(world: World) -> Prospect:
    """An admin with Олег's deal #1 open."""
    await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    admin = world.admin()
    await admin.send("/deals")
    await admin.press("#1")
    return admin


async def test_a_file_meant_for_a_client_is_sent_to_them_not_imported(world: World) -> None:
    admin = await admin_on_a_deals_card(world)
    await admin.press("Написать клиенту")
    await admin.send_document(CSV.encode("cp1251"), "прайс.csv")
    assert [sent.kind for sent in world.session.to(1001)][-1] == "copy"
    [shown] = await admin.send("/catalogue")
    assert "6 поз." in shown.text


async def test_a_file_the_bot_cannot_take_is_explained(world: World) -> None:
    admin = world.admin()
    [answer] = await admin.send_document(b"\xd0\xcf\x11\xe0", "прайс.xls")
    assert "CSV или XLSX" in answer.text and "offer.html" in answer.text
    [answer] = await admin.send_document(b"x", "прайс.csv", file_size=40 * 1024 * 1024)
    assert "слишком большой" in answer.text and "не изменён" in answer.text


async def test_the_catalogue_comes_as_a_file_that_goes_back_unchanged(world: World) -> None:
    service: DocumentService = world.dp["documents"]
    before = await service.catalogue()
    admin = world.admin()
    await admin.send("/catalogue")
    [sent] = await admin.press("Каталог файлом")
    assert sent.kind == "document" and isinstance(sent.file, BufferedInputFile)
    name = sent.file.filename or ""
    assert name.endswith(".xlsx")
    [report] = await admin.send_document(sent.file.data, name)
    assert f"обновлено 0, без изменений {len(before)}" in report.text
    assert "Отклонено" not in report.text
    assert await service.catalogue() == before  # names, English, units, prices, VAT as they were
    assert any(item.vat is None for item in before)  # "без НДС" made the round trip too
    async with world.engine.connect() as connection:  # the configuration's items stay its own
        assert (await connection.execute(sa.select(catalogue_items))).first() is None


async def test_an_item_taken_off_by_an_import_is_offered_no_more_until_imported_again(
    world: World,
) -> None:
    admin = world.admin()
    [report] = await admin.send_document("Артикул;Удалить\nconsult-hour;да\n".encode(), "off.csv")
    assert "снято 1" in report.text
    [shown] = await admin.send("/catalogue")
    assert "5 поз." in shown.text and "consult-hour" not in shown.text
    oleg = await manager_with_deal(world)
    await oleg.press("КП / счёт")
    [catalogue] = await oleg.press("Добавить из каталога")
    assert not any("Консультация эксперта" in label for label in catalogue.buttons())

    [report] = await admin.send_document("Артикул;Удалить\nconsult-hour;да\n".encode(), "off.csv")
    assert "снято" not in report.text and "Отклонено" not in report.text  # off already: nothing

    again = "sku;name;price\nconsult-hour;Консультация эксперта;5000\n"
    [report] = await admin.send_document(again.encode(), "back.csv")
    assert "добавлено 1" in report.text  # it was not in the catalogue
    [shown] = await admin.send("/catalogue")
    assert "6 поз." in shown.text
    service: DocumentService = world.dp["documents"]
    back = await service.item("consult-hour")  # what the file did not say, as it was
    assert (back.vat, back.unit.get("ru"), back.name.get("en")) == (
        None,
        "ч",
        "Expert consultation",
    )


async def test_an_unclear_mark_in_the_delete_column_is_asked_about(world: World) -> None:
    data = "sku;name;price;delete\nconsult-hour;Консультация;5000;да, снять\ncrm-setup;;;TRUE\n"
    [report] = await world.admin().send_document(data.encode(), "marks.csv")
    assert "снято 1" in report.text and "обновлено 0" in report.text
    assert "строка 2: «Удалить» — «да, снять» — напишите «да»" in report.text


async def test_the_catalogue_button_ends_a_wait_for_typed_input(world: World) -> None:
    admin = await admin_on_a_deals_card(world)
    await admin.press("Напомнить")  # the bot waits for a typed time
    await admin.callback(StaffCb(action=StaffAction.CATALOGUE).pack())  # an earlier menu's
    answer = await admin.send("обновлю цены в пятницу")
    assert not any("Напомню" in sent.text for sent in answer)


async def test_an_offer_being_built_says_an_item_was_taken_off(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("КП / счёт")
    await oleg.press("Добавить из каталога")
    await oleg.press("Консультация эксперта")
    await world.admin().send_document("Артикул;Удалить\nconsult-hour;да\n".encode(), "off.csv")
    [screen] = await oleg.callback(DealCb(action=DealAction.OFFER, deal=1).pack())
    assert "Снято из каталога и в документ не войдёт: 1 поз." in screen.text


async def test_a_paragraph_pasted_as_a_name_is_refused(world: World) -> None:
    admin = world.admin()
    long_name = "Очень подробное описание услуги " * 20  # 640 characters
    rows = f"sku;name;price\nlong;{long_name};100\nshort;Короткое имя;100\n"
    [report] = await admin.send_document(rows.encode(), "prices.csv")
    assert "добавлено 1" in report.text and "Отклонено строк: 1" in report.text
    assert "строка 2: наименование — длиннее 200 знаков" in report.text
    [shown] = await admin.send("/catalogue")
    assert "Короткое имя" in shown.text and "Очень подробное" not in shown.text


async def test_an_import_through_another_process_is_not_taken_for_no_change(world: World) -> None:
    """Two processes on one database: the second had read the catalogue before the first
    changed a price; its import of the price it saw is saved, not reported "unchanged"."""
    other = make_world(world.engine, world.config, world.clock, RecordingSession())
    row = "sku;name;price\ncrm-setup;Настройка CRM под ваш процесс;{}\n"
    await world.admin().send_document(row.format(9600).encode(), "first.csv")
    await other.admin().send("/catalogue")  # the second process reads it: 9 600
    [raised] = await world.admin().send_document(row.format(9900).encode(), "raise.csv")
    assert "обновлено 1" in raised.text
    [back] = await other.admin().send_document(row.format(9600).encode(), "back.csv")
    assert "обновлено 1" in back.text
    async with world.engine.connect() as connection:
        item = await connection.scalar(
            sa.select(catalogue_items.c.item).where(catalogue_items.c.sku == "crm-setup")
        )
    assert item is not None and Decimal(item["price"]) == 9600


async def test_a_partial_import_through_another_process_keeps_what_the_first_changed(
    world: World,
) -> None:
    """A file with some columns only is completed from the catalogue as the database has it,
    not from the second process's older copy (which would put the old unit back)."""
    other = make_world(world.engine, world.config, world.clock, RecordingSession())
    await other.admin().send("/catalogue")  # the second process reads it: "проект"
    full = "sku;name;unit;price\ncrm-setup;Внедрение CRM под ключ;час;120000\n"
    await world.admin().send_document(full.encode(), "units.csv")
    [report] = await other.admin().send_document(
        "sku;name;price\ncrm-setup;Внедрение CRM под ключ;125000\n".encode(), "prices.csv"
    )
    assert "обновлено 1" in report.text
    async with world.engine.connect() as connection:
        item = await connection.scalar(
            sa.select(catalogue_items.c.item).where(catalogue_items.c.sku == "crm-setup")
        )
    assert item is not None and Decimal(item["price"]) == 125000
    assert item["unit"]["ru"] == "час"
