"""Reminders as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ReminderStatus(StrEnum):
    PENDING = "pending"  # waiting for its time, or claimed and being sent
    SENT = "sent"  # Telegram accepted the push
    DONE = "done"
    CANCELLED = "cancelled"
    UNREACHABLE = "unreachable"  # the recipient blocked the bot
    FAILED = "failed"  # an error every time it was tried: given up


@dataclass(frozen=True, slots=True)
class QuietDeal:
    """An open deal nobody has worked on for a while."""

    deal_id: int
    manager: int
    stage: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    deal_id: int | None
    chat_id: int
    kind: str
    text: str | None
    due_at: datetime
    status: ReminderStatus
    attempts: int
    created_at: datetime | None = None
    instead_of: int | None = None  # a former manager's, pushed to an admin in their place


@dataclass(frozen=True, slots=True)
class Planned:
    """A follow-up the bot plans by itself: no text, nobody's own."""

    deal_id: int
    chat_id: int
    kind: str
    due_at: datetime
