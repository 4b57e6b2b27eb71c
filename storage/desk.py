"""The managers' desk: deal lists, the deal card, search, activities and the chat relay."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.desk import (
    PAGE_SIZE,
    UNASSIGNED,
    DealCard,
    DealFilter,
    DealPage,
    DealRow,
    HistoryEntry,
)
from bot.domain.models import Channel, DealStatus, Initiative, Person, Temperature
from bot.domain.reminders import ReminderStatus
from bot.services.desk import ClientEdit, ClientField, ProspectDeal, TodayPage, TodayRow
from storage.leads import deal_from_row
from storage.schema import (
    CONTACT_KINDS,
    deal_answers,
    deals,
    event_row,
    events,
    managers,
    people,
    relayed_messages,
    reminders,
    touch_points,
)

# Open deals before won ones (the repeat sale waits; a hot lead does not), and hot first: a hot
# lead must be answered within minutes (DESIGN.md).
_ATTENTION = sa.case(
    (deals.c.status != DealStatus.OPEN.value, 3),
    (deals.c.temperature == Temperature.HOT.value, 0),
    (deals.c.temperature == Temperature.WARM.value, 1),
    else_=2,
)
_LISTED = (DealStatus.OPEN.value, DealStatus.WON.value)  # lost deals leave the list
HISTORY_SIZE = 10


class SqlDeskRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- reading ------------------------------------------------------------------------------

    async def manager_of(self, deal_id: int) -> tuple[bool, int | None]:
        """(whether the deal exists, its manager)."""
        async with self._engine.connect() as c:
            row = (
                await c.execute(sa.select(deals.c.manager_telegram_id).where(deals.c.id == deal_id))
            ).first()
        return (False, None) if row is None else (True, row.manager_telegram_id)

    async def page(self, manager: int | None, where: DealFilter, page: int) -> DealPage:
        listed = (
            (DealStatus.LOST.value,)
            if where.lost
            else (DealStatus.OPEN.value,)
            if where.open_only
            else _LISTED
        )
        conditions: list[sa.ColumnElement[bool]] = [deals.c.status.in_(listed)]
        if manager == UNASSIGNED:
            conditions.append(deals.c.manager_telegram_id.is_(None))
        elif manager is not None:
            conditions.append(deals.c.manager_telegram_id == manager)
        if where.stage:
            conditions.append(deals.c.stage == where.stage)
        if where.temperature:
            conditions.append(deals.c.temperature == where.temperature.value)
        async with self._engine.connect() as c:
            total = (
                await c.execute(sa.select(sa.func.count()).select_from(deals).where(*conditions))
            ).scalar_one()
            shown = _page_of_deals(
                _ATTENTION.label("attention"),
                where=conditions,
                order=(_ATTENTION, deals.c.updated_at, deals.c.id),
                page=page,
            )
            rows = await c.execute(
                _with_people(shown).order_by(shown.c.attention, shown.c.updated_at, shown.c.id)
            )
            return DealPage(tuple(_row(row) for row in rows), page, total)

    async def search(
        self, manager: int | None, text: str, digits: str | None, page: int
    ) -> DealPage:
        """A page of the deals whose person's name or company has every word of `text` (in any
        order, ё read as е: "петр сидоров" finds "Сидоров Пётр"), or whose phone has `digits`
        (four of them: at its end), newest first, with the number of all matches (not of the
        rows of the page)."""
        # PostgreSQL's lower() knows Unicode; on SQLite storage.db registers casefold().
        fold = sa.func.casefold if self._engine.dialect.name == "sqlite" else sa.func.lower

        def plain(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
            return sa.func.replace(fold(column), "ё", "е")

        words = [
            sa.or_(*(plain(column).like(f"%{_escape(word)}%", escape="\\")
                     for column in (people.c.name, people.c.company)))
            for word in text.casefold().replace("ё", "е").split()
        ]  # fmt: skip
        matches = [sa.and_(*words)] if words else []
        if digits:
            # the last four digits a manager remembers, or a longer piece anywhere
            last_four = len(digits) == 4 and text.strip().isdigit()  # "4433", not "+7 903"
            matches.append(people.c.phone.like(f"%{digits}" if last_four else f"%{digits}%"))
        if not matches:
            return DealPage((), page, 0)
        conditions: list[sa.ColumnElement[bool]] = [sa.or_(*matches)]
        if manager is not None:
            conditions.append(deals.c.manager_telegram_id == manager)
        joined = deals.join(people, people.c.id == deals.c.person_id)
        async with self._engine.connect() as c:
            total = (
                await c.execute(sa.select(sa.func.count()).select_from(joined).where(*conditions))
            ).scalar_one()
            rows = await c.execute(
                _rows_query()
                .where(*conditions)
                .order_by(deals.c.updated_at.desc(), deals.c.id.desc())  # the id: stable pages
                .limit(PAGE_SIZE)
                .offset(page * PAGE_SIZE)
            )
            return DealPage(tuple(_row(row) for row in rows), page, total)

    async def today_page(
        self, manager: int | None, since: datetime, stale_before: datetime, page: int
    ) -> TodayPage:
        """A page of the open deals that are hot, new since `since` or idle since
        `stale_before`, each once: the hot first (longest waiting first), then the new (newest
        first), then the idle (longest idle first); with each row's groups and the true count
        of each group, a deal counted in the first of its groups."""
        hot = deals.c.temperature == Temperature.HOT.value
        new = deals.c.created_at >= since
        stale = deals.c.updated_at < stale_before
        conditions: list[sa.ColumnElement[bool]] = [
            deals.c.status == DealStatus.OPEN.value,
            sa.or_(hot, new, stale),
        ]
        if manager is not None:
            conditions.append(deals.c.manager_telegram_id == manager)
        group = sa.case((hot, 0), (new, 1), else_=2)

        def count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
            return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

        async with self._engine.connect() as c:
            totals = (
                await c.execute(
                    # each deal counted in the first of its groups, where it is listed
                    sa.select(
                        sa.func.count(),
                        count(hot),
                        count(sa.and_(new, sa.not_(hot))),
                        count(sa.and_(stale, sa.not_(hot), sa.not_(new))),
                    )
                    .select_from(deals)
                    .where(*conditions)
                )
            ).one()
            newest = sa.case((group == 1, deals.c.created_at))  # the new: newest first
            shown = _page_of_deals(
                group.label("grp"),
                newest.label("newest"),
                sa.case((new, 1), else_=0).label("is_new"),
                sa.case((stale, 1), else_=0).label("is_stale"),
                where=conditions,
                order=(group, newest.desc(), deals.c.updated_at, deals.c.id),
                page=page,
            )
            rows = await c.execute(
                _with_people(shown, shown.c.is_new, shown.c.is_stale).order_by(
                    shown.c.grp, shown.c.newest.desc(), shown.c.updated_at, shown.c.id
                )
            )
            listed = [
                TodayRow(_row(row), new=bool(row.is_new), stale=bool(row.is_stale)) for row in rows
            ]
        total, hot_total, new_total, stale_total = totals
        return TodayPage(
            tuple(listed), page, int(total), int(hot_total), int(new_total), int(stale_total)
        )

    async def card(self, deal_id: int) -> DealCard | None:
        async with self._engine.connect() as c:
            row = (
                await c.execute(
                    sa.select(
                        deals,
                        people.c.telegram_id.label("person_telegram_id"),
                        people.c.name.label("person_name"),
                        people.c.phone,
                        people.c.email,
                        people.c.company,
                        people.c.consent_at,
                        people.c.language,
                        managers.c.name.label("manager_name"),
                    )
                    .select_from(
                        deals.join(people, people.c.id == deals.c.person_id).outerjoin(
                            managers, managers.c.telegram_id == deals.c.manager_telegram_id
                        )
                    )
                    .where(deals.c.id == deal_id)
                )
            ).first()
            if row is None:
                return None
            answers = await c.execute(
                sa.select(deal_answers.c.question_id, deal_answers.c.value).where(
                    deal_answers.c.deal_id == deal_id
                )
            )
            history = await self._history(c, deal_id, HISTORY_SIZE)
        person = Person(
            id=row.person_id,
            telegram_id=row.person_telegram_id,
            name=row.person_name,
            phone=row.phone,
            email=row.email,
            company=row.company,
            consent_at=row.consent_at,
            language=row.language,
        )
        return DealCard(
            deal=deal_from_row(row),
            person=person,
            username=None,
            payload=row.source_payload,
            score_reasons=tuple(row.score_reasons or ()),
            amount_minor=row.amount_minor,
            next_step=row.next_step,
            lost_reason=row.lost_reason,
            answers={question: value for question, value in answers},
            history=history,
            manager_name=row.manager_name,
            request=dict(row.request or {}),
        )

    async def history(self, deal_id: int, limit: int) -> tuple[HistoryEntry, ...]:
        async with self._engine.connect() as c:
            return await self._history(c, deal_id, limit)

    async def event(self, event_id: int) -> HistoryEntry | None:
        async with self._engine.connect() as c:
            row = (await c.execute(sa.select(events).where(events.c.id == event_id))).first()
        return None if row is None else _entry(row)

    async def event_deal(self, event_id: int) -> int | None:
        async with self._engine.connect() as c:
            row = (
                await c.execute(sa.select(events.c.deal_id).where(events.c.id == event_id))
            ).first()
        return None if row is None else row.deal_id

    @staticmethod
    async def _history(c: AsyncConnection, deal_id: int, limit: int) -> tuple[HistoryEntry, ...]:
        rows = await c.execute(
            sa.select(events)
            .where(events.c.deal_id == deal_id)
            .order_by(events.c.id.desc())
            .limit(limit)
        )
        return tuple(_entry(row) for row in rows)

    # --- writing ------------------------------------------------------------------------------

    async def add_event(
        self,
        deal_id: int,
        kind: str,
        data: Mapping[str, Any],
        actor: int | None,
        now: datetime,
        changes: Mapping[str, Any] | None = None,
        activity: bool = True,
    ) -> int:
        """An event on the deal and, in the same transaction, the deal's columns it changes;
        `activity`: it counts as work on the deal (updated_at, the "waiting longest" order)."""
        async with self._engine.begin() as c:
            values = {**(changes or {}), **({"updated_at": now} if activity else {})}
            if values:
                await c.execute(deals.update().where(deals.c.id == deal_id).values(values))
            row = event_row(kind, data, now, deal_id=deal_id, actor_telegram_id=actor)
            result = await c.execute(events.insert().values(**row).returning(events.c.id))
            return int(result.scalar_one())

    async def deal_values(self, deal_id: int, *columns: str) -> dict[str, Any]:
        async with self._engine.connect() as c:
            row = (
                await c.execute(
                    sa.select(*(deals.c[name] for name in columns)).where(deals.c.id == deal_id)
                )
            ).one()
        return dict(row._mapping)

    async def assign(
        self,
        deal_id: int,
        manager: int,
        actor: int,
        now: datetime,
        *,
        only_unassigned: bool,
    ) -> int | bool | None:
        """Give the deal to `manager`. With `only_unassigned` this is the inbox's "take": the
        UPDATE's condition decides a race, so exactly one of two managers wins. Returns the
        previous manager, or False when nothing changed."""
        async with self._engine.begin() as c:
            before = (
                await c.execute(sa.select(deals.c.manager_telegram_id).where(deals.c.id == deal_id))
            ).first()
            if before is None:
                return False
            condition = deals.c.id == deal_id
            if only_unassigned:  # ... and still open: a closed deal is nobody's to take
                condition = sa.and_(
                    condition,
                    deals.c.manager_telegram_id.is_(None),
                    deals.c.status == DealStatus.OPEN.value,
                )
            result = await c.execute(
                deals.update().where(condition).values(manager_telegram_id=manager, updated_at=now)
            )
            if result.rowcount != 1:
                return False
            if before.manager_telegram_id is not None:
                await _reminders_follow(c, [deal_id], before.manager_telegram_id, manager)
            kind = "deal_taken" if only_unassigned else "deal_reassigned"
            await c.execute(
                events.insert().values(
                    **event_row(
                        kind,
                        {"from": before.manager_telegram_id, "to": manager},
                        now,
                        deal_id=deal_id,
                        actor_telegram_id=actor,
                    )
                )
            )
            previous: int | None = before.manager_telegram_id
            return previous

    async def handover(self, source: int, target: int, actor: int, now: datetime) -> list[int]:
        """All of `source`'s open deals go to `target`; returns their ids."""
        async with self._engine.begin() as c:
            # One statement decides which deals move, so a deal reassigned or closed meanwhile
            # is left alone.
            moved = await c.execute(
                deals.update()
                .where(
                    deals.c.manager_telegram_id == source,
                    deals.c.status == DealStatus.OPEN.value,
                )
                .values(manager_telegram_id=target, updated_at=now)
                .returning(deals.c.id)
            )
            ids = sorted(row.id for row in moved)
            if not ids:
                return []
            await _reminders_follow(c, ids, source, target)
            await c.execute(
                events.insert(),
                [
                    event_row(
                        "deal_reassigned",
                        {"from": source, "to": target},
                        now,
                        deal_id=deal_id,
                        actor_telegram_id=actor,
                    )
                    for deal_id in ids
                ],
            )
            return ids

    # --- the chat relay -----------------------------------------------------------------------

    async def prospect_deal(self, telegram_id: int) -> ProspectDeal | None:
        """The deal a prospect's messages belong to: the open one, else the latest."""
        return await self._summary(
            sa.select()
            .where(people.c.telegram_id == telegram_id)
            .order_by((deals.c.status == DealStatus.OPEN.value).desc(), deals.c.id.desc())
        )

    async def contacted(self, deal_id: int) -> bool:
        async with self._engine.connect() as c:
            row = await c.execute(
                sa.select(events.c.id)
                .where(events.c.deal_id == deal_id, events.c.kind.in_(CONTACT_KINDS))
                .limit(1)
            )
            return row.first() is not None

    async def client_names(self, deal_ids: Collection[int]) -> dict[int, str]:
        async with self._engine.connect() as c:
            rows = await c.execute(
                sa.select(deals.c.id, people.c.name)
                .select_from(deals.join(people, people.c.id == deals.c.person_id))
                .where(deals.c.id.in_(list(deal_ids)))
            )
            return {row.id: row.name for row in rows}

    async def client_language(self, deal_id: int) -> str | None:
        async with self._engine.connect() as c:
            return (
                await c.execute(
                    sa.select(people.c.language)
                    .select_from(deals.join(people, people.c.id == deals.c.person_id))
                    .where(deals.c.id == deal_id)
                )
            ).scalar()

    async def set_client_language(self, deal_id: int, language: str, now: datetime) -> None:
        person = sa.select(deals.c.person_id).where(deals.c.id == deal_id).scalar_subquery()
        async with self._engine.begin() as c:
            await c.execute(
                people.update()
                .where(people.c.id == person)
                .values(language=language, updated_at=now)
            )

    async def set_client_field(
        self,
        deal_id: int,
        field: ClientField,
        value: str | None,
        actor: int,
        now: datetime,
        owner: int | None,
    ) -> ClientEdit:
        """`owner`: refused (shared) while another manager works an open deal of the client.
        The change goes into the history of each of the client's deals."""
        column = people.c[field.value]
        person_id = sa.select(deals.c.person_id).where(deals.c.id == deal_id).scalar_subquery()
        try:
            async with self._engine.begin() as c:
                person, before = (
                    await c.execute(sa.select(people.c.id, column).where(people.c.id == person_id))
                ).one()
                theirs = (
                    await c.execute(sa.select(deals.c.id).where(deals.c.person_id == person))
                ).all()
                if owner is not None and await _worked_by_others(c, person, owner):
                    return ClientEdit(changed=False, shared=True)
                if before == value:
                    return ClientEdit(changed=False)
                if value is not None and field in (ClientField.PHONE, ClientField.EMAIL):
                    holder = (
                        await c.execute(
                            sa.select(people.c.id).where(column == value, people.c.id != person)
                        )
                    ).scalar()
                    if holder is not None:
                        return ClientEdit(
                            changed=False, held=True, held_deal=await _latest_deal(c, holder)
                        )
                await c.execute(
                    people.update()
                    .where(people.c.id == person)
                    .values({field.value: value, "updated_at": now})
                )
                change = {"field": field.value, "from": before, "to": value}
                await c.execute(
                    events.insert(),
                    [
                        event_row("field_changed", change, now, deal_id=theirs_id,
                                  person_id=person, actor_telegram_id=actor)
                        for (theirs_id,) in theirs
                    ],
                )  # fmt: skip
        except IntegrityError:  # taken by another client between the check and the write
            return ClientEdit(changed=False, held=True)
        return ClientEdit(changed=True)

    async def set_manual_source(
        self,
        deal_id: int,
        channel: Channel,
        initiative: Initiative,
        points: int,
        actor: int,
        now: datetime,
    ) -> bool:
        brought_in = sa.exists().where(
            touch_points.c.deal_id == deal_id, touch_points.c.kind == "outbound"
        )
        manual = sa.and_(
            deals.c.id == deal_id,
            deals.c.source_payload == "",
            deals.c.status == DealStatus.OPEN.value,  # a closed deal's source is in the reports
            brought_in,
        )
        async with self._engine.begin() as c:
            before = (
                await c.execute(
                    sa.select(
                        deals.c.channel, deals.c.initiative, deals.c.score, deals.c.score_reasons
                    ).where(manual)
                )
            ).first()
            if before is None:
                return False
            if (before.channel, before.initiative) == (channel.value, initiative.value):
                return True  # pressed again: nothing changes
            # the channel's points replace the old channel's; a form's answers keep theirs
            kept = [r for r in before.score_reasons or [] if r.get("factor") != "channel"]
            old_points = sum(
                int(r.get("points") or 0)
                for r in before.score_reasons or []
                if r.get("factor") == "channel"
            )
            reasons = [*kept, {"factor": "channel", "value": channel.value, "points": points}]
            await c.execute(
                deals.update()
                .where(deals.c.id == deal_id)
                .values(
                    channel=channel.value,
                    initiative=initiative.value,
                    score=before.score - old_points + points,
                    score_reasons=reasons,
                )
            )
            await c.execute(
                touch_points.update()
                .where(touch_points.c.deal_id == deal_id, touch_points.c.kind == "outbound")
                .values(channel=channel.value, initiative=initiative.value)
            )
            change = {
                "from": [before.channel, before.initiative],
                "to": [channel.value, initiative.value],
            }
            await c.execute(
                events.insert().values(
                    **event_row("source_changed", change, now, deal_id=deal_id,
                                actor_telegram_id=actor)
                )
            )  # fmt: skip
        return True

    async def client_worked_by_others(self, deal_id: int, owner: int) -> bool:
        person = sa.select(deals.c.person_id).where(deals.c.id == deal_id).scalar_subquery()
        async with self._engine.connect() as c:
            return await _worked_by_others(c, person, owner)

    async def earlier_answers(self, deal_id: int) -> dict[str, str]:
        person = sa.select(deals.c.person_id).where(deals.c.id == deal_id).scalar_subquery()
        query = (
            sa.select(deal_answers.c.question_id, deal_answers.c.value)
            .select_from(deal_answers.join(deals, deals.c.id == deal_answers.c.deal_id))
            .where(deals.c.person_id == person, deals.c.id != deal_id)
            .order_by(deals.c.id.desc())
        )
        found: dict[str, str] = {}
        async with self._engine.connect() as c:
            for question_id, value in await c.execute(query):
                found.setdefault(question_id, value)
        return found

    async def deal_summary(self, deal_id: int) -> ProspectDeal | None:
        return await self._summary(sa.select().where(deals.c.id == deal_id))

    async def _summary(self, query: sa.Select[Any]) -> ProspectDeal | None:
        async with self._engine.connect() as c:
            row = (
                await c.execute(
                    query.add_columns(
                        deals.c.id,
                        deals.c.manager_telegram_id,
                        deals.c.stage,
                        deals.c.temperature,
                        deals.c.status,
                        people.c.name,
                        people.c.company,
                    )
                    .select_from(deals.join(people, people.c.id == deals.c.person_id))
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        return ProspectDeal(
            row.id,
            row.manager_telegram_id,
            row.name,
            row.company,
            row.stage,
            Temperature(row.temperature),
            DealStatus(row.status),
        )

    async def prospect_chat(self, deal_id: int) -> int | None:
        async with self._engine.connect() as c:
            row = (
                await c.execute(
                    sa.select(people.c.telegram_id)
                    .select_from(deals.join(people, people.c.id == deals.c.person_id))
                    .where(deals.c.id == deal_id)
                )
            ).first()
        return None if row is None else row.telegram_id

    async def last_reply(self, deal_id: int, actor: int) -> datetime | None:
        async with self._engine.connect() as c:
            found = await c.execute(
                sa.select(sa.func.max(events.c.created_at)).where(
                    events.c.deal_id == deal_id,
                    events.c.kind == "message_out",
                    events.c.actor_telegram_id == actor,
                )
            )
            moment: datetime | None = found.scalar()  # max() keeps the column's UTC type
        return moment

    async def has_written(self, deal_id: int) -> bool:
        """Whether the deal's client has written to the bot: sent a request, or a message."""
        person = sa.select(deals.c.person_id).where(deals.c.id == deal_id).scalar_subquery()
        requested = sa.exists().where(
            touch_points.c.person_id == person, touch_points.c.kind == "request"
        )
        wrote = sa.exists().where(
            events.c.kind == "message_in",
            events.c.deal_id.in_(sa.select(deals.c.id).where(deals.c.person_id == person)),
        )
        async with self._engine.connect() as c:
            return bool((await c.execute(sa.select(sa.or_(requested, wrote)))).scalar())

    async def remember_relay(
        self, chat_id: int, message_ids: Iterable[int], deal_id: int, now: datetime
    ) -> None:
        values = [
            {"chat_id": chat_id, "message_id": message_id, "deal_id": deal_id, "created_at": now}
            for message_id in message_ids
        ]
        if values:
            async with self._engine.begin() as c:
                await c.execute(relayed_messages.insert(), values)

    async def relayed_deal(self, chat_id: int, message_id: int) -> int | None:
        async with self._engine.connect() as c:
            row = (
                await c.execute(
                    sa.select(relayed_messages.c.deal_id).where(
                        relayed_messages.c.chat_id == chat_id,
                        relayed_messages.c.message_id == message_id,
                    )
                )
            ).first()
        return None if row is None else row.deal_id


async def _worked_by_others(
    c: AsyncConnection, person: int | sa.ScalarSelect[Any], owner: int
) -> bool:
    """Whether another manager works an open deal of the person (a closed one, or one in the
    shared inbox, is nobody's to guard)."""
    query = sa.select(
        sa.exists().where(
            deals.c.person_id == person,
            deals.c.status == DealStatus.OPEN.value,
            deals.c.manager_telegram_id.is_not(None),
            deals.c.manager_telegram_id != owner,
        )
    )
    return bool((await c.execute(query)).scalar())


async def _latest_deal(c: AsyncConnection, person_id: int) -> int | None:
    query = sa.select(sa.func.max(deals.c.id)).where(deals.c.person_id == person_id)
    latest = (await c.execute(query)).scalar()
    return None if latest is None else int(latest)


def _rows_query() -> sa.Select[Any]:
    return sa.select(
        deals.c.id,
        people.c.name,
        people.c.company,
        deals.c.stage,
        deals.c.temperature,
        deals.c.updated_at,
        deals.c.manager_telegram_id,
        deals.c.status,
    ).select_from(deals.join(people, people.c.id == deals.c.person_id))


def _page_of_deals(
    *extra: sa.ColumnElement[Any],
    where: Sequence[sa.ColumnElement[bool]],
    order: Sequence[sa.ColumnElement[Any]],
    page: int,
) -> sa.Subquery:
    """A page of a list, chosen from deals alone: only its rows meet people (_with_people).
    Joined before the LIMIT, PostgreSQL hashed the whole people table for a manager's ~1,000
    deals."""
    return (
        sa.select(
            deals.c.id,
            deals.c.person_id,
            deals.c.stage,
            deals.c.temperature,
            deals.c.updated_at,
            deals.c.manager_telegram_id,
            deals.c.status,
            *extra,
        )
        .where(*where)
        .order_by(*order)
        .limit(PAGE_SIZE)
        .offset(page * PAGE_SIZE)
        .subquery()
    )


def _with_people(shown: sa.Subquery, *extra: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """The list columns of a page of deals (see _row), its people joined."""
    return sa.select(
        shown.c.id,
        people.c.name,
        people.c.company,
        shown.c.stage,
        shown.c.temperature,
        shown.c.updated_at,
        shown.c.manager_telegram_id,
        shown.c.status,
        *extra,
    ).select_from(shown.join(people, people.c.id == shown.c.person_id))


def _row(row: Any) -> DealRow:  # a Row of the list columns, however the query typed it
    return DealRow(
        row.id,
        row.name,
        row.company,
        row.stage,
        Temperature(row.temperature),
        row.updated_at,
        row.manager_telegram_id,
        DealStatus(row.status),
    )


def _entry(row: Row[Any]) -> HistoryEntry:
    return HistoryEntry(row.id, row.kind, row.data or {}, row.actor_telegram_id, row.created_at)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _reminders_follow(
    c: AsyncConnection, deal_ids: list[int], source: int, target: int
) -> None:
    """The former manager's pending reminders of these deals (their own, speed to lead, and
    those an admin got in their place once they were switched off) go to the new one: the work
    goes with the deal, and the former one is not sent a client that is no longer theirs. The
    admins' escalations stay theirs."""
    await c.execute(
        reminders.update()
        .where(
            reminders.c.deal_id.in_(deal_ids),
            sa.or_(reminders.c.chat_id == source, reminders.c.instead_of == source),
            reminders.c.status == ReminderStatus.PENDING.value,
        )
        .values(chat_id=target, instead_of=None)
    )
