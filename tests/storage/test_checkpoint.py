"""SQLite's write-ahead log is moved into the database by a thread of its own, never inside one
of the bot's commits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection

from storage import checkpoint
from storage.db import create_engine, run_unit

ROWS = 3000  # one commit each: at least one page of log each


def wal_bytes(database: Path) -> int:
    return Path(f"{database}-wal").stat().st_size


def note(table: sa.TableClause, number: int) -> Callable[[Connection], None]:
    def unit(connection: Connection) -> None:
        connection.execute(table.insert(), {"text": str(number)})

    return unit


async def wal_size_after_commits(path: Path) -> int:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    table = sa.table("notes", sa.column("text"))
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text("CREATE TABLE notes (text TEXT)"))
        largest = 0
        for number in range(ROWS):
            await run_unit(engine, note(table, number))
            if number % 100 == 0:
                await asyncio.sleep(0.03)  # time for the checkpointer to come round
                largest = max(largest, wal_bytes(path))
        return largest
    finally:
        await engine.dispose()


async def test_the_log_stays_small_while_the_bot_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint, "INTERVAL_SECONDS", 0.01)
    largest = await wal_size_after_commits(tmp_path / "salesbot.db")
    assert largest < 1000 * 4096  # rewound again and again


async def test_without_the_checkpointer_the_bots_commits_leave_the_log_growing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the bot's own connection does not checkpoint at the usual 1,000 pages."""
    monkeypatch.setattr(checkpoint.Checkpointer, "ensure_running", lambda self: None)
    largest = await wal_size_after_commits(tmp_path / "salesbot.db")
    assert largest >= ROWS * 4096 * 0.9
