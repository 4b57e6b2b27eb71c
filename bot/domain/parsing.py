"""Validation of what a person typed. Each parser returns a value or raises InputError."""

from __future__ import annotations

import difflib
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NAME_MAX = 100
COMPANY_MAX = 150
FREE_TEXT_MAX = 500


class Problem(StrEnum):
    EMPTY = "empty"
    NO_WORDS = "no_words"
    TOO_LONG = "too_long"
    NOT_A_NAME = "not_a_name"
    NOT_A_COMPANY = "not_a_company"
    PHONE_INVALID = "phone_invalid"
    PHONE_EXTENSION = "phone_extension"
    PHONE_ANONYMOUS = "phone_anonymous"
    EMAIL_INVALID = "email_invalid"
    USE_BUTTONS = "use_buttons"
    NOT_A_NUMBER = "not_a_number"
    ZERO_AMOUNT = "zero_amount"
    AMOUNT_TOO_BIG = "amount_too_big"
    NOT_A_DATE = "not_a_date"
    DATE_GONE = "date_gone"
    NOT_YES_NO = "not_yes_no"
    NOT_A_TIME = "not_a_time"
    IN_THE_PAST = "in_the_past"
    TOO_FAR = "too_far"
    NOT_HOURS = "not_hours"
    NOT_A_TIMEZONE = "not_a_timezone"


class InputError(ValueError):
    def __init__(self, problem: Problem, limit: int | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.limit = limit


# Letters that show nothing, used for "blank" Telegram names: Hangul fillers and the blank
# Braille pattern (spaces to a reader, and made spaces here)
_BLANK_LETTERS = str.maketrans(dict.fromkeys("\u115f\u1160\u3164\uffa0\u2800", " "))


def _clean_text(text: str) -> str:
    # Control characters (including RTL overrides) have no place in a name shown to managers;
    # a line break or a tab is a space, or "строка1\nстрока2" would read "строка1строка2".
    visible = "".join(
        " " if ch.isspace() else ch
        for ch in text.translate(_BLANK_LETTERS)
        if unicodedata.category(ch)[0] != "C" or ch.isspace()
    )
    return " ".join(visible.split())


def is_blank(text: str) -> bool:
    """Nothing a reader would see: spaces, zero-width and other invisible signs."""
    return not _clean_text(text)


def parse_free_text(text: str, limit: int = FREE_TEXT_MAX, lines: bool = False) -> str:
    """A typed text, cleaned; with `lines`, its line breaks are kept (a call's summary, a note),
    blank lines dropped."""
    if lines:
        kept = (_clean_text(line) for line in text.splitlines())
        cleaned = "\n".join(line for line in kept if line)
    else:
        cleaned = _clean_text(text)
    if not cleaned:
        raise InputError(Problem.EMPTY)
    if len(cleaned) > limit:
        raise InputError(Problem.TOO_LONG, limit)
    return cleaned


def parse_words(text: str, limit: int = FREE_TEXT_MAX, lines: bool = False) -> str:
    """A typed text that says something: a letter or a digit in it. "🙂🎉👍" as a company, a
    need, a lost deal's reason or a next step tells whoever reads it later nothing."""
    cleaned = parse_free_text(text, limit, lines)
    if not any(ch.isalnum() for ch in cleaned):
        raise InputError(Problem.NO_WORDS)
    return cleaned


# What a name has not, and a question, a link or a phone has: "сколько стоит?", "http://...",
# "@shop", "Анна 89161234567"
_NOT_A_NAME = re.compile(r"[?@]|://|www\.|\d{5}", re.IGNORECASE)
# A greeting typed where the name is asked: "Здравствуйте", "Добрый день!", "Привет, я Анна"
# (but "Hi Tran" and "Hey Jude" are names)
_GREETING_PHRASES = frozenset(
    {"здравствуйте", "здравствуй", "привет", "приветствую", "салам", "hello", "hi", "hey",
     "добрый день", "доброе утро", "добрый вечер", "доброго дня", "доброго времени суток",
     "good morning", "good afternoon", "good evening"}
)  # fmt: skip
_GREETING_THEN_MORE = re.compile(
    r"^(?:здравствуйте|здравствуй|привет|приветствую|добрый день|доброе утро|добрый вечер|"
    r"доброго дня|hello|hi|hey|good (?:morning|afternoon|evening))\s*[,!.:;)]",
    re.IGNORECASE,
)
NAME_WORDS_MAX = 7  # "Мухаммад Али ибн Абдулла аль Саид" fits; a sentence does not
# How people introduce themselves: "Меня зовут Анна" is Анна ("Яна" and "Этель" are names)
_INTRODUCTIONS = (
    r"(?:меня зовут|мо[её] имя|зовите меня|это|я|my name is|my name's|call me|this is|"
    r"i am|i'm|i’m)"
)
_INTRODUCTION = re.compile("^" + _INTRODUCTIONS + r"\s*[,:\-–—]?\s+(?=\w)", re.IGNORECASE)
_INTRODUCTION_ALONE = re.compile(_INTRODUCTIONS + r"\W*", re.IGNORECASE)
# Typed at an optional step, these decline it as its "skip" button does
_NO_ANSWER = frozenset(
    {"нет", "нету", "не", "никакой", "никакая", "никакого", "без", "без компании",
     "не скажу", "не хочу", "пропустить", "пропуск", "no", "none", "nope", "n a", "na",
     "skip", "nothing", "no company"}
)  # fmt: skip
_DASHES = frozenset("-–—_.")


def parse_name(text: str, strict: bool = True) -> str:
    """A person's name: letters. `strict` (a prospect naming themselves): also at most
    NAME_WORDS_MAX words and not a greeting, a question or a link (each of them was stored as a
    name and greeted the prospect back); a manager typing a client's name may write "Иван
    @ivan" or a long label."""
    name = parse_free_text(text, NAME_MAX)
    if not any(ch.isalpha() for ch in name):
        raise InputError(Problem.NOT_A_NAME)
    if strict and (
        _NOT_A_NAME.search(name)
        or len(name.split()) > NAME_WORDS_MAX
        or " ".join(re.findall(r"\w+", name.lower())) in _GREETING_PHRASES
        or _GREETING_THEN_MORE.match(name)
        or _INTRODUCTION_ALONE.fullmatch(name)
    ):
        raise InputError(Problem.NOT_A_NAME)
    if not strict:
        return name
    # "Меня зовут Анна": the name is what follows, and must be one ("Меня зовут 007" is not;
    # a sentence was refused above, by its length)
    rest = _INTRODUCTION.sub("", name, count=1)
    return name if rest == name else parse_name(rest)


def declines(text: str) -> bool:
    """ "нет", "no", "-": an optional question declined in words instead of with its button."""
    cleaned = _clean_text(text)
    if cleaned and set(cleaned) <= _DASHES:
        return True
    return " ".join(re.findall(r"\w+", cleaned.lower())) in _NO_ANSWER


def parse_company(text: str) -> str:
    company = parse_words(text, COMPANY_MAX)
    # "а сколько стоит?" is a question, not where they work ("Who? Media" is a company)
    if company.endswith("?") and " " in company:
        raise InputError(Problem.NOT_A_COMPANY)
    return company


_PHONE_SIGNS = re.compile(r"\+?[\d\s\u00a0().\-‑–—/]+")
# An office number's extension after it: "доб. 12", "ext 12", "x12", "вн. 12"
_PHONE_EXTENSION = re.compile(
    r"(?P<number>.*\d)[\s,;]*(?:доб|добавочный|вн|внутр|ext|extension|x)\.?\s*(?:№\s*)?\d{1,6}",
    re.IGNORECASE,
)
_PHONE_LABEL = re.compile(r"^(?:телефон|тел|phone|tel)\.?:?\s*", re.IGNORECASE)


def _copied_phone(text: str) -> str:
    """A number as copied from somewhere: a full-width "＋", invisible marks around it (an address
    book's), a "tel:" before it, a comma after it."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Cf"
    )
    return _PHONE_LABEL.sub("", plain.strip()).rstrip(" .,;")


def parse_phone(text: str, default_region: str = "RU") -> str:
    """A phone number in any usual writing -> E.164 (+79161234567)."""
    raw = _copied_phone(text)
    if re.sub(r"[^\d+]", "", raw).startswith("+888"):
        # Telegram's anonymous numbers (Fragment): an account has one, nobody can call it
        raise InputError(Problem.PHONE_ANONYMOUS)
    office = _PHONE_EXTENSION.fullmatch(raw)
    if office is not None:
        # A number is kept in E.164, which has no extension, and a manager dialling the number
        # without it reaches a switchboard: ask for one that reaches the person.
        parse_phone(office["number"], default_region)
        raise InputError(Problem.PHONE_EXTENSION)
    # Only what numbers are written with: phonenumbers reads letters as a keypad's digits
    # ("8 916 OOO 00 00" typed with the letter O) and drops an extension or words after the
    # number, and a number stored other than as typed is worse than one asked again.
    if not raw or len(raw) > 40 or not _PHONE_SIGNS.fullmatch(raw):
        raise InputError(Problem.PHONE_INVALID)
    digits = re.sub(r"\D", "", raw)
    # Russian habit: 8 916 ... means +7 916 ...
    if (
        default_region == "RU"
        and not raw.startswith("+")
        and len(digits) == 11
        and digits[0] in "78"
    ):
        raw = "+7" + digits[1:]
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as error:
        raise InputError(Problem.PHONE_INVALID) from error
    if not phonenumbers.is_valid_number(number):
        raise InputError(Problem.PHONE_INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# "1,500" or "12,500.50": commas that group thousands, as English writes numbers.
_EN_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


# How people shorten amounts: thousands and millions, and the currency after them
_SCALES = {"к": 1000, "k": 1000, "т": 1000, "тыс": 1000, "тысяч": 1000, "тысячи": 1000,
           "thousand": 1000, "млн": 1_000_000, "mln": 1_000_000, "m": 1_000_000,
           "million": 1_000_000, "млрд": 1_000_000_000}  # fmt: skip
_SCALED = re.compile(
    r"(?P<number>[+-]?[\d.,]+)"
    r"(?P<scale>тысяч[и]?|тыс\.?|млрд\.?|млн\.?|mln|thousand|million|[кkтm])?"
    r"(?:₽|руб\.?|рубл(?:ей|я|ь)|р\.?|rub|rur|r(?:o)?ubles?)?",
    re.IGNORECASE,
)


def parse_decimal(text: str, locale: str = "ru", scaled: bool = False) -> Decimal:
    """A number as a person writes it in their language: "1 500,50" in Russian, "1,500.50" in
    English (where "1,500" is fifteen hundred, not one and a half); a decimal point is taken in
    either. `scaled` (an amount of money): "300к", "1,5 млн", "2k" and a currency after it
    ("150 000 ₽") too; not for a quantity, where "5т" may be tonnes. Raises InputError for
    anything else, and for infinities and NaN."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text)
    written = _SCALED.fullmatch(cleaned) if scaled else None  # "300к", "150 000 ₽"
    if written is not None:
        cleaned = written["number"]
    if not re.fullmatch(r"[+-]?[\d.,]+", cleaned):  # "1e9" is no way to write a budget
        raise InputError(Problem.NOT_A_NUMBER)
    scale = _SCALES[written["scale"].lower().rstrip(".")] if written and written["scale"] else 1
    if locale == "en" and _EN_GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        number = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        raise InputError(Problem.NOT_A_NUMBER) from None
    if not number.is_finite():
        raise InputError(Problem.NOT_A_NUMBER)
    return (number * scale).normalize() if scale != 1 else number


# Where an address book's number ends and its extension or label begins: a letter, "#", ","
_EXTENSION = re.compile(r"\s*(?:[^\W\d_]|[#,;]).*$")


def parse_contact_phone(number: str, default_region: str = "RU", *, own: bool) -> str:
    """A shared contact's number -> E.164. Telegram gives an account's own number in international
    digits, which some apps send without the "+"; a contact from the address book comes as it
    was saved there, in whatever writing. The likelier reading is tried first."""
    number = _EXTENSION.split(_copied_phone(number), maxsplit=1)[0]  # a contact's "доб. 12"
    international = "+" + number.strip().lstrip("+")
    readings = (international, number) if own else (number, international)
    try:
        return parse_phone(readings[0], default_region)
    except InputError as error:
        if error.problem is Problem.PHONE_ANONYMOUS:
            raise
        return parse_phone(readings[1], default_region)


@lru_cache(maxsize=4096)  # the same number is shown on the summary, the card, the alert, lists
def format_phone(e164: str) -> str:
    """E.164 -> the international writing a person reads (+7 916 123-45-67)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def parse_email(text: str) -> str:
    """A deliverable-looking address, normalised (domain lower-cased); no DNS look-up."""
    raw = text.strip()
    if not raw or len(raw) > 254:
        raise InputError(Problem.EMAIL_INVALID)
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as error:
        raise InputError(Problem.EMAIL_INVALID) from error
    # Lower-cased: the address is an identity (duplicate rule), and mailboxes ignore case.
    return str(result.normalized).lower()


# Mailboxes most people have: an address one letter away from one of them is likely a typo.
COMMON_MAIL_DOMAINS = (
    "gmail.com", "mail.ru", "yandex.ru", "ya.ru", "bk.ru", "inbox.ru", "list.ru", "rambler.ru",
    "outlook.com", "hotmail.com", "icloud.com", "yahoo.com", "yandex.com", "live.com",
    "proton.me", "protonmail.com", "mail.com", "gmx.com", "gmx.de", "aol.com", "msn.com",
    "me.com", "qq.com",
)  # fmt: skip
TYPO_SIMILARITY = 0.85  # difflib's ratio: "gmial.com", "gmail.con", "mail.rj" are above it


def likely_meant(email: str) -> str | None:
    """The address a valid one was likely meant to be ("anna@gmial.com" -> "anna@gmail.com"),
    or None. Only a guess, to be offered: a company's own domain may be one letter away too."""
    local, _, domain = email.rpartition("@")
    if not local:
        return None
    close = _close_mailbox(domain)
    return f"{local}@{close}" if close else None


@lru_cache(maxsize=4096)
def _close_mailbox(domain: str) -> str | None:
    """Cached: a form's e-mail step is on every request, and most people share a few domains."""
    if domain in COMMON_MAIL_DOMAINS:
        return None
    close = difflib.get_close_matches(domain, COMMON_MAIL_DOMAINS, n=1, cutoff=TYPO_SIMILARITY)
    return close[0] if close else None


def is_valid_payload(payload: str) -> bool:
    """Telegram's deep-link payload: up to 64 characters of A-Z, a-z, 0-9, _ and -."""
    return bool(PAYLOAD_RE.match(payload))
