"""Documents made from deals, and their numbers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import CatalogueItem
from storage.db import upsert
from storage.schema import (
    catalogue_items,
    deal_discounts,
    deal_items,
    document_counters,
    documents,
)


class SqlDocumentRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def next_number(self, kind: str, year: int) -> int:
        """The next number of `kind` in `year`, in one statement: never twice, never skipped."""
        insert = upsert(self._engine, document_counters)
        statement = (
            insert.values(kind=kind, year=year, last=1)
            .on_conflict_do_update(
                index_elements=[document_counters.c.kind, document_counters.c.year],
                set_={"last": document_counters.c.last + 1},
            )
            .returning(document_counters.c.last)
        )
        async with self._engine.begin() as c:
            return int((await c.execute(statement)).scalar_one())

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
    ) -> int:
        async with self._engine.begin() as c:
            result = await c.execute(
                documents.insert()
                .values(
                    deal_id=deal_id, kind=kind, number=number, total_minor=total_minor,
                    content=content, created_by=created_by, created_at=now,
                )
                .returning(documents.c.id)
            )  # fmt: skip
            return int(result.scalar_one())

    async def of_deal(self, deal_id: int, limit: int) -> list[dict[str, Any]]:
        """The deal's documents, newest first."""
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(documents.c.id, documents.c.kind, documents.c.number,
                          documents.c.total_minor, documents.c.pdf_file_id,
                          documents.c.created_by, documents.c.created_at, documents.c.content)
                .where(documents.c.deal_id == deal_id)
                .order_by(documents.c.id.desc())
                .limit(limit)
            )  # fmt: skip
            return [dict(row._mapping) for row in rows]

    async def get(self, document_id: int) -> dict[str, Any] | None:
        async with self._engine.connect() as c:
            row = (
                await c.execute(sa.select(documents).where(documents.c.id == document_id))
            ).first()
            return None if row is None else dict(row._mapping)

    async def set_file_ids(self, document_id: int, pdf: str | None, docx: str | None) -> None:
        values = {k: v for k, v in (("pdf_file_id", pdf), ("docx_file_id", docx)) if v}
        if values:
            async with self._engine.begin() as c:
                await c.execute(
                    documents.update().where(documents.c.id == document_id).values(**values)
                )


class SqlDealItemRepository:
    """The items and discount chosen on a deal."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def items(self, deal_id: int) -> list[tuple[str, Decimal]]:
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(deal_items.c.sku, deal_items.c.quantity)
                .where(deal_items.c.deal_id == deal_id)
                .order_by(deal_items.c.added_at, deal_items.c.sku)
            )
            return [(row.sku, Decimal(row.quantity)) for row in rows]

    async def set_quantity(self, deal_id: int, sku: str, quantity: Decimal, now: datetime) -> None:
        """Zero or less removes the item."""
        async with self._engine.begin() as c:
            if quantity <= 0:
                await c.execute(
                    deal_items.delete().where(
                        deal_items.c.deal_id == deal_id, deal_items.c.sku == sku
                    )
                )
                return
            insert = upsert(self._engine, deal_items)
            await c.execute(
                insert.values(
                    deal_id=deal_id, sku=sku, quantity=quantity, added_at=now
                ).on_conflict_do_update(
                    index_elements=[deal_items.c.deal_id, deal_items.c.sku],
                    set_={"quantity": quantity},
                )
            )

    async def terms(self, deal_id: int) -> tuple[Decimal, int | None]:
        """The deal's discount (percent) and validity (days; None: the document type's)."""
        async with self._engine.connect() as c:
            row = (
                await c.execute(
                    sa.select(deal_discounts.c.percent, deal_discounts.c.valid_days).where(
                        deal_discounts.c.deal_id == deal_id
                    )
                )
            ).first()
            return (Decimal(row.percent), row.valid_days) if row else (Decimal(0), None)

    async def set_terms(self, deal_id: int, **values: object) -> None:
        """`percent` and/or `valid_days`."""
        insert = upsert(self._engine, deal_discounts)
        async with self._engine.begin() as c:
            await c.execute(
                insert.values(
                    deal_id=deal_id,
                    percent=values.get("percent", 0),
                    **{k: v for k, v in values.items() if k == "valid_days"},
                ).on_conflict_do_update(index_elements=[deal_discounts.c.deal_id], set_=values)
            )


class SqlCatalogueRepository:
    """Catalogue items imported by admins."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def imported(self) -> tuple[list[CatalogueItem], list[CatalogueItem]]:
        """The items imported, and those taken off (as they were)."""
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(catalogue_items.c.item, catalogue_items.c.withdrawn_at).order_by(
                    catalogue_items.c.sku
                )
            )
            items: list[CatalogueItem] = []
            withdrawn: list[CatalogueItem] = []
            for row in rows:
                item = CatalogueItem.model_validate(row.item)
                (items if row.withdrawn_at is None else withdrawn).append(item)
            return items, withdrawn

    async def save(
        self, items: list[CatalogueItem], withdrawn: list[CatalogueItem], now: datetime
    ) -> None:
        """All in one transaction: a file is imported whole or not at all. An item taken off is
        kept as it was, marked; one imported again is offered again."""
        rows = [
            {"sku": item.sku, "item": item.model_dump(mode="json"), "updated_at": now,
             "withdrawn_at": None}
            for item in items
        ] + [
            {"sku": item.sku, "item": item.model_dump(mode="json"), "updated_at": now,
             "withdrawn_at": now}
            for item in withdrawn
        ]  # fmt: skip
        if not rows:
            return
        insert = upsert(self._engine, catalogue_items)
        async with self._engine.begin() as c:
            await c.execute(
                insert.on_conflict_do_update(
                    index_elements=[catalogue_items.c.sku],
                    set_={
                        "item": insert.excluded.item,
                        "updated_at": insert.excluded.updated_at,
                        "withdrawn_at": insert.excluded.withdrawn_at,
                    },
                ),
                rows,
            )
