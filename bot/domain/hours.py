"""A member of staff's time zone and working hours: automatic follow-ups wait for the working
day (a manual reminder comes when it was set for), typed times are read in their own zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.domain.parsing import InputError, Problem, parse_free_text

_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?\s*([ap]\.?m\.?)?"
_RANGE = re.compile(
    rf"^\s*(?:с|from)?\s*{_CLOCK}\s*(?:[-–—]|до|to|till|until)\s*{_CLOCK}\s*$", re.IGNORECASE
)
_OFFSET = re.compile(
    r"^\s*(utc|gmt|мск)?\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?\s*$", re.IGNORECASE
)


# One-tap choices in /settings: Russia's zones, west to east (anything else is typed).
CITY_ZONES = {
    "kaliningrad": "Europe/Kaliningrad",
    "moscow": "Europe/Moscow",
    "samara": "Europe/Samara",
    "yekaterinburg": "Asia/Yekaterinburg",
    "omsk": "Asia/Omsk",
    "novosibirsk": "Asia/Novosibirsk",
    "krasnoyarsk": "Asia/Krasnoyarsk",
    "irkutsk": "Asia/Irkutsk",
    "yakutsk": "Asia/Yakutsk",
    "vladivostok": "Asia/Vladivostok",
    "magadan": "Asia/Magadan",
    "kamchatka": "Asia/Kamchatka",
}
HOUR_PRESETS = ("8-17", "9-18", "10-19", "9-21")
# The cities typed instead of pressed: the buttons' and a few more that people name
RUSSIAN_CITIES = {
    "калининград": "Europe/Kaliningrad", "москва": "Europe/Moscow",
    "санкт-петербург": "Europe/Moscow", "петербург": "Europe/Moscow", "спб": "Europe/Moscow",
    "питер": "Europe/Moscow", "saint petersburg": "Europe/Moscow",
    "st petersburg": "Europe/Moscow", "petersburg": "Europe/Moscow",  # not Indiana's
    "казань": "Europe/Moscow", "нижний новгород": "Europe/Moscow", "самара": "Europe/Samara",
    "екатеринбург": "Asia/Yekaterinburg", "челябинск": "Asia/Yekaterinburg",
    "пермь": "Asia/Yekaterinburg", "уфа": "Asia/Yekaterinburg", "омск": "Asia/Omsk",
    "новосибирск": "Asia/Novosibirsk", "красноярск": "Asia/Krasnoyarsk",
    "иркутск": "Asia/Irkutsk", "якутск": "Asia/Yakutsk", "владивосток": "Asia/Vladivostok",
    "хабаровск": "Asia/Vladivostok", "магадан": "Asia/Magadan", "камчатка": "Asia/Kamchatka",
    "петропавловск-камчатский": "Asia/Kamchatka",
    "волгоград": "Europe/Volgograd", "саратов": "Europe/Saratov", "ульяновск": "Europe/Ulyanovsk",
    "астрахань": "Europe/Astrakhan", "ижевск": "Europe/Samara", "тюмень": "Asia/Yekaterinburg",
    "барнаул": "Asia/Barnaul", "томск": "Asia/Tomsk", "кемерово": "Asia/Novokuznetsk",
    "новокузнецк": "Asia/Novokuznetsk", "чита": "Asia/Chita", "улан-удэ": "Asia/Irkutsk",
    "южно-сахалинск": "Asia/Sakhalin", "сахалин": "Asia/Sakhalin",
    "краснодар": "Europe/Moscow", "ростов-на-дону": "Europe/Moscow", "воронеж": "Europe/Moscow",
    "сочи": "Europe/Moscow", "минеральные воды": "Europe/Moscow", "ярославль": "Europe/Moscow",
    "симферополь": "Europe/Simferopol",
    # the neighbours' capitals and big cities, and the places business is done with
    "минск": "Europe/Minsk", "киев": "Europe/Kyiv", "кишинев": "Europe/Chisinau",
    "алматы": "Asia/Almaty", "алма-ата": "Asia/Almaty", "астана": "Asia/Almaty",
    "нур-султан": "Asia/Almaty", "ташкент": "Asia/Tashkent", "самарканд": "Asia/Samarkand",
    "бишкек": "Asia/Bishkek", "душанбе": "Asia/Dushanbe", "ашхабад": "Asia/Ashgabat",
    "баку": "Asia/Baku", "ереван": "Asia/Yerevan", "тбилиси": "Asia/Tbilisi",
    "рига": "Europe/Riga", "вильнюс": "Europe/Vilnius", "таллин": "Europe/Tallinn",
    "стамбул": "Europe/Istanbul", "анталья": "Europe/Istanbul", "дубай": "Asia/Dubai",
    "абу-даби": "Asia/Dubai", "тель-авив": "Asia/Jerusalem", "иерусалим": "Asia/Jerusalem",
    "лондон": "Europe/London", "берлин": "Europe/Berlin", "париж": "Europe/Paris",
    "прага": "Europe/Prague", "варшава": "Europe/Warsaw", "белград": "Europe/Belgrade",
    "рим": "Europe/Rome", "мадрид": "Europe/Madrid", "барселона": "Europe/Madrid",
    "лиссабон": "Europe/Lisbon", "хельсинки": "Europe/Helsinki", "пекин": "Asia/Shanghai",
    "шанхай": "Asia/Shanghai", "гонконг": "Asia/Hong_Kong", "бангкок": "Asia/Bangkok",
    "пхукет": "Asia/Bangkok", "бали": "Asia/Makassar", "дели": "Asia/Kolkata",
    "нью-йорк": "America/New_York", "майами": "America/New_York",
    "лос-анджелес": "America/Los_Angeles",
}  # fmt: skip
_CONTINENTS = frozenset({"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic",
                         "Australia", "Europe", "Indian", "Pacific"})  # fmt: skip
_SEASONS = (datetime(2026, 1, 15), datetime(2026, 7, 15))


@dataclass(frozen=True, slots=True)
class WorkingHours:
    start: time
    end: time  # after start; 24:00 is written as 23:59
    days: frozenset[int]  # weekdays, Monday is 0

    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def is_open(self, moment: datetime, tz: tzinfo) -> bool:
        local = moment.astimezone(tz)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_open(self, moment: datetime, tz: tzinfo) -> datetime:
        """`moment` itself within working hours, else the start of the next working day's."""
        if self.is_open(moment, tz):
            return moment
        local = moment.astimezone(tz)
        day = local.date()
        if local.time() >= self.start:
            day += timedelta(days=1)
        for _ in range(7):
            if day.weekday() in self.days:
                return datetime.combine(day, self.start, tz)
            day += timedelta(days=1)
        return moment  # no working days configured: never hold anything back


def _twelve_hour(hour: int, half: str | None) -> int:
    if half is None:
        return hour
    if not 1 <= hour <= 12:  # "13pm"
        raise InputError(Problem.NOT_HOURS)
    return hour % 12 + (12 if half.lower().startswith("p") else 0)


@dataclass(frozen=True, slots=True)
class OwnSettings:
    """What a member of staff set for themselves; None: the business's default."""

    timezone: str | None = None
    start: time | None = None
    end: time | None = None
    language: str | None = None  # their Telegram language, as last seen
    days: frozenset[int] | None = None  # weekdays they work, Monday is 0


# Weekdays as people write them, Monday first: "пн", "пятница", "mon", "Friday"
_DAY_NAMES = (
    ("пн", "пон", "понедельник", "mon", "monday"),
    ("вт", "вто", "вторник", "tue", "tues", "tuesday"),
    ("ср", "сре", "среда", "wed", "wednesday"),
    ("чт", "чет", "четверг", "thu", "thur", "thurs", "thursday"),
    ("пт", "пят", "пятница", "fri", "friday"),
    ("сб", "суб", "суббота", "sat", "saturday"),
    ("вс", "вос", "воскресенье", "sun", "sunday"),
)
_DAY_OF = {name: day for day, names in enumerate(_DAY_NAMES) for name in names}
_EVERY_DAY = frozenset({"ежедневно", "каждый день", "без выходных", "daily", "every day"})
_WEEKDAYS = frozenset({"будни", "по будням", "weekdays"})
_DAY_SPAN = re.compile(r"^(\w+)\s*[-–—]\s*(\w+)$")


def parse_days(text: str) -> frozenset[int]:
    """ "пн-пт", "пн-сб", "mon-fri", "пн, ср, пт", "сб-вс", "ежедневно", "будни"; raises
    InputError(NOT_HOURS) for anything else."""
    typed = " ".join(text.lower().replace("ё", "е").strip(" .").split())
    if typed in _EVERY_DAY:
        return frozenset(range(7))
    if typed in _WEEKDAYS:
        return frozenset(range(5))
    days: set[int] = set()
    for part in re.split(r"\s*,\s*|\s+(?![-–—])(?<![-–—]\s)", typed):
        span = _DAY_SPAN.match(part)
        if span is not None and span[1] in _DAY_OF and span[2] in _DAY_OF:
            first, last = _DAY_OF[span[1]], _DAY_OF[span[2]]
            days.update((first + step) % 7 for step in range((last - first) % 7 + 1))
        elif part in _DAY_OF:
            days.add(_DAY_OF[part])
        else:
            raise InputError(Problem.NOT_HOURS)
    if not days:
        raise InputError(Problem.NOT_HOURS)
    return frozenset(days)


def parse_schedule(text: str, days: frozenset[int]) -> tuple[WorkingHours, bool]:
    """Hours, and the days if they are said after them: "9-18 пн-сб", "10-19, сб-вс"; with
    whether the days were said (`days` otherwise)."""
    cleaned = parse_free_text(text, limit=60)
    try:
        return parse_hours(cleaned, days), False  # "9 a.m. - 6 p.m." is hours alone
    except InputError:
        split = re.match(r"^(.*?\d(?:\s*[ap]\.?m\.?)?)[\s,;]+([^\d]+)$", cleaned, re.IGNORECASE)
        if split is None:
            raise
    said = parse_days(split[2])
    return parse_hours(split[1], said), True


def parse_hours(text: str, days: frozenset[int]) -> WorkingHours:
    """ "9-18", "09:00–18:00", "9.30-18", "с 9 до 18", "9am-5pm", "9 to 5" (an end before the
    start is the afternoon's); raises InputError(NOT_HOURS)."""
    found = _RANGE.match(parse_free_text(text, limit=40))
    if found is None:
        raise InputError(Problem.NOT_HOURS)
    h1, m1, h2, m2 = (int(found[i] or 0) for i in (1, 2, 4, 5))
    h1, h2 = _twelve_hour(h1, found[3]), _twelve_hour(h2, found[6])
    if not found[6] and h2 < h1 < 12:  # "9 to 5": the office's five, not "18-9" reversed
        h2 += 12
    if h2 == 24 and m2 == 0:
        h2, m2 = 23, 59
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h2, m2) <= (h1, m1):
        raise InputError(Problem.NOT_HOURS)
    return WorkingHours(time(h1, m1), time(h2, m2), days)


def parse_timezone(text: str) -> str:
    """An IANA name ("Asia/Yekaterinburg") or an offset ("UTC+5", "+05:30", "мск+2"); returns
    the name to store. Raises InputError(NOT_A_TIMEZONE)."""
    cleaned = parse_free_text(text, limit=40).strip()
    found = _OFFSET.match(cleaned)
    if found is not None and (found.group(1) or found.group(2)):
        base, sign, hours, minutes = found.groups()
        offset = int(hours or 0) * 60 + int(minutes or 0)
        if sign == "-":
            offset = -offset
        if (base or "").lower() == "мск":
            offset += 3 * 60  # Moscow time is UTC+3 all year
        if abs(offset) > 14 * 60 or int(minutes or 0) not in (0, 30, 45):
            raise InputError(Problem.NOT_A_TIMEZONE)
        whole, part = divmod(abs(offset), 60)
        return f"UTC{'-' if offset < 0 else '+'}{whole:02d}:{part:02d}"
    name = _zone_names().get(cleaned.lower().replace("ё", "е"))
    if name is None:
        raise InputError(Problem.NOT_A_TIMEZONE)
    return name


@cache
def _zone_names() -> dict[str, str]:
    """The IANA names of places ("Europe/Moscow", typed in any case, or its city alone: "London",
    "new york") and UTC: not the files ZoneInfo also loads that depend on the server
    ("localtime", "posix/…", "Factory"), nor "EST", which is -5 all year where New York is not."""
    places = sorted(
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("posix/", "right/", "Etc/", "SystemV/"))
    )
    cities: dict[str, list[str]] = {}
    for name in places:
        if name.split("/", 1)[0] in _CONTINENTS:  # not "Mexico/General"
            cities.setdefault(name.rsplit("/", 1)[1].replace("_", " ").lower(), []).append(name)
    # A city named twice is one zone under an old name too ("Asia/Istanbul" for Europe's), or
    # two zones that differ: then the full name must be typed
    by_city = {city: names[0] for city, names in cities.items() if _one_zone(names)}
    return by_city | {name.lower(): name for name in places} | RUSSIAN_CITIES | {"utc": "UTC"}


def _one_zone(names: list[str]) -> bool:
    return len({tuple(ZoneInfo(n).utcoffset(moment) for moment in _SEASONS) for n in names}) == 1


def zone(name: str) -> tzinfo:
    """The tzinfo of a name `parse_timezone` returned."""
    if name.startswith("UTC") and len(name) == 9:
        sign = -1 if name[3] == "-" else 1
        offset = timedelta(hours=int(name[4:6]), minutes=int(name[7:9]))
        return timezone(sign * offset, name)
    return ZoneInfo(name)
