"""What a document template is given: the seller's requisites, the client, the manager, the
lines and totals, all as ready strings (the same for the PDF and the DOCX template)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.config import BusinessConfig, DocumentType
from bot.domain.offers import OfferLine, Totals, decimal_text, in_words, money, totals
from bot.domain.parsing import format_phone
from bot.rendering import TEMPLATES


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    company: str = ""
    phone: str = ""
    email: str = ""
    contact: str = ""  # a manager's @username


def number(kind: DocumentType, year: int, sequence: int) -> str:
    return f"{kind.prefix}-{year}-{sequence:04d}"


@cache
def labels(directory: Path, locale: str) -> dict[str, str]:
    catalogue = yaml.safe_load((directory / "labels.yaml").read_text(encoding="utf-8"))
    words: dict[str, str] = dict(catalogue["ru"])
    words.update(catalogue.get(locale) or {})
    return words


def percent(value: object, locale: str) -> str:
    """ "22 %" as Russian writes it, "22%" as English does."""
    return f"{value}%" if locale == "en" else f"{value}\u00a0%"


def document_date(day: date, locale: str) -> str:
    """ "23.11.2026", or "November 23, 2026" on an English document."""
    return f"{day:%B} {day.day}, {day.year}" if locale == "en" else f"{day:%d.%m.%Y}"


def context(
    config: BusinessConfig,
    kind: DocumentType,
    doc_number: str,
    issued: date,
    lines: list[OfferLine],
    discount_percent: Decimal,
    client: Party,
    manager: Party,
    locale: str,
    directory: Path = TEMPLATES,
    valid_days: int | None = None,
) -> tuple[dict[str, Any], Totals]:
    include_vat = config.documents.prices_include_vat if config.documents else True
    result = totals(lines, discount_percent, include_vat)
    words = labels(directory, locale)
    company = config.company
    requisites = company.requisites
    seller: dict[str, str] = {
        "name": company.name.get(locale),
        "legal_name": company.name.get(locale),
        "address": company.address.get(locale) if company.address else "",
        "phone": _unbroken(company.phone),
        "email": company.email,
        "website": company.website,
        "director_title": words["director_title"],
        "director": "",
        "logo": "",
        # a business without requisites in its configuration still makes documents: the
        # templates leave out what is empty
        "inn": "",
        "kpp": "",
        "ogrn": "",
        "bank": "",
        "bik": "",
        "account": "",
        "correspondent_account": "",
    }
    if requisites is not None:
        seller.update(
            legal_name=requisites.legal_name.get(locale),
            address=requisites.legal_address.get(locale),
            inn=requisites.inn,
            kpp=requisites.kpp,
            ogrn=requisites.ogrn,
            bank=requisites.bank.get(locale) if requisites.bank else "",
            bik=requisites.bik,
            account=requisites.account,
            correspondent_account=requisites.correspondent_account,
            director=requisites.director.get(locale) if requisites.director else "",
            logo=requisites.logo,
        )
    days = valid_days or kind.valid_days
    valid_until = issued + timedelta(days=days) if days else None
    vat_lines = []
    for rate, amount in result.vat_minor.items():
        if rate is None:
            vat_lines.append({"label": words["no_vat"], "amount": "—"})
        else:
            key = "vat_included" if include_vat else "vat_on_top"
            label = words[key].replace("{{ rate }}", str(rate))
            vat_lines.append({"label": label, "amount": money(amount, locale)})
    data = {
        "locale": locale,
        "labels": words,
        "doc": {
            "title": kind.title.get(locale),
            "number": doc_number,
            "date": document_date(issued, locale),
            "valid_until": document_date(valid_until, locale) if valid_until else "",
        },
        "seller": seller,
        "client": vars_of(client),
        "manager": vars_of(manager),
        "lines": [
            {
                "n": n,
                "sku": line.sku,
                "name": line.name,
                "unit": line.unit,
                "quantity": decimal_text(line.quantity, locale),
                "price": money(line.price_minor, locale),
                "vat": "—" if line.vat_rate is None else percent(line.vat_rate, locale),
                "amount": money(line.amount_minor, locale),
            }
            for n, line in enumerate(lines, start=1)
        ],
        "totals": {
            "subtotal": money(result.subtotal_minor, locale),
            "discount": money(result.discount_minor, locale) if result.discount_minor else "",
            "discount_percent": decimal_text(discount_percent, locale),
            "vat": vat_lines,
            "total": money(result.total_minor, locale),
            "words": in_words(result.total_minor, locale),
            "count": len(lines),
            "vat_on_top": not include_vat,  # VAT added to the prices: shown before the total
        },
    }
    return data, result


def vars_of(party: Party) -> dict[str, str]:
    phone = format_phone(party.phone) if party.phone.startswith("+") else party.phone
    return {
        "name": party.name,
        "company": party.company,
        "phone": _unbroken(phone),
        "email": party.email,
        "contact": party.contact,
    }


def _unbroken(phone: str) -> str:
    """+7 916 000-10-01 on one line: a narrow column broke it after "+7"."""
    return phone.replace(" ", "\u00a0").replace("-", "\u2011")
