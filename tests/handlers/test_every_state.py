"""Hostile input in every state of every conversation. The house rule: bad input always gets a
clear answer and loses nothing. Each FSM state is reached through real presses and commands,
then one unexpected input is sent: nothing may crash, the user must be answered, the state must
stay and nothing may be stored. One table says how each state is reached, another what is sent."""

from __future__ import annotations

import itertools
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Location, Message

from bot.app import build_dispatcher
from bot.config import BusinessConfig, FollowUps, SpeedToLead
from bot.states import DealWork, LeadForm, StaffInput
from storage.db import create_engine
from storage.fsm import SqlStorage
from storage.schema import (
    deal_answers,
    deal_discounts,
    deal_items,
    deals,
    events,
    people,
    reminders,
    staff_settings,
)
from tests.fakes import FakeClock, Prospect, RecordingSession, Sent, make_bot
from tests.handlers.conftest import ADMIN_ID, World

# One bot for the whole sweep, each test with people of its own: a database and a Dispatcher
# per test would cost more than the test itself.
pytestmark = pytest.mark.asyncio(loop_scope="module")

SERIAL = itertools.count(1)
CLIENTS, STAFF = 100_000, 200_000  # Telegram ids: prospects' (and clients') from, managers' from


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot_world(
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    business_config: BusinessConfig,
) -> AsyncIterator[World]:
    """Wired as conftest's `quiet_world` (no speed-to-lead ladder), for the module."""
    path = tmp_path_factory.mktemp("every_state") / "salesbot.db"
    shutil.copy(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    quiet = business_config.model_copy(
        update={"followups": FollowUps(speed_to_lead=SpeedToLead(temperatures=()))}
    )
    clock, session = FakeClock(), RecordingSession()
    storage = SqlStorage(engine, now=clock.now)
    dp = build_dispatcher(
        config=quiet, engine=engine, storage=storage, admin_ids=frozenset({ADMIN_ID}), clock=clock
    )
    yield World(engine, quiet, clock, session, make_bot(session), dp)
    await storage.close()
    dp["documents"].close()
    await engine.dispose()


# --- how each state is reached ---------------------------------------------------------------
# A step is a button's label to press, "/command" or "=text" to send.

FORM_PATH = (
    "/start", "Оставить заявку", "Согласен", "=Анна", "=+79161234567", "Пропустить",
    "Пропустить", "Нужна консультация", "Пока просто", "Пока не знаю", "Telegram",
    "В любое время",
)  # fmt: skip
# The form's states in order: consent after the first two steps, each next one a step further.
ROUTES: dict[State, tuple[str, ...]] = {
    state: FORM_PATH[: index + 2] for index, state in enumerate(LeadForm.__all_states__)
}
# Staff: a manager whose new deal (a shared contact of the client's) shows its card.
ROUTES |= {
    DealWork.answering: ("Следующий этап", "Ответить и перейти"),  # "did you reach them?"
    DealWork.objection: ("Возражение", "Другое"),
    DealWork.activity: ("Звонок /", "📞 Звонок"),
    DealWork.amount: ("Сумма",),
    DealWork.next_step: ("Следующий шаг",),
    DealWork.lost_reason: ("Проиграна", "Другое"),
    DealWork.reply: ("Написать клиенту",),
    DealWork.remind: ("Напомнить",),
    DealWork.offer_quantity: ("КП / счёт", "Добавить из каталога", "Консультация эксперта", "🔢"),
    DealWork.offer_discount: ("КП / счёт", "Скидка"),
    DealWork.offer_validity: ("КП / счёт", "Срок действия"),
    DealWork.client_field: ("Клиент", "Телефон"),
    StaffInput.search: ("/search",),
    StaffInput.timezone: ("/settings", "Часовой пояс"),
    StaffInput.hours: ("/settings", "Рабочие часы"),
    StaffInput.lead_name: ("/newlead",),
    StaffInput.lead_phone: ("/newlead", "=Иван Петров"),
}
assert set(ROUTES) == {
    *LeadForm.__all_states__,
    *DealWork.__all_states__,
    *StaffInput.__all_states__,
}, "a state without a route"


async def reach(world: World, state: State, serial: int) -> Prospect:
    """The prospect (or a manager with a deal of that prospect's) in `state`."""
    client = CLIENTS + serial
    if state.group is LeadForm:
        actor = world.prospect(user_id=client)
    else:
        actor = await world.add_manager(STAFF + serial, "Олег")
        await actor.share_contact(f"+7916{serial:07d}", owner_id=client, first_name="Анна")
    for step in ROUTES[state]:
        if step.startswith("/"):
            await actor.send(step)
        elif step.startswith("="):
            await actor.send(step[1:])
        else:
            await actor.press(step)
    assert await context(world, actor).get_state() == state.state, "not reached"
    return actor


# --- what is sent ----------------------------------------------------------------------------

Input = Callable[[Prospect], Awaitable[list[Sent]]]


async def location(actor: Prospect) -> list[Sent]:
    where = Location(latitude=55.75, longitude=37.61)
    return await actor._feed(message=actor._message(location=where))


async def edited(actor: Prospect) -> list[Sent]:
    """The actor's first message, typed over half a minute after it was sent."""
    sent = datetime.now(UTC)
    message = Message(
        message_id=1, date=sent, edit_date=int(sent.timestamp()) + 30, chat=actor.chat,
        from_user=actor.user, text="Исправленный текст",
    )  # fmt: skip
    return await actor._feed(edited_message=message)


def forged(prospects: str, staff: str) -> Input:
    """A press of a button nobody was shown, under the bot's last message."""

    async def press(actor: Prospect) -> list[Sent]:
        data = staff if actor.user.id >= STAFF else prospects
        return await actor.callback(data, actor.last().message_id)

    return press


INPUTS: dict[str, Input] = {
    "sticker": Prospect.send_sticker,
    "photo": Prospect.send_photo,
    "document": lambda actor: actor.send_document(b"just some notes", "notes.txt"),
    "voice": Prospect.send_voice,
    "foreign_contact": lambda actor: actor.share_contact("+79037654321", 999, "Чужой"),
    "location": location,
    "long_text": lambda actor: actor.send("Я" * 5000),
    "emoji_text": lambda actor: actor.send("🙂🎉👍"),
    "blank_text": lambda actor: actor.send(" \u200b\u2063 \n \u200b "),
    "cb_zzz": forged("zzz", "zzz"),
    # a known prefix whose fields do not unpack
    "cb_garbage": forged("form:zzz", "d:zzz:abc:zzz"),
    # well formed, about what does not exist: a choice of no step, a deal of nobody's
    "cb_forged": forged("pick:need:zzz", "d:open:999999:"),
    "edited": edited,
}

# Legitimate answers: the state is meant to move on with them, so the pair is no hostile input.
COPIED = "a reply to the client is copied to them as it is: text, photo, file, voice, sticker…"
COPIED_KINDS = ("sticker", "photo", "document", "voice", "foreign_contact", "location")
LEGITIMATE: dict[tuple[State, str], str] = {
    (DealWork.activity, "voice"): "a call's or meeting's summary may be a voice note",
    **dict.fromkeys(
        ((DealWork.reply, kind) for kind in (*COPIED_KINDS, "long_text", "emoji_text")), COPIED
    ),
    (DealWork.client_field, "foreign_contact"): "the client's phone from the phone book",
    (StaffInput.lead_name, "foreign_contact"): "a shared contact brings the lead in",
    (StaffInput.lead_phone, "foreign_contact"): "a shared contact brings the lead in",
}


def cases() -> list[object]:
    """Every state with every input, but the legitimate answers (tested where they belong)."""
    return [
        pytest.param(state, kind, id=f"{state.state}-{kind}")
        for state in ROUTES
        for kind in INPUTS
        if (state, kind) not in LEGITIMATE
    ]


# --- the check -------------------------------------------------------------------------------


def context(world: World, actor: Prospect) -> FSMContext:
    return world.dp.fsm.get_context(bot=world.bot, chat_id=actor.chat.id, user_id=actor.user.id)


async def snapshot(world: World, actor: Prospect, client: int) -> tuple[object, ...]:
    """The conversation's state and data (the form's draft), and what the database holds of the
    client, their deals and the actor's settings."""
    fsm = context(world, actor)
    person = sa.select(people.c.id).where(people.c.telegram_id == client)
    deal = sa.select(deals.c.id).where(deals.c.person_id.in_(person))
    wheres = (
        (people, people.c.id.in_(person)),
        (deals, deals.c.id.in_(deal)),
        (events, events.c.person_id.in_(person) | events.c.deal_id.in_(deal)),
        (reminders, reminders.c.deal_id.in_(deal)),
        (deal_answers, deal_answers.c.deal_id.in_(deal)),
        (deal_items, deal_items.c.deal_id.in_(deal)),
        (deal_discounts, deal_discounts.c.deal_id.in_(deal)),
        (staff_settings, staff_settings.c.telegram_id == actor.user.id),
    )
    async with world.engine.connect() as connection:
        stored = [list(await connection.execute(sa.select(t).where(w))) for t, w in wheres]
    return await fsm.get_state(), await fsm.get_data(), *stored


@pytest.mark.parametrize(("state", "kind"), cases())
async def test_hostile_input_is_answered_and_changes_nothing(
    bot_world: World, caplog: pytest.LogCaptureFixture, state: State, kind: str
) -> None:
    world, serial = bot_world, next(SERIAL)
    actor = await reach(world, state, serial)
    before = await snapshot(world, actor, CLIENTS + serial)
    calls = len(world.session.calls)
    caplog.clear()

    sent = await INPUTS[kind](actor)

    crashes = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not crashes, [record.getMessage() for record in crashes]  # "salesbot.errors" too
    internal = {world.dp["catalogue"].text(locale, "err_internal") for locale in ("ru", "en")}
    assert not [message for message in sent if message.text in internal]
    told = [
        call.text
        for call in world.session.calls[calls:]
        if isinstance(call, AnswerCallbackQuery) and call.text
    ]
    assert sent or told, "silence"
    after = await snapshot(world, actor, CLIENTS + serial)
    seen = [message.text[:80] for message in sent] + told
    assert after[0] == before[0], f"taken: the state went to {after[0]}; the user saw {seen}"
    assert after[1:] == before[1:], f"stored; the user saw {seen}"
