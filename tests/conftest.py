"""Shared fixtures: migrated databases (SQLite always, PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import BusinessConfig, load_business_config
from storage.db import create_engine
from storage.migrate import upgrade_engine
from storage.schema import metadata
from tests.fakes import FakeClock

ROOT = Path(__file__).resolve().parent.parent


def run_aside(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run set-up work on a loop of its own (a fixture may be created inside a running loop)."""
    with ThreadPoolExecutor(1) as executor:
        executor.submit(asyncio.run, coroutine).result()


PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def business_config() -> BusinessConfig:
    return load_business_config(ROOT / "config" / "salesbot.yaml")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("db") / "template.db"

    async def migrate() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade_engine(engine)
        await engine.dispose()

    run_aside(migrate())
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "salesbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A fresh schema for this run in the TEST_DATABASE_URL database, migrated once."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"

    async def setup() -> None:
        engine = create_engine(PG_URL)
        async with engine.begin() as connection:
            await connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        await engine.dispose()
        engine = pg_engine_for(schema)
        await upgrade_engine(engine)
        await engine.dispose()

    async def teardown() -> None:
        engine = create_engine(PG_URL)
        async with engine.begin() as connection:
            await connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()

    run_aside(setup())
    yield schema
    run_aside(teardown())


def pg_engine_for(schema: str) -> AsyncEngine:
    assert PG_URL
    return create_engine(PG_URL, connect_args={"server_settings": {"search_path": schema}})


@pytest.fixture
async def pg_engine(pg_schema: str) -> AsyncIterator[AsyncEngine]:
    engine = pg_engine_for(pg_schema)
    async with engine.begin() as connection:
        names = ", ".join(table.name for table in metadata.sorted_tables)
        await connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield engine
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> AsyncEngine:
    """Storage tests run on both databases (PostgreSQL only when TEST_DATABASE_URL is set)."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    result: AsyncEngine = request.getfixturevalue(name)
    return result
