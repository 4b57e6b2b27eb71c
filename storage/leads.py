"""The lead-capture repository: people, deals, touch points and events, as domain objects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.models import (
    Attribution,
    Channel,
    Deal,
    DealStatus,
    Initiative,
    Person,
    Score,
    Temperature,
)
from bot.services.ports import NewDeal, PeopleHolding, PersonFields
from storage.schema import deals, event_row, events, managers, people, touch_points


class SqlLeadRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlLeadStore]:
        async with self._engine.begin() as connection:
            store = SqlLeadStore(connection)
            yield store
            await store.flush()


class SqlLeadStore:
    """Touch points and events are append-only and nothing reads them back within a
    transaction, so they are written together, one statement per table, before the commit:
    each statement is a round trip to the database's thread (SQLite) or server."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection
        self._touch_points: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []

    async def flush(self) -> None:
        if self._touch_points:
            await self._c.execute(touch_points.insert(), self._touch_points)
            self._touch_points = []
        if self._events:
            await self._c.execute(events.insert(), self._events)
            self._events = []

    async def people_holding(
        self, telegram_id: int | None, phone: str, email: str | None
    ) -> PeopleHolding:
        """Who holds each of these identifiers, in one query."""
        condition = people.c.phone == phone
        if telegram_id is not None:
            condition = sa.or_(condition, people.c.telegram_id == telegram_id)
        if email:
            condition = sa.or_(condition, people.c.email == email.lower())
        found = [
            person_from_row(row)
            for row in await self._c.execute(sa.select(people).where(condition))
        ]
        return PeopleHolding(
            telegram=next(
                (p for p in found if telegram_id is not None and p.telegram_id == telegram_id),
                None,
            ),
            phone=next((p for p in found if p.phone == phone), None),
            email=next((p for p in found if email and p.email == email.lower()), None),
        )

    async def person_by_telegram(self, telegram_id: int) -> Person | None:
        return await self._person(people.c.telegram_id == telegram_id)

    async def add_person(self, fields: PersonFields, now: datetime) -> Person:
        result = await self._c.execute(
            people.insert()
            .values(**asdict(fields), created_at=now, updated_at=now)
            .returning(*people.c)
        )
        return person_from_row(result.one())

    async def update_person(
        self, person_id: int, changes: Mapping[str, Any], now: datetime
    ) -> Person:
        result = await self._c.execute(
            people.update()
            .where(people.c.id == person_id)
            .values(**changes, updated_at=now)
            .returning(*people.c)
        )
        return person_from_row(result.one())

    async def deals_of(self, person_id: int) -> Sequence[Deal]:
        result = await self._c.execute(
            sa.select(deals).where(deals.c.person_id == person_id).order_by(deals.c.id)
        )
        return [deal_from_row(row) for row in result]

    async def add_deal(self, deal: NewDeal, now: datetime) -> Deal:
        source = deal.attribution
        result = await self._c.execute(
            deals.insert()
            .values(
                person_id=deal.person_id,
                status=DealStatus.OPEN.value,
                stage=deal.stage,
                temperature=deal.score.temperature.value,
                score=deal.score.points,
                score_reasons=_reasons(deal.score),
                channel=source.channel.value,
                initiative=source.initiative.value,
                campaign=source.campaign,
                source_payload=source.payload,
                referrer_id=deal.referrer_id,
                manager_telegram_id=deal.manager_telegram_id,
                request=dict(deal.request),
                created_at=now,
                updated_at=now,
            )
            .returning(*deals.c)
        )
        return deal_from_row(result.one())

    async def set_deal_temperature(
        self, deal_id: int, temperature: Temperature, score: Score, now: datetime
    ) -> Deal:
        result = await self._c.execute(
            deals.update()
            .where(deals.c.id == deal_id)
            .values(
                temperature=temperature.value,
                score=score.points,
                score_reasons=_reasons(score),
                updated_at=now,
            )
            .returning(*deals.c)
        )
        return deal_from_row(result.one())

    async def is_active_manager(self, telegram_id: int) -> bool:
        row = await self._c.execute(
            sa.select(managers.c.telegram_id).where(
                managers.c.telegram_id == telegram_id, managers.c.active.is_(True)
            )
        )
        return row.first() is not None

    async def next_in_turn(self, now: datetime) -> int | None:
        """The active manager who got a lead the longest time ago (or never), now marked."""
        query = (
            sa.select(managers.c.telegram_id)
            .where(managers.c.active.is_(True))
            .order_by(managers.c.last_assigned_at.is_not(None), managers.c.last_assigned_at)
            .limit(1)
        )
        if self._c.dialect.name == "postgresql":
            # Concurrent leads take turns; SKIP LOCKED could find every manager locked and
            # leave a lead with nobody.
            query = query.with_for_update()
        row = (await self._c.execute(query)).first()
        if row is None:
            return None
        await self._c.execute(
            managers.update()
            .where(managers.c.telegram_id == row.telegram_id)
            .values(last_assigned_at=now)
        )
        return int(row.telegram_id)

    async def add_touch_point(
        self,
        person_id: int,
        deal_id: int | None,
        kind: str,
        attribution: Attribution,
        at: datetime,
    ) -> None:
        self._touch_points.append(
            {
                "person_id": person_id,
                "deal_id": deal_id,
                "kind": kind,
                "channel": attribution.channel.value,
                "initiative": attribution.initiative.value,
                "campaign": attribution.campaign,
                "payload": attribution.payload,
                "created_at": at,
            }
        )

    async def add_event(
        self,
        kind: str,
        data: Mapping[str, Any],
        now: datetime,
        *,
        deal_id: int | None = None,
        person_id: int | None = None,
        actor_telegram_id: int | None = None,
    ) -> None:
        self._events.append(
            event_row(
                kind,
                data,
                now,
                deal_id=deal_id,
                person_id=person_id,
                actor_telegram_id=actor_telegram_id,
            )
        )

    async def _person(self, condition: sa.ColumnElement[bool]) -> Person | None:
        row = (await self._c.execute(sa.select(people).where(condition))).first()
        return None if row is None else person_from_row(row)


def person_from_row(row: Row[Any]) -> Person:
    return Person(
        id=row.id,
        telegram_id=row.telegram_id,
        name=row.name,
        phone=row.phone,
        email=row.email,
        company=row.company,
        consent_at=row.consent_at,
    )


def deal_from_row(row: Row[Any]) -> Deal:
    return Deal(
        id=row.id,
        person_id=row.person_id,
        status=DealStatus(row.status),
        stage=row.stage,
        temperature=Temperature(row.temperature),
        score=row.score,
        channel=Channel(row.channel),
        initiative=Initiative(row.initiative),
        campaign=row.campaign,
        manager_telegram_id=row.manager_telegram_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _reasons(score: Score) -> list[dict[str, Any]]:
    return [asdict(reason) for reason in score.reasons]
