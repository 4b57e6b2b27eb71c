"""Catalogue files as admins make them: CSV from Excel (Windows-1251, semicolons) and XLSX; each
bad row rejected with a reason a person understands, the good ones kept."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from bot.catalogue_import import UnreadableFile, read_catalogue

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
        ("seat", "Licence", Decimal(9600), 22),
        ("hour", "Час работы", Decimal("2500.5"), None),
    ]
    assert read.rejected == []


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


@pytest.mark.parametrize("vat", ["nan", "inf", "10.9", "22,5", "двадцать"])
def test_vat_that_is_not_a_whole_rate_is_rejected(vat: str) -> None:
    read = read_catalogue(f"sku;name;price;vat\nx;Товар;100;{vat}\n".encode(), "c.csv")
    assert read.items == [] and [(why.key, why.problem) for _, why in read.rejected] == [
        ("vat", "rate")
    ]
