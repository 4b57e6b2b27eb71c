"""A catalogue file an admin sends (CSV or XLSX) read into items, each bad row with its reason.

Columns are found by their header, in Russian or English, in any order: sku (артикул), name
(наименование), name_en, unit (ед.), unit_en, price (цена), vat (ндс: 22, 10, 0, 5, 7, or
"без НДС"). A CSV may be UTF-8 or Windows-1251 (what Excel saves in Russia), with ; or , between
columns; a price may be written "120 000,50".
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from bot.config import CatalogueItem

MAX_ROWS = 5_000
MAX_BYTES = 5 * 1024 * 1024

HEADERS = {
    "sku": ("sku", "артикул", "код", "code"),
    "name": ("name", "наименование", "название", "name_ru", "товар", "услуга"),
    "name_en": ("name_en", "наименование_en", "english name"),
    "unit": ("unit", "ед.", "ед", "единица", "unit_ru", "ед. изм."),
    "unit_en": ("unit_en",),
    "price": ("price", "цена", "стоимость", "цена, руб.", "цена, ₽"),
    "vat": ("vat", "ндс", "ндс, %", "vat, %", "ставка ндс"),
}
NO_VAT = ("", "без ндс", "нет", "no", "none", "-", "—", "null")


class UnreadableFile(ValueError):
    """Not a catalogue: the wrong kind of file, too big, or without the needed columns."""


@dataclass(frozen=True)
class Rejection:
    key: str  # sku, name, unit, price, vat: the column at fault; or repeated, too_many, ...
    problem: str  # missing, pattern, not_a_number, range, rate, ...
    value: str = ""


@dataclass
class ReadCatalogue:
    items: list[CatalogueItem] = field(default_factory=list)
    # (row number, why: a key of the message catalogue, "import_<key>", and its values)
    rejected: list[tuple[int, Rejection]] = field(default_factory=list)


def read_catalogue(data: bytes, filename: str) -> ReadCatalogue:
    if len(data) > MAX_BYTES:
        raise UnreadableFile("too_big")
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        rows = _csv_rows(data)
    else:
        raise UnreadableFile("format")
    if not rows:
        raise UnreadableFile("empty")
    columns = _columns(rows[0])
    missing = [key for key in ("sku", "name", "price") if key not in columns]
    if missing:
        raise UnreadableFile("columns")
    result = ReadCatalogue()
    seen: set[str] = set()
    for number, row in enumerate(rows[1 : MAX_ROWS + 1], start=2):
        values = {key: _cell(row, index) for key, index in columns.items()}
        if not any(values.values()):
            continue  # an empty line
        item, problem = _item(values)
        if item is not None and item.sku in seen:
            problem = Rejection("sku", "repeated", item.sku)
            item = None
        if item is None:
            result.rejected.append((number, problem))
        else:
            seen.add(item.sku)
            result.items.append(item)
    if len(rows) > MAX_ROWS + 1:
        result.rejected.append((MAX_ROWS + 2, Rejection("file", "too_many", str(MAX_ROWS))))
    return result


def _item(values: dict[str, str]) -> tuple[CatalogueItem | None, Rejection]:
    price_text = values.get("price", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        price = Decimal(price_text.removesuffix("₽").removesuffix("руб."))
    except InvalidOperation:
        return None, Rejection("price", "not_a_number", values.get("price", ""))
    vat_text = values.get("vat", "22").strip().lower().removesuffix("%").strip()
    vat: int | None
    if vat_text in NO_VAT:
        vat = None if "vat" in values else 22
    else:
        try:
            rate = Decimal(vat_text.replace(",", "."))
        except InvalidOperation:
            return None, Rejection("vat", "rate", values.get("vat", ""))
        if not rate.is_finite() or rate != rate.to_integral_value():  # nan, inf, 10.9
            return None, Rejection("vat", "rate", values.get("vat", ""))
        vat = int(rate)
    raw: dict[str, Any] = {
        "sku": values.get("sku", "").strip(),
        "name": _localized(values.get("name", ""), values.get("name_en", "")),
        "price": price,
        "vat": vat,
    }
    if values.get("unit"):
        raw["unit"] = _localized(values["unit"], values.get("unit_en", ""))
    try:
        return CatalogueItem.model_validate(raw), Rejection("", "")
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"][:1])
        given = str(values.get(where, "")).strip()
        return None, Rejection(where, _reason(first) if given else "missing", given[:40])


def _reason(error: Any) -> str:
    return {
        "string_pattern_mismatch": "pattern",
        "greater_than_equal": "range",
        "decimal_max_places": "range",
        "decimal_max_digits": "range",
        "literal_error": "rate",
        "missing": "missing",
        "string_too_short": "missing",
        "dict_type": "missing",
    }.get(error.get("type", ""), "invalid")


def _localized(ru: str, en: str) -> dict[str, str] | str:
    ru, en = ru.strip(), en.strip()
    if not ru:
        return {}
    return {"ru": ru, "en": en} if en else {"ru": ru}


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        key = title.strip().lower()
        for column, names in HEADERS.items():
            if key in names and column not in found:
                found[column] = index
    return found


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) and row[index] is not None else ""


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes any byte
        raise UnreadableFile("encoding")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise UnreadableFile("format") from error
    sheet = book.worksheets[0]
    rows = [
        ["" if value is None else _text(value) for value in row]
        for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
    ]
    book.close()
    return rows


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
