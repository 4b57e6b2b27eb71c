"""Offers and invoices of a deal: its chosen items and discount, a number per type and year,
the files rendered off the event loop, every document recorded on the deal."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from bot.config import BusinessConfig, CatalogueItem, DocumentType
from bot.documents import Party, context, number
from bot.domain.desk import DealCard, Viewer
from bot.domain.offers import OfferLine, Totals, money, totals
from bot.rendering import Renderer
from bot.services.desk import DeskService
from bot.texts import locale_for

MAX_QUANTITY = Decimal(1_000_000)


class DocumentRepository(Protocol):
    async def next_number(self, kind: str, year: int) -> int: ...
    async def record(
        self,
        *,
        deal_id: int,
        kind: str,
        number: str,
        total_minor: int,
        content: dict[str, Any],
        created_by: int | None,
        now: datetime,
    ) -> int: ...
    async def set_file_ids(self, document_id: int, pdf: str | None, docx: str | None) -> None: ...
    async def get(self, document_id: int) -> dict[str, Any] | None: ...
    async def of_deal(self, deal_id: int, limit: int) -> list[dict[str, Any]]: ...


class DealItemRepository(Protocol):
    async def items(self, deal_id: int) -> list[tuple[str, Decimal]]: ...
    async def set_quantity(
        self, deal_id: int, sku: str, quantity: Decimal, now: datetime
    ) -> None: ...
    async def terms(self, deal_id: int) -> tuple[Decimal, int | None]: ...
    async def set_terms(self, deal_id: int, **values: object) -> None: ...


class CatalogueRepository(Protocol):
    async def imported(self) -> tuple[list[CatalogueItem], list[CatalogueItem]]: ...
    async def save(
        self, items: list[CatalogueItem], withdrawn: list[CatalogueItem], now: datetime
    ) -> None: ...


class UnknownItem(LookupError):
    """Not in the catalogue (any more)."""


class NothingChosen(ValueError):
    """A document needs at least one item."""


@dataclass(frozen=True, slots=True)
class Basket:
    lines: list[OfferLine]
    discount: Decimal
    totals: Totals | None  # None while nothing is chosen
    valid_days: int | None = None  # chosen for this deal; None: each document type's own
    withdrawn: int = 0  # items chosen that were taken off the catalogue since: left out


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    updated: int
    removed: int  # taken off
    unchanged: int


@dataclass(frozen=True, slots=True)
class MadeDocument:
    id: int
    number: str
    kind: DocumentType
    pdf: bytes
    total_minor: int
    content: dict[str, Any]  # what the templates were given: a DOCX is made from it on request

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"


class DocumentService:
    def __init__(
        self,
        documents: DocumentRepository,
        items: DealItemRepository,
        desk: DeskService,
        renderer: Renderer,
        config: BusinessConfig,
        catalogue: CatalogueRepository,
        ttl: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
        default_locale: str = "ru",
    ) -> None:
        self._default_locale = default_locale
        self._documents, self._items, self._desk = documents, items, desk
        self._renderer, self._config, self._catalogue = renderer, config, catalogue
        self._ttl, self._monotonic = ttl, monotonic
        self._imported: dict[str, CatalogueItem] | None = None
        self._withdrawn: dict[str, CatalogueItem] = {}
        self._loaded_at = 0.0

    def close(self) -> None:
        self._renderer.close()

    async def catalogue(self) -> list[CatalogueItem]:
        """The configuration's items, with what admins imported on top (by SKU). Read again
        after `ttl` seconds, so that an import in another process arrives too."""
        if self._imported is None or self._monotonic() - self._loaded_at > self._ttl:
            items, withdrawn = await self._catalogue.imported()
            self._imported = {item.sku: item for item in items}
            self._withdrawn = {item.sku: item for item in withdrawn}
            self._loaded_at = self._monotonic()
        merged = {item.sku: item for item in self._config.catalogue}
        merged.update(self._imported)
        return [item for sku, item in merged.items() if sku not in self._withdrawn]

    async def known_items(self) -> dict[str, CatalogueItem]:
        """Every item by sku, those taken off included: what an import completes its rows from
        (an item brought back keeps its unit, VAT and English name). Read from the database:
        a copy another process outdated would put back what it changed."""
        self._imported = None
        current = {item.sku: item for item in await self.catalogue()}
        return {**self._withdrawn, **current}

    async def import_items(
        self, items: list[CatalogueItem], now: datetime, withdraw: Collection[str] = ()
    ) -> ImportResult:
        """Saved in one transaction, against the catalogue as it was. `withdraw`: skus to take
        off (those not in the catalogue are off already). An item the file leaves as it is is
        not written: a copy of a configuration item would hide later edits of the file."""
        self._imported = None  # compared with the database, not a copy another process outdated
        current = {item.sku: item for item in await self.catalogue()}
        changed = [item for item in items if current.get(item.sku) != item]
        gone = [current[sku] for sku in withdraw if sku in current]
        await self._catalogue.save(changed, gone, now)
        self._imported = None
        added = sum(1 for item in changed if item.sku not in current)
        return ImportResult(added, len(changed) - added, len(gone), len(items) - len(changed))

    def kinds(self) -> tuple[DocumentType, ...]:
        return self._config.documents.types if self._config.documents else ()

    async def item(self, sku: str) -> CatalogueItem:
        for item in await self.catalogue():
            if item.sku == sku:
                return item
        raise UnknownItem(sku)

    async def basket(self, viewer: Viewer, deal_id: int, locale: str) -> Basket:
        await self._desk.check(viewer, deal_id)
        lines = []
        withdrawn = 0
        offered = {item.sku: item for item in await self.catalogue()}
        for sku, quantity in await self._items.items(deal_id):
            item = offered.get(sku)
            if item is None:
                withdrawn += 1  # taken off the catalogue since: not offered any more
                continue
            lines.append(
                OfferLine(
                    sku, item.name.get(locale), item.unit.get(locale), quantity,
                    int(item.price * 100), item.vat,
                )
            )  # fmt: skip
        discount, valid_days = await self._items.terms(deal_id)
        include_vat = self._config.documents.prices_include_vat if self._config.documents else True
        result = totals(lines, discount, include_vat) if lines else None
        return Basket(lines, discount, result, valid_days, withdrawn)

    async def change(
        self, viewer: Viewer, deal_id: int, sku: str, delta: Decimal, now: datetime
    ) -> Decimal:
        """Add `delta` of an item (negative: fewer; to zero: removed); the new quantity."""
        await self._desk.check(viewer, deal_id)
        await self.item(sku)
        current = dict(await self._items.items(deal_id)).get(sku, Decimal(0))
        quantity = min(max(current + delta, Decimal(0)), MAX_QUANTITY)
        await self._items.set_quantity(deal_id, sku, quantity, now)
        return quantity

    async def set_quantity(
        self, viewer: Viewer, deal_id: int, sku: str, quantity: Decimal, now: datetime
    ) -> None:
        await self._desk.check(viewer, deal_id)
        await self.item(sku)
        await self._items.set_quantity(deal_id, sku, min(quantity, MAX_QUANTITY), now)

    async def set_discount(self, viewer: Viewer, deal_id: int, percent: Decimal) -> None:
        await self._desk.check(viewer, deal_id)
        await self._items.set_terms(deal_id, percent=percent)

    async def set_validity(self, viewer: Viewer, deal_id: int, days: int) -> None:
        await self._desk.check(viewer, deal_id)
        await self._items.set_terms(deal_id, valid_days=days)

    async def of_deal(self, viewer: Viewer, deal_id: int, limit: int = 5) -> list[dict[str, Any]]:
        await self._desk.check(viewer, deal_id)
        return await self._documents.of_deal(deal_id, limit)

    async def make(
        self,
        viewer: Viewer,
        deal_id: int,
        kind: DocumentType,
        now: datetime,
        locale: str,
        manager: Party,
        today: date,
    ) -> MadeDocument:
        """Number, render and record a document of the deal's items (RenderFailed if the
        template fails: the number is then spent, as a cancelled form would be). It is written
        in the client's language where the bot knows it, else in `locale` (the manager's)."""
        card = await self._desk.card(viewer, deal_id)
        locale = self._client_locale(card.person.language, locale)
        basket = await self.basket(viewer, deal_id, locale)
        if not basket.lines:
            raise NothingChosen(deal_id)
        return await self._make(
            card, kind, basket.lines, basket.discount, manager, viewer.telegram_id, now,
            locale, today, basket.valid_days if kind == self.standard() else None,
        )  # fmt: skip

    async def document_locale(self, viewer: Viewer, deal_id: int, fallback: str) -> str:
        """The language the deal's documents are written in (see `make`)."""
        return self._client_locale(await self._desk.client_language(viewer, deal_id), fallback)

    def _client_locale(self, language: str | None, fallback: str) -> str:
        return locale_for(language, self._default_locale) if language else fallback

    def standard(self) -> DocumentType | None:
        """What a prospect gets from the menu: the first document type (an offer)."""
        kinds = self.kinds()
        return kinds[0] if kinds else None

    async def make_standard(
        self, card: DealCard, sku: str, client_id: int, now: datetime, locale: str, today: date
    ) -> MadeDocument:
        """A standard offer of one catalogue item, asked for by the client themselves."""
        kind = self.standard()
        if kind is None:
            raise UnknownItem(sku)
        item = await self.item(sku)
        line = OfferLine(
            sku, item.name.get(locale), item.unit.get(locale), Decimal(1), int(item.price * 100),
            item.vat,
        )  # fmt: skip
        manager = Party(card.manager_name or self._config.company.name.get(locale),
                        phone=self._config.company.phone, email=self._config.company.email)  # fmt: skip
        return await self._make(card, kind, [line], Decimal(0), manager, client_id, now,
                                locale, today)  # fmt: skip

    async def _make(
        self,
        card: DealCard,
        kind: DocumentType,
        lines: list[OfferLine],
        discount: Decimal,
        manager: Party,
        actor: int,
        now: datetime,
        locale: str,
        today: date,
        valid_days: int | None = None,
    ) -> MadeDocument:
        deal_id = card.deal.id
        sequence = await self._documents.next_number(kind.id, today.year)
        doc_number = number(kind, today.year, sequence)
        person = card.person
        client = Party(person.name, person.company or "", person.phone or "", person.email or "")
        data, result = context(
            self._config, kind, doc_number, today, lines, discount, client, manager, locale,
            valid_days=valid_days,
        )  # fmt: skip
        pdf = await self._renderer.pdf(kind.pdf, data)
        document_id = await self._documents.record(
            deal_id=deal_id, kind=kind.id, number=doc_number, total_minor=result.total_minor,
            content=data, created_by=actor, now=now,
        )  # fmt: skip
        await self._desk.record_document(
            deal_id, kind.id, doc_number, result.total_minor, actor, now
        )
        return MadeDocument(document_id, doc_number, kind, pdf, result.total_minor, data)

    async def docx(self, made: MadeDocument) -> bytes | None:
        if made.kind.docx is None:
            return None
        return await self._renderer.docx(made.kind.docx, made.content)

    async def stored(self, viewer: Viewer, deal_id: int, document_id: int) -> MadeDocument | None:
        """A document of this deal made before (its PDF is not kept: Telegram has it)."""
        await self._desk.check(viewer, deal_id)
        row = await self._documents.get(document_id)
        if row is None or row["deal_id"] != deal_id:
            return None
        kind = next((k for k in self.kinds() if k.id == row["kind"]), None)
        if kind is None:
            return None
        return MadeDocument(
            document_id, row["number"], kind, b"", row["total_minor"], row["content"]
        )

    async def recent_own(
        self, deal_id: int, client_id: int, sku: str, since: datetime, locale: str
    ) -> dict[str, Any] | None:
        """A standard offer of `sku` the client asked for since `since`, in `locale` and at
        today's price: sent again, not made again (a tap repeated, or a bot pressing the button,
        costs no render and no number). A price changed since makes a new one."""
        try:
            price = money(int((await self.item(sku)).price * 100), locale)
        except UnknownItem:
            return None
        for row in await self._documents.of_deal(deal_id, 5):
            content = row.get("content") or {}
            lines = content.get("lines") or []
            same = [(line.get("sku"), line.get("price")) for line in lines] == [(sku, price)]
            if (
                row["created_by"] == client_id
                and row["created_at"] >= since
                and same
                and content.get("locale") == locale
            ):
                return row
        return None

    async def sent(self, document_id: int, pdf: str | None, docx: str | None = None) -> None:
        """Telegram's file ids: the document can be sent again without rendering."""
        await self._documents.set_file_ids(document_id, pdf, docx)
