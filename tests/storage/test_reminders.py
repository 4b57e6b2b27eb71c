"""Reminder delivery on a real database: exactly once, leases, catch-up, unreachable."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import BusinessConfig
from bot.domain.reminders import Reminder, ReminderStatus
from bot.services.delivery import Delivery
from bot.services.desk import DeskService
from bot.services.reminders import LEASE, MAX_ATTEMPTS, ReminderService, Send, Unreachable
from storage.desk import SqlDeskRepository
from storage.reminders import SqlReminderRepository
from storage.schema import deals
from tests.storage.test_desk import ADMIN, IRA, OLEG, outbound
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


async def claimed_reminder(
    engine: AsyncEngine, config: BusinessConfig
) -> tuple[ReminderService, SqlReminderRepository, Reminder]:
    """Олег's reminder on his deal, due now and claimed."""
    deal_id = await outbound(engine, config, 7001, 1)
    reminders = service(engine)
    await reminders.remind(OLEG, deal_id, NOW, NOW)
    repository = SqlReminderRepository(engine)
    [claimed] = await repository.claim(NOW, LEASE, 10)
    return reminders, repository, claimed


async def test_a_claim_that_died_comes_back_after_its_lease(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    # ... and the process is killed after the claim
    reminders, repository, claimed = await claimed_reminder(engine, business_config)
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


async def test_a_person_who_blocked_the_bot_is_tried_once_not_once_per_reminder(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await outbound(engine, business_config, 7001, 1)
    reminders = service(engine)
    ids = [await reminders.remind(OLEG, deal_id, NOW, NOW, f"#{n}") for n in range(3)]
    tried: list[int] = []

    async def blocked(reminder: Reminder) -> None:
        tried.append(reminder.id)
        raise Unreachable(reminder.chat_id)

    assert await reminders.deliver_due(NOW, blocked) == 0
    assert len(tried) == 1  # one 403, not three
    repository = SqlReminderRepository(engine)
    for reminder_id in ids:
        stored = await repository.get(reminder_id)
        assert stored is not None and stored.status is ReminderStatus.UNREACHABLE


async def test_a_digest_is_planned_once_per_person_and_day(engine: AsyncEngine) -> None:
    planned = await asyncio.gather(
        *(service(engine).plan_digests([7001, 5001], NOW.date(), NOW) for _ in range(3))
    )
    assert sum(planned) == 2
    assert await service(engine).plan_digests([7001], (NOW + timedelta(days=1)).date(), NOW) == 1


async def due_now(engine: AsyncEngine, chats: list[int]) -> list[int]:
    repository = SqlReminderRepository(engine)
    return [
        await repository.add(
            deal_id=None,
            chat_id=chat,
            kind="manual",
            text=f"call {n}",
            due_at=NOW,
            created_by=chat,
            now=NOW,
        )
        for n, chat in enumerate(chats)
    ]


async def test_a_person_with_many_reminders_does_not_hold_up_the_others(
    engine: AsyncEngine,
) -> None:
    busy, others = 7001, [7002, 7003, 7004, 7005]
    await due_now(engine, [busy] * 10 + others)
    busy_may_go = asyncio.Event()
    sent: list[int] = []

    async def send(reminder: Reminder) -> None:
        if reminder.chat_id == busy:  # its chat's limit holds it back
            await busy_may_go.wait()
        sent.append(reminder.chat_id)

    delivery = Delivery(service(engine), send, lambda: NOW)
    assert await delivery.tick() == 14
    for _ in range(100):
        await asyncio.sleep(0.01)
        if sorted(sent) == others:
            break
    assert sorted(sent) == others  # while the busy person's first is still waiting
    busy_may_go.set()
    await delivery.drain()
    assert sent.count(busy) == 10 and delivery.delivered == 14 and delivery.held == 0


async def test_a_tick_claims_no_more_than_its_window(engine: AsyncEngine) -> None:
    await due_now(engine, list(range(7001, 7013)))
    gate = asyncio.Event()

    async def send(reminder: Reminder) -> None:
        await gate.wait()

    delivery = Delivery(service(engine), send, lambda: NOW, window=5)
    assert await delivery.tick() == 5 and await delivery.tick() == 0
    gate.set()
    await delivery.drain()
    assert await delivery.tick() == 5 and delivery.held <= 5
    await delivery.drain()
    assert await delivery.tick() == 2
    await delivery.drain()
    assert delivery.delivered == 12


async def test_a_reminder_is_not_sent_when_its_lease_is_running_out(engine: AsyncEngine) -> None:
    """The first send took so long that another process may claim the second meanwhile."""
    first, second = await due_now(engine, [7001, 7001])
    now = [NOW]
    sent: list[int] = []

    async def slow(reminder: Reminder) -> None:
        now[0] += LEASE + timedelta(seconds=1)  # a send that hung for the whole lease
        sent.append(reminder.id)

    delivery = Delivery(service(engine), slow, lambda: now[0])
    await delivery.tick()
    await delivery.drain()
    assert sent == [first]
    stored = await SqlReminderRepository(engine).get(second)
    assert stored is not None and stored.status is ReminderStatus.PENDING
    assert await delivery.tick() == 1  # its lease is over: taken again, sent once
    await delivery.drain()
    assert sent == [first, second]


async def test_quiet_deals_are_nudged_once_per_quiet_spell_by_stage(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    first = await outbound(engine, business_config, 7001, 1)  # at "contact", quiet since NOW
    second = await outbound(engine, business_config, 7002, 2)
    async with engine.begin() as connection:
        await connection.execute(
            deals.update().where(deals.c.id == second).values(stage="gone_stage")
        )
    reminders = service(engine)
    days = {"contact": 3, "needs": 0}  # "gone_stage" is in no configuration: the default, 5
    made = await asyncio.gather(
        *(service(engine).plan_stale(NOW + timedelta(days=3), days, 5) for _ in range(3))
    )
    assert sum(made) == 1  # two processes scanning at once make one nudge
    assert await reminders.plan_stale(NOW + timedelta(days=4), days, 5) == 0
    assert await reminders.plan_stale(NOW + timedelta(days=5), days, 5) == 1  # the other one
    nudged = [r.deal_id for r in await reminders.upcoming(OLEG) + await reminders.upcoming(IRA)]
    assert sorted(n or 0 for n in nudged) == [first, second]
    async with engine.begin() as connection:  # work on the first one: a new spell begins
        await connection.execute(
            deals.update().where(deals.c.id == first).values(updated_at=NOW + timedelta(days=6))
        )
    assert await reminders.plan_stale(NOW + timedelta(days=8), days, 5) == 0
    assert await reminders.plan_stale(NOW + timedelta(days=9), days, 5) == 1
    assert await reminders.quiet_since(first) == NOW + timedelta(days=6)


def held_send() -> tuple[Send, asyncio.Event, asyncio.Event, list[int]]:
    """A send that waits for Telegram's answer (`release`) once it has `started`."""
    started, release = asyncio.Event(), asyncio.Event()
    sent: list[int] = []

    async def send(reminder: Reminder) -> None:
        started.set()
        await release.wait()
        sent.append(reminder.id)

    return send, started, release, sent


async def test_a_stop_lets_the_send_under_way_finish_and_starts_no_more(
    engine: AsyncEngine,
) -> None:
    first, second, third = await due_now(engine, [7001, 7001, 7001])
    send, started, release, sent = held_send()
    delivery = Delivery(service(engine), send, lambda: NOW)
    await delivery.tick()
    await started.wait()
    closing = asyncio.create_task(delivery.close(grace=5))
    await asyncio.sleep(0.05)
    release.set()  # Telegram answers the request under way
    await closing
    assert sent == [first] and delivery.held == 0
    repository = SqlReminderRepository(engine)
    statuses = [(await repository.get(i)) for i in (first, second, third)]
    assert [s.status for s in statuses if s] == [
        ReminderStatus.SENT, ReminderStatus.PENDING, ReminderStatus.PENDING,
    ]  # fmt: skip
    assert await delivery.tick() == 0  # stopped: claims nothing
    # the next process, started at once, sends them: not held for the rest of their lease
    sent.clear()
    after = Delivery(service(engine), send, lambda: NOW + timedelta(seconds=20))
    assert await after.tick() == 2
    await after.drain()
    assert sent == [second, third]
    restarted = [(await repository.get(i)) for i in (second, third)]
    assert [s.attempts for s in restarted if s] == [1, 1]  # the stop cost them no attempt


async def test_a_stop_gives_back_what_was_queued_behind_the_send_under_way(
    engine: AsyncEngine,
) -> None:
    [first] = await due_now(engine, [7001])
    send, started, release, sent = held_send()
    delivery = Delivery(service(engine), send, lambda: NOW)
    await delivery.tick()
    await started.wait()
    queued = await due_now(engine, [7001, 7001])  # claimed by the next tick, behind the first
    assert await delivery.tick() == 2
    closing = asyncio.create_task(delivery.close(grace=5))
    await asyncio.sleep(0.05)
    release.set()
    await closing
    assert sent == [first]
    after = Delivery(service(engine), send, lambda: NOW + timedelta(seconds=20))
    assert await after.tick() == 2
    await after.drain()
    assert sent == [first, *queued]


async def test_a_reminder_failing_every_time_is_given_up(engine: AsyncEngine) -> None:
    [only] = await due_now(engine, [7001])

    async def broken(reminder: Reminder) -> None:
        raise RuntimeError("Bad Request: chat not found")

    moment = NOW
    for _ in range(MAX_ATTEMPTS):
        await service(engine).deliver_due(moment, broken)
        moment += LEASE + timedelta(seconds=1)
    stored = await SqlReminderRepository(engine).get(only)
    assert stored is not None and stored.status is ReminderStatus.FAILED
    assert await service(engine).deliver_due(moment + LEASE, broken) == 0


async def test_a_closed_deals_reminders_are_cancelled_by_whom_and_which(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await outbound(engine, business_config, 7001, 1)
    reminders = service(engine)
    own = await reminders.remind(OLEG, deal_id, NOW + timedelta(days=1), NOW)
    await reminders.remind(ADMIN, deal_id, NOW + timedelta(days=1), NOW)  # the admin's own
    assert [r.id for r in await reminders.on_deal(OLEG, deal_id)] == [own]

    assert await reminders.cancel_on_deal(OLEG, deal_id) == 1  # Олег's only
    assert await reminders.on_deal(OLEG, deal_id) == []
    assert len(await reminders.on_deal(ADMIN, deal_id)) == 1
    assert await reminders.cancel_on_deal(OLEG, deal_id) == 0
    # a cancelled reminder cannot be snoozed back to life
    assert not await reminders.snooze(OLEG, own, NOW + timedelta(hours=1))
    stored = await SqlReminderRepository(engine).get(own)
    assert stored is not None and stored.status is ReminderStatus.CANCELLED


async def test_a_release_after_the_lease_ran_out_leaves_the_new_claim_alone(
    engine: AsyncEngine,
) -> None:
    """A batch that waited past its lease (a long 429) is given back by its old holder while
    another process has claimed and is sending it: that claim stands, or it would go twice."""
    [only] = await due_now(engine, [7001])
    repository = SqlReminderRepository(engine)
    [first] = await repository.claim(NOW, LEASE, 10)
    later = NOW + LEASE + timedelta(seconds=1)
    [second] = await repository.claim(later, LEASE, 10)  # another process, after the lease
    await repository.release([first.id], NOW + LEASE)  # the first holder gives it back, late
    assert await repository.claim(later + timedelta(seconds=1), LEASE, 10) == []  # still held
    stored = await repository.get(only)
    assert stored is not None and stored.attempts == 2
    await repository.release([second.id], later + LEASE)  # its holder's own release counts
    assert [r.id for r in await repository.claim(later, LEASE, 10)] == [only]


async def test_a_claim_under_way_at_the_stop_is_given_back(engine: AsyncEngine) -> None:
    due = await due_now(engine, [7001, 7002])
    claiming, stop_now = asyncio.Event(), asyncio.Event()

    class SlowClaims(ReminderService):
        async def claim(self, now: datetime, limit: int = 100) -> list[Reminder]:
            claimed = await super().claim(now, limit)
            claiming.set()
            await stop_now.wait()  # the stop comes while the claim's answer is on its way
            return claimed

    async def send(reminder: Reminder) -> None:
        raise AssertionError("nothing is sent after a stop")

    slow = SlowClaims(SqlReminderRepository(engine), DeskService(SqlDeskRepository(engine)))
    delivery = Delivery(slow, send, lambda: NOW)
    ticking = asyncio.create_task(delivery.tick())
    await claiming.wait()
    closing = asyncio.create_task(delivery.close(grace=1))
    await asyncio.sleep(0)
    stop_now.set()
    await asyncio.gather(ticking, closing)
    after = Delivery(service(engine), lambda r: asyncio.sleep(0), lambda: NOW)
    assert await after.tick() == len(due)  # at once, not after the lease
    await after.drain()


async def test_a_reminder_handed_over_meanwhile_is_not_handed_on_to_an_admin(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    _, repository, claimed = await claimed_reminder(engine, business_config)
    # the deal (and its reminder) goes to Ира between the claim and the handing on
    await SqlDeskRepository(engine).handover(7001, 7002, ADMIN.telegram_id, NOW)
    assert await repository.hand_on([claimed.id], [7001], ADMIN.telegram_id) == set()
    [mine] = await repository.upcoming(7002, 10)
    assert (mine.chat_id, mine.instead_of) == (7002, None)
    assert await repository.hand_on([claimed.id], [7002], ADMIN.telegram_id) == {claimed.id}
