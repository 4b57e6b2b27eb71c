"""Lead capture against a real database: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import BusinessConfig, scoring_table, source_table
from bot.domain.attribution import attribute
from bot.domain.duplicates import DealDecision
from bot.domain.models import Arrival, Deal, LeadAnswers, Temperature
from bot.domain.reminders import Planned
from bot.services.lead_capture import LeadCaptureService, LeadRequest
from storage.leads import SqlLeadRepository
from storage.schema import deals, events, people, reminders, touch_points

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ANSWERS = LeadAnswers(
    name="Анна",
    phone="+79161234567",
    email="anna@example.com",
    company=None,
    need="consult",
    need_text=None,
    timeline="later",
    budget="unknown",
    contact_method="phone",
    contact_time="any",
)


def service(engine: AsyncEngine, config: BusinessConfig) -> LeadCaptureService:
    return LeadCaptureService(
        SqlLeadRepository(engine), scoring_table(config), config.pipeline.first_stage
    )


def request(
    config: BusinessConfig, telegram_id: int = 1001, payload: str | None = None, **changes: object
) -> LeadRequest:
    arrival = Arrival(attribute(payload, source_table(config)), NOW)
    return LeadRequest(
        telegram_id=telegram_id,
        language="ru",
        answers=replace(ANSWERS, **changes),  # type: ignore[arg-type]
        consent_at=NOW,
        arrivals=(arrival,),
    )


async def count(engine: AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as connection:
        return int(
            (await connection.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
        )


async def test_a_new_lead_stores_person_deal_touch_point_and_events(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    outcome = await service(engine, business_config).submit(
        request(business_config, payload="vk_ads"), NOW
    )
    assert outcome.decision is DealDecision.NEW
    assert outcome.person.phone == "+79161234567" and outcome.person.consent_at == NOW
    assert outcome.deal.stage == "contact" and outcome.deal.temperature is Temperature.COLD
    assert outcome.deal.created_at == NOW  # aware UTC round trip on both databases
    async with engine.connect() as connection:
        deal = (await connection.execute(sa.select(deals))).one()
        touch = (await connection.execute(sa.select(touch_points))).one()
    assert deal.campaign == "Реклама ВКонтакте" and deal.request["name"] == "Анна"
    assert (touch.kind, touch.payload, touch.deal_id) == ("request", "vk_ads", deal.id)
    assert await count(engine, events) == 3


async def test_a_lead_and_its_follow_ups_are_stored_together_or_not_at_all(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    def unstorable(deal: Deal, decision: DealDecision) -> list[Planned]:
        return [Planned(deal.id + 1000, 7001, "sla", NOW)]  # no such deal: the insert fails

    with pytest.raises(sa.exc.IntegrityError):
        await service(engine, business_config).submit(request(business_config), NOW, unstorable)
    assert await count(engine, deals) == 0 and await count(engine, people) == 0

    def ladder(deal: Deal, decision: DealDecision) -> list[Planned]:
        return [Planned(deal.id, 7001, "sla", NOW + timedelta(minutes=15))]

    outcome = await service(engine, business_config).submit(request(business_config), NOW, ladder)
    async with engine.connect() as connection:
        [row] = (await connection.execute(sa.select(reminders))).all()
    assert (row.deal_id, row.chat_id, row.kind, row.status) == (
        outcome.deal.id, 7001, "sla", "pending",
    )  # fmt: skip
    assert row.due_at == NOW + timedelta(minutes=15)


async def test_a_planner_that_fails_costs_the_reminders_not_the_lead(
    engine: AsyncEngine, business_config: BusinessConfig, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(deal: Deal, decision: DealDecision) -> list[Planned]:
        raise RuntimeError("the planner failed")

    outcome = await service(engine, business_config).submit(request(business_config), NOW, broken)
    assert await count(engine, deals) == 1 and await count(engine, reminders) == 0
    assert outcome.deal.id is not None
    assert f"follow-ups of deal {outcome.deal.id} could not be planned" in caplog.text


async def test_same_telegram_user_with_an_open_deal_is_returning(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    leads = service(engine, business_config)
    first = await leads.submit(request(business_config), NOW)
    second = await leads.submit(
        request(business_config, payload="expo", timeline="now", budget="large"),
        NOW + timedelta(days=1),
    )
    assert second.decision is DealDecision.RETURNING
    assert second.deal.id == first.deal.id
    assert second.deal.temperature is Temperature.HOT  # raised, never lowered
    assert await count(engine, deals) == 1 and await count(engine, people) == 1
    assert await count(engine, touch_points) == 2


async def test_same_phone_from_another_account_is_the_same_person(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    leads = service(engine, business_config)
    first = await leads.submit(request(business_config, telegram_id=1), NOW)
    second = await leads.submit(
        request(business_config, telegram_id=2, email=None, name="Борис", company="Нива"), NOW
    )
    assert second.person.id == first.person.id
    assert second.decision is DealDecision.RETURNING and second.other_account
    # whoever typed the phone does not rename the client nor take their chat
    async with engine.connect() as connection:
        person = (await connection.execute(sa.select(people))).one()
        deal = (await connection.execute(sa.select(deals))).one()
    assert (person.name, person.telegram_id, person.company) == ("Анна", 1, None)
    assert deal.request["name"] == "Борис"  # the request itself is the deal's, as it came


async def test_contacts_removed_where_they_were_shown_are_removed(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    leads = service(engine, business_config)
    await leads.submit(request(business_config, company="Вектор"), NOW)
    # a question skipped by somebody who was not shown what is on file keeps it
    kept = await leads.submit(request(business_config, email=None, company=None), NOW)
    assert (kept.person.email, kept.person.company) == ("anna@example.com", "Вектор")
    shown = {"email": "anna@example.com", "company": "Вектор"}
    removed = await leads.submit(
        replace(request(business_config, email=None, company=None), removed=shown), NOW
    )
    assert (removed.person.email, removed.person.company) == (None, None)


async def test_a_contact_changed_since_it_was_shown_is_not_removed(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    leads = service(engine, business_config)
    await leads.submit(request(business_config), NOW)
    async with engine.begin() as connection:  # a manager corrects it meanwhile
        await connection.execute(people.update().values(email="anna@vector.ru"))
    kept = await leads.submit(
        replace(request(business_config, email=None), removed={"email": "anna@example.com"}), NOW
    )
    assert kept.person.email == "anna@vector.ru"


async def test_same_email_is_the_same_person(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    leads = service(engine, business_config)
    first = await leads.submit(request(business_config, telegram_id=1), NOW)
    second = await leads.submit(request(business_config, telegram_id=2, phone="+79037654321"), NOW)
    assert second.person.id == first.person.id and second.decision is DealDecision.RETURNING
    # a typed e-mail lets nobody put their phone in place of a client's
    assert second.person.phone == "+79161234567" and second.other_account


async def test_only_closed_deals_start_a_repeat_sale(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    leads = service(engine, business_config)
    first = await leads.submit(request(business_config), NOW)
    async with engine.begin() as connection:
        await connection.execute(deals.update().values(status="won", closed_at=NOW))
    second = await leads.submit(request(business_config), NOW + timedelta(days=30))
    assert second.decision is DealDecision.REPEAT
    assert second.deal.id != first.deal.id
    assert await count(engine, deals) == 2


async def test_referral_links_the_referring_person(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    leads = service(engine, business_config)
    referrer = await leads.submit(request(business_config, telegram_id=1), NOW)
    friend = await leads.submit(
        request(
            business_config,
            telegram_id=2,
            payload="ref_1",
            phone="+79037654321",
            email="friend@example.com",
        ),
        NOW,
    )
    assert friend.referrer is not None and friend.referrer.id == referrer.person.id
    assert friend.deal.channel.value == "seeds"


async def test_known_persons_arrival_is_a_touch_point_at_once(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    leads = service(engine, business_config)
    arrival = Arrival(attribute("expo", source_table(business_config)), NOW)
    assert await leads.record_arrival(1001, arrival) is None  # unknown: nothing stored
    assert await count(engine, touch_points) == 0
    await leads.submit(request(business_config), NOW)
    known = await leads.record_arrival(1001, arrival)
    assert known is not None and known.consent_at == NOW  # the consent given with the form
    assert known.open_deal is not None and known.name == "Анна"
    assert await count(engine, touch_points) == 2
    assert await leads.consent_at(1001) == NOW
    assert await leads.consent_at(999) is None
