"""The reminders table: add, list, change, and the claim of due rows with a lease."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.reminders import QuietDeal, Reminder, ReminderStatus
from bot.services.reminders import LEAD_ALERT, SLA, SLA_ESCALATION
from storage.db import run_unit, upsert
from storage.schema import CONTACT_KINDS, deals, events, reminders

STALE_KIND = "stale"

PENDING = ReminderStatus.PENDING.value
# A speed-to-lead step of a lead already contacted would not come (the pusher drops it): the
# lists leave it out, before their limit, so that "🔥 лид ждёт ответа" is not shown after the call.
_ANSWERED = sa.and_(
    reminders.c.kind.in_((SLA, SLA_ESCALATION)),
    sa.exists().where(events.c.deal_id == reminders.c.deal_id, events.c.kind.in_(CONTACT_KINDS)),
)


class SqlReminderRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # Built once, values passed at execution (see storage.leads): a form's consent adds one.
        self._add = reminders.insert().returning(reminders.c.id)
        self._add_once = upsert(engine, reminders).on_conflict_do_nothing(
            index_elements=[reminders.c.dedupe_key]
        )

    async def add(
        self,
        *,
        deal_id: int | None,
        chat_id: int,
        kind: str,
        text: str | None,
        due_at: datetime,
        created_by: int | None,
        now: datetime,
    ) -> int:
        row = pending_row(deal_id, chat_id, kind, text, due_at, created_by, now)
        return await run_unit(self._engine, lambda c: int(c.execute(self._add, row).scalar_one()))

    async def add_once(
        self,
        *,
        key: str,
        chat_id: int,
        kind: str,
        due_at: datetime,
        now: datetime,
        deal_id: int | None = None,
    ) -> bool:
        """A row the clock makes, once per key whoever makes it (False: it was there)."""
        row = {**pending_row(deal_id, chat_id, kind, None, due_at, None, now), "dedupe_key": key}
        return await run_unit(self._engine, lambda c: c.execute(self._add_once, row).rowcount == 1)

    async def quiet_deals(
        self, quiet_before: dict[str, datetime | None], others_before: datetime | None, limit: int
    ) -> list[QuietDeal]:
        """Open deals with a manager and no activity since their stage's moment in
        `quiet_before` (None: never nudged at that stage; a stage not named there, say one the
        configuration no longer has: `others_before`) that have not been nudged since their
        last activity; the longest quiet first."""
        at_stage = [
            sa.and_(deals.c.stage == stage, deals.c.updated_at <= before)
            for stage, before in quiet_before.items()
            if before is not None
        ]
        if others_before is not None:
            at_stage.append(
                sa.and_(
                    deals.c.stage.not_in(list(quiet_before)), deals.c.updated_at <= others_before
                )
            )
        if not at_stage:
            return []
        nudged = sa.exists().where(
            reminders.c.deal_id == deals.c.id,
            reminders.c.kind == STALE_KIND,
            reminders.c.created_at >= deals.c.updated_at,
        )
        query = (
            sa.select(deals.c.id, deals.c.manager_telegram_id, deals.c.stage, deals.c.updated_at)
            .where(
                deals.c.status == "open",
                deals.c.manager_telegram_id.is_not(None),
                sa.or_(*at_stage),
                ~nudged,
            )
            .order_by(deals.c.updated_at)
            .limit(limit)
        )
        async with self._engine.connect() as c:
            return [
                QuietDeal(row.id, row.manager_telegram_id, row.stage, row.updated_at)
                for row in await c.execute(query)
            ]

    async def quiet_since(self, deal_id: int) -> datetime | None:
        """The open deal's last activity; None for a closed deal."""
        async with self._engine.connect() as c:
            return (
                await c.execute(
                    sa.select(deals.c.updated_at).where(
                        deals.c.id == deal_id, deals.c.status == "open"
                    )
                )
            ).scalar_one_or_none()

    async def due_between(self, chat_id: int, start: datetime, end: datetime) -> list[Reminder]:
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(reminders)
                .where(
                    reminders.c.chat_id == chat_id,
                    reminders.c.status.in_([PENDING, ReminderStatus.SENT.value]),
                    reminders.c.kind.not_in(("digest", LEAD_ALERT)),  # no work of theirs
                    reminders.c.due_at >= start,
                    reminders.c.due_at < end,
                    sa.not_(_ANSWERED),
                )
                .order_by(reminders.c.due_at)
                .limit(30)
            )
            return [_reminder(row) for row in rows]

    async def get(self, reminder_id: int) -> Reminder | None:
        async with self._engine.connect() as c:
            row = (
                await c.execute(sa.select(reminders).where(reminders.c.id == reminder_id))
            ).first()
        return None if row is None else _reminder(row)

    async def upcoming(self, chat_id: int, limit: int) -> list[Reminder]:
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(reminders)
                .where(
                    reminders.c.chat_id == chat_id,
                    reminders.c.status == PENDING,
                    reminders.c.kind != LEAD_ALERT,  # the bot's own safeguard, no work of theirs
                    sa.not_(_ANSWERED),
                )
                .order_by(reminders.c.due_at)
                .limit(limit)
            )
            return [_reminder(row) for row in rows]

    async def pending_on_deal(self, chat_id: int, deal_id: int, kind: str) -> list[Reminder]:
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(reminders)
                .where(
                    reminders.c.chat_id == chat_id,
                    reminders.c.deal_id == deal_id,
                    reminders.c.kind == kind,
                    reminders.c.status == PENDING,
                )
                .order_by(reminders.c.due_at)
            )
            return [_reminder(row) for row in rows]

    async def cancel_on_deal(
        self,
        deal_id: int,
        kinds: Collection[str],
        chat_id: int | None = None,
        up_to: int | None = None,
    ) -> int:
        """The deal's pending reminders of `kinds` (only `chat_id`'s if given, else whoever
        they are for; only those up to the id `up_to` if given), cancelled: how many."""
        mine = [reminders.c.chat_id == chat_id] if chat_id is not None else []
        if up_to is not None:
            mine.append(reminders.c.id <= up_to)
        async with self._engine.begin() as c:
            result = await c.execute(
                reminders.update()
                .where(
                    reminders.c.deal_id == deal_id,
                    reminders.c.kind.in_(list(kinds)),
                    reminders.c.status == PENDING,
                    *mine,
                )
                .values(status=ReminderStatus.CANCELLED.value, lease_until=None)
            )
            return int(result.rowcount)

    async def close(
        self, reminder_id: int, status: ReminderStatus, now: datetime, release_key: bool = False
    ) -> bool:
        """Done or cancelled; False if it was neither pending nor sent (already closed).
        `release_key`: its dedupe key may be used again (it was never sent)."""
        released = {"dedupe_key": None} if release_key else {}
        async with self._engine.begin() as c:
            result = await c.execute(
                reminders.update()
                .where(
                    reminders.c.id == reminder_id,
                    reminders.c.status.in_([PENDING, ReminderStatus.SENT.value]),
                )
                .values(status=status.value, lease_until=None, **released)
            )
            return result.rowcount == 1

    async def reschedule(self, reminder_id: int, due_at: datetime) -> bool:
        """Due again at `due_at`; False for one done or cancelled (snoozing it would revive it)."""
        async with self._engine.begin() as c:
            result = await c.execute(
                reminders.update()
                .where(
                    reminders.c.id == reminder_id,
                    reminders.c.status.in_([PENDING, ReminderStatus.SENT.value]),
                )
                .values(due_at=due_at, status=PENDING, lease_until=None, sent_at=None)
            )
            return result.rowcount == 1

    async def hand_on(
        self, reminder_ids: Collection[int], gone: Collection[int], chat_id: int
    ) -> set[int]:
        """To `chat_id` in place of whose they are (noted in `instead_of`), those still of the
        people `gone` (a handover meanwhile gave some to somebody at work); their ids."""
        async with self._engine.begin() as c:
            moved = await c.execute(
                reminders.update()
                .where(reminders.c.id.in_(list(reminder_ids)), reminders.c.chat_id.in_(list(gone)))
                .values(instead_of=reminders.c.chat_id, chat_id=chat_id)
                .returning(reminders.c.id)
            )
            return {row.id for row in moved}

    async def reopen(self, reminder_id: int, now: datetime) -> bool:
        """A cancelled reminder pending again, if its time is still ahead."""
        async with self._engine.begin() as c:
            result = await c.execute(
                reminders.update()
                .where(
                    reminders.c.id == reminder_id,
                    reminders.c.status == ReminderStatus.CANCELLED.value,
                    reminders.c.due_at > now,
                )
                .values(status=PENDING, lease_until=None)
            )
            return result.rowcount == 1

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Reminder]:
        """Due rows nobody holds, taken for `lease`: one statement, so two processes never take
        the same row (SQLite: the write lock; PostgreSQL: FOR UPDATE SKIP LOCKED). A holder that
        died leaves its lease to expire, and the row is taken again."""
        due = due_rows(now, limit)
        if self._engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        async with self._engine.begin() as c:
            result = await c.execute(
                reminders.update()
                .where(reminders.c.id.in_(due.scalar_subquery()))
                .values(lease_until=now + lease, attempts=reminders.c.attempts + 1)
                .returning(*reminders.c)
            )
            return sorted((_reminder(row) for row in result), key=lambda r: (r.due_at, r.id))

    async def cancel_lead_alerts(self, alerted: Collection[tuple[int, int]]) -> None:
        """The rescues of these (deal, member of staff) lead alerts, which went: called off."""
        async with self._engine.begin() as c:
            await c.execute(
                reminders.update()
                .where(
                    reminders.c.kind == LEAD_ALERT,
                    reminders.c.status == PENDING,
                    sa.tuple_(reminders.c.deal_id, reminders.c.chat_id).in_(list(alerted)),
                )
                .values(status=ReminderStatus.CANCELLED.value, lease_until=None)
            )

    async def release(self, reminder_ids: Collection[int], lease_until: datetime) -> None:
        """Claimed rows given back unsent (a stop, a lease running out before their turn): due
        for the next claim at once, and their claim not counted as an attempt. Only while the
        claim that set `lease_until` still holds them: after it ran out, another process may
        have claimed them and be sending them."""
        if not reminder_ids:
            return
        async with self._engine.begin() as c:
            await c.execute(
                reminders.update()
                .where(
                    reminders.c.id.in_(list(reminder_ids)),
                    reminders.c.status == PENDING,
                    reminders.c.lease_until == lease_until,
                )
                .values(lease_until=None, attempts=reminders.c.attempts - 1)
            )

    async def mark_sent(self, reminder_id: int, now: datetime) -> None:
        await self._finish(reminder_id, ReminderStatus.SENT, now)

    async def mark_failed(self, reminder_id: int, now: datetime) -> None:
        await self._finish(reminder_id, ReminderStatus.FAILED, now)

    async def mark_unreachable(self, reminder_id: int, now: datetime) -> None:
        await self._finish(reminder_id, ReminderStatus.UNREACHABLE, now)

    async def _finish(self, reminder_id: int, status: ReminderStatus, now: datetime) -> None:
        async with self._engine.begin() as c:
            await c.execute(
                reminders.update()
                .where(reminders.c.id == reminder_id, reminders.c.status == PENDING)
                .values(status=status.value, sent_at=now, lease_until=None)
            )


def due_rows(now: datetime, limit: int) -> sa.Select[tuple[int]]:
    """Due rows nobody holds: the SELECT a claim takes its rows from (ix_reminders_status_due)."""
    return (
        sa.select(reminders.c.id)
        .where(
            reminders.c.status == PENDING,
            reminders.c.due_at <= now,
            sa.or_(reminders.c.lease_until.is_(None), reminders.c.lease_until < now),
        )
        .order_by(reminders.c.due_at)
        .limit(limit)
    )


def _reminder(row: Any) -> Reminder:
    return Reminder(
        id=row.id,
        deal_id=row.deal_id,
        chat_id=row.chat_id,
        kind=row.kind,
        text=row.text,
        due_at=row.due_at,
        status=ReminderStatus(row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        instead_of=row.instead_of,
    )


def pending_row(
    deal_id: int | None,
    chat_id: int,
    kind: str,
    text: str | None,
    due_at: datetime,
    created_by: int | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "deal_id": deal_id, "chat_id": chat_id, "kind": kind, "text": text, "due_at": due_at,
        "status": PENDING, "created_by": created_by, "created_at": now, "attempts": 0,
    }  # fmt: skip
