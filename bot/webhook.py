"""Updates posted by Telegram to WEBHOOK_URL: what lets several processes share one bot (long
polling serves one process at a time), each behind the same load balancer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.settings import Settings, SettingsError

log = logging.getLogger("salesbot")

HEALTH_PATH = "/healthz"  # for a load balancer's checks: 200 while the process serves


async def serve_webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    """Serve WEBHOOK_URL's path on WEBHOOK_HOST:WEBHOOK_PORT until SIGTERM or SIGINT. An update
    is acknowledged at once and handled after (Telegram would post it again after a slow
    answer); updates without the secret header are refused. The webhook stays set at the end:
    the other processes go on serving it."""
    updates = SimpleRequestHandler(dp, bot, secret_token=settings.webhook_token())
    app = web.Application()
    app.router.add_post(settings.webhook_path, updates.handle)
    app.router.add_get(HEALTH_PATH, _healthy)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        try:
            await site.start()
        except OSError as error:
            raise SettingsError(
                f"WEBHOOK_HOST, WEBHOOK_PORT: cannot listen on {settings.webhook_host}:"
                f"{settings.webhook_port} ({error.strerror or error})"
            ) from error
        # Only once this process answers: Telegram's first posts come at once.
        try:
            await bot.set_webhook(
                settings.webhook_url or "",
                secret_token=settings.webhook_token(),
                allowed_updates=dp.resolve_used_update_types(),
                drop_pending_updates=False,
            )
        except TelegramBadRequest as error:  # "An HTTPS URL must be provided", a bad port
            raise SettingsError(
                f"WEBHOOK_URL: Telegram refused {settings.webhook_url} ({error.message})"
            ) from error
        log.info(
            "webhook %s set; serving it on %s:%s",
            settings.webhook_url, settings.webhook_host, settings.webhook_port,
        )  # fmt: skip
        await _stopped()
    finally:
        await runner.cleanup()  # no more updates taken; those being handled are drained after


async def _healthy(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def _stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
    log.info("stopping")
