"""The migrations build exactly the schema the code declares, and carry the data forward."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.staff import StaffService
from storage.db import create_engine
from storage.migrate import alembic_config
from storage.schema import managers, metadata, staff_settings
from storage.staff import SqlStaffRepository
from tests.conftest import PG_URL, pg_engine_for


async def test_migrated_database_matches_the_declared_schema(engine: AsyncEngine) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            diff
            for diff in compare_metadata(context, metadata)
            if not (
                isinstance(diff, tuple)
                and diff[0] == "remove_table"
                and diff[1].name == "alembic_version"
            )
        ]

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """A database of its own, with no schema yet (migrated step by step by the test)."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
        yield engine
        await engine.dispose()
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    schema = f"m_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    async with admin.begin() as connection:
        await connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = pg_engine_for(schema)
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def migrate_to(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def test_managers_who_joined_before_staff_languages_keep_the_language_they_joined_with(
    empty_engine: AsyncEngine,
) -> None:
    await migrate_to(empty_engine, "0009")
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    joined = {"active": True, "created_at": now, "updated_at": now}
    async with empty_engine.begin() as connection:
        await connection.execute(
            managers.insert(),
            [
                {"telegram_id": 7001, "name": "Oleg", "language": "en", **joined},
                {"telegram_id": 7002, "name": "Ира", "language": "ru", **joined},
                {"telegram_id": 7003, "name": "Пётр", "language": None, **joined},
            ],
        )
        await connection.execute(  # Ира had set her time zone already
            staff_settings.insert().values(
                telegram_id=7002, timezone="Asia/Yekaterinburg", updated_at=now
            )
        )
    await migrate_to(empty_engine, "head")

    staff = StaffService(SqlStaffRepository(empty_engine), frozenset(), invite_hours=48)
    assert await staff.locale(7001) == "en"
    assert await staff.locale(7002) == "ru" and await staff.locale(7003) == "ru"
    assert (await staff.schedule(7002)).own.timezone == "Asia/Yekaterinburg"
