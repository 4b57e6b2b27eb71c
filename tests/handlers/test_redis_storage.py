"""With REDIS_URL the form lives in Redis (several bot processes); it survives a restart too."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_dispatcher, create_application
from bot.config import BusinessConfig
from bot.settings import load_settings
from storage.schema import people
from tests.fakes import FakeClock, Prospect, RecordingSession, make_bot
from tests.handlers.conftest import skip_to_summary

REDIS_URL = os.environ.get("TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]


def test_redis_url_selects_redis_storage_and_isolation(tmp_path: Path) -> None:
    settings = load_settings(
        _env_file=None,
        redis_url="redis://127.0.0.1:6379/15",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db",
        salesbot_config=ROOT / "config" / "salesbot.yaml",
    )
    app = create_application(settings)
    assert isinstance(app.storage, RedisStorage)
    assert isinstance(app.dispatcher.fsm.events_isolation, RedisEventIsolation)
    assert app.redis is app.storage.redis  # the sending rate is shared through the same client


@pytest.fixture
async def redis_storage() -> AsyncIterator[RedisStorage]:
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    storage = RedisStorage.from_url(REDIS_URL, key_builder=DefaultKeyBuilder(prefix=prefix))
    yield storage
    keys = [key async for key in storage.redis.scan_iter(f"{prefix}:*")]
    if keys:
        await storage.redis.delete(*keys)
    await storage.close()


def prospect_on(
    engine: AsyncEngine, config: BusinessConfig, clock: FakeClock, storage: RedisStorage
) -> Prospect:
    session = RecordingSession()
    dp = build_dispatcher(
        config=config,
        engine=engine,
        storage=storage,
        admin_ids=frozenset({5001}),
        clock=clock,
        events_isolation=RedisEventIsolation(redis=storage.redis),
    )
    return Prospect(dp, make_bot(session), session)


async def test_half_filled_form_in_redis_resumes_after_restart(
    sqlite_engine: AsyncEngine,
    business_config: BusinessConfig,
    clock: FakeClock,
    redis_storage: RedisStorage,
) -> None:
    first = prospect_on(sqlite_engine, business_config, clock, redis_storage)
    await first.send("/start")
    await first.press("Оставить заявку")
    await first.press("Согласен")
    await first.send("Мария")

    second = prospect_on(sqlite_engine, business_config, clock, redis_storage)
    [offer] = await second.send("/start")
    assert "незаконченная заявка" in offer.text
    await second.press("Продолжить")
    await second.press("Отправить мой номер")
    await skip_to_summary(second)
    await second.press("Всё верно")
    async with sqlite_engine.connect() as connection:
        names = (await connection.execute(sa.select(people.c.name))).scalars().all()
    assert names == ["Мария"]
