"""Working hours and time zones of staff: when an automatic follow-up may come, what is typed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.hours import (
    WorkingHours,
    parse_days,
    parse_hours,
    parse_schedule,
    parse_timezone,
    zone,
)
from bot.domain.parsing import InputError, Problem

MOSCOW = ZoneInfo("Europe/Moscow")
WEEKDAYS = frozenset(range(5))
NINE_TO_SIX = WorkingHours(time(9), time(18), WEEKDAYS)


def moscow(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW)  # 23.11.2026 is a Monday


@pytest.mark.parametrize(
    ("moment", "opens"),
    [
        (moscow(23, 12), moscow(23, 12)),  # within: as it is
        (moscow(23, 7, 30), moscow(23, 9)),  # before the start: the same day's
        (moscow(23, 18), moscow(24, 9)),  # the end is not within
        (moscow(27, 20), moscow(30, 9)),  # Friday evening: Monday
        (moscow(29, 12), moscow(30, 9)),  # Sunday noon: Monday
    ],
)
def test_next_open_waits_for_the_working_day(moment: datetime, opens: datetime) -> None:
    assert NINE_TO_SIX.next_open(moment.astimezone(UTC), MOSCOW) == opens


def test_next_open_is_in_the_persons_own_zone() -> None:
    vladivostok = ZoneInfo("Asia/Vladivostok")  # UTC+10: 12:00 in Moscow is 19:00 there
    assert NINE_TO_SIX.next_open(moscow(23, 12), vladivostok) == datetime(
        2026, 11, 24, 9, tzinfo=vladivostok
    )


def test_no_working_days_holds_nothing_back() -> None:
    never = WorkingHours(time(9), time(18), frozenset())
    assert never.next_open(moscow(29, 3), MOSCOW) == moscow(29, 3)


@pytest.mark.parametrize(
    ("typed", "start", "end"),
    [
        ("9-18", time(9), time(18)),
        ("09:30–18:30", time(9, 30), time(18, 30)),
        ("8.00 - 17", time(8), time(17)),
        ("10-24", time(10), time(23, 59)),
        ("с 9 до 18", time(9), time(18)),
        ("9am-5pm", time(9), time(17)),
        ("8.30am - 5.30pm", time(8, 30), time(17, 30)),
        ("9 to 5", time(9), time(17)),  # an end before the start is the afternoon's
        ("12pm-8pm", time(12), time(20)),
    ],
)
def test_typed_hours(typed: str, start: time, end: time) -> None:
    hours = parse_hours(typed, WEEKDAYS)
    assert (hours.start, hours.end, hours.days) == (start, end, WEEKDAYS)


@pytest.mark.parametrize(
    "typed", ["18-9", "9", "с утра", "25-26", "9:75-18", "9-9", "13pm-5pm", "9pm-5am"]
)
def test_hours_that_make_no_sense_are_refused(typed: str) -> None:
    with pytest.raises(InputError) as error:
        parse_hours(typed, WEEKDAYS)
    assert error.value.problem is Problem.NOT_HOURS


@pytest.mark.parametrize(
    ("typed", "stored", "offset"),
    [
        ("Asia/Yekaterinburg", "Asia/Yekaterinburg", timedelta(hours=5)),
        ("UTC+5", "UTC+05:00", timedelta(hours=5)),
        ("gmt -3", "UTC-03:00", timedelta(hours=-3)),
        ("+05:30", "UTC+05:30", timedelta(hours=5, minutes=30)),
        ("мск+2", "UTC+05:00", timedelta(hours=5)),
        ("МСК-1", "UTC+02:00", timedelta(hours=2)),
        ("мск", "UTC+03:00", timedelta(hours=3)),
        ("UTC", "UTC+00:00", timedelta(0)),
        ("europe/london", "Europe/London", timedelta(0)),  # typed in any case
        ("London", "Europe/London", timedelta(0)),  # the city alone
        ("new york", "America/New_York", timedelta(hours=-5)),
        ("Istanbul", "Asia/Istanbul", timedelta(hours=3)),  # two names of one zone
        ("Екатеринбург", "Asia/Yekaterinburg", timedelta(hours=5)),  # as its button says
        ("Petersburg", "Europe/Moscow", timedelta(hours=3)),  # not Indiana's
        ("Ташкент", "Asia/Tashkent", timedelta(hours=5)),  # the neighbours' cities, in Russian
        ("Минск", "Europe/Minsk", timedelta(hours=3)),
        ("Кишинёв", "Europe/Chisinau", timedelta(hours=2)),
        ("Лондон", "Europe/London", timedelta(0)),
        ("Дубай", "Asia/Dubai", timedelta(hours=4)),
    ],
)
def test_typed_time_zones(typed: str, stored: str, offset: timedelta) -> None:
    assert parse_timezone(typed) == stored
    assert zone(stored).utcoffset(datetime(2026, 11, 23)) == offset


@pytest.mark.parametrize(
    "typed",
    ["Mars/Olympus", "UTC+15", "+5:17", "москва-сити", "../etc", "Europe", "America", "+",
     # files ZoneInfo loads that mean the server's own zone, or -5 all year for New York
     "localtime", "Factory", "posixrules", "posix/Europe/Moscow", "EST"],
)  # fmt: skip
def test_unknown_time_zones_are_refused(typed: str) -> None:
    with pytest.raises(InputError) as error:
        parse_timezone(typed)
    assert error.value.problem is Problem.NOT_A_TIMEZONE


WEEK = frozenset(range(5))


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        ("9-18", None),  # the days they have
        ("9-18 пн-сб", {0, 1, 2, 3, 4, 5}),
        ("10-19, сб-вс", {5, 6}),
        ("9-18 пн, ср, пт", {0, 2, 4}),
        ("09:30-18:30 mon-fri", {0, 1, 2, 3, 4}),
        ("с 9 до 18 ежедневно", {0, 1, 2, 3, 4, 5, 6}),
        ("9-18 пт-пн", {4, 5, 6, 0}),  # over the weekend
        ("9am-5pm", None),  # "pm" is no day
        ("9 a.m. - 6 p.m.", None),
    ],
)
def test_hours_with_the_days_they_are_worked(typed: str, days: set[int] | None) -> None:
    hours, said = parse_schedule(typed, WEEK)
    assert said is (days is not None)
    assert hours.days == (WEEK if days is None else frozenset(days))


@pytest.mark.parametrize("typed", ["пн-абв", "выходные", "пн-"])
def test_days_that_are_no_days_are_refused(typed: str) -> None:
    with pytest.raises(InputError) as error:
        parse_days(typed)
    assert error.value.problem is Problem.NOT_HOURS
