"""Catalogue files as admins make them: CSV from Excel (Windows-1251, semicolons) and XLSX; each
bad row rejected with a reason a person understands, the good ones kept."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from bot.catalogue_export import catalogue_xlsx
from bot.catalogue_import import MAX_ROWS, UnreadableFile, read_catalogue
from bot.config import CatalogueItem

CSV = """Артикул;Наименование;Ед.;Цена;НДС
crm-setup;Внедрение CRM под ключ;проект;120 000,50;22
audit;Аудит отдела продаж;день;45000;без НДС
;Без артикула;шт.;100;22
bad price;Пробел в артикуле;шт.;100;22
cheap;Отрицательная цена;шт.;-5;22
vat18;Старая ставка;шт.;100;18
audit;Повтор;шт.;1;22

nan;Цена словами;шт.;сто рублей;22
"""


def test_a_csv_from_excel_with_bad_rows() -> None:
    read = read_catalogue(CSV.encode("cp1251"), "каталог.csv")
    assert [(i.sku, i.price, i.vat) for i in read.items] == [
        ("crm-setup", Decimal("120000.50"), 22),
        ("audit", Decimal(45000), None),
    ]
    assert read.items[0].unit.get("ru") == "проект"
    reasons = {row: (why.key, why.problem) for row, why in read.rejected}
    assert reasons == {
        4: ("sku", "missing"),
        5: ("sku", "pattern"),
        6: ("price", "range"),
        7: ("vat", "rate"),
        8: ("sku", "repeated"),
        10: ("price", "not_a_number"),
    }  # line 9 is empty: skipped, not rejected


def test_an_xlsx_with_english_headers_and_names() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["sku", "name", "name_en", "price", "vat"])
    sheet.append(["seat", "Лицензия", "Licence", 9600, 22])
    sheet.append(["hour", "Час работы", None, 2500.5, None])
    data = io.BytesIO()
    book.save(data)
    read = read_catalogue(data.getvalue(), "prices.XLSX")
    assert [(i.sku, i.name.get("en"), i.price, i.vat) for i in read.items] == [
        ("seat", "Licence", Decimal(9600), 22)
    ]
    # A new item's blank VAT is asked for: a wrong rate makes a wrong invoice.
    assert [(row, why.key, why.problem) for row, why in read.rejected] == [
        (3, "vat", "vat_missing")
    ]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"sku;price\nx;1\n", "no-name.csv"),  # no name column
        (b"%PDF-1.7 ...", "offer.pdf"),  # not a table
        (b"PK\x03\x04 not really", "broken.xlsx"),
        (b"", "empty.csv"),
    ],
)
def test_files_that_are_not_a_catalogue(data: bytes, name: str) -> None:
    with pytest.raises(UnreadableFile):
        read_catalogue(data, name)


def test_excels_unicode_text_is_read() -> None:
    data = "Артикул\tНаименование\tЦена\tНДС\ncrm-setup\tВнедрение CRM\t120000\t22\n"
    read = read_catalogue(data.encode("utf-16"), "каталог.txt")
    assert [(i.sku, i.name.get("ru"), i.price) for i in read.items] == [
        ("crm-setup", "Внедрение CRM", Decimal(120000))
    ]


@pytest.mark.parametrize(
    ("price", "read"),
    [
        ("1,500", Decimal(1500)),  # English thousands: not one and a half roubles
        ("12,500.50", Decimal("12500.50")),
        ("1500,50", Decimal("1500.50")),
        ("1 500,50 ₽", Decimal("1500.50")),
        ("2,5", Decimal("2.5")),
    ],
)
def test_a_price_is_read_as_people_write_it(price: str, read: Decimal) -> None:
    imported = read_catalogue(f'sku;name;price;vat\nx;Товар;"{price}";22\n'.encode(), "c.csv")
    assert [item.price for item in imported.items] == [read]


@pytest.mark.parametrize("vat", ["nan", "inf", "10.9", "22,5", "двадцать"])
def test_vat_that_is_not_a_whole_rate_is_rejected(vat: str) -> None:
    read = read_catalogue(f"sku;name;price;vat\nx;Товар;100;{vat}\n".encode(), "c.csv")
    assert read.items == [] and [(why.key, why.problem) for _, why in read.rejected] == [
        ("vat", "rate")
    ]


TRAINING = CatalogueItem.model_validate(
    {"sku": "training", "name": {"ru": "Обучение", "en": "Training"},
     "unit": {"ru": "день", "en": "day"}, "price": 25000, "vat": 22}
)  # fmt: skip


def test_a_price_list_changes_prices_and_keeps_what_it_does_not_say() -> None:
    """A file of sku, name and price only (or with blank unit and English cells) leaves the
    stored English name, unit and VAT of an item as they were."""
    data = "Артикул;Наименование;Цена;Ед.;name_en\ntraining;Обучение;27000;;\n"
    read = read_catalogue(data.encode("cp1251"), "prices.csv", {"training": TRAINING})
    [item] = read.items
    assert (item.name.get("ru"), item.name.get("en"), item.price) == (
        "Обучение", "Training", Decimal(27000)
    )  # fmt: skip
    assert (item.unit.get("ru"), item.unit.get("en"), item.vat) == ("день", "day", 22)

    read = read_catalogue(
        b"sku;name;price;vat\ntraining;X;1;no VAT\n", "p.csv", {"training": TRAINING}
    )
    assert read.items[0].vat is None  # said in so many words


def test_a_renamed_item_does_not_keep_its_old_english_name_or_unit() -> None:
    data = "sku;name;unit;price\ntraining;Семинар;час;500\n"
    [item] = read_catalogue(data.encode(), "p.csv", {"training": TRAINING}).items
    assert (item.name.get("en"), item.unit.get("en")) == ("Семинар", "час")  # not Training, day


def test_a_vat_column_needs_each_rows_rate() -> None:
    data = "sku;name;price;vat\ntraining;Обучение;1;\n"
    read = read_catalogue(data.encode(), "p.csv", {"training": TRAINING})
    assert [(why.key, why.problem) for _, why in read.rejected] == [("vat", "vat_missing")]


def test_blank_lines_are_not_rows() -> None:
    """Excel writes ";;" for formatted empty rows, and a sheet's used range can reach far below
    its data: neither counts towards the row limit, and rows keep their numbers."""
    data = "sku;name;price\n" + ";;\n" * (MAX_ROWS + 10) + "x;Товар;-1\n"
    read = read_catalogue(data.encode(), "c.csv")
    assert read.rejected[0][0] == MAX_ROWS + 12
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["sku", "name", "price", "vat"])
    sheet.append(["seat", "Лицензия", 9600, 22])
    sheet.cell(row=MAX_ROWS + 1000, column=6).number_format = "0.00"
    sheet.cell(row=MAX_ROWS + 1000, column=6).value = " "
    workbook = io.BytesIO()
    book.save(workbook)
    assert [i.sku for i in read_catalogue(workbook.getvalue(), "c.xlsx").items] == ["seat"]


def test_a_file_over_the_row_limit_is_refused_whole() -> None:
    rows = "".join(f"s{n};Товар {n};1;22\n" for n in range(MAX_ROWS + 1))
    with pytest.raises(UnreadableFile, match="too_big"):
        read_catalogue(f"sku;name;price;vat\n{rows}".encode(), "big.csv")
    read = read_catalogue(f"sku;name;price;vat\n{rows[: rows.rindex('s')]}".encode(), "ok.csv")
    assert len(read.items) == MAX_ROWS


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "format"),  # a picture named .csv
        (b"sku;name;price;vat\n", "no_rows"),  # headers only
        (b"sku;name;price;vat\n;;;\n\n", "no_rows"),
    ],
)
def test_files_with_nothing_to_import_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableFile, match=reason):
        read_catalogue(data, "catalogue.csv")


def test_old_mac_line_endings_are_read() -> None:
    read = read_catalogue(b"sku;name;price;vat\rx;Item;100;22\ry;Other;5;0\r", "mac.csv")
    assert [item.sku for item in read.items] == ["x", "y"]


def test_a_long_rejected_value_is_quoted_short() -> None:
    read = read_catalogue(f"sku;name;price\nx;Товар;{'9' * 3000}z\n".encode(), "c.csv")
    [(_, why)] = read.rejected
    assert why.problem == "not_a_number" and len(why.value) <= 40


def test_a_row_marked_for_deletion_takes_its_item_off() -> None:
    data = "sku;name;price;Удалить\ntraining;;;да\nghost;;;x\nseat;Лицензия;100;\n"
    read = read_catalogue(data.encode(), "c.csv", {"training": TRAINING})
    assert read.withdrawn == ["training"]  # no name or price needed to take it off
    assert [item.sku for item in read.items] == ["seat"]
    assert [(row, why.problem, why.value) for row, why in read.rejected] == [
        (3, "not_in_catalogue", "ghost")
    ]


def test_the_export_keeps_names_as_text_and_reads_back_in_either_language() -> None:
    """A name beginning with "=" would be a live formula in the admin's Excel; a control
    character would make the whole file fail to save."""
    items = [
        CatalogueItem.model_validate(
            {"sku": "x1", "name": '=HYPERLINK("http://x","жми")', "price": "0.1"}
        ),
        CatalogueItem.model_validate({"sku": "x2", "name": "Товар\x0bс табом", "price": 1e6,
                                      "vat": None}),
    ]  # fmt: skip
    for locale in ("ru", "en"):
        data = catalogue_xlsx(items, locale)
        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet is not None and sheet["B2"].data_type == "s"
        read = read_catalogue(data, "catalogue.xlsx")
        assert read.rejected == []
        assert [(i.name.get("ru"), i.price, i.vat) for i in read.items] == [
            ('=HYPERLINK("http://x","жми")', Decimal("0.1"), 22),
            ("Товар с табом", Decimal(1000000), None),
        ]
