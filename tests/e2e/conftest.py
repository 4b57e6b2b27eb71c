"""The real bot process (`python -m bot run`) against the fake Bot API server, and a prospect."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

import pytest

from bot.settings import Settings
from tests.e2e.fake_api import FakeBotAPI, SentMessage, TgUser

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-abcdef"
ADMIN_ID = 5001
START_TIMEOUT = 30.0  # imports, migrations, getMe, setMyCommands: a few seconds on a slow box
STOP_TIMEOUT = 10.0


class BotProcess:
    """One `python -m bot run` process; its stdout and stderr go to a log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env, self.log_path = env, log_path
        self.process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    def _open_log(self) -> IO[bytes]:
        self._log = self.log_path.open("ab")
        return self._log

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def start(self, api: FakeBotAPI) -> None:
        """Start the process and wait until it long-polls or has set its webhook (or fail with
        its output)."""
        ready = "setWebhook" if self.env.get("WEBHOOK_URL") else "getUpdates"
        polls_before = len(api.method_calls(ready))
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._open_log(),
            stderr=asyncio.subprocess.STDOUT,
        )
        polling = asyncio.create_task(
            api.wait_for_call(ready, polls_before + 1, timeout=START_TIMEOUT)
        )
        exited = asyncio.create_task(self.process.wait())
        done, _ = await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
        if polling not in done:
            polling.cancel()
            raise AssertionError(f"the bot exited before polling:\n{self.output()}")
        exited.cancel()
        if polling.exception() is not None:
            raise AssertionError(f"the bot did not start polling:\n{self.output()}")

    async def stop(self) -> int:
        """SIGTERM, as systemd or Docker would send; SIGKILL if it does not exit in time."""
        process = self.process
        assert process is not None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
        self._close_log()
        assert process.returncode is not None
        return process.returncode


class BotLauncher:
    """Starts bot processes on one database and one fake server; stops them all at teardown."""

    def __init__(self, api: FakeBotAPI, tmp_path: Path) -> None:
        self.api = api
        self.tmp_path = tmp_path
        self.db_path = tmp_path / "e2e.db"
        self.processes: list[BotProcess] = []
        # The shipped configuration, except that one chat may get 20 messages a second: a test
        # user answers at once, where a person takes seconds, and 1/s would only slow the tests
        # (the limit itself is tested in test_sending.py and bench/reminders.py).
        shipped = (ROOT / "config" / "salesbot.yaml").read_text(encoding="utf-8")
        assert "per_chat_per_second: 1\n" in shipped
        self.config_path = tmp_path / "salesbot.yaml"
        self.config_path.write_text(
            shipped.replace("per_chat_per_second: 1\n", "per_chat_per_second: 20\n"),
            encoding="utf-8",
        )

    def env(self) -> dict[str, str]:
        # Every setting is given explicitly, so neither the caller's environment nor a .env
        # file in the working directory can change what the bot runs with.
        names = {name.upper() for name in Settings.model_fields}
        env = {key: value for key, value in os.environ.items() if key.upper() not in names}
        settings = {
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.api.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.db_path}",
            "REDIS_URL": "",
            "ADMIN_IDS": str(ADMIN_ID),
            "TIMEZONE": "Europe/Moscow",
            "DEFAULT_LOCALE": "ru",
            "SALESBOT_CONFIG": str(self.config_path),
            "TEMPLATES_DIR": str(self.db_path.parent / "templates"),
            "WEBHOOK_URL": "",  # long polling
            "WEBHOOK_SECRET": "",
            "WEBHOOK_HOST": "127.0.0.1",
            "WEBHOOK_PORT": "8080",
        }
        assert set(settings) == names, f"set every setting here: {sorted(names - set(settings))}"
        env.update(settings, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
        return env

    async def start(self, **settings: str) -> BotProcess:
        """A process with the settings above, except those given (e.g. WEBHOOK_URL="...")."""
        number = len(self.processes) + 1
        env = self.env()
        assert {name for name in settings} <= set(env), "a setting that does not exist"
        process = BotProcess(env | settings, self.tmp_path / f"bot-{number}.log")
        self.processes.append(process)
        await process.start(self.api)
        return process

    async def stop_all(self) -> None:
        for number, process in enumerate(self.processes, start=1):
            if process.process is not None:
                await process.stop()
            print(f"----- bot process {number} output -----\n{process.output()}")


class Prospect:
    """A Telegram user talking to the bot over the fake server; each action awaits the answer."""

    def __init__(self, api: FakeBotAPI, user: TgUser) -> None:
        self.api, self.user = api, user

    async def _answer(self, mark: int, expect: str) -> SentMessage:
        return await self.api.wait_for_message(self.user.id, contains=expect, since=mark)

    async def send(
        self, text: str, *, expect: str, reply_to: SentMessage | None = None
    ) -> SentMessage:
        """Send `text`; returns the bot's first message after it that contains `expect`."""
        mark = len(self.api.sent)
        await self.api.push_message(self.user, text, reply_to)
        return await self._answer(mark, expect)

    async def share_contact(self, phone: str, *, expect: str) -> SentMessage:
        mark = len(self.api.sent)
        await self.api.push_contact(self.user, phone)
        return await self._answer(mark, expect)

    async def press(self, label: str, *, expect: str) -> SentMessage:
        """Press the inline button whose label contains `label` on the latest keyboard."""
        data, message_id = self.api.button_data(self.user.id, label)
        mark = len(self.api.sent)
        await self.api.push_callback(self.user, data, message_id)
        return await self._answer(mark, expect)

    def since(self, mark: int) -> list[SentMessage]:
        return self.api.messages_to(self.user.id, mark)


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as api:
        yield api


@pytest.fixture
async def launcher(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotLauncher]:
    launcher = BotLauncher(fake_api, tmp_path)
    try:
        yield launcher
    finally:
        await launcher.stop_all()
