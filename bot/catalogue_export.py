"""The catalogue as an XLSX file an admin edits and sends back: its columns are the ones the
import reads (bot.catalogue_import), so the round trip changes nothing by itself."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.config import CatalogueItem

# Titles the import recognises (see HEADERS there), in its column order.
COLUMNS = ("Артикул", "Наименование", "name_en", "Ед.", "unit_en", "Цена", "НДС", "Удалить")
NO_VAT = "без НДС"


def catalogue_xlsx(items: Sequence[CatalogueItem]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = "Каталог"
    sheet.append(COLUMNS)
    for item in items:
        sheet.append(
            [
                item.sku,
                item.name.root["ru"],
                item.name.root.get("en", ""),
                item.unit.root["ru"],
                item.unit.root.get("en", ""),
                item.price,
                NO_VAT if item.vat is None else item.vat,
            ]
        )
    for column, width in zip("ABCDEFGH", (16, 48, 36, 10, 10, 14, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
