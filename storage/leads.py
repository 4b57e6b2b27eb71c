"""The lead-capture repository: people, deals, touch points and events, as domain objects."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

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
from bot.domain.reminders import Planned
from bot.services.ports import LeadStore, NewDeal, PeopleHolding, PersonFields
from storage.db import run_unit
from storage.reminders import pending_row
from storage.schema import (
    deals,
    event_row,
    events,
    managers,
    people,
    reminders,
    touch_points,
)

# Statements are built once, with their values passed at execution: building a statement with
# `.values(...)` or a comparison to a value costs more than running it on SQLite (a new lead
# executes eight of them), and a statement built once also keeps its compiled form's key.
_PEOPLE_HOLDING = {
    (by_telegram, by_email): sa.select(people).where(
        sa.or_(
            people.c.phone == sa.bindparam("phone"),
            *([people.c.telegram_id == sa.bindparam("telegram_id")] if by_telegram else []),
            *([people.c.email == sa.bindparam("email")] if by_email else []),
        )
    )
    for by_telegram in (False, True)
    for by_email in (False, True)
}
_PERSON_BY_TELEGRAM = sa.select(people).where(people.c.telegram_id == sa.bindparam("telegram_id"))
_ADD_PERSON = people.insert().returning(*people.c)
_UPDATE_PERSON = (
    people.update().where(people.c.id == sa.bindparam("person_id_")).returning(*people.c)
)
_DEALS_OF = (
    sa.select(deals).where(deals.c.person_id == sa.bindparam("person_id")).order_by(deals.c.id)
)
_ADD_DEAL = deals.insert().returning(*deals.c)
_UPDATE_DEAL = deals.update().where(deals.c.id == sa.bindparam("deal_id_")).returning(*deals.c)
_ACTIVE_MANAGER = sa.select(managers.c.telegram_id).where(
    managers.c.telegram_id == sa.bindparam("telegram_id"), managers.c.active.is_(True)
)
_NEXT_IN_TURN = (
    sa.select(managers.c.telegram_id)
    .where(managers.c.active.is_(True))
    .order_by(managers.c.last_assigned_at.is_not(None), managers.c.last_assigned_at)
    .limit(1)
)
# Concurrent leads take turns on PostgreSQL; SKIP LOCKED could find every manager locked and
# leave a lead with nobody.
_NEXT_IN_TURN_LOCKED = _NEXT_IN_TURN.with_for_update()
_MARK_ASSIGNED = managers.update().where(managers.c.telegram_id == sa.bindparam("telegram_id_"))
_ADD_TOUCH_POINTS = touch_points.insert()
_ADD_EVENTS = events.insert()
_ADD_REMINDERS = reminders.insert()


T = TypeVar("T")


class SqlLeadRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(self, unit: Callable[[LeadStore], T]) -> T:
        """`unit` in one transaction: on SQLite, in a single trip to the database's thread."""

        def work(connection: Connection) -> T:
            store = SqlLeadStore(connection)
            result = unit(store)
            store.flush()
            return result

        return await run_unit(self._engine, work)


class SqlLeadStore:
    """Touch points, events and follow-ups are append-only and nothing reads them back within a
    transaction, so they are written together, one statement per table, before the commit (a
    statement is a round trip to the server on PostgreSQL)."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self._touch_points: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._follow_ups: list[dict[str, Any]] = []

    def flush(self) -> None:
        if self._touch_points:
            self._c.execute(_ADD_TOUCH_POINTS, self._touch_points)
            self._touch_points = []
        if self._events:
            self._c.execute(_ADD_EVENTS, self._events)
            self._events = []
        if self._follow_ups:
            self._c.execute(_ADD_REMINDERS, self._follow_ups)
            self._follow_ups = []

    def people_holding(
        self, telegram_id: int | None, phone: str, email: str | None
    ) -> PeopleHolding:
        """Who holds each of these identifiers, in one query."""
        query = _PEOPLE_HOLDING[telegram_id is not None, bool(email)]
        parameters = {"phone": phone, "telegram_id": telegram_id, "email": (email or "").lower()}
        found = [person_from_row(row) for row in self._c.execute(query, parameters)]
        return PeopleHolding(
            telegram=next(
                (p for p in found if telegram_id is not None and p.telegram_id == telegram_id),
                None,
            ),
            phone=next((p for p in found if p.phone == phone), None),
            email=next((p for p in found if email and p.email == email.lower()), None),
        )

    def person_by_telegram(self, telegram_id: int) -> Person | None:
        row = (self._c.execute(_PERSON_BY_TELEGRAM, {"telegram_id": telegram_id})).first()
        return None if row is None else person_from_row(row)

    def add_person(self, fields: PersonFields, now: datetime) -> Person:
        result = self._c.execute(
            _ADD_PERSON, {**asdict(fields), "created_at": now, "updated_at": now}
        )
        return person_from_row(result.one())

    def update_person(self, person_id: int, changes: Mapping[str, Any], now: datetime) -> Person:
        result = self._c.execute(
            _UPDATE_PERSON, {**changes, "updated_at": now, "person_id_": person_id}
        )
        return person_from_row(result.one())

    def deals_of(self, person_id: int) -> Sequence[Deal]:
        result = self._c.execute(_DEALS_OF, {"person_id": person_id})
        return [deal_from_row(row) for row in result]

    def add_deal(self, deal: NewDeal, now: datetime) -> Deal:
        source = deal.attribution
        result = self._c.execute(
            _ADD_DEAL,
            {
                "person_id": deal.person_id,
                "status": DealStatus.OPEN.value,
                "stage": deal.stage,
                "temperature": deal.score.temperature.value,
                "score": deal.score.points,
                "score_reasons": _reasons(deal.score),
                "channel": source.channel.value,
                "initiative": source.initiative.value,
                "campaign": source.campaign,
                "source_payload": source.payload,
                "referrer_id": deal.referrer_id,
                "manager_telegram_id": deal.manager_telegram_id,
                "request": dict(deal.request),
                "created_at": now,
                "updated_at": now,
            },
        )
        return deal_from_row(result.one())

    def renew_deal(
        self,
        deal_id: int,
        temperature: Temperature,
        score: Score,
        request: Mapping[str, Any],
        now: datetime,
    ) -> Deal:
        """A returning client's open deal: its temperature, score and the latest request."""
        result = self._c.execute(
            _UPDATE_DEAL,
            {
                "temperature": temperature.value,
                "score": score.points,
                "score_reasons": _reasons(score),
                "request": dict(request),
                "updated_at": now,
                "deal_id_": deal_id,
            },
        )
        return deal_from_row(result.one())

    def is_active_manager(self, telegram_id: int) -> bool:
        row = self._c.execute(_ACTIVE_MANAGER, {"telegram_id": telegram_id})
        return row.first() is not None

    def next_in_turn(self, now: datetime) -> int | None:
        """The active manager who got a lead the longest time ago (or never), now marked."""
        query = _NEXT_IN_TURN_LOCKED if self._c.dialect.name == "postgresql" else _NEXT_IN_TURN
        row = (self._c.execute(query)).first()
        if row is None:
            return None
        self._c.execute(_MARK_ASSIGNED, {"last_assigned_at": now, "telegram_id_": row.telegram_id})
        return int(row.telegram_id)

    def add_touch_point(
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

    def add_event(
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

    def add_follow_ups(self, planned: Sequence[Planned], now: datetime) -> None:
        self._follow_ups.extend(
            pending_row(p.deal_id, p.chat_id, p.kind, None, p.due_at, None, now) for p in planned
        )


def person_from_row(row: Row[Any]) -> Person:
    return Person(
        id=row.id,
        telegram_id=row.telegram_id,
        name=row.name,
        phone=row.phone,
        email=row.email,
        company=row.company,
        consent_at=row.consent_at,
        language=row.language,
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
