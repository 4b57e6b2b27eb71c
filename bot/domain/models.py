"""The vocabulary of the sales method (DESIGN.md): people, deals, sources, temperature."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    SPEARS = "spears"  # a sales rep's live contact
    SEEDS = "seeds"  # referrals, word of mouth
    NETS = "nets"  # internet marketing


class Initiative(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Temperature(StrEnum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class Attribution:
    """Where an arrival came from, decided from the /start payload."""

    channel: Channel
    initiative: Initiative
    campaign: str = ""
    payload: str = ""
    referrer_telegram_id: int | None = None
    rep_telegram_id: int | None = None
    recognised: bool = True


@dataclass(frozen=True, slots=True)
class Arrival:
    attribution: Attribution
    at: datetime
    recorded: bool = False  # already stored as a touch point (the person was known then)


@dataclass(frozen=True, slots=True)
class LeadAnswers:
    """What a prospect told the form, already validated."""

    name: str
    phone: str  # E.164
    email: str | None
    company: str | None
    need: str | None  # a configured choice id, or None when typed as free text
    need_text: str | None
    timeline: str
    budget: str
    contact_method: str
    contact_time: str


@dataclass(frozen=True, slots=True)
class ScoreReason:
    factor: str
    answer: str
    points: int


@dataclass(frozen=True, slots=True)
class Score:
    temperature: Temperature
    points: int
    reasons: tuple[ScoreReason, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    telegram_id: int | None
    name: str
    phone: str | None
    email: str | None
    company: str | None
    consent_at: datetime | None = None
    language: str | None = None  # Telegram's code, as the person's app reported it


@dataclass(frozen=True, slots=True)
class Deal:
    id: int
    person_id: int
    status: DealStatus
    stage: str
    temperature: Temperature
    score: int
    channel: Channel
    initiative: Initiative
    campaign: str
    manager_telegram_id: int | None
    created_at: datetime
    updated_at: datetime
