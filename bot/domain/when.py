"""When a reminder is due: one-tap choices and typed times in Russian or English, in the
manager's time zone. `now` is always an argument."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum

import dateparser

from bot.domain.parsing import InputError, Problem, parse_free_text

EVENING = time(19, 0)
MORNING = time(10, 0)


class QuickTime(StrEnum):
    HOUR = "1h"
    EVENING = "evening"
    TOMORROW = "tomorrow"
    THREE_DAYS = "3d"
    MONDAY = "monday"


def quick_time(choice: QuickTime, now: datetime, tz: tzinfo) -> datetime:
    """In 1 hour; this evening at 19:00 (tomorrow's if it is past); tomorrow at 10:00; in 3 days
    at 10:00; next Monday at 10:00 (a week on if today is Monday)."""
    local = now.astimezone(tz)
    today = local.date()
    match choice:
        case QuickTime.HOUR:
            return now + timedelta(hours=1)
        case QuickTime.EVENING:
            evening = datetime.combine(today, EVENING, tz)
            return evening if evening > local else evening + timedelta(days=1)
        case QuickTime.TOMORROW:
            return datetime.combine(today + timedelta(days=1), MORNING, tz)
        case QuickTime.THREE_DAYS:
            return datetime.combine(today + timedelta(days=3), MORNING, tz)
        case QuickTime.MONDAY:
            days = 7 - today.weekday()  # Monday is 0: a Monday goes to the next one
            return datetime.combine(today + timedelta(days=days), MORNING, tz)


def parse_when(text: str, now: datetime, tz: tzinfo) -> datetime:
    """A typed moment ("завтра в 15:00", "через 2 часа", "25.12 10:30", "next friday 9am") in
    the time zone `tz`; a date alone means 10:00 of it. Raises InputError: NOT_A_TIME for what
    it cannot read, IN_THE_PAST for a moment already gone."""
    cleaned = parse_free_text(text, limit=100)
    base = now.astimezone(tz).replace(tzinfo=None)
    found = dateparser.parse(
        cleaned,
        languages=["ru", "en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": base,
            "DATE_ORDER": "DMY",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if found is None:
        raise InputError(Problem.NOT_A_TIME)
    if found.time() == time(0) and not _mentions_time(cleaned):
        found = datetime.combine(found.date(), MORNING)
    moment = found.replace(tzinfo=tz)
    if moment <= now:
        raise InputError(Problem.IN_THE_PAST)
    return moment


def _mentions_time(text: str) -> bool:
    return ":" in text or any(
        word in text.lower() for word in ("час", "мин", "hour", "min", "am", "pm")
    )
