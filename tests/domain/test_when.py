"""When a reminder is due: quick choices and typed times, in the manager's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.parsing import InputError, Problem
from bot.domain.when import QuickTime, parse_when, quick_time

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 12:00 in Moscow


def moscow(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (QuickTime.HOUR, moscow(2026, 11, 23, 13, 0)),
        (QuickTime.EVENING, moscow(2026, 11, 23, 19, 0)),
        (QuickTime.TOMORROW, moscow(2026, 11, 24, 10, 0)),
        (QuickTime.THREE_DAYS, moscow(2026, 11, 26, 10, 0)),
        (QuickTime.MONDAY, moscow(2026, 11, 30, 10, 0)),  # today is Monday: the next one
    ],
)
def test_quick_choices(choice: QuickTime, expected: datetime) -> None:
    assert quick_time(choice, NOW, MOSCOW) == expected


def test_this_evening_after_seven_is_tomorrows() -> None:
    late = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)  # 20:30 in Moscow
    assert quick_time(QuickTime.EVENING, late, MOSCOW) == moscow(2026, 11, 24, 19, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("завтра в 15:00", moscow(2026, 11, 24, 15, 0)),
        ("через 2 часа", moscow(2026, 11, 23, 14, 0)),
        ("25.12 10:30", moscow(2026, 12, 25, 10, 30)),
        ("next friday 9am", moscow(2026, 11, 27, 9, 0)),
        ("tomorrow 10:00", moscow(2026, 11, 24, 10, 0)),
        ("25.12.2026", moscow(2026, 12, 25, 10, 0)),  # a date alone: 10:00 of it
    ],
)
def test_typed_times_in_both_languages(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW, MOSCOW) == expected


def test_the_time_zone_is_the_managers() -> None:
    vladivostok = ZoneInfo("Asia/Vladivostok")  # 19:00 there at NOW
    assert parse_when("завтра в 15:00", NOW, vladivostok) == datetime(
        2026, 11, 24, 15, 0, tzinfo=vladivostok
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [("вчера", Problem.IN_THE_PAST), ("ерунда какая-то", Problem.NOT_A_TIME), ("", Problem.EMPTY)],
)
def test_past_and_unreadable_times_are_refused(text: str, problem: Problem) -> None:
    with pytest.raises(InputError) as error:
        parse_when(text, NOW, MOSCOW)
    assert error.value.problem is problem
