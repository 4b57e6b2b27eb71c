"""Staff: who is an admin or a manager, invitations, activation."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import time as dt_time
from enum import StrEnum
from typing import Protocol

from bot.domain.desk import Manager, Role, Viewer
from bot.domain.hours import OwnSettings, WorkingHours, zone
from bot.services.shared_cache import SharedCache
from bot.texts import locale_for

log = logging.getLogger(__name__)

DEFAULT_HOURS = WorkingHours(dt_time(9, 0), dt_time(18, 0), frozenset(range(5)))

INVITE_PREFIX = "inv_"


INVITE_KEY_LENGTH = 32  # characters of a token's hash that name its invitation in a button


class InviteResult(StrEnum):
    JOINED = "joined"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    ADMIN = "admin"  # an admin opened it (to try it): it stays for the person it is meant for
    ALREADY = "already"  # a manager at work opened it (posted in the team's chat): it stays too
    REJOINED = "rejoined"  # a manager switched off before is back at work by it


@dataclass(frozen=True, slots=True)
class NewManager:
    telegram_id: int
    name: str
    username: str | None
    language: str | None


@dataclass(frozen=True, slots=True)
class OpenInvite:
    """An invitation link nobody has used yet: named by `key` (see StaffService.invite_key)."""

    key: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Schedule:
    """A member of staff's time zone and working hours, their own or the business's."""

    tz: tzinfo
    hours: WorkingHours
    own: OwnSettings


class StaffRepository(Protocol):
    async def own_settings(self) -> dict[int, OwnSettings]: ...
    async def save_settings(
        self, telegram_id: int, values: Mapping[str, str | None], now: datetime
    ) -> None: ...
    async def active_manager_ids(self) -> frozenset[int]: ...
    async def managers(self) -> list[Manager]: ...
    async def manager(self, telegram_id: int) -> Manager | None: ...
    async def open_deal_counts(self) -> dict[int, int]: ...
    async def add_invite(
        self, token_hash: str, created_by: int, now: datetime, expires_at: datetime
    ) -> None: ...
    async def redeem(self, token_hash: str, who: NewManager, now: datetime) -> InviteResult: ...
    async def revoke_invite(self, key: str, now: datetime) -> bool: ...
    async def open_invites(self, now: datetime) -> list[OpenInvite]: ...
    async def set_active(
        self, telegram_id: int, active: bool, actor: int, now: datetime
    ) -> Manager | None: ...


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffService:
    """Roles are read on every update, so the set of active managers is kept in memory; it is
    refreshed after `ttl` seconds, so that a change made by another instance arrives too (within
    twice `ttl`: see SharedCache)."""

    def __init__(
        self,
        repository: StaffRepository,
        admin_ids: frozenset[int],
        invite_hours: int,
        ttl: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
        tz: tzinfo = UTC,
        hours: WorkingHours = DEFAULT_HOURS,
        default_locale: str = "ru",
    ) -> None:
        self._repository = repository
        self._default_locale = default_locale
        self.admin_ids = admin_ids
        self._invite_life = timedelta(hours=invite_hours)
        self._tz, self._hours = tz, hours
        self._managers = SharedCache(repository.active_manager_ids, ttl, monotonic)
        self._settings = SharedCache(repository.own_settings, ttl, monotonic)

    async def active_managers(self) -> frozenset[int]:
        return await self._managers.get()

    def forget(self) -> None:
        self._managers.forget()
        self._settings.forget()

    async def schedule(self, telegram_id: int) -> Schedule:
        """Their time zone and working hours (read every `ttl` seconds, as roles are)."""
        return self._schedule((await self._settings.get()).get(telegram_id, OwnSettings()))

    async def schedules(self) -> Callable[[int], Schedule]:
        """Everybody's `schedule` as it is now, for work that cannot wait for a query (a unit
        of work running in the database's thread)."""
        settings = await self._settings.get()
        return lambda telegram_id: self._schedule(settings.get(telegram_id, OwnSettings()))

    def _schedule(self, own: OwnSettings) -> Schedule:
        tz = zone(own.timezone) if own.timezone else self._tz
        hours = self._hours
        days = own.days if own.days is not None else hours.days
        if own.start is not None and own.end is not None:
            hours = WorkingHours(own.start, own.end, days)
        elif own.days is not None:
            hours = WorkingHours(hours.start, hours.end, days)
        return Schedule(tz, hours, own)

    async def locale(self, telegram_id: int) -> str:
        """The language of what the bot sends them unasked: their Telegram language as last
        seen (`note_language`), as for what it answers them."""
        own = (await self._settings.get()).get(telegram_id, OwnSettings())
        return locale_for(own.language, self._default_locale)

    async def note_language(
        self, telegram_id: int, language_code: str | None, now: datetime
    ) -> bool:
        """Called with every update of a member of staff; True (and written) when the language
        they are spoken to in changes. Telegram reports the language of the app in use, so a
        "uk" app after an "ru" one changes nothing, and a phone and a desktop app in two
        languages take turns."""
        if not language_code:  # Telegram does not always say
            return False
        own = (await self._settings.get()).get(telegram_id, OwnSettings())
        default = self._default_locale
        if locale_for(own.language, default) == locale_for(language_code, default):
            return False
        await self._repository.save_settings(telegram_id, {"language": language_code[:16]}, now)
        self._settings.forget()
        return True

    def business(self) -> Schedule:
        """The business's own time zone and working hours (for prospects)."""
        return Schedule(self._tz, self._hours, OwnSettings())

    async def set_timezone(self, telegram_id: int, name: str, now: datetime) -> None:
        await self._repository.save_settings(telegram_id, {"timezone": name}, now)
        self._settings.forget()

    async def set_hours(
        self, telegram_id: int, hours: WorkingHours, now: datetime, own_days: bool = False
    ) -> None:
        """Their own hours; with `own_days`, their own working days too (the business's are
        theirs otherwise, and follow its changes: typing the business's days goes back to
        them)."""
        values: dict[str, str | None] = {
            "work_start": f"{hours.start:%H:%M}",
            "work_end": f"{hours.end:%H:%M}",
        }
        if own_days:
            own = hours.days != self._hours.days
            values["work_days"] = ",".join(map(str, sorted(hours.days))) if own else None
        await self._repository.save_settings(telegram_id, values, now)
        self._settings.forget()

    async def viewer(self, telegram_id: int) -> Viewer | None:
        if telegram_id in self.admin_ids:
            return Viewer(telegram_id, Role.ADMIN)
        if telegram_id in await self.active_managers():
            return Viewer(telegram_id, Role.MANAGER)
        return None

    async def invite(self, created_by: int, now: datetime) -> tuple[str, datetime]:
        """A one-time token for the deep link `inv_<token>`, and when it expires."""
        token = secrets.token_urlsafe(16)  # 22 characters of A-Za-z0-9_-: a valid payload
        expires_at = now + self._invite_life
        await self._repository.add_invite(_hash(token), created_by, now, expires_at)
        return token, expires_at

    @staticmethod
    def invite_key(token: str) -> str:
        """What names an invitation in a button: half its token's hash (the token itself is
        secret, and the whole hash does not fit in callback data)."""
        return _hash(token)[:INVITE_KEY_LENGTH]

    async def revoke_invite(self, key: str, now: datetime) -> bool:
        """False if it is used, expired or withdrawn already."""
        return await self._repository.revoke_invite(key, now)

    async def open_invites(self, now: datetime) -> list[OpenInvite]:
        """Links sent and not used yet, the soonest to expire first: an admin who lost the
        message of one can still withdraw it."""
        return await self._repository.open_invites(now)

    async def redeem(self, token: str, who: NewManager, now: datetime) -> InviteResult:
        if who.telegram_id in self.admin_ids:
            return InviteResult.ADMIN  # an admin needs no invitation; keep the link for others
        before = await self._repository.manager(who.telegram_id)
        if before is not None and before.active:
            return InviteResult.ALREADY
        result = await self._repository.redeem(_hash(token), who, now)
        self.forget()
        if result is InviteResult.JOINED and before is not None:
            result = InviteResult.REJOINED
        if result in (InviteResult.JOINED, InviteResult.REJOINED):
            # their first alert may come before they write again
            try:
                await self.note_language(who.telegram_id, who.language, now)
            except Exception:  # they have joined: their welcome and the admins' note must go
                log.warning("could not record the language of %s", who.telegram_id, exc_info=True)
        return result

    async def managers(self) -> list[Manager]:
        return await self._repository.managers()

    async def manager(self, telegram_id: int) -> Manager | None:
        return await self._repository.manager(telegram_id)

    async def open_deal_counts(self) -> dict[int, int]:
        return await self._repository.open_deal_counts()

    async def set_active(
        self, telegram_id: int, active: bool, actor: int, now: datetime
    ) -> Manager | None:
        """The manager changed; None if there is nobody to change (already so, or unknown)."""
        manager = await self._repository.set_active(telegram_id, active, actor, now)
        self.forget()
        return manager
