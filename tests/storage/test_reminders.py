"""Reminder delivery on a real database: exactly once, leases, catch-up, unreachable."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import BusinessConfig
from bot.domain.reminders import Reminder, ReminderStatus
from bot.services.desk import DeskService
from bot.services.reminders import LEASE, ReminderService, Unreachable
from storage.desk import SqlDeskRepository
from storage.reminders import SqlReminderRepository
from tests.storage.test_desk import OLEG, outbound
from tests.storage.test_leads import NOW


def service(engine: AsyncEngine) -> ReminderService:
    return ReminderService(SqlReminderRepository(engine), DeskService(SqlDeskRepository(engine)))


async def test_two_claimers_send_each_due_reminder_once(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await outbound(engine, business_config, 7001, 1)
    reminders = service(engine)
    for minutes in range(60):
        await reminders.remind(OLEG, deal_id, NOW + timedelta(minutes=minutes), NOW)
    sent: list[int] = []

    async def send(reminder: Reminder) -> None:
        await asyncio.sleep(0)
        sent.append(reminder.id)

    later = NOW + timedelta(hours=2)  # the bot was down: everything came due meanwhile
    counts = await asyncio.gather(
        *(service(engine).deliver_due(later, send, limit=7) for _ in range(12))
    )
    assert sum(counts) == 60 and sorted(sent) == sorted(set(sent)) and len(sent) == 60
    assert await reminders.upcoming(OLEG) == []


async def test_a_claim_that_died_comes_back_after_its_lease(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await outbound(engine, business_config, 7001, 1)
    reminders = service(engine)
    await reminders.remind(OLEG, deal_id, NOW, NOW)
    repository = SqlReminderRepository(engine)
    [claimed] = await repository.claim(NOW, LEASE, 10)  # ... and the process is killed here
    assert await repository.claim(NOW + LEASE / 2, LEASE, 10) == []  # still held
    delivered: list[Reminder] = []

    async def send(reminder: Reminder) -> None:
        delivered.append(reminder)

    assert await reminders.deliver_due(NOW + LEASE + timedelta(seconds=1), send) == 1
    assert [r.id for r in delivered] == [claimed.id] and delivered[0].attempts == 2
    stored = await repository.get(claimed.id)
    assert stored is not None and stored.status is ReminderStatus.SENT


async def test_failures_retry_and_a_blocked_bot_stops(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await outbound(engine, business_config, 7001, 1)
    reminders = service(engine)
    first = await reminders.remind(OLEG, deal_id, NOW, NOW)
    second = await reminders.remind(OLEG, deal_id, NOW, NOW)

    async def failing(reminder: Reminder) -> None:
        if reminder.id == first:
            raise ConnectionError("network down")
        raise Unreachable(reminder.chat_id)

    assert await reminders.deliver_due(NOW, failing) == 0
    repository = SqlReminderRepository(engine)
    blocked = await repository.get(second)
    assert blocked is not None and blocked.status is ReminderStatus.UNREACHABLE
    retried = await repository.claim(NOW + LEASE + timedelta(seconds=1), LEASE, 10)
    assert [r.id for r in retried] == [first]  # not marked sent: tried again


async def test_a_digest_is_planned_once_per_person_and_day(engine: AsyncEngine) -> None:
    planned = await asyncio.gather(
        *(service(engine).plan_digests([7001, 5001], NOW.date(), NOW) for _ in range(3))
    )
    assert sum(planned) == 2
    assert await service(engine).plan_digests([7001], (NOW + timedelta(days=1)).date(), NOW) == 1
