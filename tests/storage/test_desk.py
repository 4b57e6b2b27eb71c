"""The desk and staff repositories on a real database (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import BusinessConfig
from bot.domain.desk import DealFilter, Role, Viewer
from bot.domain.models import Channel, Initiative, Temperature
from bot.services.desk import ClientField, DeskService, NoAccess, TakeResult
from bot.services.lead_capture import OutboundLead
from bot.services.staff import InviteResult, NewManager, StaffService
from storage.desk import SqlDeskRepository
from storage.schema import deal_answers, deals, people
from storage.staff import SqlStaffRepository
from tests.storage.test_leads import NOW, service

ADMIN = Viewer(1, Role.ADMIN)
OLEG, IRA = Viewer(7001, Role.MANAGER), Viewer(7002, Role.MANAGER)


async def outbound(engine: AsyncEngine, config: BusinessConfig, manager: int, n: int) -> int:
    lead = OutboundLead(manager, f"Клиент {n}", f"+7903555{n:04d}")
    return (await service(engine, config).create_outbound(lead, NOW)).deal.id


async def test_exactly_one_of_two_concurrent_takes_wins(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await outbound(engine, business_config, 7001, 1)
    async with engine.begin() as connection:
        await connection.execute(deals.update().values(manager_telegram_id=None))
    desk = DeskService(SqlDeskRepository(engine))
    results = await asyncio.gather(
        desk.take(OLEG, deal_id, NOW), desk.take(IRA, deal_id, NOW), return_exceptions=True
    )
    assert sorted(str(r) for r in results) == ["taken", "taken_by_other"]
    card = await desk.card(ADMIN, deal_id)
    winner = OLEG if results[0] is TakeResult.TAKEN else IRA
    assert card.deal.manager_telegram_id == winner.telegram_id
    assert card.history[0].kind == "deal_taken"


async def test_lists_are_scoped_sorted_and_filtered(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    ids = [await outbound(engine, business_config, 7001, n) for n in range(10)]
    await outbound(engine, business_config, 7002, 99)
    async with engine.begin() as connection:
        await connection.execute(
            deals.update().where(deals.c.id == ids[5]).values(temperature="hot")
        )
        await connection.execute(
            deals.update().where(deals.c.id == ids[7]).values(updated_at=NOW - timedelta(days=3))
        )
    desk = DeskService(SqlDeskRepository(engine))
    first = await desk.page(OLEG, DealFilter(), 0)
    assert (first.total, first.pages, len(first.rows)) == (10, 2, 8)
    assert [row.id for row in first.rows[:2]] == [ids[5], ids[7]]  # hot, then the longest idle
    assert len((await desk.page(OLEG, DealFilter(), 1)).rows) == 2
    hot = await desk.page(OLEG, DealFilter(temperature=Temperature.HOT), 0)
    assert [row.id for row in hot.rows] == [ids[5]]
    assert (await desk.page(ADMIN, DealFilter(), 0)).total == 11
    assert (await desk.page(OLEG, DealFilter(stage="closing"), 0)).total == 0
    found = await desk.search(OLEG, "8 903 555 0003")
    assert [row.id for row in found] == [ids[3]]
    assert await desk.search(OLEG, "клиент 99") == []  # Ира's
    assert [row.id for row in await desk.search(IRA, "КЛИЕНТ 99")] != []


async def test_search_reads_words_in_any_order_ё_as_е_and_a_phones_last_digits(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    leads = service(engine, business_config)
    found_deal = (
        await leads.create_outbound(OutboundLead(7001, "Сидоров Пётр", "+79035554433"), NOW)
    ).deal.id
    await leads.create_outbound(OutboundLead(7001, "Анна Смирнова", "+79164433000"), NOW)
    desk = DeskService(SqlDeskRepository(engine))
    for query in ("петр", "Пётр Сидоров", "петр сидоров", "СИДОРОВ", "4433"):
        assert [row.id for row in await desk.search(OLEG, query)] == [found_deal], query
    assert await desk.search(OLEG, "петр иванов") == []  # every word, not any
    assert len(await desk.search(OLEG, "916 443")) == 1  # a longer piece: anywhere
    assert [row.id for row in await desk.search(OLEG, "+7 903")] == [found_deal]  # its start


async def test_a_won_deal_waits_below_the_open_ones(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    won, cold = [await outbound(engine, business_config, 7001, n) for n in (1, 2)]
    async with engine.begin() as connection:
        await connection.execute(
            deals.update().where(deals.c.id == won).values(status="won", temperature="hot")
        )
    desk = DeskService(SqlDeskRepository(engine))
    assert [row.id for row in (await desk.page(OLEG, DealFilter(), 0)).rows] == [cold, won]


async def test_access_is_checked_on_every_change(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await outbound(engine, business_config, 7001, 1)
    desk = DeskService(SqlDeskRepository(engine))
    for attempt in (
        desk.card(IRA, deal_id),
        desk.set_next_step(IRA, deal_id, "x", NOW),
        desk.set_client_field(IRA, deal_id, ClientField.NAME, "x", NOW),
        desk.reassign(OLEG, deal_id, 7002, NOW),
        desk.card(OLEG, deal_id + 100),
    ):
        try:
            await attempt
        except NoAccess:
            continue
        raise AssertionError("not refused")
    assert await desk.reassign(ADMIN, deal_id, 7002, NOW) == 7001
    assert (await desk.card(IRA, deal_id)).deal.manager_telegram_id == 7002


async def test_a_clients_phone_or_email_is_never_given_to_two_clients(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    first = await outbound(engine, business_config, 7001, 1)
    second = await outbound(engine, business_config, 7001, 2)
    desk = DeskService(SqlDeskRepository(engine))
    held = await desk.set_client_field(OLEG, first, ClientField.PHONE, "+79035550002", NOW)
    assert (held.changed, held.held, held.held_deal) == (False, True, second)
    # the same new e-mail for both at once: one gets it, the other is told it is held
    results = await asyncio.gather(
        desk.set_client_field(OLEG, first, ClientField.EMAIL, "a@b.ru", NOW),
        desk.set_client_field(OLEG, second, ClientField.EMAIL, "a@b.ru", NOW),
    )
    assert sorted((r.changed, r.held) for r in results) == [(False, True), (True, False)]
    emails = [(await desk.card(OLEG, d)).person.email for d in (first, second)]
    assert sorted(emails, key=str) == sorted(["a@b.ru", None], key=str)
    if engine.dialect.name == "postgresql":  # one connection on SQLite: no race to lose
        # taken by another transaction between the check and the write: held, not an error
        other_person = (await desk.card(OLEG, second)).person.id
        async with engine.connect() as other:
            await other.begin()
            await other.execute(
                people.update().where(people.c.id == other_person).values(email="c@d.ru")
            )
            edit = asyncio.create_task(
                desk.set_client_field(OLEG, first, ClientField.EMAIL, "c@d.ru", NOW)
            )
            await asyncio.sleep(0.3)
            assert not edit.done()  # waits on the other's row
            await other.commit()
        raced = await edit
        assert (raced.changed, raced.held) == (False, True)
    again = await desk.set_client_field(OLEG, first, ClientField.COMPANY, None, NOW)
    assert not again.changed  # there was none
    changed = await desk.set_client_field(OLEG, first, ClientField.NAME, "Иван", NOW)
    assert changed.changed and (await desk.card(OLEG, first)).person.name == "Иван"
    entry = (await desk.card(OLEG, first)).history[0]
    assert (entry.kind, entry.data) == (
        "field_changed", {"field": "name", "from": "Клиент 1", "to": "Иван"},
    )  # fmt: skip


async def test_a_clients_earlier_deals_answers_newest_first(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    first = await outbound(engine, business_config, 7001, 1)
    answers = [("problems", "старая"), ("priority", "saving")]
    async with engine.begin() as connection:
        await connection.execute(
            deal_answers.insert(),
            [
                {"deal_id": first, "question_id": q, "value": v, "answered_at": NOW}
                for q, v in answers
            ],
        )
        await connection.execute(deals.update().values(status="won"))
    second = await outbound(engine, business_config, 7001, 1)  # the same phone: a repeat sale
    async with engine.begin() as connection:
        await connection.execute(
            deal_answers.insert().values(
                deal_id=second, question_id="problems", value="новая", answered_at=NOW
            )
        )
        await connection.execute(deals.update().values(status="lost"))
    third = await outbound(engine, business_config, 7001, 1)
    desk = DeskService(SqlDeskRepository(engine))
    assert await desk.earlier_answers(OLEG, third) == {"problems": "новая", "priority": "saving"}
    assert await desk.earlier_answers(OLEG, first) == {"problems": "новая"}
    other = await outbound(engine, business_config, 7001, 2)  # another client: nothing
    assert await desk.earlier_answers(OLEG, other) == {}


async def test_a_manual_leads_source_is_set_and_a_linked_ones_is_not(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await outbound(engine, business_config, 7001, 1)
    desk = DeskService(SqlDeskRepository(engine))
    assert await desk.set_manual_source(OLEG, deal_id, Channel.NETS, Initiative.INBOUND, 30, NOW)
    card = await desk.card(OLEG, deal_id)
    assert (card.deal.channel, card.deal.initiative, card.deal.score) == ("nets", "inbound", 30)
    assert card.history[0].kind == "source_changed"
    async with engine.begin() as connection:  # as if it had come by a link
        await connection.execute(deals.update().values(source_payload="vk_ads"))
    assert not await desk.set_manual_source(
        OLEG, deal_id, Channel.SEEDS, Initiative.INBOUND, 10, NOW
    )
    assert (await desk.card(OLEG, deal_id)).deal.channel == "nets"


async def test_an_invitation_is_redeemed_once_even_at_once(engine: AsyncEngine) -> None:
    staff = StaffService(SqlStaffRepository(engine), frozenset({1}), invite_hours=48)
    token, _ = await staff.invite(1, NOW)
    results = await asyncio.gather(
        staff.redeem(token, NewManager(7001, "Олег", None, "ru"), NOW),
        staff.redeem(token, NewManager(7002, "Ира", None, "ru"), NOW),
    )
    assert sorted(results) == [InviteResult.JOINED, InviteResult.USED]
    assert len(await staff.managers()) == 1
    assert await staff.redeem("nonsense", NewManager(7003, "X", None, None), NOW) == (
        InviteResult.UNKNOWN
    )
    later, _ = await staff.invite(1, NOW)
    expired = await staff.redeem(later, NewManager(7003, "X", None, None), NOW + timedelta(days=3))
    assert expired is InviteResult.EXPIRED
    async with engine.connect() as connection:
        stored = (await connection.execute(sa.text("SELECT token_hash FROM invites"))).scalars()
        assert token not in list(stored)  # only a hash is kept

    withdrawn, _ = await staff.invite(1, NOW)
    assert await staff.revoke_invite(staff.invite_key(withdrawn), NOW)
    assert not await staff.revoke_invite(staff.invite_key(withdrawn), NOW)  # once
    assert not await staff.revoke_invite(staff.invite_key(token), NOW)  # used: stays so
    later_still = NOW + timedelta(seconds=1)
    refused = await staff.redeem(withdrawn, NewManager(7004, "Y", None, None), later_still)
    assert refused is InviteResult.EXPIRED


async def test_a_clients_message_is_not_work_on_the_deal(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await outbound(engine, business_config, 7001, 1)
    desk = DeskService(SqlDeskRepository(engine))
    later = NOW + timedelta(days=2)
    await desk.log_message(deal_id, True, {"text": "Ау?"}, 1001, later)
    assert (await desk.card(OLEG, deal_id)).deal.updated_at == NOW  # still waiting since NOW
    await desk.log_message(deal_id, False, {"text": "Здравствуйте"}, 7001, later)
    assert (await desk.card(OLEG, deal_id)).deal.updated_at == later


async def test_the_last_reply_is_each_members_own_in_utc(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await outbound(engine, business_config, 7001, 1)
    desk = DeskService(SqlDeskRepository(engine))
    assert await desk.last_reply(deal_id, 7001) is None
    later = NOW + timedelta(hours=5)
    await desk.log_message(deal_id, False, {"text": "Здравствуйте"}, 7001, NOW)
    await desk.log_message(deal_id, False, {"text": "Напомню"}, 7001, later)
    await desk.log_message(deal_id, True, {"text": "Спасибо"}, 1001, later + timedelta(hours=1))
    replied = await desk.last_reply(deal_id, 7001)
    assert replied == later and replied is not None and replied.utcoffset() == timedelta(0)
    assert await desk.last_reply(deal_id, 7002) is None  # another member of staff's is theirs


async def test_the_bot_may_write_to_a_client_only_after_they_wrote(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    lead = OutboundLead(7001, "Пётр", "+79035550001", telegram_id=3003)  # a shared contact
    deal_id = (await service(engine, business_config).create_outbound(lead, NOW)).deal.id
    desk = DeskService(SqlDeskRepository(engine))
    assert await desk.prospect_chat(OLEG, deal_id) == 3003
    assert await desk.open_chat(OLEG, deal_id) is None  # a bot cannot write first
    await desk.log_message(deal_id, True, {"text": "Здравствуйте"}, 3003, NOW)
    assert await desk.open_chat(OLEG, deal_id) == 3003


async def test_handover_moves_open_deals_only(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    first = await outbound(engine, business_config, 7001, 1)
    closed = await outbound(engine, business_config, 7001, 2)
    async with engine.begin() as connection:
        await connection.execute(deals.update().where(deals.c.id == closed).values(status="lost"))
    desk = DeskService(SqlDeskRepository(engine))
    assert await desk.handover(ADMIN, 7001, 7002, NOW) == [first]
    assert (await desk.card(ADMIN, closed)).deal.manager_telegram_id == 7001
    assert await desk.handover(ADMIN, 7001, 7002, NOW) == []
