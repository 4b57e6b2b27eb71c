"""The operator's commands, run as `salesbot ...` runs them."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from urllib.parse import quote

import pytest

from bot import cli
from bot.cli import LOG_FORMAT, main
from bot.logs import hide_secrets
from bot.settings import SettingsError


def test_migrate_tells_the_migrations_it_applies_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    caplog.set_level(logging.INFO)

    assert main(["migrate"]) == 0
    first = [record.getMessage() for record in caplog.records if record.name.startswith("alembic")]
    assert first and all(line.startswith("Running upgrade") for line in first)
    assert not any("\n" in line for line in first)  # one line per migration in the log
    assert any("-> 0001" in line for line in first)

    caplog.clear()
    assert main(["migrate"]) == 0
    assert [r for r in caplog.records if r.name.startswith("alembic")] == []
    assert capsys.readouterr().out.splitlines()[-1] == "Database is up to date."


def test_the_token_never_reaches_the_log() -> None:
    """A dropped connection's error names the request's URL, and a Bot API URL holds the token."""
    token = "123456:ABCdefGhIJKlmnoPQRstuVWXyz0123456789"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        hide_secrets(LOG_FORMAT, token, handlers=[handler])
        log = logging.getLogger("bot.sending")
        url = f"http://127.0.0.1:8081/bot{token}/getUpdates"
        log.warning("getUpdates failed (ClientOSError: Can not write request body for %s)", url)
        try:
            raise OSError(f"connection reset: /bot{quote(token, safe='')}/getMe")
        except OSError:
            log.exception("update failed")
    finally:
        root.removeHandler(handler)
    written = stream.getvalue()
    assert "getUpdates failed" in written and "Traceback" in written
    assert "ABCdefGhIJKlmnoPQRstuVWXyz" not in written
    assert "bot<BOT_TOKEN>/getUpdates" in written


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql+asyncpg://postgres@127.0.0.1:1/salesbot", "Connect call failed"),  # down
        ("sqlite+aiosqlite:///{tmp}/a-file/salesbot.db", "a-file"),  # a file where a folder is
    ],
)
def test_a_database_that_cannot_be_opened_is_named_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    url: str, reason: str,
) -> None:  # fmt: skip
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("DATABASE_URL", url.format(tmp=tmp_path))
    assert main(["migrate"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("DATABASE_URL: cannot open the database") and reason in error
    assert "Traceback" not in error


def test_a_redis_that_does_not_answer_stops_start_up_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Forms in progress live in Redis when it is set: before, the bot started and then failed
    every update."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("BOT_TOKEN", "123456:ABCdefGhIJKlmno")
    monkeypatch.setenv("REDIS_URL", "redis://:secret@127.0.0.1:1/0")
    assert main(["run"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("REDIS_URL: no answer from redis://:***@127.0.0.1:1/0")
    assert "secret" not in error


def test_run_without_a_token_says_how_to_get_one_and_where_it_is_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    assert main(["run"]) == 2
    error = capsys.readouterr().err
    assert "BOT_TOKEN is not set" in error and "@BotFather" in error
    assert "BOT_TOKEN=123456789:AAH..." in error  # what to write into .env
    assert f"in the folder salesbot runs in: {tmp_path}" in error
    assert not (tmp_path / "data").exists()  # it stops before making a database


def test_check_config_notes_what_run_will_still_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("BOT_TOKEN", "ADMIN_IDS", "TEMPLATES_DIR"):
        monkeypatch.delenv(name, raising=False)
    shipped = Path(__file__).resolve().parents[1] / "config" / "salesbot.yaml"
    monkeypatch.setenv("SALESBOT_CONFIG", str(shipped))
    monkeypatch.chdir(tmp_path)  # no .env here
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "OK: settings" in out
    assert "BOT_TOKEN is not set yet" in out and "ADMIN_IDS is empty" in out


def test_an_error_that_stops_start_up_does_not_print_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """stderr is the log under systemd or Docker, and a start-up error may quote the Bot API's
    URL: given with /bot<token> in it, or in an aiohttp error's text."""
    token = "123456:ABCdefGhIJKlmnoPQRstuVWXyz0123456789"
    monkeypatch.setenv("BOT_TOKEN", token)

    def refused(settings: object, migrate: bool) -> int:
        raise SettingsError(f"TELEGRAM_API_URL: cannot reach http://127.0.0.1:1/bot{token}/getMe")

    monkeypatch.setattr(cli, "_run", refused)
    assert main(["run"]) == 2
    error = capsys.readouterr().err
    assert "cannot reach http://127.0.0.1:1/bot<BOT_TOKEN>/getMe" in error
    assert "ABCdefGhIJ" not in error
