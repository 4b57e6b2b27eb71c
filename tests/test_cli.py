"""The operator's commands, run as `salesbot ...` runs them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.cli import main


def test_migrate_tells_the_migrations_it_applies_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    caplog.set_level(logging.INFO)

    assert main(["migrate"]) == 0
    first = [record.getMessage() for record in caplog.records if record.name.startswith("alembic")]
    assert first and all(line.startswith("Running upgrade") for line in first)
    assert any("-> 0001" in line for line in first)

    caplog.clear()
    assert main(["migrate"]) == 0
    assert [r for r in caplog.records if r.name.startswith("alembic")] == []
    assert capsys.readouterr().out.splitlines()[-1] == "Database is up to date."
