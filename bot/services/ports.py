"""What the services need from storage: narrow Protocols that storage/ implements."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.domain.models import Attribution, Deal, Person, Score, Temperature
from bot.domain.reminders import Planned

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PersonFields:
    name: str
    telegram_id: int | None = None
    phone: str | None = None
    email: str | None = None
    company: str | None = None
    language: str | None = None
    consent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewDeal:
    person_id: int
    stage: str
    score: Score
    attribution: Attribution
    referrer_id: int | None
    manager_telegram_id: int | None
    request: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PeopleHolding:
    """The people who hold a Telegram id, a phone and an e-mail (None: nobody)."""

    telegram: Person | None
    phone: Person | None
    email: Person | None


class LeadStore(Protocol):
    """Reads and writes of lead capture, all inside one transaction. Touch points and events
    may be written only when the transaction ends. Plain (not async) methods: a unit of work
    runs whole in the database's thread (see LeadRepository.run)."""

    def people_holding(
        self, telegram_id: int | None, phone: str, email: str | None
    ) -> PeopleHolding: ...
    def is_active_manager(self, telegram_id: int) -> bool: ...
    def next_in_turn(self, now: datetime) -> int | None: ...
    def person_by_telegram(self, telegram_id: int) -> Person | None: ...
    def add_person(self, fields: PersonFields, now: datetime) -> Person: ...
    def update_person(
        self, person_id: int, changes: Mapping[str, Any], now: datetime
    ) -> Person: ...
    def deals_of(self, person_id: int) -> Sequence[Deal]: ...
    def add_deal(self, deal: NewDeal, now: datetime) -> Deal: ...
    def renew_deal(
        self,
        deal_id: int,
        temperature: Temperature,
        score: Score,
        request: Mapping[str, Any],
        now: datetime,
    ) -> Deal: ...
    def add_touch_point(
        self,
        person_id: int,
        deal_id: int | None,
        kind: str,
        attribution: Attribution,
        at: datetime,
    ) -> None: ...
    def add_event(
        self,
        kind: str,
        data: Mapping[str, Any],
        now: datetime,
        *,
        deal_id: int | None = None,
        person_id: int | None = None,
        actor_telegram_id: int | None = None,
    ) -> None: ...
    def add_follow_ups(self, planned: Sequence[Planned], now: datetime) -> None: ...


class LeadRepository(Protocol):
    async def run(self, unit: Callable[[LeadStore], T]) -> T:
        """`unit` with a store in one transaction, committed when it returns."""
        ...
