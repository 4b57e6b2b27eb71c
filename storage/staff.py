"""Managers and their invitation links."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.desk import Manager
from bot.domain.hours import OwnSettings
from bot.domain.reminders import ReminderStatus
from bot.services.staff import INVITE_KEY_LENGTH, InviteResult, NewManager, OpenInvite
from storage.db import upsert
from storage.schema import (
    deals,
    event_row,
    events,
    invites,
    managers,
    reminders,
    staff_settings,
)


class SqlStaffRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def active_manager_ids(self) -> frozenset[int]:
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(managers.c.telegram_id).where(managers.c.active.is_(True))
            )
            return frozenset(row.telegram_id for row in rows)

    async def managers(self) -> list[Manager]:
        async with self._engine.connect() as c:
            rows = await c.execute(sa.select(managers).order_by(managers.c.name))
            return [_manager(row) for row in rows]

    async def manager(self, telegram_id: int) -> Manager | None:
        async with self._engine.connect() as c:
            row = (
                await c.execute(sa.select(managers).where(managers.c.telegram_id == telegram_id))
            ).first()
            return None if row is None else _manager(row)

    async def open_deal_counts(self) -> dict[int, int]:
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(deals.c.manager_telegram_id, sa.func.count())
                .where(deals.c.status == "open", deals.c.manager_telegram_id.is_not(None))
                .group_by(deals.c.manager_telegram_id)
            )
            return {row[0]: row[1] for row in rows}

    async def add_invite(
        self, token_hash: str, created_by: int, now: datetime, expires_at: datetime
    ) -> None:
        async with self._engine.begin() as c:
            await c.execute(
                invites.insert().values(
                    token_hash=token_hash, created_by=created_by, created_at=now,
                    expires_at=expires_at,
                )
            )  # fmt: skip

    async def revoke_invite(self, key: str, now: datetime) -> bool:
        """Ends the invitation whose token hash starts with `key`, if it is still open."""
        async with self._engine.begin() as c:
            ended = await c.execute(
                invites.update()
                .where(
                    invites.c.token_hash.startswith(key),
                    invites.c.used_at.is_(None),
                    invites.c.expires_at > now,
                )
                .values(expires_at=now)
            )
            return bool(ended.rowcount)

    async def open_invites(self, now: datetime) -> list[OpenInvite]:
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(invites.c.token_hash, invites.c.expires_at)
                .where(invites.c.used_at.is_(None), invites.c.expires_at > now)
                .order_by(invites.c.expires_at)
            )
            return [OpenInvite(row.token_hash[:INVITE_KEY_LENGTH], row.expires_at) for row in rows]

    async def redeem(self, token_hash: str, who: NewManager, now: datetime) -> InviteResult:
        async with self._engine.begin() as c:
            # The UPDATE is the claim: of two people opening one link, exactly one succeeds.
            claimed = await c.execute(
                invites.update()
                .where(
                    invites.c.token_hash == token_hash,
                    invites.c.used_at.is_(None),
                    invites.c.expires_at > now,
                )
                .values(used_by=who.telegram_id, used_at=now)
                .returning(invites.c.created_by)
            )
            row = claimed.first()
            if row is None:
                invite = (
                    await c.execute(
                        sa.select(invites.c.used_at).where(invites.c.token_hash == token_hash)
                    )
                ).first()
                if invite is None:
                    return InviteResult.UNKNOWN
                return InviteResult.USED if invite.used_at is not None else InviteResult.EXPIRED
            values = {
                "name": who.name,
                "username": who.username,
                "language": who.language,
                "active": True,
                "updated_at": now,
            }
            updated = await c.execute(
                managers.update().where(managers.c.telegram_id == who.telegram_id).values(values)
            )
            if updated.rowcount == 0:
                await c.execute(
                    managers.insert().values(
                        telegram_id=who.telegram_id, invited_by=row.created_by, created_at=now,
                        **values,
                    )
                )  # fmt: skip
            await c.execute(
                events.insert().values(
                    **event_row(
                        "manager_joined", {"invited_by": row.created_by}, now,
                        actor_telegram_id=who.telegram_id,
                    )
                )
            )  # fmt: skip
            return InviteResult.JOINED

    async def set_active(
        self, telegram_id: int, active: bool, actor: int, now: datetime
    ) -> Manager | None:
        async with self._engine.begin() as c:
            result = await c.execute(
                managers.update()
                # Only a change: a second press of the same button (or another admin's at the
                # same time) finds nothing to do.
                .where(managers.c.telegram_id == telegram_id, managers.c.active != active)
                .values(active=active, updated_at=now)
                .returning(*managers.c)
            )
            row = result.first()
            if row is None:
                return None
            kind = "manager_activated" if active else "manager_deactivated"
            await c.execute(
                events.insert().values(
                    **event_row(kind, {"manager": telegram_id}, now, actor_telegram_id=actor)
                )
            )
            if active:  # what an admin got in their place meanwhile, of deals still theirs
                await c.execute(
                    reminders.update()
                    .where(
                        reminders.c.instead_of == telegram_id,
                        reminders.c.status == ReminderStatus.PENDING.value,
                        reminders.c.deal_id.in_(
                            sa.select(deals.c.id).where(deals.c.manager_telegram_id == telegram_id)
                        ),
                    )
                    .values(chat_id=telegram_id, instead_of=None)
                )
            return _manager(row)

    async def own_settings(self) -> dict[int, OwnSettings]:
        async with self._engine.connect() as c:
            rows = await c.execute(sa.select(staff_settings))
            return {
                row.telegram_id: OwnSettings(
                    timezone=row.timezone,
                    start=_time(row.work_start),
                    end=_time(row.work_end),
                    language=row.language,
                    days=_days(row.work_days),
                )
                for row in rows
            }

    async def save_settings(
        self, telegram_id: int, values: Mapping[str, str | None], now: datetime
    ) -> None:
        """Upsert of `values` (timezone, work_start, work_end, work_days, language) for one
        person."""
        insert = upsert(self._engine, staff_settings)
        async with self._engine.begin() as c:
            await c.execute(
                insert.values(
                    telegram_id=telegram_id, updated_at=now, **values
                ).on_conflict_do_update(
                    index_elements=[staff_settings.c.telegram_id],
                    set_={**values, "updated_at": now},
                )
            )


def _days(value: str | None) -> frozenset[int] | None:
    return None if not value else frozenset(int(day) for day in value.split(","))


def _time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _manager(row: sa.Row[tuple[object, ...]]) -> Manager:
    return Manager(row.telegram_id, row.name, row.username, row.active, row.updated_at)
