"""A member of staff's own settings on a real database: saved, changed in parts, read back."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.hours import OwnSettings, WorkingHours
from bot.services.staff import StaffService
from storage.staff import SqlStaffRepository
from tests.storage.test_leads import NOW


async def test_own_time_zone_and_hours_are_kept_apart_and_changed_in_parts(
    engine: AsyncEngine,
) -> None:
    repository = SqlStaffRepository(engine)
    staff = StaffService(repository, frozenset({1}), invite_hours=48)
    await staff.set_timezone(7001, "Asia/Omsk", NOW)
    await staff.set_hours(7001, WorkingHours(time(10), time(19), frozenset()), NOW)
    await staff.set_timezone(7001, "UTC+05:30", NOW + timedelta(days=1))  # hours stay
    await staff.set_timezone(1, "Europe/Samara", NOW)  # an admin, who has no managers row
    assert await repository.own_settings() == {
        7001: OwnSettings("UTC+05:30", time(10), time(19)),
        1: OwnSettings("Europe/Samara", None, None),
    }
    schedule = await staff.schedule(7001)
    assert schedule.tz.utcoffset(NOW) == timedelta(hours=5, minutes=30)
    assert (schedule.hours.start, schedule.hours.end) == (time(10), time(19))
    # days of their own, kept with the hours; the business's otherwise
    assert (await staff.schedule(7001)).hours.days == frozenset(range(5))
    await staff.set_hours(7001, WorkingHours(time(10), time(19), frozenset({5, 6})), NOW, True)
    staff.forget()
    assert (await staff.schedule(7001)).hours.days == frozenset({5, 6})
    assert (await repository.own_settings())[7001].days == frozenset({5, 6})
    # the business's days typed again: theirs once more, following the business's changes
    await staff.set_hours(7001, WorkingHours(time(10), time(19), frozenset(range(5))), NOW, True)
    assert (await repository.own_settings())[7001].days is None
    stranger = await staff.schedule(9999)
    assert stranger.own == OwnSettings() and stranger.hours.start == time(9)
