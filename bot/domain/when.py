"""When a reminder is due: one-tap choices and typed times in Russian or English, in the
manager's time zone. `now` is always an argument."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import TypeVar

from dateparser.date import DateDataParser

from bot.domain.parsing import InputError, Problem, parse_free_text

EVENING = time(19, 0)
MORNING = time(10, 0)
_Read = TypeVar("_Read")
FURTHEST = timedelta(days=366)  # a reminder further ahead is a typo ("через 1000 лет")
_NOT_OF_A_MOMENT = re.compile(r"[^\w\s.:/,'’-]")  # "2+2", "5 < 6", "{{ 7*7 }}"
# Punctuation of a sentence, not of a date: "завтра в 15!", "в 15?", "(завтра)", "завтра — в 15".
_SENTENCE_SIGNS = re.compile(r"[!?;…«»\"“”()]|(?<!\S)[-–—](?!\S)")
_DASHES = str.maketrans("–—", "--")  # "в 9–30" typed with a phone's dash


def _tidy(text: str) -> str:
    return " ".join(_SENTENCE_SIGNS.sub(" ", text.translate(_DASHES)).split()).strip(" .,")


class QuickTime(StrEnum):
    HOUR = "1h"
    EVENING = "evening"
    TOMORROW = "tomorrow"
    THREE_DAYS = "3d"
    MONDAY = "monday"
    # For a client who put the purchase off: the day matters less than not forgetting them
    MONTH = "1m"
    QUARTER = "3m"
    HALF_YEAR = "6m"


LATER = (QuickTime.MONTH, QuickTime.QUARTER, QuickTime.HALF_YEAR)
_MONTHS_AHEAD = {QuickTime.MONTH: 1, QuickTime.QUARTER: 3, QuickTime.HALF_YEAR: 6}


def quick_time(choice: QuickTime, now: datetime, tz: tzinfo) -> datetime:
    """In 1 hour; this evening at 19:00 (tomorrow's if it is past); tomorrow at 10:00; in 3 days
    at 10:00; next Monday at 10:00 (a week on if today is Monday); in 1, 3 or 6 months at 10:00
    of the same day of the month (its last day if the month is shorter), a weekend's moved to
    the Monday after."""
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
        case QuickTime.MONTH | QuickTime.QUARTER | QuickTime.HALF_YEAR:
            day = _months_on(today, _MONTHS_AHEAD[choice])
            if day.weekday() >= 5:  # a call back on a Saturday would wait for Monday anyway
                day += timedelta(days=7 - day.weekday())
            return datetime.combine(day, MORNING, tz)


def _months_on(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return day.replace(
        year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1])
    )


def parse_when(text: str, now: datetime, tz: tzinfo) -> datetime:
    """A typed moment in the time zone `tz`: "завтра в 15:00", "завтра в 10", "в 9 вечера",
    "в пятницу в 15", "через 2 часа", "25.12 в 11", "tomorrow at 10", "at 3pm", "friday 3 pm",
    "in 2 hours", "next friday 9am". An hour without minutes is that hour ("в 10" is 10:00);
    a day alone ("завтра", "в пятницу", "25.12.2026", "через 3 дня") means 10:00 of it.

    A time with no day is its next occurrence: "в 10" or "в 10:00" typed at 12:00 is tomorrow's
    10:00. A moment that is gone is refused: "сегодня в 10" at 12:00, "вчера". Raises InputError:
    NOT_A_TIME for what it cannot read, IN_THE_PAST for a moment already gone, TOO_FAR for one
    more than a year ahead.

    dateparser reads a date into nearly anything: "42" (the year 2042), "2+2", "{{ 7*7 }}". So
    a bare number and a text with other signs than a date's are not a moment."""
    cleaned = _plain_weekdays(_tidy(parse_free_text(text, limit=100)))
    cleaned = _part_of_month(_spoken(cleaned), now.astimezone(tz).date())
    cleaned = _TO_A_WEEKDAY.sub("", cleaned)  # "к пятнице" is by Friday: Friday it is
    if (
        len(cleaned) < 2  # "a" is "a moment", gone as it is read
        or cleaned.lstrip("+-").isdigit()  # "-5": not 5 hours ago
        or _NOT_OF_A_MOMENT.search(cleaned)
        or _NO_SUCH_TIME.search(cleaned)
        or _numbers_of_no_moment(cleaned)
        or (_DAY_THEN_NUMBER.search(cleaned) and not _DAY_THEN_HOUR.search(cleaned))
    ):
        raise InputError(Problem.NOT_A_TIME)
    base = now.astimezone(tz).replace(tzinfo=None)
    parser = DateDataParser(
        languages=["ru", "en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": base,
            "DATE_ORDER": "DMY",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    normalised = _normalise_hours(_with_year(cleaned, base.date()))
    if _COUNT_AFTER_CLOCK.search(normalised):  # "завтра вечером 5": a time, then a count
        raise InputError(Problem.NOT_A_TIME)
    if _TWO_DAYS.search(normalised):  # "завтра 25.12": which of the two?
        raise InputError(Problem.NOT_A_TIME)
    found = parser.get_date_data(normalised)
    if found.date_obj is None:
        raise InputError(Problem.NOT_A_TIME)
    moment = found.date_obj
    # DateData.parts (dateparser 1.5, not in the type stubs yet) says whether the text gave a
    # time; the older period misses a typed time equal to now's ("завтра в 12" at noon).
    timed = "time" in getattr(found, "parts", ()) or found.period == "time"
    if not timed:  # a day, a week...: dateparser keeps the time of day of `now` or midnight
        moment = datetime.combine(moment.date(), MORNING)
    moment = moment.replace(tzinfo=tz)
    if moment <= now:
        raise InputError(Problem.IN_THE_PAST)
    if moment > now + FURTHEST:
        raise InputError(Problem.TOO_FAR)
    return moment


# What says "when" in a text that is about something else (a deal's next step): a day word, a
# weekday, a date, a clock time, "через"/"in" something, "next week". Not a duration ("14
# дней"), a year ("в 2027") or a month alone ("6 месяцев", "May we meet").
_A_MOMENT_SAID = re.compile(
    r"\b(?:сегодня|завтра|послезавтра|today|tomorrow|tonight|понедельник\w*|вторник\w*|"
    r"сред[аыуе]|четверг\w*|пятниц\w*|суббот\w*|воскресень\w*|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|через|in\s+(?:an?|\d+)\s+\w+|next\s+week|"
    r"на\s+следующей\s+неделе)\b|\d{1,2}[./]\d{1,2}|\d{1,2}:\d{2}|\b(?:в|at|к)\s+\d{1,2}\b(?![.,]?\d)|"
    # a day of a month by name: "12 января", "Jan 12", "12 January"
    r"\b\d{1,2}\s+(?:январ|феврал|март|апрел|мая|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b",
    re.IGNORECASE,
)


def names_a_moment(text: str) -> bool:
    """Whether a text says when, as a person would (see _A_MOMENT_SAID); parse_reminder reads
    a moment into more than that ("Пробный период 30 дней" as in 30 days)."""
    return _A_MOMENT_SAID.search(text) is not None


def parse_reminder(text: str, now: datetime, tz: tzinfo) -> tuple[datetime, str | None]:
    """A typed moment with what it is about before or after it: "завтра в 10 позвонить по
    договору", "перезвонить через 2 часа". The longest run of words at either end that reads as
    a moment is the moment; the rest is the note (None if there is none). Errors as
    parse_when's; a moment found but gone is reported as gone."""
    text = _SPACED_MINUTES.sub(r"\1 \2:\3", text)  # "в 10 00" is 10:00
    try:
        return parse_when(text, now, tz), None
    except InputError as whole:
        # a long text is a moment and a note, not too long: if no moment is found, say that
        too_long = whole.problem is Problem.TOO_LONG
        error = InputError(Problem.NOT_A_TIME) if too_long else whole
    gone: list[InputError] = []  # moments read but in the past or too far
    words = parse_free_text(text, limit=500).split()
    for size in range(len(words) - 1, 0, -1):
        for moment_words, note_words in (
            (words[:size], words[size:]),  # the moment first
            (words[-size:], words[:-size]),  # the moment last
        ):
            if _by_a_date(moment_words) and _says_a_day(note_words):
                continue  # "завтра прислать договор | к 20.12": what is due by 20 December
            moment_words, note_words = _day_to_moment(moment_words, note_words)
            if not _is_a_note(note_words) or note_words[-1].lower() == "this":
                continue  # "call this | evening": "this evening" is one moment
            if _MONTH_LAST.search(" ".join(moment_words)) and _a_day_of_month(note_words):
                continue  # "в мае | 15 числа": the day of the month is no note
            moment = _attempt(parse_when, " ".join(moment_words), now, tz, gone)
            if moment is not None:
                return _clock_from_note(moment, moment_words, note_words, now, tz)
    # "Созвониться в четверг в 11, обсудить скидку": the moment inside, a clause of its own
    clauses = [clause for clause in _CLAUSE.split(text) if clause.strip()]
    if len(clauses) > 1:
        for clause in clauses:
            found = _attempt(parse_reminder, clause, now, tz, gone)
            if found is not None:
                moment, note = found
                rest = [other.strip() for other in clauses if other is not clause]
                return moment, ", ".join([note, *rest] if note else rest)
    # "созвон завтра в 10 по скидке": the moment inside without a comma, around a word that
    # surely says when (a day, a weekday, "через", 10:30, 5 мая; not "в 11 кабинете" or "10.5
    # процента"), so that dateparser reads a few runs of words, not every one of a long text
    joined = " ".join(words)
    for said in _A_DAY_SAID.finditer(joined):
        anchor = joined[: said.start()].count(" ")
        for size in range(min(_LONGEST_MOMENT, len(words) - 2), 0, -1):
            for start in range(max(1, anchor - size + 1), min(anchor, len(words) - size - 1) + 1):
                moment_words = words[start : start + size]
                if {moment_words[0].lower(), moment_words[-1].lower()} & _NOTE_WORDS:
                    continue  # dateparser skips "about the": they belong to the note
                moment = _attempt(parse_when, " ".join(moment_words), now, tz, gone)
                if moment is not None:
                    return moment, " ".join(words[:start] + words[start + size :])
    raise gone[-1] if gone else error


# A clock time in what is left ("в пятницу | встреча в 14:00 в офисе"): with a colon alone
# ("к 20.12" is a date, "в 12.50" a price) and not a span ("слот 15:00-16:00")
_CLOCK_IN_NOTE = re.compile(
    r"(?<![\w.:])(?<![-–—]\s)(?<![-–—])(\d{1,2}):([0-5]\d)(?![\d.:]|\s*[-–—]\s*\d)"
)
_A_TIME_SAID = re.compile(r"\d|через|\bin\b|tonight", re.IGNORECASE)  # only a day said, or more


def _clock_from_note(
    moment: datetime, moment_words: list[str], note_words: list[str], now: datetime, tz: tzinfo
) -> tuple[datetime, str | None]:
    """A day read at one end and its hour said further on: the hour is the moment's too (the
    note stays as typed: the hour is part of what it says)."""
    note = " ".join(note_words)
    clocks = _CLOCK_IN_NOTE.findall(note)
    said = " ".join(moment_words)
    if len(clocks) != 1 or _A_TIME_SAID.search(said) or _DAYTIME_WORDS.search(said):
        return moment, note  # "завтра в 10 | ... 14:00 слот": the moment has its hour
    hour, minute = clocks[0]
    timed = _attempt(parse_when, f"{said} {hour}:{minute}", now, tz, [])
    if timed is None or timed.date() != moment.date():
        return moment, note
    return timed, note


def _attempt(
    read: Callable[[str, datetime, tzinfo], _Read],
    text: str,
    now: datetime,
    tz: tzinfo,
    gone: list[InputError],
) -> _Read | None:
    """`read(text)`, or None if it reads no moment; a moment read but gone (in the past, too
    far) is noted in `gone`, since that is what the person is told if nothing else is read."""
    try:
        return read(text, now, tz)
    except InputError as part:
        if part.problem in (Problem.IN_THE_PAST, Problem.TOO_FAR):
            gone.append(part)
        return None


_LONGEST_MOMENT = 6  # words: "в следующий четверг в 11 утра"
_A_DAY_SAID = re.compile(
    r"\b(?:сегодня|завтра|послезавтра|today|tomorrow|tonight|понедельник\w*|вторник\w*|"
    r"сред[аыуе]|четверг\w*|пятниц\w*|суббот\w*|воскресень\w*|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|через|next\s+week|на\s+следующей\s+неделе)\b|"
    r"\b\d{1,2}:\d{2}\b|"
    r"\b\d{1,2}\s+(?:январ|феврал|март|апрел|мая|июн|июл|август|сентябр|октябр|ноябр|декабр)|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b",
    re.IGNORECASE,
)
# words that join a note's parts and never begin or end a moment
_NOTE_WORDS = frozenset({"about", "the", "a", "an", "and", "of", "to", "for", "with", "по", "и",
                         "про", "для", "с", "о", "об"})  # fmt: skip


_CLAUSE = re.compile(r",\s+|;\s*|\s+[—–-]\s+")  # not "1,5 часа": a comma inside a number
_DAY_PREPOSITION = re.compile(r"^(?:к|ко|до|на|by|on|until|till)\s+", re.IGNORECASE)
# "в 10", "к 15:00": a time of day, which dateparser would take for a day of the month
_ONLY_A_TIME = re.compile(r"^(?:(?:в|к|at)\s+\d{1,2}(?::\d{2})?|\d{1,2}:\d{2})$", re.I)
# "10.12", "12/31", "25.12.26": read here, since dateparser takes "10.12" for 10:12 today
_NUMERIC_DAY = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}|\d{2}))?\.?$")
# "через месяц", "in 2 months": a day, although dateparser says it read no day
_OFFSET = re.compile(r"^(?:через|спустя|in)\s", re.IGNORECASE)
_END_OF_MONTH = re.compile(
    r"^(?:(?:до|к|в)\s+)?конц[аеу] (?:этого\s+)?месяца$"
    r"|^(?:(?:by|at)\s+)?(?:the\s+)?end of (?:the\s+|this\s+)?month$",
    re.IGNORECASE,
)
_END_OF_YEAR = re.compile(
    r"^(?:(?:до|к|в)\s+)?конц[аеу] (?:этого\s+)?года$"
    r"|^(?:(?:by|at)\s+)?(?:the\s+)?end of (?:the\s+|this\s+)?year$",
    re.IGNORECASE,
)
FURTHEST_DAY = 50 * 366  # days either side of today: "25.12.2926" is a typo
# "к пятнице", "до пятницы": the cases dateparser does not know, as it knows "пятница"
_WEEKDAY_FORMS = {
    form: weekday
    for weekday, forms in {
        "понедельник": ("понедельнику", "понедельника"),
        "вторник": ("вторнику", "вторника"),
        "среда": ("среде", "среды"),
        "четверг": ("четвергу", "четверга"),
        "пятница": ("пятнице", "пятницы"),
        "суббота": ("субботе", "субботы"),
        "воскресенье": ("воскресенью", "воскресенья"),
    }.items()
    for form in forms
}
_WEEKDAYS_RU = frozenset(_WEEKDAY_FORMS.values()) | {"понедельник", "вторник", "среду", "четверг",
                                                     "пятницу", "субботу", "воскресенье"}  # fmt: skip


def parse_day(text: str, today: date, ahead: bool = False) -> date:
    """A typed day, for a stage question that asks for a date: "25.12.2026", "10.12", "2026-12-25",
    "25 декабря", "к пятнице", "до пятницы", "завтра", "через 2 недели", "через месяц", "Dec 25",
    "12/31" (month first only where day first cannot be). A weekday is the coming one ("в
    следующую пятницу" too); a day and month without a year the occurrence nearest to `today`,
    before or after ("10 ноября" typed on 23 November is behind, "15 января" ahead); with
    `ahead` (a question about what is to come) the next one ("10.06" typed in November is next
    June). Raises InputError(NOT_A_DATE) for what is not a day: a month alone, a year, a time,
    "42"."""
    typed = _tidy(parse_free_text(text, limit=100))
    if _END_OF_MONTH.match(typed):  # "до конца месяца": its last day
        return (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if _END_OF_YEAR.match(typed):  # "к концу года": 31 December
        return today.replace(month=12, day=31)
    if ahead:  # "в конце декабря", "к середине января": a day of it (to come)
        typed = _PART_OF_MONTH.sub(lambda match: _day_of_part(match, today), typed)
    cleaned = _plain_weekdays(_DAY_PREPOSITION.sub("", typed))
    if (
        len(cleaned) < 3
        or cleaned.isdigit()
        or _NOT_OF_A_MOMENT.search(cleaned)
        or _ONLY_A_TIME.match(cleaned)
    ):
        raise InputError(Problem.NOT_A_DATE)
    numeric = _NUMERIC_DAY.match(cleaned)
    if numeric is not None:
        day = _numeric_day(numeric, today, ahead)
    else:
        try:
            day, year_given = _read_day(cleaned, today, "future")
        except InputError:  # "на следующей неделе" is read with its "на" only
            cleaned = _plain_weekdays(typed)
            day, year_given = _read_day(cleaned, today, "future")
        if not year_given and not ahead:  # "10 ноября": dateparser filled the year in
            behind, _ = _read_day(cleaned, today, "past")
            if today - behind < day - today:
                day = behind
    if abs((day - today).days) > FURTHEST_DAY:
        raise InputError(Problem.NOT_A_DATE)
    return day


def _plain_weekdays(text: str) -> str:
    """ "к пятнице" -> "пятница", "в следующую пятницу" -> "в пятницу" (the coming one)."""
    words = [_WEEKDAY_FORMS.get(word.lower(), word) for word in text.split()]
    kept = [
        word
        for word, following in zip(words, [*words[1:], ""], strict=True)
        if not (word.lower().startswith("следующ") and following.lower() in _WEEKDAYS_RU)
    ]
    return " ".join(kept)


_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def written_day(text: str) -> date | None:
    """25.12.2026, 5.1.27, 25-12-2026 or 2026-12-25: a day written out in full, in the order
    that needs no reading back; None for anything else (12/31/2026 is read by parse_day, and
    read back: the order of a slashed date varies)."""
    text = text.strip().rstrip(".")  # the end of a sentence
    iso = _ISO_DAY.match(text)
    if iso is not None:
        year, month, day = (int(part) for part in iso.groups())
    else:
        written = _NUMERIC_DAY.match(text)
        if written is None or written[3] is None or "/" in text:
            return None
        day, month, year = int(written[1]), int(written[2]), _full_year(written[3])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(written: str) -> int:
    """ "27" is 2027."""
    year = int(written)
    return year + 2000 if year < 100 else year


def _numeric_day(match: re.Match[str], today: date, ahead: bool) -> date:
    first, second = int(match[1]), int(match[2])
    day, month = (second, first) if second > 12 >= first else (first, second)
    # without its year: the nearest of this year's, next year's and last year's
    years = [_full_year(match[3])] if match[3] else [today.year, today.year + 1, today.year - 1]
    found = []
    for year in years:
        try:
            found.append(date(year, month, day))
        except ValueError:
            continue  # 31.02, or 29.02 of a year that has none
    if not found:
        raise InputError(Problem.NOT_A_DATE)
    if ahead and any(d >= today for d in found):
        found = [d for d in found if d >= today]
    return min(found, key=lambda d: (abs((d - today).days), d < today))


def _read_day(text: str, today: date, prefer: str) -> tuple[date, bool]:
    """The day dateparser reads, preferring the future or the past, and whether the text gave
    its year (a weekday or "завтра" count as giving it)."""
    parser = DateDataParser(
        languages=["ru", "en"],
        settings={
            "PREFER_DATES_FROM": prefer,
            "RELATIVE_BASE": datetime.combine(today, MORNING),
            "DATE_ORDER": "DMY",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    data = parser.get_date_data(text)
    # DateData.parts (dateparser 1.5, not in the type stubs yet): a month or a year alone is
    # not a day, but a month from today is
    parts: tuple[str, ...] = getattr(data, "parts", ("year", "month", "day"))
    if data.date_obj is None or ("day" not in parts and not _OFFSET.match(text)):
        raise InputError(Problem.NOT_A_DATE)
    return data.date_obj.date(), "year" in parts


# "в 25:00", "at 10:75": a time that does not exist, which dateparser drops without a word
_NO_SUCH_TIME = re.compile(r"(?<![\d.])(?:2[4-9]|[3-9]\d):\d{2}\b|\b\d{1,2}:[6-9]\d\b")
# A number of units after a number: "через 45 минут", "через 100 дней"
_UNIT_WORD = re.compile(
    r"(?:мин|час|ч$|сек|дн|день|недел|мес|лет|год|min|hour|hrs?$|h$|sec|day|week|month|year)",
    re.I,
)
_SPACED_MINUTES = re.compile(r"(?<!\w)(в|к|at)\s+(\d{1,2})\s+([0-5]\d)(?!\d)", re.IGNORECASE)


def _numbers_of_no_moment(text: str) -> bool:
    """ "45 67 завтра", "916 завтра": a phone's digits, not a day or an hour (a year is one)."""
    tokens = text.split()
    for token, following in zip(tokens, [*tokens[1:], ""], strict=True):
        if not token.isdigit() or _a_year(token):
            continue
        if (following.isdigit() and not _a_year(following)) or (
            int(token) > 31 and not _UNIT_WORD.match(following)
        ):
            return True
    return False


def _a_year(token: str) -> bool:
    return len(token) == 4 and token.isdigit() and 1900 <= int(token) <= 2100


# what a reminder's note cannot be: a day word left over ("сегодня в 10" at noon is gone, not
# "в 10" tomorrow about "сегодня"), or a date's digits ("12/31 10am" is one moment)
_DAY_WORDS = frozenset({"сегодня", "завтра", "послезавтра", "today", "tomorrow", "tonight"})


# "к 20.12": by a day of a month, what is due by then (not a time of the day said elsewhere);
# "к 9.05" and "к 11.10" are times, as minutes people say are of five
_BY_A_DATE = re.compile(r"к\s+(0?[1-9]|[12]\d|3[01])\.(0?[1-9]|1[0-2])\.?", re.IGNORECASE)


def _by_a_date(words: list[str]) -> bool:
    found = _BY_A_DATE.fullmatch(" ".join(words))
    return found is not None and (int(found[2]) % 5 != 0 or int(found[1]) > 23)


def _day_to_moment(moment: list[str], note: list[str]) -> tuple[list[str], list[str]]:
    """ "завтра 3 счета в 15": the day belongs to the moment ("завтра в 15"), not to the note
    ("3 счета"), however the words fell."""
    if _says_a_day(moment):
        return moment, note
    for index, word in enumerate(note):
        if _tidy(word).lower() in _DAY_WORDS:
            return [word, *moment], note[:index] + note[index + 1 :]
    return moment, note


def _says_a_day(words: list[str]) -> bool:
    return any(_tidy(word).lower() in _DAY_WORDS for word in words)


def _a_day_of_month(words: list[str]) -> bool:
    """ "15 числа", "15-го", "15th", "15": a day of the month; "2 встречи" is a count."""
    day = re.fullmatch(r"(\d{1,2})(-?го|-?е|st|nd|rd|th)?", words[0], re.IGNORECASE)
    if day is None or not 1 <= int(day[1]) <= 31:
        return False
    return bool(day[2]) or len(words) == 1 or words[1].lower().startswith("числ")


def _is_a_note(words: list[str]) -> bool:
    """Not a note: a day word, a date's digits, or a time ("завтра в 25:00" is no time, not
    tomorrow about "в 25:00")."""
    text = " ".join(words)
    return (
        bool(words)
        and not re.fullmatch(r"[\d\s./:-]+", text)
        and _tidy(text).lower() not in _DAY_WORDS
        and not re.fullmatch(r"(?:(?:в|к|at)\s+)?\d{1,2}:\d{2}", _tidy(text), re.IGNORECASE)
    )


# dateparser reads "10:00", "10am" and "3 pm", but takes a bare "10" for the 10th of the month
# and knows neither "утра" nor "вечера". So an hour is rewritten as HH:MM before it is parsed,
# on the 24-hour clock unless a part of the day says otherwise.
_HOUR = r"(?P<hour>\d{1,2})(?:[:.-](?P<minute>[0-5]\d))?(?:\s*(?:часов|часа|час|ч)\.?)?"
_PART_OF_DAY = re.compile(
    rf"(?:\b(?P<at>в|к|at)\s+)?(?<![\w.:]){_HOUR}\s*"
    r"(?P<part>утра|дня|вечера|ночи|a\.?m\.?|p\.?m\.?)(?!\w)",
    re.IGNORECASE,
)
# A part of the day said without an hour: the hour a manager means by it, the same in English
_DAYTIMES = {"утром": "10:00", "с утра": "10:00", "в полдень": "12:00", "в обед": "13:00", "днем": "14:00",
             "после обеда": "15:00", "вечером": "19:00", "morning": "10:00", "noon": "12:00",
             "afternoon": "15:00", "evening": "19:00"}  # fmt: skip
_AFTERNOON = frozenset({"днем", "после обеда", "вечером", "afternoon", "evening"})
_DAYTIME = (
    r"(?:утром|с утра|в полдень|в обед|после обеда|дн[её]м|вечером|morning|noon|afternoon|"
    r"evening)"
)
_DAYTIME_WORDS = re.compile(
    rf"(?<!\w)(?:(?P<this>this\s+)|in\s+the\s+|at\s+)?(?P<word>{_DAYTIME})(?!\w)", re.IGNORECASE
)
# "friday 7 in the evening": the bare hour before a part of the day is that part's hour
_HOUR_BEFORE = re.compile(
    rf"(?<![\d.:,/])(\d{{1,2}})(?=\s+(?:in\s+the\s+|at\s+)?{_DAYTIME}(?!\w))", re.IGNORECASE
)
_TO_A_WEEKDAY = re.compile(
    r"(?<!\w)(?:к|ко|до)\s+(?=(?:понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)\b)",
    re.IGNORECASE,
)
_DAY_WORD = rf"\b(?:{'|'.join(sorted(_DAY_WORDS))})\b"
_TWO_DAYS = re.compile(
    rf"{_DAY_WORD}.*\d{{1,2}}\.\d{{1,2}}\.\d{{4}}|\d{{1,2}}\.\d{{1,2}}\.\d{{4}}.*{_DAY_WORD}",
    re.IGNORECASE,
)
_COUNT_AFTER_CLOCK = re.compile(r"\d:\d{2}\s+\d+(?![\d.:/])")
_AT_HOUR = re.compile(rf"\b(?:в|к|at)\s+{_HOUR}(?![\w.:])", re.IGNORECASE)
_BARE_CLOCK = re.compile(r"(?<![\d.:])(?P<hour>\d{1,2}):(?P<minute>[0-5]\d)(?![\d:])")
# "завтра 15" is 15:00, but "завтра 3 счета" is about three invoices, not a call at 03:00: a
# bare number after a day is an hour only within the hours people work
_DAY_THEN_HOUR = re.compile(
    r"\b(?P<day>сегодня|завтра|послезавтра|today|tomorrow)\s+(?P<hour>[7-9]|0[7-9]|1\d|2[0-3])$",
    re.IGNORECASE,
)
# "завтра 14.30", "в пятницу 9.15": after a day, a dotted pair is its time (the day is said)
_DAY_THEN_DOTTED = re.compile(
    r"\b(?P<day>сегодня|завтра|послезавтра|today|tomorrow|понедельник|вторник|сред[ау]|"
    r"четверг|пятниц[ау]|суббот[ау]|воскресенье|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday)\s+(?P<hour>\d{1,2})\.(?P<minute>[0-5]\d)(?![\d.])",
    re.IGNORECASE,
)
_DAY_THEN_NUMBER = re.compile(
    # "завтра 10.5 процента": a decimal after a day is no time either
    r"\b(?:сегодня|завтра|послезавтра|today|tomorrow)\s+\d{1,2}(?:[.,]\d)?$",
    re.IGNORECASE,
)


# "01.12" is a day and a month to a person, but dateparser reads it as 01:12 when it could be a
# time; given its year (the next 1 December) it is a date.
_DAY_MONTH = re.compile(r"(?<![\d.:,/])(?P<day>\d{1,2})(?P<sep>[./])(?P<month>\d{1,2})(?![\d.:,/])")
# ...unless it is a time ("в 10.05", "at 9.15", "завтра 11.10") or an amount ("через 1.5 часа").
_BEFORE_A_TIME = re.compile(
    r"(?:\b(?:в|к|at|через|in|сегодня|завтра|послезавтра|today|tomorrow)|\d)\s*$", re.IGNORECASE
)
_UNIT_AFTER = re.compile(r"\s*(?:ч\b|час|мин|сек|дн|недел|мес|h\b|hour|min|day|week|month)", re.I)


_MONTHS_IN = r"январ|феврал|март|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр"
_MONTHS_EN = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
# "в январе", "в начале января", "в конце декабря", "(in) early/mid/late January", "at the end of
# January": dateparser reads the month and puts today's day of the month in it, and leaves
# "в конце" for the note. A part of a month is a day of it: the 1st, the 15th or the 25th; the
# start of January is the 9th, after the Russian new-year holidays.
_EN_MONTH = "|".join(_MONTHS_EN)
_PART_OF_MONTH = re.compile(
    rf"(?<!\w)(?:в\s+(?P<in>{_MONTHS_IN})е"
    rf"|(?:(?:в|к|до)\s+)?(?P<ru>начал|середин|конц)[еуаы]\s+(?P<of>{_MONTHS_IN})[яа]"
    r"|(?:(?:in|by|at|till|until)\s+)?(?:the\s+)?"
    rf"(?P<en>early|mid|late|beginning\s+of|middle\s+of|end\s+of)[\s-]+(?P<month>{_EN_MONTH})"
    rf"|in\s+(?P<bare>{_EN_MONTH}))"  # "in may", not "Kevin may call"
    r"(?:\s+(?P<year>\d{4})(?:\s*(?:года|г\.?))?)?"
    r"(?![\w.:]|\s+\d{1,2}(?:st|nd|rd|th)?\b(?!\s*(?:[ap]\.?m|:)))",  # not "may 5", "May 5th"
    re.IGNORECASE,
)
# "в мае 15 числа": a month, then a day of it that was not read with it
_MONTH_LAST = re.compile(rf"(?:{_MONTHS_IN})[еяа]$|(?:{_EN_MONTH})$", re.IGNORECASE)
_DAY_OF_PART = {"начал": 1, "beginning": 1, "early": 1, "середин": 15, "middle": 15, "mid": 15,
                "конц": 25, "end": 25, "late": 25}  # fmt: skip


# Times said in words, which dateparser reads a part of and leaves the rest for the note: "in half
# an hour" (an hour, noted "in half"), "tomorrow at half past three" (10:00, noted "half past
# three"), "в половине четвёртого", "at 3 o'clock".
_HOUR_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
               "eleven", "twelve")  # fmt: skip
_ORDINALS_RU = ("перв", "втор", "трет", "четв[её]рт", "пят", "шест", "седьм", "восьм", "девят",
                "десят", "одиннадцат", "двенадцат")  # fmt: skip
_HALF_HOUR = re.compile(r"\bhalf\s+an?\s+hour\b", re.IGNORECASE)
_HOUR_AND_A_HALF = re.compile(
    r"\b(?:(?P<n>\d{1,2})|an?|one)\s+(?:hours?\s+and\s+a\s+half|and\s+a\s+half\s+hours?)\b",
    re.IGNORECASE,
)
# The part of the day said after the time is taken with it: "half past three pm" is 15:30.
_MORNING_WORDS = r"[a]\.?m\.?|утра|ночи|in\s+the\s+morning|at\s+night"
_AFTERNOON_WORDS = r"[p]\.?m\.?|дня|вечера|in\s+the\s+afternoon|in\s+the\s+evening"
_TOLD = rf"(?:\s*(?P<am>{_MORNING_WORDS})|\s*(?P<pm>{_AFTERNOON_WORDS}))?(?!\w)"
_PAST_TO = re.compile(
    r"\b(?P<part>half|(?:a\s+)?quarter)\s+(?P<way>past|to)\s+"
    rf"(?P<hour>\d{{1,2}}(?!\d)|(?:{'|'.join(_HOUR_WORDS)})(?!\w)){_TOLD}",
    re.IGNORECASE,
)
# "полтретьего" is always a time; "половина" and "четверть" only after "в" or before a part of
# the day: "в половине четвёртого", "половина третьего дня", but "половину второго счёта" is
# half of an invoice
_HALF_RU = re.compile(
    rf"\b(?P<at>в\s+)?(?P<part>половин[аеу]\s+|пол|четверть\s+)"
    rf"(?P<hour>{'|'.join(_ORDINALS_RU)})(?:ого|ьего|его){_TOLD}",
    re.IGNORECASE,
)
_OCLOCK = re.compile(r"(?<=\d)\s*o['’]clock\b", re.IGNORECASE)
_FROM_TODAY = re.compile(r"\bfrom\s+today\b", re.IGNORECASE)  # "a week from today"


def _spoken(text: str) -> str:
    text = _HALF_HOUR.sub("30 minutes", text)
    text = _HOUR_AND_A_HALF.sub(lambda m: f"{int(m['n'] or 1) * 60 + 30} minutes", text)
    text = _PAST_TO.sub(_past_to, _HALF_RU.sub(_half_ru, text))
    return _FROM_TODAY.sub("from now", _OCLOCK.sub("", text))


def _past_to(match: re.Match[str]) -> str:
    said = match["hour"].lower()
    hour = int(said) if said.isdigit() else _HOUR_WORDS.index(said) + 1
    minute = 30 if match["part"].lower() == "half" else 15
    if match["way"].lower() == "to":
        hour, minute = hour - 1, 60 - minute
    return _working_clock(hour, minute, match)


def _half_ru(match: re.Match[str]) -> str:
    stem = match["hour"].lower().replace("ё", "е")
    hour = next(i for i, s in enumerate(_ORDINALS_RU) if re.fullmatch(s, stem)) + 1
    part = match["part"].lower()
    if part != "пол" and not (match["at"] or match["am"] or match["pm"]):
        return match[0]
    minute = 15 if part.startswith("четверть") else 30
    clock = _working_clock(hour - 1, minute, match)  # "в половине 4-го": 3:30
    return f"в {clock}" if match["at"] else clock


def _working_clock(hour: int, minute: int, match: re.Match[str]) -> str:
    """Hours said on the twelve-hour dial, on the 24-hour clock: the morning's or the
    afternoon's as the words after them say, else as "в 3" is read (1 to 6 are the afternoon's,
    as 12 is noon)."""
    hour %= 12
    if match["pm"] or (not match["am"] and (hour == 0 or 1 <= hour <= 6)):
        hour += 12
    return f"{hour}:{minute:02d}"


def _part_of_month(text: str, today: date) -> str:
    def day(match: re.Match[str]) -> str:
        if match["month"] or match["bare"]:
            month = _MONTHS_EN.index((match["month"] or match["bare"]).lower()) + 1
        else:
            stem = (match["in"] or match["of"]).lower()
            month = _MONTHS_IN.split("|").index(stem) + 1
        part = (match["ru"] or match["en"] or "начал").lower().split()[0]
        first = 9 if month == 1 else 1
        year = int(match["year"]) if match["year"] else today.year
        moment = date(year, month, max(first, _DAY_OF_PART[part]))
        # A year said is that one, gone or not (a gone one is refused as such); without one, a
        # part gone this year is next year's, unless the month is still on: tomorrow then
        if not match["year"] and moment <= today:
            tomorrow = today + timedelta(days=1)
            same_month = tomorrow.month == month and tomorrow.year == today.year
            moment = tomorrow if same_month else moment.replace(year=today.year + 1)
        if moment.weekday() >= 5:
            moment += timedelta(days=7 - moment.weekday())
        return f"{moment:%d.%m.%Y}"

    return _PART_OF_MONTH.sub(day, text)


def _day_of_part(match: re.Match[str], today: date) -> str:
    """A part of a month asked about what is to come (a deadline): its start is the 1st, its
    middle the 15th, its end the last day; the next such day from `today`."""
    if match["month"] or match["bare"]:
        month = _MONTHS_EN.index((match["month"] or match["bare"]).lower()) + 1
    else:
        month = _MONTHS_IN.split("|").index((match["in"] or match["of"]).lower()) + 1
    part = (match["ru"] or match["en"] or "начал").lower().split()[0]
    year = int(match["year"]) if match["year"] else today.year
    for candidate in (year, year + 1):
        if part in ("конц", "end", "late"):
            nxt = date(candidate + month // 12, month % 12 + 1, 1)
            day = nxt - timedelta(days=1)
        else:
            day = date(candidate, month, _DAY_OF_PART[part])
        if match["year"] or day >= today:
            break
    return f"{day:%d.%m.%Y}"


def _with_year(text: str, today: date) -> str:
    def dated(match: re.Match[str]) -> str:
        before, after = text[: match.start()], text[match.end() :]
        slashed = match["sep"] == "/"  # "12/31": never a time, and month first where it must be
        if not slashed and (_BEFORE_A_TIME.search(before) or _UNIT_AFTER.match(after)):
            return match[0]
        day, month = int(match["day"]), int(match["month"])
        if slashed and month > 12 >= day:
            day, month = month, day
        try:
            this_year = date(today.year, month, day)
        except ValueError:
            return match[0]  # not a date: dateparser says what it makes of it
        year = today.year if this_year >= today else today.year + 1
        return f"{day:02d}.{month:02d}.{year}"

    return _DAY_MONTH.sub(dated, text)


def _daytime(text: str) -> str:
    """ "завтра вечером" -> "завтра 19:00"; beside an hour the part of the day only says which
    half of the clock it is: "вечером в 7" -> "19:00", "утром в 9:30" -> "09:30"."""
    text = _HOUR_BEFORE.sub(r"\1:00", text)
    part = _DAYTIME_WORDS.search(text)
    if part is None:
        return text
    word = part["word"].lower().replace("ё", "е")
    rest = " ".join((text[: part.start()] + text[part.end() :]).split())
    hour = _AT_HOUR.search(rest) or _BARE_CLOCK.search(rest)
    if hour is None:
        today = "today " if part["this"] else ""  # "this evening"
        return text[: part.start()] + today + _DAYTIMES[word] + text[part.end() :]
    value, minute = int(hour["hour"]), int(hour["minute"] or 0)
    if word in _AFTERNOON and 1 <= value <= 11:
        value += 12
    return rest[: hour.start()] + (_clock(value, minute) or hour[0]) + rest[hour.end() :]


def _normalise_hours(text: str) -> str:
    """For instance "в 9 вечера" -> "21:00", "завтра в 10" -> "завтра 10:00", "at 3pm" ->
    "15:00", "завтра 15" -> "завтра 15:00", "завтра вечером" -> "завтра 19:00". Anything else
    is left as it is."""
    text = _DAY_THEN_DOTTED.sub(
        lambda m: f"{m['day']} {_clock(int(m['hour']), int(m['minute'])) or m[0]}", text
    )
    text = _PART_OF_DAY.sub(_part_of_day, text)  # "8pm" first: "tomorrow evening 8pm" is 20:00
    text = _daytime(text)
    text = _AT_HOUR.sub(_at_hour, text)
    return _DAY_THEN_HOUR.sub(
        lambda m: f"{m['day']} {_clock(int(m['hour']), 0) or m['hour']}", text
    )


def _at_hour(match: re.Match[str]) -> str:
    """ "в 3", "at 5": at work that is 15:00 and 17:00, not the night; "в 3:00", "в 3 ночи" and
    "в 7" are the hours they say."""
    hour, minute = int(match["hour"]), match["minute"]
    if minute is None and 1 <= hour <= 6:
        hour += 12
    return _clock(hour, int(minute or 0)) or match[0]


def _part_of_day(match: re.Match[str]) -> str:
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    part = match["part"].lower().replace(".", "")
    if not 1 <= hour <= 12 or (part == "дня" and match["at"] is None):
        return match[0]  # "через 2 дня" is two days, not 14:00
    if part in ("дня", "вечера", "pm"):
        hour = hour % 12 + 12
    elif part == "ночи" and hour == 12:
        hour = 0  # "в 12 ночи" is midnight
    elif part == "ночи" and hour >= 9:
        hour += 12  # "в 11 ночи" is 23:00, "в 2 ночи" is 02:00
    else:
        hour %= 12
    return _clock(hour, minute) or match[0]


def _clock(hour: int, minute: int) -> str | None:
    return f"{hour:02d}:{minute:02d}" if hour <= 23 and minute <= 59 else None
