"""The catalogue as an XLSX file an admin edits and sends back: its columns are the ones the
import reads (bot.catalogue_import), so the round trip changes nothing by itself."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.config import CatalogueItem

# Titles the import recognises (see HEADERS there), in its column order, per language.
COLUMNS = {
    "ru": ("Артикул", "Наименование", "name_en", "Ед.", "unit_en", "Цена", "НДС", "Удалить"),
    "en": ("sku", "name_ru", "name_en", "unit_ru", "unit_en", "price", "vat", "delete"),
}
SHEET = {"ru": "Каталог", "en": "Catalogue"}
NO_VAT = {"ru": "без НДС", "en": "no VAT"}
TEXT_COLUMNS = (1, 2, 3, 4, 5)  # sku, names and units: text, whatever they begin with
WIDTHS = (16, 48, 36, 10, 10, 14, 10, 10)


def catalogue_xlsx(items: Sequence[CatalogueItem], locale: str = "ru") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    def text(value: str) -> str:  # a control character would make the whole file fail
        return str(ILLEGAL_CHARACTERS_RE.sub(" ", value))

    locale = locale if locale in COLUMNS else "ru"
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = SHEET[locale]
    sheet.append(COLUMNS[locale])
    for item in items:
        sheet.append(
            [
                text(item.sku),
                text(item.name.root["ru"]),
                text(item.name.root.get("en", "")),
                text(item.unit.root["ru"]),
                text(item.unit.root.get("en", "")),
                item.price,
                NO_VAT[locale] if item.vat is None else item.vat,
            ]
        )
        for column in TEXT_COLUMNS:
            # A name beginning with "=" stays a name: as a formula it would run (a link, DDE)
            # in the admin's Excel, and not come back as the name.
            sheet.cell(row=sheet.max_row, column=column).data_type = "s"
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
