"""The arithmetic of a commercial offer or an invoice: lines, discount, VAT, the total in figures
and in words. Money is in kopecks (int), quantities are Decimal; rounding is half up, per line,
as accountants do."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class OfferLine:
    sku: str
    name: str
    unit: str
    quantity: Decimal
    price_minor: int  # per unit
    vat_rate: int | None  # percent; None: not subject to VAT ("без НДС")

    @property
    def amount_minor(self) -> int:
        return _round(self.quantity * self.price_minor)


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal_minor: int  # the lines before the discount
    discount_minor: int
    vat_minor: dict[int | None, int]  # by rate; None: lines without VAT
    total_minor: int  # what the client pays

    @property
    def vat_total_minor(self) -> int:
        return sum(amount for rate, amount in self.vat_minor.items() if rate is not None)


class OfferError(ValueError):
    """An offer that cannot be made: no lines, a quantity or discount out of range."""


def totals(
    lines: list[OfferLine], discount_percent: Decimal, prices_include_vat: bool = True
) -> Totals:
    """The discount is spread over the lines in proportion, so each rate's VAT is right."""
    if not lines:
        raise OfferError("no lines")
    if not Decimal(0) <= discount_percent < HUNDRED:
        raise OfferError("discount out of range")
    if any(line.quantity <= 0 for line in lines):
        raise OfferError("quantity must be positive")
    subtotal = sum(line.amount_minor for line in lines)
    net_by_rate: dict[int | None, int] = defaultdict(int)
    for line in lines:
        net_by_rate[line.vat_rate] += _round(
            line.amount_minor * (HUNDRED - discount_percent) / HUNDRED
        )
    after_discount = sum(net_by_rate.values())
    vat: dict[int | None, int] = {}
    for rate, amount in sorted(net_by_rate.items(), key=lambda item: (item[0] is None, item[0])):
        if rate is None:
            vat[None] = 0
        elif prices_include_vat:
            vat[rate] = _round(Decimal(amount) * rate / (HUNDRED + rate))
        else:
            vat[rate] = _round(Decimal(amount) * rate / HUNDRED)
    total = after_discount if prices_include_vat else after_discount + sum(vat.values())
    return Totals(subtotal, subtotal - after_discount, vat, total)


def in_words(amount_minor: int, locale: str = "ru") -> str:
    """ "Сто двадцать тысяч рублей 00 копеек": the form of a Russian document's total; in
    English, "One hundred and twenty thousand roubles and 00 kopecks"."""
    if locale == "en":  # num2words's English puts a comma after "thousand" and says "kopeks"
        whole, kopecks = divmod(amount_minor, 100)
        number = str(num2words(whole, lang="en")).replace(",", "")
        roubles = "rouble" if whole == 1 else "roubles"
        words = f"{number} {roubles} and {kopecks:02d} {'kopeck' if kopecks == 1 else 'kopecks'}"
    else:
        rubles = Decimal(amount_minor) / HUNDRED
        words = str(
            num2words(rubles, lang="ru", to="currency", currency="RUB", cents=False, separator="")
        )
    return words[:1].upper() + words[1:]


_POINT = {False: ",", True: "."}  # the decimal mark, by "is it English": Russian, English


def money(amount_minor: int, locale: str = "ru") -> str:
    """ "120 000,00": groups and a comma before kopecks, as Russian writes it; "120,000.00" in
    English."""
    rubles, kopecks = divmod(abs(amount_minor), 100)
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{grouped(rubles, locale)}{_POINT[locale == 'en']}{kopecks:02d}"


def grouped(whole: int, locale: str = "ru") -> str:
    """ "120 000" (no-break spaces) as Russian groups thousands, "120,000" in English."""
    return f"{whole:,}" if locale == "en" else f"{whole:,}".replace(",", "\u00a0")


def decimal_text(value: Decimal, locale: str = "ru") -> str:
    """A quantity or a percentage as typed back to a person: "2,5" in Russian, "2.5" in English;
    no trailing zeros."""
    return f"{value.normalize():f}".replace(".", _POINT[locale == "en"])


def _round(value: Decimal | int) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
