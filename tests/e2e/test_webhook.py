"""The real `salesbot run` process with WEBHOOK_URL: Telegram (the fake server) posts updates to
it, and several processes share them through Redis."""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
from pathlib import Path

import pytest
from aiohttp import ClientSession
from redis.asyncio import Redis

from bot.app import run_bot
from bot.settings import SettingsError, load_settings
from tests.e2e.conftest import ADMIN_ID, TOKEN, BotLauncher, Prospect
from tests.e2e.fake_api import FakeBotAPI, TgUser
from tests.e2e.test_polling import first_half, second_half, stored_deals

REDIS_URL = os.environ.get("TEST_REDIS_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_settings(port: int, **more: str) -> dict[str, str]:
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_PORT": str(port),
        **more,
    }


async def test_a_prospect_completes_the_form_through_a_webhook(
    fake_api: FakeBotAPI, launcher: BotLauncher
) -> None:
    port = free_port()
    bot = await launcher.start(**webhook_settings(port))
    [set_webhook] = fake_api.method_calls("setWebhook")
    secret = set_webhook.params["secret_token"]
    assert set_webhook.params["url"] == f"http://127.0.0.1:{port}/telegram"
    assert TOKEN.split(":")[1] not in secret and len(secret) >= 32  # derived, not the token
    assert "callback_query" in set_webhook.params["allowed_updates"]
    async with ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200
        # a post without Telegram's secret (anyone who found the address) is refused
        forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/start",
                                                "chat": {"id": 1, "type": "private"},
                                                "from": {"id": 1, "is_bot": False,
                                                         "first_name": "X"}}}  # fmt: skip
        async with http.post(f"http://127.0.0.1:{port}/telegram", json=forged) as refused:
            assert refused.status == 401

    prospect = Prospect(fake_api, TgUser(id=1001, first_name="Анна", username="anna"))
    await first_half(prospect)
    await second_half(prospect)
    alert = await fake_api.wait_for_message(ADMIN_ID, contains="Новый лид")
    assert "Реклама ВКонтакте" in alert.text
    assert stored_deals(launcher.db_path) == [("hot", "vk_ads")]
    assert fake_api.messages_to(1) == []  # the forged update was never handled
    assert not fake_api.method_calls("getUpdates")

    assert await bot.stop() == 0
    # the webhook stays: other processes behind the same address go on serving it
    assert not fake_api.method_calls("deleteWebhook") and fake_api.webhook is not None


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")
async def test_two_processes_share_one_webhook(fake_api: FakeBotAPI, launcher: BotLauncher) -> None:
    """Behind a load balancer each update goes to either process: the form goes on whichever
    gets the next step, and the lead is stored and announced once."""
    assert REDIS_URL is not None
    async with Redis.from_url(REDIS_URL) as client:  # a form left by an earlier failed run
        for key in await client.keys("fsm:1003:*"):
            await client.delete(key)
    ports = free_port(), free_port()
    redis = {"REDIS_URL": REDIS_URL}
    for port in ports:
        await launcher.start(**webhook_settings(port, **redis))
    fake_api.webhook_targets = [f"http://127.0.0.1:{port}/telegram" for port in ports]

    prospect = Prospect(fake_api, TgUser(id=1003, first_name="Анна"))
    await first_half(prospect)
    await second_half(prospect)

    await fake_api.wait_for_message(ADMIN_ID, contains="Новый лид")
    served = {target for target, _, status in fake_api.webhook_posts if status == 200}
    assert served == set(fake_api.webhook_targets)  # both processes handled the form's steps
    assert stored_deals(launcher.db_path) == [("hot", "vk_ads")]
    alerts = [m for m in fake_api.messages_to(ADMIN_ID) if "Новый лид" in m.text]
    assert len(alerts) == 1
    with sqlite3.connect(launcher.db_path) as connection:
        assert connection.execute("select count(*) from people").fetchone() == (1,)


async def test_a_port_taken_stops_start_up_naming_the_setting(
    fake_api: FakeBotAPI, sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """In this process, as `salesbot run` would: the start-up stops with the setting named, and
    the scheduler's first jobs, started meanwhile, finish before the database closes (they
    logged a traceback each)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        settings = load_settings(
            _env_file=None, bot_token=TOKEN, telegram_api_url=fake_api.url,
            database_url=sqlite_url, admin_ids=frozenset({ADMIN_ID}),
            templates_dir=tmp_path / "templates", redis_url=None,
            webhook_url=f"http://127.0.0.1:{port}/telegram", webhook_port=port,
        )  # fmt: skip
        with pytest.raises(SettingsError) as stopped:
            await run_bot(settings)
    assert f"WEBHOOK_HOST, WEBHOOK_PORT: cannot listen on 127.0.0.1:{port}" in str(stopped.value)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
