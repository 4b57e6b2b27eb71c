from decimal import Decimal

import pytest

from bot.domain.parsing import (
    InputError,
    Problem,
    declines,
    format_phone,
    is_valid_payload,
    parse_company,
    parse_contact_phone,
    parse_decimal,
    parse_email,
    parse_free_text,
    parse_name,
    parse_phone,
    parse_words,
)


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+7 916 123-45-67", "+79161234567"),
        ("8 (916) 123-45-67", "+79161234567"),
        ("89161234567", "+79161234567"),
        ("79161234567", "+79161234567"),
        ("916 123 45 67", "+79161234567"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("8.916.123.45.67", "+79161234567"),
        # as copied from somewhere: a review found these refused
        ("+7 916 123 45 67,", "+79161234567"),
        ("+7 916 123—45—67", "+79161234567"),
        ("＋7 916 123 45 67", "+79161234567"),
        ("+7 916 123 45 67\u200b", "+79161234567"),
        ("tel: +7 916 123 45 67", "+79161234567"),
        ("Телефон: +7 916 123 45 67", "+79161234567"),
    ],
)
def test_phone_in_usual_writings_becomes_e164(typed: str, e164: str) -> None:
    assert parse_phone(typed, "RU") == e164


@pytest.mark.parametrize(
    "typed", ["123", "hello", "", "+7 916 123", "+999 123 456 789", "1" * 60, "+7 000 000-00-00"]
)
def test_invalid_phone_is_refused(typed: str) -> None:
    with pytest.raises(InputError) as error:
        parse_phone(typed, "RU")
    assert error.value.problem is Problem.PHONE_INVALID


@pytest.mark.parametrize(
    "typed",
    [
        "8 916 OOO 00 00",  # the letter O for zero: not a keypad's 6
        "+1 800 FLOWERS",
        "+7 916 123 45 67, 123",
        "89161234567a",
        "my phone is +7 916 123 45 67",
    ],
)
def test_a_phone_with_more_than_a_number_is_asked_again(typed: str) -> None:
    with pytest.raises(InputError) as error:
        parse_phone(typed, "RU")
    assert error.value.problem is Problem.PHONE_INVALID


@pytest.mark.parametrize(
    "typed",
    ["+7 495 123-45-67 доб. 123", "8 (495) 123 45 67, доб 12", "+44 20 7946 0958 ext. 7",
     "+7 495 123-45-67 x12", "84951234567 вн.12"],
)  # fmt: skip
def test_an_office_number_with_an_extension_is_asked_for_a_direct_one(typed: str) -> None:
    with pytest.raises(InputError) as error:
        parse_phone(typed, "RU")
    assert error.value.problem is Problem.PHONE_EXTENSION


def test_an_extension_after_no_number_is_no_phone() -> None:
    with pytest.raises(InputError) as error:
        parse_phone("123 доб. 45", "RU")
    assert error.value.problem is Problem.PHONE_INVALID


def test_phone_region_comes_from_the_config() -> None:
    assert parse_phone("020 7946 0958", "GB") == "+442079460958"


def test_e164_is_shown_in_international_writing() -> None:
    assert format_phone("+79161234567") == "+7 916 123-45-67"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("anna@example.com", "anna@example.com"),
        ("  Anna.Petrova@Example.COM ", "anna.petrova@example.com"),
        ("иван@пример.рф", "иван@пример.рф"),
    ],
)
def test_email_is_normalised(typed: str, stored: str) -> None:
    assert parse_email(typed) == stored


@pytest.mark.parametrize("typed", ["anna", "anna@", "@example.com", "a b@example.com", "a@b", ""])
def test_invalid_email_is_refused(typed: str) -> None:
    with pytest.raises(InputError) as error:
        parse_email(typed)
    assert error.value.problem is Problem.EMAIL_INVALID


def test_name_is_trimmed_and_spaces_collapsed() -> None:
    assert parse_name("  Анна   Петрова \n") == "Анна Петрова"


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", Problem.EMPTY),
        ("   ", Problem.EMPTY),
        ("12345", Problem.NOT_A_NAME),
        ("!!!", Problem.NOT_A_NAME),
        ("Сколько стоит?", Problem.NOT_A_NAME),
        ("Здравствуйте", Problem.NOT_A_NAME),
        ("Привет, я Анна", Problem.NOT_A_NAME),
        ("Добрый день!", Problem.NOT_A_NAME),
        ("Привет)", Problem.NOT_A_NAME),
        ("www.shop.ru", Problem.NOT_A_NAME),
        ("я хочу узнать про вашу систему учёта заявок", Problem.NOT_A_NAME),
        ("\u3164", Problem.EMPTY),  # a "blank" name of Telegram
    ],
)
def test_name_that_is_no_name_is_refused(typed: str, problem: Problem) -> None:
    with pytest.raises(InputError) as error:
        parse_name(typed)
    assert error.value.problem is problem


@pytest.mark.parametrize(
    "name",
    [
        "Анна-Мария",
        "John O'Neil",
        "Анна Сергеевна Петрова",
        "Ян",
        "Мухаммад Али ибн Абдулла аль Саид",
        "Hi Tran",
        "Hey Jude",
    ],
)
def test_names_of_people_are_taken(name: str) -> None:
    assert parse_name(name) == name


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Меня зовут Анна", "Анна"),
        ("Я Анна", "Анна"),
        ("Это Олег Петров", "Олег Петров"),
        ("my name is John", "John"),
        ("I'm Kate", "Kate"),
        ("Яна", "Яна"),  # a name that begins as "я" does
        ("Этель", "Этель"),
    ],
)
def test_a_name_given_as_an_introduction_is_the_name(typed: str, name: str) -> None:
    assert parse_name(typed) == name


@pytest.mark.parametrize(
    "typed", ["Я", "Меня зовут:", "i am", "Меня зовут 007", "Это я", "меня зовут здравствуйте"]
)
def test_an_introduction_without_a_name_is_no_name(typed: str) -> None:
    with pytest.raises(InputError) as error:
        parse_name(typed)
    assert error.value.problem is Problem.NOT_A_NAME


@pytest.mark.parametrize(
    ("typed", "declined"),
    [
        ("нет", True), ("Нет.", True), ("-", True), ("—", True), ("none", True), ("N/A", True),
        ("не скажу", True), ("Нетто", False), ("ООО Нет", False), ("Ромашка", False),
    ],
)  # fmt: skip
def test_an_optional_question_declined_in_words(typed: str, declined: bool) -> None:
    assert declines(typed) is declined


@pytest.mark.parametrize(
    ("typed", "contact"),
    [("+888 0412 3456", False), ("+88804123456", False), ("88804123456", True)],
)
def test_an_anonymous_telegram_number_is_no_phone_to_call(typed: str, contact: bool) -> None:
    with pytest.raises(InputError) as error:
        if contact:  # Telegram sends the own number of such an account without its "+"
            parse_contact_phone(typed, "RU", own=True)
        else:
            parse_phone(typed)
    assert error.value.problem is Problem.PHONE_ANONYMOUS


def test_a_manager_may_name_a_client_as_they_like() -> None:
    assert parse_name("Иван @ivan_petrov", strict=False) == "Иван @ivan_petrov"
    with pytest.raises(InputError):
        parse_name("12345", strict=False)


def test_a_blank_letter_is_a_space() -> None:
    assert parse_name("Анна\u3164Петрова") == "Анна Петрова"


def test_a_question_is_not_a_company() -> None:
    with pytest.raises(InputError) as error:
        parse_company("а сколько стоит?")
    assert error.value.problem is Problem.NOT_A_COMPANY
    assert parse_company("ООО «Вектор»") == "ООО «Вектор»"
    assert parse_company("Who? Media") == "Who? Media"


def test_a_5000_character_name_is_refused_with_the_limit() -> None:
    with pytest.raises(InputError) as error:
        parse_name("А" * 5000)
    assert error.value.problem is Problem.TOO_LONG and error.value.limit == 100


def test_a_line_break_is_a_space_not_glue() -> None:
    assert parse_free_text("Строка1\nСтрока2\t\tСтрока3") == "Строка1 Строка2 Строка3"
    assert parse_free_text(" 1. Демо \n\n\n2. КП\r\n", lines=True) == "1. Демо\n2. КП"


def test_control_characters_are_dropped() -> None:
    assert parse_name("Ann\u202ea\u0000") == "Anna"


def test_company_and_free_text_limits() -> None:
    assert parse_company("ООО «Вектор»") == "ООО «Вектор»"
    with pytest.raises(InputError):
        parse_company("x" * 151)
    with pytest.raises(InputError):
        parse_free_text("x" * 501)


@pytest.mark.parametrize(
    ("payload", "valid"),
    [
        ("vk_ads", True),
        ("ref_123456", True),
        ("A-Z_az-09", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("", False),
        ("has space", False),
        ("кириллица", False),
        ("semi;colon", False),
    ],
)
def test_payload_follows_telegrams_rules(payload: str, valid: bool) -> None:
    assert is_valid_payload(payload) is valid


@pytest.mark.parametrize(
    ("shared", "own", "e164"),
    [
        ("375294911911", True, "+375294911911"),  # an app that sends the own number without +
        ("447400123456", True, "+447400123456"),
        ("+79161234567", True, "+79161234567"),
        ("79161234567", True, "+79161234567"),
        ("8 916 123-45-67", False, "+79161234567"),  # as saved in the address book
        ("375294911911", False, "+375294911911"),
        ("\u202a+7 916 123-45-67\u202c", False, "+79161234567"),  # an address book's marks
        ("+7 916 123-45-67 доб. 12", False, "+79161234567"),  # cannot be retyped: its number
    ],
)
def test_a_shared_contacts_number_is_read_as_telegram_sends_it(
    shared: str, own: bool, e164: str
) -> None:
    assert parse_contact_phone(shared, "RU", own=own) == e164


def test_a_shared_contact_with_no_number_in_it_is_refused() -> None:
    with pytest.raises(InputError):
        parse_contact_phone("12", "RU", own=True)


@pytest.mark.parametrize(
    ("typed", "locale", "number"),
    [
        ("1 500,50", "ru", "1500.50"),
        ("1\u00a0500", "ru", "1500"),
        ("1,5", "ru", "1.5"),
        ("1,500", "ru", "1.500"),  # a Russian comma is a decimal one
        ("1,500", "en", "1500"),  # an English one groups thousands
        ("12,500.50", "en", "12500.50"),
        ("1,000,000", "en", "1000000"),
        ("1,5", "en", "1.5"),  # no group of three: read as a decimal comma
        ("1500.50", "en", "1500.50"),
    ],
)
def test_numbers_are_read_as_the_persons_language_writes_them(
    typed: str, locale: str, number: str
) -> None:
    assert parse_decimal(typed, locale) == Decimal(number)


@pytest.mark.parametrize("typed", ["много", "NaN", "Infinity", "1,50,0", "", "1e9", "0x10"])
def test_what_is_no_number_is_refused(typed: str) -> None:
    with pytest.raises(InputError) as error:
        parse_decimal(typed, "en")
    assert error.value.problem is Problem.NOT_A_NUMBER


@pytest.mark.parametrize(
    ("typed", "locale", "number"),
    [("300к", "ru", 300000), ("300 тыс", "ru", 300000), ("1,5 млн", "ru", 1500000),
     ("150 000 ₽", "ru", 150000), ("300 тысяч рублей", "ru", 300000), ("2k", "en", 2000),
     ("1.5m", "en", 1500000), ("150 thousand", "en", 150000), ("1.5 million", "en", 1500000),
     ("150k roubles", "en", 150000), ("150,000 rubles", "en", 150000), ("2 рубля", "ru", 2)],
)  # fmt: skip
def test_amounts_as_people_shorten_them(typed: str, locale: str, number: int) -> None:
    assert parse_decimal(typed, locale, scaled=True) == number


def test_a_quantity_is_not_scaled() -> None:
    with pytest.raises(InputError):
        parse_decimal("5т")  # five tonnes, not five thousand


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("anna@gmial.com", "anna@gmail.com"),
        ("anna@gmail.con", "anna@gmail.com"),
        ("ivan@mail.rj", "ivan@mail.ru"),
        ("ivan@yandex.ry", "ivan@yandex.ru"),
        ("kate@hotmal.com", "kate@hotmail.com"),
        ("anna@gmail.com", None),  # right already
        ("anna@mail.com", None),  # a mailbox of its own, not gmail.com misspelt
        ("anna@romashka.ru", None),  # a company's domain: nothing like a common one
    ],
)
def test_an_address_one_letter_from_a_common_mailbox_is_offered_corrected(
    typed: str, meant: str | None
) -> None:
    from bot.domain.parsing import likely_meant

    assert likely_meant(typed) == meant


@pytest.mark.parametrize("typed", ["🙂🎉👍", "!!!", "…", "👍 👍"])
def test_emoji_or_signs_alone_say_nothing(typed: str) -> None:
    for parse in (parse_words, parse_company):
        with pytest.raises(InputError) as error:
            parse(typed)
        assert error.value.problem is Problem.NO_WORDS


@pytest.mark.parametrize("typed", ["👍 договорились", "ООО «Ромашка» 🌼", "№5", "Q3"])
def test_a_text_with_a_letter_or_digit_is_kept_as_typed(typed: str) -> None:
    assert parse_words(typed) == typed
