"""A catalogue file an admin sends (CSV or XLSX) read into items, each bad row with its reason.

Columns are found by their header, in Russian or English, in any order: sku (артикул), name
(наименование), name_en, unit (ед.), unit_en, price (цена), vat (ндс: 22, 10, 0, 5, 7, or
"без НДС"). A CSV may be UTF-8 or Windows-1251 (what Excel saves in Russia), with ; or , between
columns; a price may be written "120 000,50".

A file updates what it holds: an item already in the catalogue keeps what a column left out
says (a price list of sku, name and price leaves units, English names and VAT as they were), and
a blank unit or English cell keeps the stored one; an English text is kept only while its Russian
one is unchanged (a renamed item's old English name would be wrong). A new item gets the default
unit and, without a VAT column, 22 %. A VAT column must say each row's rate, "без НДС" included:
a blank cell is asked for, since a wrong rate makes a wrong invoice.

A row marked in an "Удалить" (delete) column takes its item off the catalogue (only its sku is
read); the same sku imported again later is offered again.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from bot.config import CatalogueItem, Localized
from bot.domain.parsing import InputError, parse_decimal

MAX_ROWS = 5_000
XLSX_ROWS_READ = 10 * MAX_ROWS
MAX_BYTES = 5 * 1024 * 1024

HEADERS = {
    "sku": ("sku", "артикул", "код", "code"),
    "name": ("name", "наименование", "название", "name_ru", "товар", "услуга"),
    "name_en": ("name_en", "наименование_en", "english name"),
    "unit": ("unit", "ед.", "ед", "единица", "unit_ru", "ед. изм."),
    "unit_en": ("unit_en",),
    "price": ("price", "цена", "стоимость", "цена, руб.", "цена, ₽"),
    "vat": ("vat", "ндс", "ндс, %", "vat, %", "ставка ндс"),
    "withdraw": ("удалить", "снять", "убрать", "delete", "remove", "withdraw"),
}
MARKED = ("да", "д", "yes", "y", "1", "x", "х", "+", "✓", "✔", "удалить", "delete", "true",
          "истина")  # fmt: skip
NOT_MARKED = ("", "нет", "н", "no", "n", "0", "-", "false", "ложь")
NO_VAT = ("без ндс", "нет", "no", "none", "no vat", "-", "—", "null")
VALUE_CUT = 40  # characters of a rejected cell quoted back
NAME_MAX = 200  # characters of an item's name or unit


class UnreadableFile(ValueError):
    """Not a catalogue: the wrong kind of file, too big, or without the needed columns."""


@dataclass(frozen=True)
class Rejection:
    key: str  # sku, name, unit, price, vat: the column at fault
    problem: str  # missing, pattern, not_a_number, range, rate, ...
    value: str = ""


@dataclass
class ReadCatalogue:
    items: list[CatalogueItem] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)  # skus to take off
    # (row number, why: a key of the message catalogue, "import_<key>", and its values)
    rejected: list[tuple[int, Rejection]] = field(default_factory=list)


def read_catalogue(
    data: bytes, filename: str, stored: Mapping[str, CatalogueItem] | None = None
) -> ReadCatalogue:
    """The file's items, each completed from `stored` (the catalogue as it is, by sku)."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile("too_big")
    stored = stored or {}
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        rows = _csv_rows(data)
    else:
        raise UnreadableFile("format")
    # Blank lines (Excel writes ";;;" for formatted empty rows) are nothing, not rows; the
    # others keep their numbers in the file for the report.
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if not numbered:
        raise UnreadableFile("empty")
    if len(numbered) > MAX_ROWS + 1:  # a part of a price list would be worse than none
        raise UnreadableFile("too_big")
    columns = _columns(numbered[0][1])
    # A file that only takes items off needs no names and prices.
    needed = ("sku",) if "withdraw" in columns else ("sku", "name", "price")
    if any(key not in columns for key in needed):
        raise UnreadableFile("columns")
    result = ReadCatalogue()
    seen: set[str] = set()
    rows_read = 0
    for number, row in numbered[1:]:
        values = {key: _cell(row, index) for key, index in columns.items()}
        if not any(values.values()):
            continue  # only columns of no interest are filled
        rows_read += 1
        sku = values.get("sku", "")
        mark = values.get("withdraw", "").lower()
        if mark not in MARKED and mark not in NOT_MARKED:  # "удалено?", "да, снять": unsure
            result.rejected.append((number, _rejection("withdraw", "mark", values)))
            continue
        if mark in MARKED:
            if not sku:
                result.rejected.append((number, _rejection("sku", "missing", values)))
            elif sku not in stored:
                result.rejected.append((number, _rejection("sku", "not_in_catalogue", values)))
            elif sku in seen:
                result.rejected.append((number, Rejection("sku", "repeated", sku)))
            else:
                seen.add(sku)
                result.withdrawn.append(sku)
            continue
        item, problem = _item(values, stored.get(sku))
        if item is not None and item.sku in seen:
            problem = Rejection("sku", "repeated", item.sku)
            item = None
        if item is None:
            result.rejected.append((number, problem))
        else:
            seen.add(item.sku)
            result.items.append(item)
    if not rows_read:
        raise UnreadableFile("no_rows")
    return result


def _item(
    values: dict[str, str], stored: CatalogueItem | None
) -> tuple[CatalogueItem | None, Rejection]:
    price_text = values.get("price", "").strip()
    try:
        # Read as English writes it too: a comma before three digits groups thousands ("1,500"
        # is fifteen hundred, not 1.5); "1500,50" and "1 500,50" are still Russian decimals.
        price = parse_decimal(price_text, locale="en", scaled=True)
    except InputError:
        return None, _rejection("price", "not_a_number" if price_text else "missing", values)
    vat_text = values.get("vat", "").lower().removesuffix("%").strip()
    vat: int | None
    if "vat" not in values:
        vat = stored.vat if stored else 22
    elif not vat_text:
        return None, _rejection("vat", "vat_missing", values)
    elif vat_text in NO_VAT:
        vat = None
    else:
        try:
            rate = Decimal(vat_text.replace(",", "."))
        except InvalidOperation:
            return None, _rejection("vat", "rate", values)
        if not rate.is_finite() or rate != rate.to_integral_value():  # nan, inf, 10.9
            return None, _rejection("vat", "rate", values)
        vat = int(rate)
    for key in ("name", "name_en", "unit", "unit_en"):
        # a name goes on buttons and into documents: a paragraph pasted into the cell is no name
        if len(values.get(key, "").strip()) > NAME_MAX:
            return None, _rejection(key, "too_long", values)
    raw: dict[str, Any] = {
        "sku": values.get("sku", "").strip(),
        "name": _localized(
            values.get("name", ""), values.get("name_en", ""), stored.name if stored else None
        ),
        "price": price,
        "vat": vat,
    }
    if values.get("unit"):
        raw["unit"] = _localized(
            values["unit"], values.get("unit_en", ""), stored.unit if stored else None
        )
    elif stored:
        raw["unit"] = stored.unit
    try:
        return CatalogueItem.model_validate(raw), Rejection("", "")
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"][:1])
        given = str(values.get(where, "")).strip()
        return None, _rejection(where, _reason(first) if given else "missing", values)


def _rejection(key: str, problem: str, values: dict[str, str]) -> Rejection:
    given = values.get(key, "").strip()
    return Rejection(
        key, problem, given if len(given) <= VALUE_CUT else given[: VALUE_CUT - 1] + "…"
    )


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


def _localized(ru: str, en: str, stored: Localized | None) -> dict[str, str]:
    """A blank English cell keeps the stored English text while the Russian one is the same."""
    ru, en = ru.strip(), en.strip()
    if not en and stored is not None and stored.root.get("ru") == ru:
        en = stored.root.get("en", "")
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
    if index >= len(row) or row[index] is None:
        return ""
    # Control characters (a tab inside a cell, a vertical tab) have no place in a name.
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in row[index]).strip()


def _csv_rows(data: bytes) -> list[list[str]]:
    # Excel's "Unicode text" is UTF-16 with its byte-order mark, and tab-separated
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes any byte
        raise UnreadableFile("encoding")
    if "\x00" in text:
        raise UnreadableFile("format")  # a picture or a program renamed .csv
    first = text.splitlines()[0] if text else ""
    delimiter = max((";", ",", "\t"), key=first.count)  # the first of the most used on a tie
    try:  # universal newlines: old Mac files end lines with a lone CR
        return list(csv.reader(io.StringIO(text, newline=None), delimiter=delimiter))
    except csv.Error as error:
        raise UnreadableFile("format") from error


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise UnreadableFile("format") from error
    sheet = book.worksheets[0]
    rows: list[list[str]] = []
    filled = 0
    # A sheet's used range may reach far below its data (one formatted cell): blank rows are
    # read past, up to a bound, and reading stops as soon as there are too many filled ones.
    for row in sheet.iter_rows(values_only=True, max_row=XLSX_ROWS_READ):
        cells = ["" if value is None else _text(value) for value in row]
        rows.append(cells)
        filled += any(cells)
        if filled > MAX_ROWS + 1:
            break
    book.close()
    return rows


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
