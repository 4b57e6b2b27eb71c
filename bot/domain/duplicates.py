"""The duplicate rules: the same Telegram user, phone or e-mail is the same person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.models import Deal, DealStatus, Person


class DealDecision(StrEnum):
    NEW = "new"  # a person with no deals: a new lead
    RETURNING = "returning"  # an open deal exists: no second deal, a touch point
    REPEAT = "repeat"  # only closed deals: a repeat sale starts a new deal


@dataclass(frozen=True, slots=True)
class DealChoice:
    decision: DealDecision
    open_deal: Deal | None = None


def match_person(
    by_telegram: Person | None, by_phone: Person | None, by_email: Person | None
) -> Person | None:
    """The strongest identity wins: the Telegram account, then the phone, then the e-mail."""
    return by_telegram or by_phone or by_email


def choose_deal(deals: Sequence[Deal]) -> DealChoice:
    open_deals = [deal for deal in deals if deal.status is DealStatus.OPEN]
    if open_deals:
        return DealChoice(DealDecision.RETURNING, max(open_deals, key=lambda d: d.updated_at))
    if deals:
        return DealChoice(DealDecision.REPEAT)
    return DealChoice(DealDecision.NEW)
