"""The pipeline repository: a deal's stage, status and answers to the stage questions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.models import DealStatus
from bot.services.pipeline import DealPosition
from storage.schema import deal_answers, deals, event_row, events


class SqlPipelineRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlPipelineStore]:
        async with self._engine.begin() as connection:
            yield SqlPipelineStore(connection)


class SqlPipelineStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection
        postgres = connection.dialect.name == "postgresql"
        self._insert = postgresql.insert if postgres else sqlite.insert
        self._lock = postgres  # SQLite's write transaction already serialises

    async def position(self, deal_id: int) -> DealPosition | None:
        query = sa.select(deals.c.stage, deals.c.status).where(deals.c.id == deal_id)
        if self._lock:
            query = query.with_for_update()  # two managers moving one deal: one after the other
        row = (await self._c.execute(query)).first()
        if row is None:
            return None
        answers = await self._c.execute(
            sa.select(deal_answers.c.question_id, deal_answers.c.value).where(
                deal_answers.c.deal_id == deal_id
            )
        )
        stored = {question: value for question, value in answers}
        return DealPosition(deal_id, row.stage, DealStatus(row.status), stored)

    async def set_answer(
        self, deal_id: int, question_id: str, value: str, actor: int | None, now: datetime
    ) -> None:
        values = {"value": value, "answered_by": actor, "answered_at": now}
        insert = self._insert(deal_answers).values(
            deal_id=deal_id, question_id=question_id, **values
        )
        await self._c.execute(
            insert.on_conflict_do_update(
                index_elements=[deal_answers.c.deal_id, deal_answers.c.question_id], set_=values
            )
        )
        await self._touch(deal_id, now)

    async def set_amount(self, deal_id: int, amount_minor: int) -> int | None:
        previous = await self._c.scalar(
            sa.select(deals.c.amount_minor).where(deals.c.id == deal_id)
        )
        if previous != amount_minor:
            await self._c.execute(
                deals.update().where(deals.c.id == deal_id).values(amount_minor=amount_minor)
            )
        return previous

    async def set_stage(
        self,
        deal_id: int,
        stage: str,
        status: DealStatus,
        lost_reason: str | None,
        now: datetime,
    ) -> None:
        closed = status is not DealStatus.OPEN
        await self._c.execute(
            deals.update()
            .where(deals.c.id == deal_id)
            .values(
                stage=stage,
                status=status.value,
                lost_reason=lost_reason,
                closed_at=now if closed else None,
                updated_at=now,
            )
        )

    async def add_event(
        self,
        kind: str,
        data: Mapping[str, object],
        now: datetime,
        *,
        deal_id: int,
        actor_telegram_id: int | None,
    ) -> None:
        row = event_row(kind, data, now, deal_id=deal_id, actor_telegram_id=actor_telegram_id)
        await self._c.execute(events.insert().values(**row))

    async def _touch(self, deal_id: int, now: datetime) -> None:
        await self._c.execute(deals.update().where(deals.c.id == deal_id).values(updated_at=now))
