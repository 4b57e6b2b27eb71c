"""The managers' desk: what a member of staff may see and do with deals. Every method that shows
or changes a deal checks the viewer's right to it first (callback data can be forged)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from bot.domain.desk import (
    PAGE_SIZE,
    UNASSIGNED,
    DealCard,
    DealFilter,
    DealPage,
    DealRow,
    HistoryEntry,
    Viewer,
    may_access,
    search_terms,
)
from bot.domain.models import Channel, DealStatus, Initiative, Temperature


class NoAccess(LookupError):
    """No such deal, or not the viewer's: both get the same answer, which reveals nothing."""


class ActivityKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    NOTE = "note"
    NO_ANSWER = "no_answer"  # a call nobody picked up: one tap, then when to try again


class TakeResult(StrEnum):
    TAKEN = "taken"
    ALREADY_YOURS = "already_yours"
    TAKEN_BY_OTHER = "taken_by_other"


@dataclass(frozen=True, slots=True)
class ProspectDeal:
    """A prospect's deal as the chat relay needs it."""

    deal_id: int
    manager_telegram_id: int | None
    name: str
    company: str | None
    stage: str
    temperature: Temperature
    status: DealStatus = DealStatus.OPEN


class ClientField(StrEnum):
    """What a manager may correct of a client's details from the deal card."""

    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    COMPANY = "company"

    @property
    def optional(self) -> bool:
        """Can be erased: a client is found by their name and phone."""
        return self in (ClientField.EMAIL, ClientField.COMPANY)


@dataclass(frozen=True, slots=True)
class ClientEdit:
    changed: bool
    # the phone or e-mail belongs to another client, who keeps it (nothing changed): their
    # latest deal, if they have one and the viewer may see it
    held: bool = False
    held_deal: int | None = None
    # the client has deals of other managers too: an admin corrects them (nothing changed)
    shared: bool = False


@dataclass(frozen=True, slots=True)
class TodayRow:
    """A deal of "today" and the groups it is in (hot, new today, idle); it is listed once."""

    deal: DealRow
    new: bool
    stale: bool

    @property
    def hot(self) -> bool:
        return self.deal.temperature is Temperature.HOT

    @property
    def group(self) -> str:
        """The first group it is in, where /today lists it: "hot", "new" or "stale"."""
        return "hot" if self.hot else "new" if self.new else "stale"


@dataclass(frozen=True, slots=True)
class TodayPage:
    """A page of "today", with the true counts: of the deals, and of each group."""

    rows: tuple[TodayRow, ...]
    page: int
    total: int
    hot: int
    new: int
    stale: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


class DeskRepository(Protocol):
    async def manager_of(self, deal_id: int) -> tuple[bool, int | None]: ...
    async def page(self, manager: int | None, where: DealFilter, page: int) -> DealPage: ...
    async def search(
        self, manager: int | None, text: str, digits: str | None, page: int
    ) -> DealPage: ...
    async def today_page(
        self, manager: int | None, since: datetime, stale_before: datetime, page: int
    ) -> TodayPage: ...
    async def card(self, deal_id: int) -> DealCard | None: ...
    async def history(self, deal_id: int, limit: int) -> tuple[HistoryEntry, ...]: ...
    async def event(self, event_id: int) -> HistoryEntry | None: ...
    async def event_deal(self, event_id: int) -> int | None: ...
    async def add_event(
        self,
        deal_id: int,
        kind: str,
        data: Mapping[str, Any],
        actor: int | None,
        now: datetime,
        changes: Mapping[str, Any] | None = None,
        activity: bool = True,
    ) -> int: ...
    async def deal_values(self, deal_id: int, *columns: str) -> dict[str, Any]: ...
    async def assign(
        self, deal_id: int, manager: int, actor: int, now: datetime, *, only_unassigned: bool
    ) -> int | bool | None: ...
    async def handover(self, source: int, target: int, actor: int, now: datetime) -> list[int]: ...
    async def prospect_deal(self, telegram_id: int) -> ProspectDeal | None: ...
    async def prospect_chat(self, deal_id: int) -> int | None: ...
    async def has_written(self, deal_id: int) -> bool: ...
    async def last_reply(self, deal_id: int, actor: int) -> datetime | None: ...
    async def deal_summary(self, deal_id: int) -> ProspectDeal | None: ...
    async def client_names(self, deal_ids: Collection[int]) -> dict[int, str]: ...
    async def set_client_language(self, deal_id: int, language: str, now: datetime) -> None: ...
    async def earlier_answers(self, deal_id: int) -> dict[str, str]: ...
    async def client_worked_by_others(self, deal_id: int, owner: int) -> bool: ...
    async def set_manual_source(
        self,
        deal_id: int,
        channel: Channel,
        initiative: Initiative,
        points: int,
        actor: int,
        now: datetime,
    ) -> bool: ...
    async def set_client_field(
        self,
        deal_id: int,
        field: ClientField,
        value: str | None,
        actor: int,
        now: datetime,
        owner: int | None,
    ) -> ClientEdit: ...
    async def client_language(self, deal_id: int) -> str | None: ...
    async def contacted(self, deal_id: int) -> bool: ...
    async def remember_relay(
        self, chat_id: int, message_ids: Iterable[int], deal_id: int, now: datetime
    ) -> None: ...
    async def relayed_deal(self, chat_id: int, message_id: int) -> int | None: ...


def _scope(viewer: Viewer) -> int | None:
    """Whose deals a list shows: a manager's own; an admin's, everybody's."""
    return None if viewer.is_admin else viewer.telegram_id


class DeskService:
    def __init__(self, repository: DeskRepository) -> None:
        self._repository = repository

    async def check(self, viewer: Viewer, deal_id: int) -> int | None:
        """Raises NoAccess unless the viewer may act on the deal; returns its manager."""
        exists, manager = await self._repository.manager_of(deal_id)
        if not exists or not may_access(viewer, manager):
            raise NoAccess(deal_id)
        return manager

    async def page(self, viewer: Viewer, where: DealFilter, page: int) -> DealPage:
        # a manager's list is theirs, whatever a forged button asks for
        owner = where.manager if viewer.is_admin else viewer.telegram_id
        return await self._repository.page(owner, where, max(page, 0))

    async def unclaimed(self, viewer: Viewer) -> DealPage | None:
        """For a manager, with the shared inbox: the first page of the open deals nobody has,
        which any manager may take (an admin's own lists show them already); None if there
        are none."""
        if viewer.is_admin:
            return None
        where = DealFilter(manager=UNASSIGNED, open_only=True)
        found = await self._repository.page(UNASSIGNED, where, 0)
        return found if found.rows else None

    async def search(self, viewer: Viewer, query: str) -> list[DealRow]:
        """The first page of what matches."""
        return list((await self.search_page(viewer, query, 0)).rows)

    async def search_page(self, viewer: Viewer, query: str, page: int) -> DealPage:
        """A page of what matches and how many match; a page past the end is the last page."""
        text, digits = search_terms(query)
        scope = _scope(viewer)
        found = await self._repository.search(scope, text, digits, max(page, 0))
        if found.page >= found.pages and found.page > 0:
            found = await self._repository.search(scope, text, digits, found.pages - 1)
        return found

    async def today_page(
        self, viewer: Viewer, start_of_day: datetime, stale_days: int, page: int
    ) -> TodayPage:
        """A page of the hot, new and idle deals; a page past the end is the last page."""
        scope, stale_before = _scope(viewer), start_of_day - timedelta(days=stale_days)
        found = await self._repository.today_page(scope, start_of_day, stale_before, max(page, 0))
        if found.page >= found.pages and found.page > 0:
            found = await self._repository.today_page(
                scope, start_of_day, stale_before, found.pages - 1
            )
        return found

    async def card(self, viewer: Viewer, deal_id: int) -> DealCard:
        card = await self._repository.card(deal_id)
        if card is None or not may_access(viewer, card.deal.manager_telegram_id):
            raise NoAccess(deal_id)
        return card

    async def history(self, viewer: Viewer, deal_id: int, limit: int) -> tuple[HistoryEntry, ...]:
        await self.check(viewer, deal_id)
        return await self._repository.history(deal_id, limit)

    async def voice(self, viewer: Viewer, event_id: int) -> str:
        """The file id of a voice note logged on a deal the viewer may see."""
        deal_id = await self._repository.event_deal(event_id)
        if deal_id is None:
            raise NoAccess(event_id)
        await self.check(viewer, deal_id)
        entry = await self._repository.event(event_id)
        voice = entry.data.get("voice") if entry else None
        if not isinstance(voice, str):
            raise NoAccess(event_id)
        return voice

    async def log_activity(
        self,
        viewer: Viewer,
        deal_id: int,
        kind: ActivityKind,
        now: datetime,
        *,
        text: str | None = None,
        voice: str | None = None,
        duration: int | None = None,
    ) -> int:
        await self.check(viewer, deal_id)
        data: dict[str, Any] = {"type": kind.value}
        if text:
            data["text"] = text
        if voice:
            data["voice"], data["duration"] = voice, duration
        return await self._repository.add_event(deal_id, "activity", data, viewer.telegram_id, now)

    async def record_document(
        self, deal_id: int, kind: str, number: str, total_minor: int, actor: int, now: datetime
    ) -> None:
        """A document made for the client (by staff, or asked for by the client): in the
        history; work on the deal when staff made it."""
        data = {"kind": kind, "number": number, "total_minor": total_minor}
        staff_made = actor != await self._repository.prospect_chat(deal_id)
        await self._repository.add_event(deal_id, "document", data, actor, now, activity=staff_made)

    async def log_call_attempt(self, viewer: Viewer, deal_id: int, now: datetime) -> None:
        """A call nobody picked up: work on the deal, but no contact with the client (the
        speed-to-lead reminders keep going)."""
        await self.check(viewer, deal_id)
        await self._repository.add_event(deal_id, "call_attempt", {}, viewer.telegram_id, now)

    async def log_objection(
        self, viewer: Viewer, deal_id: int, objection: str, text: str | None, now: datetime
    ) -> None:
        await self.check(viewer, deal_id)
        data = {"objection": objection, **({"text": text} if text else {})}
        await self._repository.add_event(deal_id, "objection", data, viewer.telegram_id, now)

    async def set_temperature(
        self, viewer: Viewer, deal_id: int, temperature: Temperature, now: datetime, why: str
    ) -> bool:
        """False when the deal already has this temperature."""
        await self.check(viewer, deal_id)
        return await self._raise_temperature(
            deal_id, temperature, now, why, viewer.telegram_id, only_up=False
        )

    async def set_amount(
        self, viewer: Viewer, deal_id: int, amount_minor: int, now: datetime
    ) -> None:
        await self._set_field(viewer, deal_id, "amount_minor", amount_minor, now)

    async def set_next_step(self, viewer: Viewer, deal_id: int, text: str, now: datetime) -> None:
        await self._set_field(viewer, deal_id, "next_step", text, now)

    async def _set_field(
        self, viewer: Viewer, deal_id: int, column: str, value: object, now: datetime
    ) -> None:
        await self.check(viewer, deal_id)
        before = (await self._repository.deal_values(deal_id, column))[column]
        if before == value:
            return
        await self._repository.add_event(
            deal_id,
            "field_changed",
            {"field": column, "from": before, "to": value},
            viewer.telegram_id,
            now,
            changes={column: value},
        )

    async def client_language(self, viewer: Viewer, deal_id: int) -> str | None:
        """The client's language as Telegram or the manager told it; None if unknown."""
        await self.check(viewer, deal_id)
        return await self._repository.client_language(deal_id)

    async def set_client_language(
        self, viewer: Viewer, deal_id: int, language: str, now: datetime
    ) -> None:
        """What the manager knows of the client's language (documents are written in it)."""
        await self.check(viewer, deal_id)
        await self._repository.set_client_language(deal_id, language, now)

    async def set_client_field(
        self, viewer: Viewer, deal_id: int, field: ClientField, value: str | None, now: datetime
    ) -> ClientEdit:
        """A correction of the client's details, written into the deal's history. A phone or an
        e-mail is how a returning client is recognised, so one held by another client stays
        theirs."""
        await self.check(viewer, deal_id)
        if value is None and not field.optional:
            raise ValueError(f"the client's {field} cannot be erased")
        # the client is the same on each of their deals: a manager changes them only while
        # no other manager works one of them
        edit = await self._repository.set_client_field(
            deal_id, field, value, viewer.telegram_id, now, owner=_scope(viewer)
        )
        if edit.held_deal is not None:
            exists, manager = await self._repository.manager_of(edit.held_deal)
            if not (exists and may_access(viewer, manager)):  # named only to whom may see it
                edit = replace(edit, held_deal=None)
        return edit

    async def set_manual_source(
        self,
        viewer: Viewer,
        deal_id: int,
        channel: Channel,
        initiative: Initiative,
        points: int,
        now: datetime,
    ) -> bool:
        """Where a lead a manager brought in came from (a referral, the website, a call to the
        office), for the reports by source; its score is the channel's `points`. False for a
        deal that came through the bot: its source is the link it came by."""
        await self.check(viewer, deal_id)
        return await self._repository.set_manual_source(
            deal_id, channel, initiative, points, viewer.telegram_id, now
        )

    async def may_edit_client(self, viewer: Viewer, deal_id: int) -> bool:
        """Whether the viewer may correct the client's details: an admin, or a manager while no
        other manager works an open deal of the client (the details are one on all deals)."""
        await self.check(viewer, deal_id)
        if viewer.is_admin:
            return True
        return not await self._repository.client_worked_by_others(deal_id, viewer.telegram_id)

    async def earlier_answers(self, viewer: Viewer, deal_id: int) -> dict[str, str]:
        """What the client's earlier deals found out, the newest answer to each question: a
        repeat sale need not find out again what the client's problems are."""
        await self.check(viewer, deal_id)
        return await self._repository.earlier_answers(deal_id)

    async def reassign(
        self, viewer: Viewer, deal_id: int, manager: int, now: datetime
    ) -> int | None:
        """Admins only; returns the previous manager."""
        if not viewer.is_admin:
            raise NoAccess(deal_id)
        result = await self._repository.assign(
            deal_id, manager, viewer.telegram_id, now, only_unassigned=False
        )
        if result is False:
            raise NoAccess(deal_id)
        return result if isinstance(result, int) and not isinstance(result, bool) else None

    async def take(self, viewer: Viewer, deal_id: int, now: datetime) -> TakeResult:
        exists, manager = await self._repository.manager_of(deal_id)
        if not exists:
            raise NoAccess(deal_id)
        if manager == viewer.telegram_id:
            return TakeResult.ALREADY_YOURS
        if manager is not None:
            return TakeResult.TAKEN_BY_OTHER
        result = await self._repository.assign(
            deal_id, viewer.telegram_id, viewer.telegram_id, now, only_unassigned=True
        )
        return TakeResult.TAKEN_BY_OTHER if result is False else TakeResult.TAKEN

    async def handover(self, viewer: Viewer, source: int, target: int, now: datetime) -> list[int]:
        if not viewer.is_admin:
            raise NoAccess(source)
        return await self._repository.handover(source, target, viewer.telegram_id, now)

    # --- the chat relay -----------------------------------------------------------------------

    async def prospect_deal(self, telegram_id: int) -> ProspectDeal | None:
        return await self._repository.prospect_deal(telegram_id)

    async def contacted(self, deal_id: int) -> bool:
        """Whether staff have worked the deal: an activity, an answer, a move, a message."""
        return await self._repository.contacted(deal_id)

    async def card_of(self, deal_id: int) -> DealCard | None:
        """For what the bot does on a client's own request: no viewer to check."""
        return await self._repository.card(deal_id)

    async def deal_summary(self, deal_id: int) -> ProspectDeal | None:
        """For messages the bot sends on its own (reminders): no viewer to check."""
        return await self._repository.deal_summary(deal_id)

    async def client_names(self, deal_ids: Collection[int]) -> dict[int, str]:
        """Whom each of these deals is with, in one query (lists of reminders name them)."""
        return await self._repository.client_names(deal_ids) if deal_ids else {}

    async def prospect_chat(self, viewer: Viewer, deal_id: int) -> int | None:
        await self.check(viewer, deal_id)
        return await self._repository.prospect_chat(deal_id)

    async def open_chat(self, viewer: Viewer, deal_id: int) -> int | None:
        """The client's chat if the bot may write there: they have written to it (a request,
        a message). A contact a manager shared has a Telegram id, but a bot cannot write first."""
        chat = await self.prospect_chat(viewer, deal_id)
        return chat if chat is not None and await self._repository.has_written(deal_id) else None

    async def remember_relay(
        self, chat_id: int, message_ids: Iterable[int], deal_id: int, now: datetime
    ) -> None:
        await self._repository.remember_relay(chat_id, message_ids, deal_id, now)

    async def relayed_deal(self, chat_id: int, message_id: int) -> int | None:
        return await self._repository.relayed_deal(chat_id, message_id)

    async def log_message(
        self,
        deal_id: int,
        inbound: bool,
        content: Mapping[str, Any],
        actor: int | None,
        now: datetime,
    ) -> None:
        kind = "message_in" if inbound else "message_out"
        # A client's message is not work on the deal: it must not hide a deal waiting for it.
        await self._repository.add_event(deal_id, kind, content, actor, now, activity=not inbound)

    async def last_reply(self, deal_id: int, actor: int) -> datetime | None:
        """When `actor` last wrote to the deal's client through the bot."""
        return await self._repository.last_reply(deal_id, actor)

    async def price_request(self, deal_id: int, actor: int, now: datetime) -> bool:
        """A prospect asked for a price: the deal becomes hot (True if it was not)."""
        return await self._raise_temperature(
            deal_id, Temperature.HOT, now, "price_request", actor, only_up=True
        )

    async def _raise_temperature(
        self,
        deal_id: int,
        temperature: Temperature,
        now: datetime,
        why: str,
        actor: int | None,
        *,
        only_up: bool,
    ) -> bool:
        before = Temperature(
            (await self._repository.deal_values(deal_id, "temperature"))["temperature"]
        )
        order = list(Temperature)
        if before == temperature or (only_up and order.index(before) > order.index(temperature)):
            return False
        await self._repository.add_event(
            deal_id,
            "temperature_changed",
            {"from": before.value, "to": temperature.value, "why": why},
            actor,
            now,
            changes={"temperature": temperature.value},
        )
        return True
