"""A bot wired as in production (our database, our FSM storage), with a recording session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_dispatcher
from bot.config import BusinessConfig, FollowUps, SpeedToLead
from bot.services.reminders import ReminderService
from storage.fsm import SqlStorage
from storage.schema import managers
from tests.fakes import FakeClock, Prospect, RecordingSession, make_bot

ADMIN_ID = 5001


@dataclass
class World:
    engine: AsyncEngine
    config: BusinessConfig
    clock: FakeClock
    session: RecordingSession
    bot: Bot
    dp: Dispatcher

    def prospect(self, **kwargs: object) -> Prospect:
        return Prospect(self.dp, self.bot, self.session, **kwargs)  # type: ignore[arg-type]

    async def saved(self) -> None:
        """Wait until the FSM storage has written what it holds, to read the database."""
        storage = self.dp.storage
        assert isinstance(storage, SqlStorage)
        await storage.flush()

    async def add_manager(
        self, telegram_id: int, name: str, active: bool = True, language: str = "ru"
    ) -> Prospect:
        """A manager as an accepted invitation leaves them (see test_staff for the invitation)."""
        async with self.engine.begin() as connection:
            await connection.execute(
                managers.insert().values(
                    telegram_id=telegram_id, name=name, active=active,
                    created_at=self.clock.now(), updated_at=self.clock.now(),
                )
            )  # fmt: skip
        self.dp["staff"].forget()
        return self.prospect(user_id=telegram_id, first_name=name, username=None, language=language)

    def admin(self) -> Prospect:
        return self.prospect(user_id=ADMIN_ID, first_name="Админ", username="boss")

    async def restart(self) -> World:
        """A fresh Dispatcher and Bot on the same database, as after a process restart (which
        closes the storage, as `salesbot run` does on SIGTERM)."""
        await self.dp.storage.close()
        session = RecordingSession()
        return make_world(self.engine, self.config, self.clock, session)


def make_world(
    engine: AsyncEngine,
    config: BusinessConfig,
    clock: FakeClock,
    session: RecordingSession,
    templates_dir: Path | None = None,
) -> World:
    """`templates_dir`: where uploaded templates are kept (TEMPLATES_DIR), none by default."""
    storage = SqlStorage(engine, now=clock.now)
    _storages.append(storage)
    dp = build_dispatcher(
        config=config,
        engine=engine,
        storage=storage,
        admin_ids=frozenset({ADMIN_ID}),
        clock=clock,
        templates_dir=templates_dir,
    )
    _reminders.append(dp["reminders"])
    return World(engine, config, clock, session, make_bot(session), dp)


_storages: list[SqlStorage] = []
_reminders: list[ReminderService] = []


@pytest.fixture(autouse=True)
async def _close_storages(sqlite_engine: AsyncEngine) -> AsyncIterator[None]:
    """Each world's FSM storage is closed and its lead alerts' batched write finished after
    the test, as at shutdown, before the database goes: a commit still on its way would
    otherwise outlive the test's event loop."""
    yield
    while _reminders:
        await _reminders.pop().stop()
    while _storages:
        await _storages.pop().close()


@pytest.fixture
def world(sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock) -> World:
    return make_world(sqlite_engine, business_config, clock, RecordingSession())


@pytest.fixture
async def quiet_world(
    sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock
) -> AsyncIterator[World]:
    """Without the speed-to-lead ladder, so that only what a test does is in the chats; the
    document workers it may start are stopped after."""
    quiet = business_config.model_copy(
        update={"followups": FollowUps(speed_to_lead=SpeedToLead(temperatures=()))}
    )
    made = make_world(sqlite_engine, quiet, clock, RecordingSession())
    yield made
    made.dp["documents"].close()


QUICK_CHOICES = ("Нужна консультация", "Пока просто", "Пока не знаю", "Telegram", "В любое время")


async def choose_quickly(prospect: Prospect) -> None:
    """Answer the five choice steps with the first answers that come to hand."""
    for label in QUICK_CHOICES:
        await prospect.press(label)


async def skip_to_summary(prospect: Prospect) -> None:
    """From the e-mail question: skip e-mail and company, answer the choices."""
    await prospect.press("Пропустить")
    await prospect.press("Пропустить")
    await choose_quickly(prospect)
