"""The half-filled lead form, kept typed in the FSM data (and so in the database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.fsm.context import FSMContext
from pydantic import BaseModel, ValidationError

from bot.domain.attribution import ATTRIBUTION_WINDOW
from bot.domain.models import LeadAnswers

MAX_ARRIVALS = 20
# The way of contact that needs an address: offered only to somebody who gave one, and a
# request without one (the address removed at the summary) asks the way again.
EMAIL_METHOD = "email"


class ArrivalRecord(BaseModel):
    payload: str
    at: datetime
    recorded: bool = False


class LeadDraft(BaseModel):
    arrivals: list[ArrivalRecord] = []
    consent_at: datetime | None = None
    locale: str | None = None  # the language the form was filled in, for a later reminder
    offer_sku: str | None = None  # a standard offer asked for: sent when the form is sent
    consent_checked: bool = False  # consent_at was looked up in the database by /start
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    company: str | None = None
    need: str | None = None
    need_text: str | None = None
    timeline: str | None = None
    budget: str | None = None
    contact_method: str | None = None
    contact_time: str | None = None
    shown: dict[str, str] = {}  # a client's contacts on file, offered to keep or change
    editing: bool = False
    reply_keyboard: bool = False  # a reply keyboard is on screen and must be removed
    question: int | None = None  # the message asking a choice: answered in words, its buttons go
    moved_at: datetime | None = None  # the last step: a reminder waits while the form moves
    email_kept: str | None = None  # an address that looked like a typo, given again: it stands

    def add_arrival(self, payload: str, at: datetime, recorded: bool) -> None:
        record = ArrivalRecord(payload=payload, at=at, recorded=recorded)
        arrivals = [*self.arrivals, record]
        if len(arrivals) > MAX_ARRIVALS:
            # the oldest go, but not the last link's: the request will be credited to it
            linked = next((a for a in reversed(arrivals) if a.payload), None)
            arrivals = arrivals[-MAX_ARRIVALS:]
            if linked is not None and linked not in arrivals:
                arrivals = [linked, *arrivals[1:]]
        self.arrivals = arrivals

    def link(self, now: datetime) -> str:
        """The payload of the last link the visitor came by within the attribution window (""
        for none): the request's source (bot.domain.attribution.credited)."""
        since = now - ATTRIBUTION_WINDOW
        return next((r.payload for r in reversed(self.arrivals) if r.payload and r.at >= since), "")

    def reachable(self) -> bool:
        """Whether the way of contact chosen can be used with the contacts given."""
        return self.contact_method != EMAIL_METHOD or self.email is not None

    def answers(self) -> LeadAnswers | None:
        """The validated answers, or None while a required one is missing."""
        if (
            self.name is None
            or self.phone is None
            or (self.need is None and self.need_text is None)
            or self.timeline is None
            or self.budget is None
            or self.contact_method is None
            or self.contact_time is None
            or not self.reachable()
        ):
            return None
        return LeadAnswers(
            name=self.name,
            phone=self.phone,
            email=self.email,
            company=self.company,
            need=self.need,
            need_text=self.need_text,
            timeline=self.timeline,
            budget=self.budget,
            contact_method=self.contact_method,
            contact_time=self.contact_time,
        )


async def load_draft(state: FSMContext) -> LeadDraft:
    data = await state.get_data()
    return parse_draft(data)


def parse_draft(data: dict[str, Any]) -> LeadDraft:
    try:
        return LeadDraft.model_validate(data.get("draft") or {})
    except ValidationError:
        # A record written by an older version: start the form afresh rather than fail.
        return LeadDraft()


async def save_draft(state: FSMContext, draft: LeadDraft) -> None:
    await state.set_data({"draft": draft.model_dump(mode="json", exclude_defaults=True)})
