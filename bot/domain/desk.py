"""The managers' desk: who may see which deal, what a deal list and a deal card hold."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.models import Deal, DealStatus, Person, Temperature

PAGE_SIZE = 8


class RoutingRule(StrEnum):
    ROUND_ROBIN = "round_robin"  # in turn among active managers
    INBOX = "inbox"  # a shared inbox: the first manager to press "take" gets the lead


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"


@dataclass(frozen=True, slots=True)
class Viewer:
    """A member of staff acting in the bot; prospects have no Viewer."""

    telegram_id: int
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def may_access(viewer: Viewer, manager_telegram_id: int | None) -> bool:
    """A manager works their own deals; an admin, every deal."""
    return viewer.is_admin or manager_telegram_id == viewer.telegram_id


UNASSIGNED = 0  # DealFilter.manager: the deals nobody has (Telegram ids are positive)


@dataclass(frozen=True, slots=True)
class DealFilter:
    stage: str | None = None
    temperature: Temperature | None = None
    manager: int | None = None  # an admin's: one member of staff's deals, or UNASSIGNED
    lost: bool = False  # the lost deals (the list is of open and won ones otherwise)
    open_only: bool = False  # the open ones alone


@dataclass(frozen=True, slots=True)
class DealRow:
    """One line of a manager's deal list."""

    id: int
    name: str
    company: str | None
    stage: str
    temperature: Temperature
    updated_at: datetime
    manager_telegram_id: int | None = None
    status: DealStatus = DealStatus.OPEN


@dataclass(frozen=True, slots=True)
class DealPage:
    rows: tuple[DealRow, ...]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    kind: str
    data: Mapping[str, Any]
    actor_telegram_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DealCard:
    """Everything the deal card shows."""

    deal: Deal
    person: Person
    username: str | None
    payload: str
    score_reasons: Sequence[Mapping[str, Any]]
    amount_minor: int | None
    next_step: str | None
    lost_reason: str | None
    answers: Mapping[str, str]
    history: tuple[HistoryEntry, ...]  # newest first
    manager_name: str | None
    # what the client asked for in the form (need, timeline, budget, how and when to call);
    # empty for a lead a manager brought in
    request: Mapping[str, Any] = field(default_factory=dict)

    @property
    def last_activity(self) -> datetime:
        return self.history[0].created_at if self.history else self.deal.updated_at

    @property
    def is_open(self) -> bool:
        return self.deal.status is DealStatus.OPEN


@dataclass(frozen=True, slots=True)
class Manager:
    telegram_id: int
    name: str
    username: str | None
    active: bool
    updated_at: datetime | None = None  # last switched on or off, renamed


def search_terms(query: str) -> tuple[str, str | None]:
    """What to look for: the text (lower case) and, when it has 4+ digits, the digits of a phone
    in any format ("8 916 123-45-67", "+7(916)1234567" -> "9161234567"; "4567", the last
    digits a manager remembers)."""
    text = " ".join(query.split()).lower()
    digits = re.sub(r"\D", "", query)
    if len(digits) < 4:
        return text, None
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]  # a Russian number typed with its trunk prefix or country code
    return text, digits


def asks_for_price(text: str, words: Sequence[str]) -> bool:
    """Whether a prospect's message asks for a price or an offer: one of the words (or phrases)
    appears in it as whole words, in any case."""
    padded = f" {_words(text)} "
    return any(f" {_words(word)} " in padded for word in words if _words(word))


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower().replace("ё", "е")))
