"""The arithmetic of offers and invoices: lines, discount, VAT by rate, the total in words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.offers import OfferError, OfferLine, decimal_text, in_words, money, totals


def line(price_rub: int, quantity: str = "1", vat: int | None = 22, sku: str = "x") -> OfferLine:
    return OfferLine(sku, "Услуга", "шт.", Decimal(quantity), price_rub * 100, vat)


def test_vat_is_inside_the_prices_by_default() -> None:
    result = totals([line(100_000), line(10_000, "2")], Decimal(0))
    assert result.subtotal_minor == 12_000_000 and result.total_minor == 12_000_000
    assert result.vat_minor == {22: 2_163_934}  # 120 000 × 22 / 122 = 21 639,34


def test_a_discount_is_spread_over_the_rates() -> None:
    result = totals([line(100_000, vat=22), line(50_000, vat=None)], Decimal(10))
    assert result.discount_minor == 1_500_000 and result.total_minor == 13_500_000
    assert result.vat_minor == {22: 1_622_951, None: 0}  # on 90 000 only


def test_vat_on_top_of_prices() -> None:
    result = totals([line(1_000, "3", vat=20)], Decimal(0), prices_include_vat=False)
    assert result.vat_total_minor == 60_000 and result.total_minor == 360_000


def test_fractional_quantities_round_half_up_per_line() -> None:
    assert OfferLine("h", "Час", "ч", Decimal("1.5"), 333, None).amount_minor == 500  # 499.5


@pytest.mark.parametrize(
    ("lines", "discount"),
    [([], Decimal(0)), ([line(10)], Decimal(100)), ([line(10, "0")], Decimal(0))],
)
def test_offers_that_cannot_be_made(lines: list[OfferLine], discount: Decimal) -> None:
    with pytest.raises(OfferError):
        totals(lines, discount)


@pytest.mark.parametrize(
    ("minor", "words"),
    [
        (12_000_000, "Сто двадцать тысяч рублей 00 копеек"),
        (101, "Один рубль 01 копейка"),
        (2_200, "Двадцать два рубля 00 копеек"),
        (100_000_099, "Один миллион рублей 99 копеек"),
    ],
)
def test_the_total_in_words(minor: int, words: str) -> None:
    assert in_words(minor) == words


def test_money_is_written_the_russian_way() -> None:
    assert money(12_000_050) == "120\u00a0000,50" and money(5) == "0,05"


def test_english_documents_write_amounts_the_english_way() -> None:
    assert money(12_000_050, "en") == "120,000.50" and money(-5, "en") == "-0.05"
    assert in_words(12_000_000, "en") == "One hundred and twenty thousand roubles and 00 kopecks"
    assert in_words(960_001, "en") == "Nine thousand six hundred roubles and 01 kopeck"
    assert in_words(100, "en") == "One rouble and 00 kopecks"


def test_quantities_and_percentages_are_typed_back_the_readers_way() -> None:
    assert decimal_text(Decimal("2.50")) == "2,5" and decimal_text(Decimal("2.50"), "en") == "2.5"
    assert decimal_text(Decimal("10.00"), "en") == "10"
