"""Lead capture: a prospect's confirmed form becomes a person, a deal, touch points and events."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.attribution import credited
from bot.domain.desk import RoutingRule
from bot.domain.duplicates import DealDecision, choose_deal, match_person
from bot.domain.models import (
    Arrival,
    Attribution,
    Channel,
    Deal,
    DealStatus,
    Initiative,
    LeadAnswers,
    Person,
    Score,
    ScoreReason,
)
from bot.domain.reminders import Planned
from bot.domain.scoring import ScoringTable, score_lead, temperature_for
from bot.services.ports import LeadRepository, LeadStore, NewDeal, PersonFields

log = logging.getLogger(__name__)

TEMPERATURE_RANK = {"cold": 0, "warm": 1, "hot": 2}


@dataclass(frozen=True, slots=True)
class LeadRequest:
    telegram_id: int
    language: str
    answers: LeadAnswers
    consent_at: datetime
    arrivals: tuple[Arrival, ...]  # oldest first; the deal is credited to the last link's
    # Contacts on file the form showed the client, who removed them (field -> the value shown):
    # removed here too, if still what was shown (a skipped question keeps what is on file, and
    # so does a contact a manager changed meanwhile).
    removed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LeadOutcome:
    person: Person
    deal: Deal
    decision: DealDecision
    score: Score
    attribution: Attribution
    referrer: Person | None
    # The phone or e-mail of a client who has another Telegram account: their deal hears of
    # the request, their record stays theirs
    other_account: bool = False


@dataclass(frozen=True, slots=True)
class OutboundLead:
    """A lead a manager brings in: a shared contact or a typed name and phone."""

    manager_telegram_id: int
    name: str
    phone: str  # E.164
    telegram_id: int | None = None  # when the shared contact is a Telegram user


@dataclass(frozen=True, slots=True)
class OutboundOutcome:
    person: Person
    deal: Deal
    created: bool  # False: the person already has an open deal, which is returned


FollowUps = Callable[[Deal, DealDecision], Sequence[Planned]]
"""Plain (runs inside the unit of work): the follow-ups of the deal a request went to."""


@dataclass(frozen=True, slots=True)
class Known:
    """A person who gave their consent before: when, their name, their open deal if any."""

    consent_at: datetime
    name: str
    open_deal: int | None


class LeadCaptureService:
    def __init__(
        self,
        repository: LeadRepository,
        scoring: ScoringTable,
        first_stage: str,
        routing: RoutingRule = RoutingRule.ROUND_ROBIN,
        config_reps: frozenset[int] = frozenset(),
    ) -> None:
        self._repository = repository
        self._scoring = scoring
        self._first_stage = first_stage  # where a new deal starts in the pipeline
        self._routing = routing
        self._config_reps = config_reps  # reps named in the configuration file are trusted

    # Each public method is one unit of work: a plain function of the store that the repository
    # runs in one transaction (on SQLite in one trip to the database's thread).

    async def consent_at(self, telegram_id: int) -> datetime | None:
        """When this Telegram user consented to the processing of personal data, if ever."""
        person = await self.person(telegram_id)
        return None if person is None else person.consent_at

    async def person(self, telegram_id: int) -> Person | None:
        """This Telegram user as stored (a client, or somebody a manager added)."""
        return await self._repository.run(lambda store: store.person_by_telegram(telegram_id))

    async def record_arrival(self, telegram_id: int, arrival: Arrival) -> Known | None:
        """A consenting person's arrival is a touch point now; what is known of them is
        returned. Anybody else's waits for consent (None: the caller keeps it with the form)."""

        def unit(store: LeadStore) -> Known | None:
            person = store.person_by_telegram(telegram_id)
            if person is None or person.consent_at is None:
                return None
            store.add_touch_point(person.id, None, "visit", arrival.attribution, arrival.at)
            open_deal = next(
                (d.id for d in store.deals_of(person.id) if d.status is DealStatus.OPEN), None
            )
            return Known(person.consent_at, person.name, open_deal)

        return await self._repository.run(unit)

    async def submit(
        self, request: LeadRequest, now: datetime, follow_ups: FollowUps | None = None
    ) -> LeadOutcome:
        """The request stored as a lead; `follow_ups` plans, in the same transaction, what the
        bot reminds staff of about the deal it went to."""
        return await self._repository.run(
            lambda store: self._submit(store, request, now, follow_ups)
        )

    def _submit(
        self,
        store: LeadStore,
        request: LeadRequest,
        now: datetime,
        follow_ups: FollowUps | None,
    ) -> LeadOutcome:
        answers = request.answers
        source = credited(request.arrivals, now)
        attribution = request.arrivals[source].attribution
        person, created, other_account = self._upsert_person(store, request, now)
        choice = choose_deal([] if created else store.deals_of(person.id))
        referrer = self._referrer(store, attribution, person)
        score = score_lead(
            answers,
            attribution.channel,
            returning=choice.decision is not DealDecision.NEW,
            table=self._scoring,
        )
        if choice.open_deal is not None:
            deal = self._returning(store, choice.open_deal, score, asdict(answers), now)
        else:
            manager = self._route(store, attribution, now)
            deal = store.add_deal(
                NewDeal(
                    person_id=person.id,
                    stage=self._first_stage,
                    score=score,
                    attribution=attribution,
                    referrer_id=referrer.id if referrer else None,
                    manager_telegram_id=manager,
                    request=asdict(answers),
                ),
                now,
            )
            _deal_created(store, deal, choice.decision, attribution, request.telegram_id, now)
        for index, arrival in enumerate(request.arrivals):
            if arrival.recorded or index == source:
                continue
            store.add_touch_point(person.id, None, "visit", arrival.attribution, arrival.at)
        store.add_touch_point(person.id, deal.id, "request", attribution, now)
        if follow_ups is not None:
            store.add_follow_ups(_planned(follow_ups, deal, choice.decision), now)
        store.add_event(
            "lead_submitted",
            {"answers": asdict(answers), "score": score.points, "decision": choice.decision},
            now,
            deal_id=deal.id,
            person_id=person.id,
            actor_telegram_id=request.telegram_id,
        )
        return LeadOutcome(
            person, deal, choice.decision, score, attribution, referrer, other_account
        )

    async def create_outbound(self, lead: OutboundLead, now: datetime) -> OutboundOutcome:
        """The same duplicate rules as a prospect's request: a known phone or Telegram account is
        the same person, and a person with an open deal gets no second one."""
        return await self._repository.run(lambda store: self._create_outbound(store, lead, now))

    def _create_outbound(
        self, store: LeadStore, lead: OutboundLead, now: datetime
    ) -> OutboundOutcome:
        attribution = Attribution(Channel.SPEARS, Initiative.OUTBOUND)
        holding = store.people_holding(lead.telegram_id, lead.phone, None)
        person = match_person(holding.telegram, holding.phone, None)
        if person is None:
            person = store.add_person(
                PersonFields(name=lead.name, telegram_id=lead.telegram_id, phone=lead.phone),
                now,
            )
            store.add_event(
                "person_created", {}, now, person_id=person.id,
                actor_telegram_id=lead.manager_telegram_id,
            )  # fmt: skip
            choice = choose_deal([])
        else:
            choice = choose_deal(store.deals_of(person.id))
        if choice.open_deal is not None:
            return OutboundOutcome(person, choice.open_deal, created=False)
        points = self._scoring.channel.get(Channel.SPEARS, 0)
        score = Score(
            temperature_for(points, self._scoring),
            points,
            (ScoreReason("channel", Channel.SPEARS.value, points),),
        )
        deal = store.add_deal(
            NewDeal(
                person_id=person.id,
                stage=self._first_stage,
                score=score,
                attribution=attribution,
                referrer_id=None,
                manager_telegram_id=lead.manager_telegram_id,
                request={},
            ),
            now,
        )
        store.add_touch_point(person.id, deal.id, "outbound", attribution, now)
        _deal_created(store, deal, choice.decision, attribution, lead.manager_telegram_id, now)
        return OutboundOutcome(person, deal, created=True)

    def _route(self, store: LeadStore, attribution: Attribution, now: datetime) -> int | None:
        """A lead through a manager's personal link goes to them while they are active; the
        others by the configured rule (None: the shared inbox)."""
        rep = attribution.rep_telegram_id
        if rep is not None and (rep in self._config_reps or store.is_active_manager(rep)):
            return rep
        if self._routing is RoutingRule.ROUND_ROBIN:
            return store.next_in_turn(now)
        return None

    def _upsert_person(
        self, store: LeadStore, request: LeadRequest, now: datetime
    ) -> tuple[Person, bool, bool]:
        """The person this request comes from, updated or created, whether created, and whether
        it is somebody who uses another Telegram account."""
        answers = request.answers
        holding = store.people_holding(request.telegram_id, answers.phone, answers.email)
        found = match_person(holding.telegram, holding.phone, holding.email)
        if found is None:
            person = store.add_person(
                PersonFields(
                    name=answers.name,
                    telegram_id=request.telegram_id,
                    phone=answers.phone,
                    email=answers.email,
                    company=answers.company,
                    language=request.language,
                    consent_at=request.consent_at,
                ),
                now,
            )
            store.add_event("person_created", {}, now, person_id=person.id)
            return person, True, False
        if found.telegram_id is not None and found.telegram_id != request.telegram_id:
            # A typed phone or e-mail proves nothing: another account's name, language and
            # contacts are not overwritten by whoever typed them (the request, with the name
            # it gives, is kept in the deal's history)
            return found, False, True
        changes: dict[str, object] = {
            "name": answers.name,
            "language": request.language,
            "consent_at": request.consent_at,
        }
        if answers.company:
            changes["company"] = answers.company
        for name, shown in request.removed.items():
            if getattr(found, name) == shown:
                changes[name] = None
        # An identifier moves onto this person only if nobody else holds it.
        if found.telegram_id is None and holding.telegram is None:
            changes["telegram_id"] = request.telegram_id
        if found.phone != answers.phone and holding.phone is None:
            changes["phone"] = answers.phone
        if answers.email and found.email != answers.email and holding.email is None:
            changes["email"] = answers.email
        before = {name: getattr(found, name, None) for name in changes}
        person = store.update_person(found.id, changes, now)
        diff = {
            name: [_plain(before[name]), _plain(value)]
            for name, value in changes.items()
            if before[name] != value and name != "consent_at"
        }
        if diff:
            store.add_event("person_updated", diff, now, person_id=person.id)
        return person, False, False

    def _referrer(
        self, store: LeadStore, attribution: Attribution, person: Person
    ) -> Person | None:
        if attribution.referrer_telegram_id is None:
            return None
        referrer = store.person_by_telegram(attribution.referrer_telegram_id)
        return referrer if referrer is not None and referrer.id != person.id else None

    def _returning(
        self, store: LeadStore, deal: Deal, score: Score, request: Mapping[str, Any], now: datetime
    ) -> Deal:
        """The open deal gets the new request (the card shows what they ask for now) and the
        higher of the two temperatures."""
        hotter = TEMPERATURE_RANK[score.temperature] > TEMPERATURE_RANK[deal.temperature]
        temperature = score.temperature if hotter else deal.temperature
        updated = store.renew_deal(deal.id, temperature, score, request, now)
        if hotter:
            store.add_event(
                "temperature_changed",
                {"from": deal.temperature.value, "to": temperature.value, "why": "returning"},
                now,
                deal_id=deal.id,
                person_id=deal.person_id,
            )
        return updated


def _planned(follow_ups: FollowUps, deal: Deal, decision: DealDecision) -> Sequence[Planned]:
    """The planner is pure code on a snapshot, so what it raises is a bug; a lead without its
    reminders still reaches the staff through the alert, a lead refused is lost for good (the
    prospect would be refused at every try)."""
    try:
        return follow_ups(deal, decision)
    except Exception:
        log.exception(
            "the follow-ups of deal %s could not be planned; stored without them", deal.id
        )
        return ()


def _deal_created(
    store: LeadStore,
    deal: Deal,
    decision: DealDecision,
    attribution: Attribution,
    actor: int | None,
    now: datetime,
) -> None:
    store.add_event(
        "deal_created",
        {"decision": decision.value, "source": _source(attribution)},
        now,
        deal_id=deal.id,
        person_id=deal.person_id,
        actor_telegram_id=actor,
    )


def _source(attribution: Attribution) -> dict[str, object]:
    return {
        "channel": attribution.channel.value,
        "initiative": attribution.initiative.value,
        "campaign": attribution.campaign,
        "payload": attribution.payload,
    }


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
