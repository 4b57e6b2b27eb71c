"""The message catalogue: what its templates render, and a trap of Jinja's trim_blocks."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.texts import LOCALES, TEMPLATES, Catalogue, plural

# A line of text that ends with a block tag: trim_blocks eats the line break after the tag, so
# the next line is glued on (or the blank line meant to follow is lost). `+%}` keeps it.
TRAILING_TAG = re.compile(r"\S.*\{%-?\s*(?:end)?(?:if|for|else|elif)\b[^%]*[^+]%\}$")


@pytest.mark.parametrize("locale", LOCALES)
def test_no_line_of_text_ends_with_a_tag_that_eats_its_line_break(locale: str) -> None:
    path = TEMPLATES / "messages" / f"{locale}.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    glued = [
        f"{key}: {line.strip()}"
        for key, text in entries.items()
        for line in text.rstrip("\n").split("\n")[:-1]
        if TRAILING_TAG.search(line) and not line.lstrip().startswith("{%")
    ]
    assert glued == []


@pytest.mark.parametrize(
    ("locale", "first"),
    [("ru", "⏰ <b>Напоминание</b>: Позвонить"), ("en", "⏰ <b>Reminder</b>: Позвонить")],
)
def test_a_reminder_shows_its_deal_on_a_line_of_its_own(locale: str, first: str) -> None:
    text = Catalogue().text(locale, "reminder_push", text="Позвонить", deal="🔥 Анна · #1")
    assert text.split("\n") == [first, "🔥 Анна · #1"]


@pytest.mark.parametrize(
    ("count", "russian", "english"),
    [(1, "1 балл", "1 point"), (3, "3 балла", "3 points"), (11, "11 баллов", "11 points"),
     (21, "21 балл", "21 points"), (85, "85 баллов", "85 points"), (-2, "−2 балла", "−2 points")],
)  # fmt: skip
def test_counts_agree_with_their_nouns(count: int, russian: str, english: str) -> None:
    assert plural(count, "балл", "балла", "баллов") == russian
    assert plural(count, "point", "points") == english


def test_no_message_promises_reports_the_bot_does_not_have() -> None:
    """The bot has no reports yet: a reason "kept for the reports" would promise one."""
    for locale, words in (("ru", ("отчёт", "отчет")), ("en", ("report",))):
        text = (TEMPLATES / "messages" / f"{locale}.yaml").read_text(encoding="utf-8").lower()
        assert not any(word in text for word in words), locale
