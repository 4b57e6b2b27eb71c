"""The reminders table: add, list, change, and the claim of due rows with a lease."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.reminders import Reminder, ReminderStatus
from storage.schema import reminders

PENDING = ReminderStatus.PENDING.value


class SqlReminderRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

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
        async with self._engine.begin() as c:
            result = await c.execute(
                reminders.insert()
                .values(
                    deal_id=deal_id, chat_id=chat_id, kind=kind, text=text, due_at=due_at,
                    status=PENDING, created_by=created_by, created_at=now, attempts=0,
                )
                .returning(reminders.c.id)
            )  # fmt: skip
            return int(result.scalar_one())

    async def add_once(
        self, *, key: str, chat_id: int, kind: str, due_at: datetime, now: datetime
    ) -> bool:
        """A row the clock makes, once per key whoever makes it (False: it was there)."""
        insert = (
            postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        )(reminders)
        async with self._engine.begin() as c:
            result = await c.execute(
                insert.values(
                    dedupe_key=key, chat_id=chat_id, kind=kind, due_at=due_at, status=PENDING,
                    created_at=now, attempts=0,
                ).on_conflict_do_nothing(index_elements=[reminders.c.dedupe_key])
            )  # fmt: skip
            return result.rowcount == 1

    async def due_between(self, chat_id: int, start: datetime, end: datetime) -> list[Reminder]:
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(reminders)
                .where(
                    reminders.c.chat_id == chat_id,
                    reminders.c.status.in_([PENDING, ReminderStatus.SENT.value]),
                    reminders.c.kind != "digest",
                    reminders.c.due_at >= start,
                    reminders.c.due_at < end,
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
                .where(reminders.c.chat_id == chat_id, reminders.c.status == PENDING)
                .order_by(reminders.c.due_at)
                .limit(limit)
            )
            return [_reminder(row) for row in rows]

    async def close(self, reminder_id: int, status: ReminderStatus, now: datetime) -> bool:
        """Done or cancelled; False if it was neither pending nor sent (already closed)."""
        async with self._engine.begin() as c:
            result = await c.execute(
                reminders.update()
                .where(
                    reminders.c.id == reminder_id,
                    reminders.c.status.in_([PENDING, ReminderStatus.SENT.value]),
                )
                .values(status=status.value, lease_until=None)
            )
            return result.rowcount == 1

    async def reschedule(self, reminder_id: int, due_at: datetime) -> None:
        async with self._engine.begin() as c:
            await c.execute(
                reminders.update()
                .where(reminders.c.id == reminder_id)
                .values(due_at=due_at, status=PENDING, lease_until=None, sent_at=None)
            )

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Reminder]:
        """Due rows nobody holds, taken for `lease`: one statement, so two processes never take
        the same row (SQLite: the write lock; PostgreSQL: FOR UPDATE SKIP LOCKED). A holder that
        died leaves its lease to expire, and the row is taken again."""
        due = (
            sa.select(reminders.c.id)
            .where(
                reminders.c.status == PENDING,
                reminders.c.due_at <= now,
                sa.or_(reminders.c.lease_until.is_(None), reminders.c.lease_until < now),
            )
            .order_by(reminders.c.due_at)
            .limit(limit)
        )
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

    async def mark_sent(self, reminder_id: int, now: datetime) -> None:
        await self._finish(reminder_id, ReminderStatus.SENT, now)

    async def mark_unreachable(self, reminder_id: int, now: datetime) -> None:
        await self._finish(reminder_id, ReminderStatus.UNREACHABLE, now)

    async def _finish(self, reminder_id: int, status: ReminderStatus, now: datetime) -> None:
        async with self._engine.begin() as c:
            await c.execute(
                reminders.update()
                .where(reminders.c.id == reminder_id, reminders.c.status == PENDING)
                .values(status=status.value, sent_at=now, lease_until=None)
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
    )
