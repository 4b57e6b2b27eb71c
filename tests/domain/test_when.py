"""When a reminder is due: quick choices and typed times, in the manager's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.parsing import InputError, Problem
from bot.domain.when import (
    QuickTime,
    names_a_moment,
    parse_day,
    parse_reminder,
    parse_when,
    quick_time,
)

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
        (QuickTime.MONTH, moscow(2026, 12, 23, 10, 0)),
        (QuickTime.QUARTER, moscow(2027, 2, 23, 10, 0)),  # over the new year
        (QuickTime.HALF_YEAR, moscow(2027, 5, 24, 10, 0)),  # 23 May 2027 is a Sunday
    ],
)
def test_quick_choices(choice: QuickTime, expected: datetime) -> None:
    assert quick_time(choice, NOW, MOSCOW) == expected


def test_a_month_on_from_the_31st_is_the_end_of_a_shorter_month() -> None:
    on_the_31st = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
    assert quick_time(QuickTime.MONTH, on_the_31st, MOSCOW) == moscow(
        2027, 3, 1, 10, 0
    )  # 28.02: Sunday
    assert quick_time(QuickTime.QUARTER, on_the_31st, MOSCOW) == moscow(2027, 4, 30, 10, 0)


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An hour without minutes, after "в" / "at": that hour, not the time of day now.
        ("завтра в 10", moscow(2026, 11, 24, 10, 0)),
        ("tomorrow at 10", moscow(2026, 11, 24, 10, 0)),
        ("сегодня в 18", moscow(2026, 11, 23, 18, 0)),
        ("today at 18", moscow(2026, 11, 23, 18, 0)),
        ("в 21", moscow(2026, 11, 23, 21, 0)),
        ("at 21", moscow(2026, 11, 23, 21, 0)),
        ("в пятницу в 15", moscow(2026, 11, 27, 15, 0)),
        ("friday at 15", moscow(2026, 11, 27, 15, 0)),
        ("25.12 в 11", moscow(2026, 12, 25, 11, 0)),
        ("25.12 at 11", moscow(2026, 12, 25, 11, 0)),
        ("завтра 15", moscow(2026, 11, 24, 15, 0)),  # a bare hour after the day
        ("tomorrow 15", moscow(2026, 11, 24, 15, 0)),
        # Parts of the day: утра / дня / вечера / ночи, am / pm.
        ("в 9 вечера", moscow(2026, 11, 23, 21, 0)),
        ("at 9 pm", moscow(2026, 11, 23, 21, 0)),
        ("завтра в 10 утра", moscow(2026, 11, 24, 10, 0)),
        ("tomorrow at 10 am", moscow(2026, 11, 24, 10, 0)),
        ("tomorrow 10am", moscow(2026, 11, 24, 10, 0)),
        ("завтра 10 утра", moscow(2026, 11, 24, 10, 0)),
        ("at 3pm", moscow(2026, 11, 23, 15, 0)),
        ("в 3 дня", moscow(2026, 11, 23, 15, 0)),
        ("friday at 3 pm", moscow(2026, 11, 27, 15, 0)),
        ("в пятницу в 3 дня", moscow(2026, 11, 27, 15, 0)),
        ("завтра в 11 ночи", moscow(2026, 11, 24, 23, 0)),
        ("завтра в 2 ночи", moscow(2026, 11, 24, 2, 0)),
        ("tomorrow at 12 pm", moscow(2026, 11, 24, 12, 0)),  # now's time of day, typed
        ("завтра в 12", moscow(2026, 11, 24, 12, 0)),
        ("в 9:30 вечера", moscow(2026, 11, 23, 21, 30)),
        ("в 2 часа дня", moscow(2026, 11, 23, 14, 0)),
        ("завтра в 10 часов утра", moscow(2026, 11, 24, 10, 0)),
        ("в 18 часов", moscow(2026, 11, 23, 18, 0)),
        ("через 2 дня", moscow(2026, 11, 25, 10, 0)),  # days, not 14:00
        # A day alone: 10:00 of it.
        ("завтра", moscow(2026, 11, 24, 10, 0)),
        ("tomorrow", moscow(2026, 11, 24, 10, 0)),
        ("в пятницу", moscow(2026, 11, 27, 10, 0)),
        ("friday", moscow(2026, 11, 27, 10, 0)),
        ("через 3 дня", moscow(2026, 11, 26, 10, 0)),
        ("in 3 days", moscow(2026, 11, 26, 10, 0)),
        ("25 декабря", moscow(2026, 12, 25, 10, 0)),
        # Spans and full dates keep working.
        ("через 2 часа", moscow(2026, 11, 23, 14, 0)),
        ("in 2 hours", moscow(2026, 11, 23, 14, 0)),
        ("через 30 минут", moscow(2026, 11, 23, 12, 30)),
        ("25.12.2026 11:30", moscow(2026, 12, 25, 11, 30)),
        ("в 18:00", moscow(2026, 11, 23, 18, 0)),
        ("at 18:00", moscow(2026, 11, 23, 18, 0)),
        # A time with no day that is already gone today is the next one: tomorrow's.
        ("в 10", moscow(2026, 11, 24, 10, 0)),
        ("at 10", moscow(2026, 11, 24, 10, 0)),
        ("в 10 утра", moscow(2026, 11, 24, 10, 0)),
        ("at 10am", moscow(2026, 11, 24, 10, 0)),
        ("в 10:00", moscow(2026, 11, 24, 10, 0)),
    ],
)
def test_hours_without_minutes_and_parts_of_the_day(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW, MOSCOW) == expected


def test_the_time_zone_is_the_managers() -> None:
    vladivostok = ZoneInfo("Asia/Vladivostok")  # 19:00 there at NOW
    assert parse_when("завтра в 15:00", NOW, vladivostok) == datetime(
        2026, 11, 24, 15, 0, tzinfo=vladivostok
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("вчера", Problem.IN_THE_PAST),
        ("yesterday", Problem.IN_THE_PAST),
        # "today" said outright: a gone hour is refused, not moved to tomorrow.
        ("сегодня в 10", Problem.IN_THE_PAST),
        ("today at 10", Problem.IN_THE_PAST),
        ("сегодня в 10 утра", Problem.IN_THE_PAST),
        ("today at 10am", Problem.IN_THE_PAST),
        ("сегодня в 11:30", Problem.IN_THE_PAST),
        ("сегодня", Problem.IN_THE_PAST),  # today's 10:00 is gone at noon
        ("вчера в 15", Problem.IN_THE_PAST),
        ("ерунда какая-то", Problem.NOT_A_TIME),
        ("nonsense", Problem.NOT_A_TIME),
        ("", Problem.EMPTY),
        # What dateparser would read a date into: 2042, 02.02, 07.07, 05.06.
        ("42", Problem.NOT_A_TIME),
        ("2+2", Problem.NOT_A_TIME),
        ("{{ 7*7 }}", Problem.NOT_A_TIME),
        ("5 < 6", Problem.NOT_A_TIME),
        ("через 1000 лет", Problem.TOO_FAR),
        ("in 2 years", Problem.TOO_FAR),
    ],
)
def test_past_and_unreadable_times_are_refused(text: str, problem: Problem) -> None:
    with pytest.raises(InputError) as error:
        parse_when(text, NOW, MOSCOW)
    assert error.value.problem is problem


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("01.12", datetime(2026, 12, 1, 10, 0)),  # a day and a month, not 01:12
        ("15.12", datetime(2026, 12, 15, 10, 0)),
        ("01.12 10:30", datetime(2026, 12, 1, 10, 30)),
        ("1.12 в 15", datetime(2026, 12, 1, 15, 0)),
        ("20.11", datetime(2027, 11, 20, 10, 0)),  # gone this year: the next one, as "1 ноября"
    ],
)
def test_a_day_and_a_month_with_a_dot_are_a_date(typed: str, expected: datetime) -> None:
    assert parse_when(typed, NOW, MOSCOW) == expected.replace(tzinfo=MOSCOW)


@pytest.mark.parametrize(
    ("typed", "expected", "note"),
    [
        ("завтра в 10 позвонить по договору", moscow(2026, 11, 24, 10, 0), "позвонить по договору"),
        ("перезвонить через 2 часа", moscow(2026, 11, 23, 14, 0), "перезвонить"),
        ("25.12 10:30 отправить счёт", moscow(2026, 12, 25, 10, 30), "отправить счёт"),
        ("call Anna back tomorrow at 9am", moscow(2026, 11, 24, 9, 0), "call Anna back"),
        ("завтра в 15:00", moscow(2026, 11, 24, 15, 0), None),
        ("завтра в 15 {{ 7*7 }}", moscow(2026, 11, 24, 15, 0), "{{ 7*7 }}"),  # not 10:00
        ("завтра в 10 позвонить: скидка 15%", moscow(2026, 11, 24, 10, 0), "позвонить: скидка 15%"),
        ("через год", moscow(2027, 11, 23, 10, 0), None),  # a day alone: 10:00
        # A sentence's punctuation is not a note, and does not push the time into one.
        ("завтра в 15!", moscow(2026, 11, 24, 15, 0), None),
        ("tomorrow at 3pm!", moscow(2026, 11, 24, 15, 0), None),
        ("в 15?", moscow(2026, 11, 23, 15, 0), None),
        ("через 2 часа!", moscow(2026, 11, 23, 14, 0), None),
        ("завтра — в 15", moscow(2026, 11, 24, 15, 0), None),
        ("(завтра в 10)", moscow(2026, 11, 24, 10, 0), None),
        ("в 9–30", moscow(2026, 11, 24, 9, 30), None),  # a phone's dash between hour and minutes
        ("12/31 10am", moscow(2026, 12, 31, 10, 0), None),  # one moment, month first
        ("завтра вечером позвонить", moscow(2026, 11, 24, 19, 0), "позвонить"),  # not 10:00
        ("в среду в обед", moscow(2026, 11, 25, 13, 0), None),
        ("в понедельник утром перезвонить", moscow(2026, 11, 30, 10, 0), "перезвонить"),
        ("к пятнице отправить КП", moscow(2026, 11, 27, 10, 0), "отправить КП"),
        ("25 декабря 2026 в 10 встреча", moscow(2026, 12, 25, 10, 0), "встреча"),  # a year
        ("Dec 25 2026 10am call", moscow(2026, 12, 25, 10, 0), "call"),
        ("завтра вечером в 7 позвонить", moscow(2026, 11, 24, 19, 0), "позвонить"),
        ("завтра утром в 9:30 позвонить", moscow(2026, 11, 24, 9, 30), "позвонить"),
        ("завтра в 10 оплата 50:50", moscow(2026, 11, 24, 10, 0), "оплата 50:50"),  # a ratio
        ("завтра в 10 00 позвонить", moscow(2026, 11, 24, 10, 0), "позвонить"),
        ("in 36 hrs call", moscow(2026, 11, 25, 0, 0), "call"),
        (
            "позвонить Ивану 8 916 123 45 67 завтра",
            moscow(2026, 11, 24, 10, 0),
            "позвонить Ивану 8 916 123 45 67",  # the phone stays in the note
        ),
        ("завтра в 9-30 утра", moscow(2026, 11, 24, 9, 30), None),
        # a count after the day is the note's, not 03:00; an hour people work is an hour
        ("завтра 3 счета выставить", moscow(2026, 11, 24, 10, 0), "3 счета выставить"),
        ("tomorrow 2 invoices", moscow(2026, 11, 24, 10, 0), "2 invoices"),
        ("завтра 9 позвонить", moscow(2026, 11, 24, 9, 0), "позвонить"),
        # parts of the day in English are the hours they are in Russian
        ("tomorrow evening call Ann", moscow(2026, 11, 24, 19, 0), "call Ann"),  # not 18:00
        ("tomorrow morning", moscow(2026, 11, 24, 10, 0), None),  # not 09:00
        ("this evening", moscow(2026, 11, 23, 19, 0), None),
        ("friday in the evening at 7", moscow(2026, 11, 27, 19, 0), None),
        ("завтра в полдень", moscow(2026, 11, 24, 12, 0), None),  # not 10:00 about "полдень"
        ("tomorrow at noon", moscow(2026, 11, 24, 12, 0), None),
        # a review's finds: an hour beside a part of the day is that hour
        ("tomorrow evening 8pm", moscow(2026, 11, 24, 20, 0), None),  # not 10:00
        ("tomorrow morning 9am", moscow(2026, 11, 24, 9, 0), None),
        ("friday 7 in the evening", moscow(2026, 11, 27, 19, 0), None),  # not today, "friday 7"
        ("tomorrow 12 noon", moscow(2026, 11, 24, 12, 0), None),
        ("call this evening", moscow(2026, 11, 23, 19, 0), "call"),
        # the day goes with the time, the count stays in the note
        ("завтра 3 счета в 15", moscow(2026, 11, 24, 15, 0), "3 счета"),  # not today 15:00
        ("afternoon tea tomorrow", moscow(2026, 11, 24, 15, 0), "tea"),
        ("завтра вечером 5 звонков", moscow(2026, 11, 24, 19, 0), "5 звонков"),
        # "в 3" at work is the afternoon; minutes or a part of the day say otherwise
        ("завтра в 3 позвонить", moscow(2026, 11, 24, 15, 0), "позвонить"),  # not 03:00
        ("tomorrow at 5", moscow(2026, 11, 24, 17, 0), None),
        ("завтра в 3:00", moscow(2026, 11, 24, 3, 0), None),
        ("завтра в 3 ночи", moscow(2026, 11, 24, 3, 0), None),
        ("завтра в 7", moscow(2026, 11, 24, 7, 0), None),
        ("завтра в 15:00\nпозвонить Анне", moscow(2026, 11, 24, 15, 0), "позвонить Анне"),
        # a part of a month is a day of it, not today's day of that month with "в конце" noted
        ("в конце декабря", moscow(2026, 12, 25, 10, 0), None),
        ("позвонить в середине января в 11", moscow(2027, 1, 15, 11, 0), "позвонить"),
        ("в начале февраля", moscow(2027, 2, 1, 10, 0), None),
        (
            "в мае вернуться к клиенту",
            moscow(2027, 5, 3, 10, 0),
            "вернуться к клиенту",
        ),  # 1.05: Sat
        ("в январе", moscow(2027, 1, 11, 10, 0), None),  # after the new-year holidays
        ("до конца февраля", moscow(2027, 2, 25, 10, 0), None),
        ("в ноябре", moscow(2026, 11, 24, 10, 0), None),  # this month: tomorrow, not next year
        ("mid-March call Ann", moscow(2027, 3, 15, 10, 0), "call Ann"),
        ("at the end of January", moscow(2027, 1, 25, 10, 0), None),
        ("in April at 3pm", moscow(2027, 4, 1, 15, 0), None),
        ("May 5th call", moscow(2027, 5, 5, 10, 0), "call"),  # a day given: that day
        # times said in words: not an hour noted "in half", not 10:00 noted "half past three"
        ("in half an hour", moscow(2026, 11, 23, 12, 30), None),
        ("in an hour and a half call Ann", moscow(2026, 11, 23, 13, 30), "call Ann"),
        ("tomorrow at half past three", moscow(2026, 11, 24, 15, 30), None),
        ("tomorrow at half past three am", moscow(2026, 11, 24, 3, 30), None),
        ("tomorrow at quarter to one", moscow(2026, 11, 24, 12, 45), None),
        ("в половине четвёртого позвонить", moscow(2026, 11, 23, 15, 30), "позвонить"),
        ("завтра в половине десятого", moscow(2026, 11, 24, 9, 30), None),
        ("завтра в четверть третьего", moscow(2026, 11, 24, 14, 15), None),
        ("завтра в полпервого", moscow(2026, 11, 24, 12, 30), None),
        ("tomorrow at 3 o'clock", moscow(2026, 11, 24, 15, 0), None),  # no "o'clock" note
        ("a week from today", moscow(2026, 11, 30, 10, 0), None),  # not "gone"
        # a review's finds: a note keeps its words, a month its year, a name is not a month
        (
            "завтра в 10 спросить про оплату в мае",
            moscow(2026, 11, 24, 10, 0),
            "спросить про оплату в мае",
        ),
        (
            "завтра в 10 оплатить половину второго счёта",
            moscow(2026, 11, 24, 10, 0),
            "оплатить половину второго счёта",
        ),
        (
            "завтра в 10 четверть третьего транша",
            moscow(2026, 11, 24, 10, 0),
            "четверть третьего транша",
        ),
        (
            "tomorrow at 10 discuss the half an hour demo",
            moscow(2026, 11, 24, 10, 0),
            "discuss the half an hour demo",
        ),
        ("Kevin may call tomorrow at 10", moscow(2026, 11, 24, 10, 0), "Kevin may call"),
        ("call in May 2027", moscow(2027, 5, 3, 10, 0), "call"),
        ("в конце марта 2027 года", moscow(2027, 3, 25, 10, 0), None),
        ("till the end of May", moscow(2027, 5, 25, 10, 0), None),
        ("завтра в половине первого ночи", moscow(2026, 11, 24, 0, 30), None),
        ("завтра в половине восьмого вечера", moscow(2026, 11, 24, 19, 30), None),
        ("tomorrow half past 3pm", moscow(2026, 11, 24, 15, 30), None),
        ("завтра полтретьего", moscow(2026, 11, 24, 14, 30), None),  # one word, no "в": a time
        ("завтра половина третьего дня", moscow(2026, 11, 24, 14, 30), None),
        ("в декабре 5 счетов выставить", moscow(2026, 12, 1, 10, 0), "5 счетов выставить"),
        # the moment in a clause of its own, in the middle
        (
            "Созвониться в четверг в 11, обсудить скидку",
            moscow(2026, 11, 26, 11, 0),
            "Созвониться, обсудить скидку",
        ),
        (
            "Call on Thursday at 11, discuss the discount",
            moscow(2026, 11, 26, 11, 0),
            "Call, discuss the discount",
        ),
        ("через 1,5 часа позвонить", moscow(2026, 11, 23, 13, 30), "позвонить"),  # one number
        # ... and without a comma
        ("созвон завтра в 10 по скидке", moscow(2026, 11, 24, 10, 0), "созвон по скидке"),
        (
            "Отправить в пятницу в 15 договор Анне",
            moscow(2026, 11, 27, 15, 0),
            "Отправить договор Анне",
        ),
        (
            "call Ann tomorrow at 10 about the discount",
            moscow(2026, 11, 24, 10, 0),
            "call Ann about the discount",
        ),
        (
            "обзвонить в 5 филиалах завтра утром и отчитаться",
            moscow(2026, 11, 24, 10, 0),
            "обзвонить в 5 филиалах и отчитаться",
        ),  # "в 5" is no hour here: the day said is the moment
        # a dotted time after the day, as phones type it
        ("завтра 14.30 позвонить", moscow(2026, 11, 24, 14, 30), "позвонить"),
        ("сегодня 18.30", moscow(2026, 11, 23, 18, 30), None),
        ("Отправить договор завтра 14.00", moscow(2026, 11, 24, 14, 0), "Отправить договор"),
        ("friday 14.30 call", moscow(2026, 11, 27, 14, 30), "call"),
        ("завтра 10.5 процента", moscow(2026, 11, 24, 10, 0), "10.5 процента"),  # no time
        ("завтра с утра позвонить", moscow(2026, 11, 24, 10, 0), "позвонить"),
        # the day at one end, its hour further on (the note says it still)
        (
            "в пятницу встреча в 14:00 в офисе",
            moscow(2026, 11, 27, 14, 0),
            "встреча в 14:00 в офисе",
        ),
        ("friday meeting at 14:00 office", moscow(2026, 11, 27, 14, 0), "meeting at 14:00 office"),
        # a date, a price or a span in the note is no hour
        (
            "завтра прислать договор к 20.12",
            moscow(2026, 11, 24, 10, 0),
            "прислать договор к 20.12",
        ),
        ("завтра позвонить к 9.05", moscow(2026, 11, 24, 9, 5), "позвонить"),  # a time
        ("завтра позвонить к 11.10", moscow(2026, 11, 24, 11, 10), "позвонить"),
        (
            "в понедельник прислать договор к 20.12",
            moscow(2026, 11, 30, 10, 0),
            "прислать договор к 20.12",
        ),
        (
            "в пятницу созвон, цена в 12.50 за штуку",
            moscow(2026, 11, 27, 10, 0),
            "созвон, цена в 12.50 за штуку",
        ),
        (
            "в четверг обсудить слот 15:00-16:00",
            moscow(2026, 11, 26, 10, 0),
            "обсудить слот 15:00-16:00",
        ),
        (
            "завтра в 10 позвонить, обсудить 14:00 слот",
            moscow(2026, 11, 24, 10, 0),
            "позвонить, обсудить 14:00 слот",
        ),  # the moment has its own hour
    ],
)
def test_a_reminder_may_say_what_it_is_about(
    typed: str, expected: datetime, note: str | None
) -> None:
    assert parse_reminder(typed, NOW, MOSCOW) == (expected, note)


@pytest.mark.parametrize(
    "typed",
    [
        "предложить скидку 10.5 процента клиенту",
        "выставить счёт на 12.5 тысяч клиенту",
        "встреча с директором в 11 кабинете офиса",
        "купить 3 лицензии к 20 числу отправить",
        "обсудить поставку в 2 этапа с клиентом",
        "send the quote in 2 copies to the client",
    ],
)
def test_numbers_inside_a_sentence_are_no_moment(typed: str) -> None:
    """A found moment sets a reminder at once: none is read from a count or a room number."""
    with pytest.raises(InputError) as error:
        parse_reminder(typed, NOW, MOSCOW)
    assert error.value.problem is Problem.NOT_A_TIME


@pytest.mark.parametrize(("typed", "problem"), [("позвонить", Problem.NOT_A_TIME),
                                                ("вчера позвонить", Problem.IN_THE_PAST),
                                                ("asdf 5", Problem.NOT_A_TIME),  # not "gone"
                                                ("-5", Problem.NOT_A_TIME),
                                                # which day of May? asked, not the 1st
                                                ("в мае 15 числа", Problem.NOT_A_TIME),
                                                ("в мае 15-го", Problem.NOT_A_TIME),
                                                ("a < b & c > d", Problem.NOT_A_TIME),
                                                ("скидка 15%", Problem.NOT_A_TIME),
                                                # gone at noon: not "в 10" tomorrow about "сегодня"
                                                ("сегодня в 10", Problem.IN_THE_PAST),
                                                ("today at 10", Problem.IN_THE_PAST),
                                                # no such hour: not tomorrow 10:00
                                                ("завтра в 25:00", Problem.NOT_A_TIME),
                                                # 03:00 or 15:00? asked again, not guessed
                                                ("завтра 3", Problem.NOT_A_TIME)])  # fmt: skip
def test_a_note_without_a_moment_is_refused(typed: str, problem: Problem) -> None:
    with pytest.raises(InputError) as error:
        parse_reminder(typed, NOW, MOSCOW)
    assert error.value.problem is problem


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("через 1.5 часа", moscow(2026, 11, 23, 13, 30)),  # an amount, not 1 May
        ("in 1.5 hours", moscow(2026, 11, 23, 13, 30)),
        ("в 18.05", moscow(2026, 11, 23, 18, 5)),  # a time written with a dot, not 18 May
        ("завтра в 11.10", moscow(2026, 11, 24, 11, 10)),
        ("tomorrow at 9.15", moscow(2026, 11, 24, 9, 15)),
        ("завтра в 12 ночи", moscow(2026, 11, 24, 0, 0)),  # midnight, not noon
    ],
)
def test_a_dot_in_an_amount_or_a_time_is_not_a_date(typed: str, expected: datetime) -> None:
    assert parse_reminder(typed, NOW, MOSCOW) == (expected, None)


def test_a_long_note_without_a_moment_is_not_called_too_long() -> None:
    with pytest.raises(InputError) as error:
        parse_reminder("позвонить " * 20, NOW, MOSCOW)
    assert error.value.problem is Problem.NOT_A_TIME


# --- a day, for a stage question that asks for a date ------------------------------------------

TODAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("завтра", date(2026, 11, 24)),
        ("вчера", date(2026, 11, 22)),
        ("к пятнице", date(2026, 11, 27)),  # the dative, as a deadline is said
        ("в пятницу", date(2026, 11, 27)),
        ("в субботу", date(2026, 11, 28)),  # nearer ahead than behind
        ("25 декабря", date(2026, 12, 25)),
        ("до 25 декабря", date(2026, 12, 25)),
        ("15 января", date(2027, 1, 15)),  # no year: the nearest 15 January
        ("10 ноября", date(2026, 11, 10)),  # ...which can be behind
        ("25.12", date(2026, 12, 25)),
        ("01.12", date(2026, 12, 1)),  # not 01:12 today, as dateparser would have it
        ("к 10.12", date(2026, 12, 10)),
        ("15.03", date(2027, 3, 15)),
        ("через 2 недели", date(2026, 12, 7)),
        ("через месяц", date(2026, 12, 23)),
        ("на следующей неделе", date(2026, 11, 30)),
        ("до конца месяца", date(2026, 11, 30)),
        ("в конце месяца", date(2026, 11, 30)),
        ("end of month", date(2026, 11, 30)),
        ("к концу года", date(2026, 12, 31)),
        ("by the end of the year", date(2026, 12, 31)),
        ("до пятницы", date(2026, 11, 27)),
        ("в следующую пятницу", date(2026, 11, 27)),
        ("Dec 25", date(2026, 12, 25)),
        ("next friday", date(2026, 11, 27)),
        ("12/31/2026", date(2026, 12, 31)),  # month first only where day first cannot be
        ("12/31", date(2026, 12, 31)),  # not 12 November 2031
        ("1/2/2027", date(2027, 2, 1)),
        ("25 декабря 2026 г.", date(2026, 12, 25)),
        ("завтра в 15:00", date(2026, 11, 24)),  # the day of a moment
    ],
)
def test_a_day_in_words(typed: str, expected: date) -> None:
    assert parse_day(typed, TODAY) == expected


def test_a_day_and_month_across_the_new_year_is_the_nearest() -> None:
    assert parse_day("05.01", date(2026, 12, 31)) == date(2027, 1, 5)
    assert parse_day("28.12", date(2027, 1, 3)) == date(2026, 12, 28)


@pytest.mark.parametrize(
    "typed",
    ["декабрь", "2027", "42", "15:00", "в 15:00", "в 10", "скоро", "31.02", "1.1.2099", "2+2", "a"],
)
def test_what_is_not_a_day(typed: str) -> None:
    with pytest.raises(InputError) as error:
        parse_day(typed, TODAY)
    assert error.value.problem is Problem.NOT_A_DATE


@pytest.mark.parametrize("typed", ["this evening", "call this evening", "this afternoon"])
def test_this_evening_said_after_it_is_gone_not_tomorrows(typed: str) -> None:
    late = moscow(2026, 11, 23, 20, 30)  # not tomorrow's evening about "this"
    with pytest.raises(InputError) as error:
        parse_reminder(typed, late, MOSCOW)
    assert error.value.problem is Problem.IN_THE_PAST


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Демо в четверг 15:00", True),
        ("позвонить 12 января", True),  # a day of a month by name
        ("Перезвонить после праздников, 12 января", True),
        ("call on Jan 12", True),
        ("meet 12 March", True),
        ("Пробный период 30 дней", False),  # a duration, not a moment
        ("6 месяцев", False),
        ("May we meet", False),
        ("12 машин", False),
    ],
)
def test_a_next_step_names_a_moment_as_people_say_it(text: str, said: bool) -> None:
    assert names_a_moment(text) is said


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("в конце декабря", date(2026, 12, 31)),  # a deadline's part of a month: a day of it
        ("к концу декабря", date(2026, 12, 31)),
        ("до конца ноября", date(2026, 11, 30)),  # this month's end, not the 25th
        ("end of December", date(2026, 12, 31)),
        ("в середине января", date(2027, 1, 15)),
        ("mid-January", date(2027, 1, 15)),
        ("в конце октября", date(2027, 10, 31)),  # gone this year: next year's
    ],
)
def test_a_deadline_may_be_a_part_of_a_month(text: str, day: date) -> None:
    assert parse_day(text, date(2026, 11, 23), ahead=True) == day


@pytest.mark.parametrize("text", ["в конце октября", "в начале ноября", "в октябре"])
def test_a_part_of_a_month_is_no_date_of_what_happened(text: str) -> None:
    """ "Дата презентации": it happened on a day; a part of a month is asked again."""
    with pytest.raises(InputError):
        parse_day(text, date(2026, 11, 23), ahead=False)
