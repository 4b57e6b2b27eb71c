"""Wiring: everything is built here from a Settings object; nothing is created at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, User
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.commands import set_staff_commands
from bot.config import BusinessConfig, load_business_config, scoring_table, source_table
from bot.domain.when import parse_when
from bot.live_cards import LiveCards
from bot.middlewares import UserMiddleware
from bot.reminder_push import ReminderPusher, start_scheduler
from bot.rendering import Renderer
from bot.sending import Limits, SendingPolicy
from bot.services.delivery import Delivery
from bot.services.desk import DeskService
from bot.services.documents import DocumentService
from bot.services.lead_capture import LeadCaptureService
from bot.services.pipeline import PipelineService
from bot.services.reminders import ReminderService
from bot.services.staff import StaffService
from bot.settings import DEFAULT_API_URL, Settings, SettingsError
from bot.taps import SharedTaps
from bot.template_store import TemplateStore, effective_directory
from bot.texts import LOCALES, Catalogue, Translator, default_catalogue, translator
from bot.under_way import TrackedDispatcher, UnderWay
from bot.webhook import serve_webhook
from handlers import get_routers
from handlers.errors import make_error_handler
from storage.db import create_engine
from storage.deals import SqlPipelineRepository
from storage.desk import SqlDeskRepository
from storage.documents import (
    SqlCatalogueRepository,
    SqlDealItemRepository,
    SqlDocumentRepository,
)
from storage.fsm import SqlStorage
from storage.leads import SqlLeadRepository
from storage.reminders import SqlReminderRepository
from storage.staff import SqlStaffRepository

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("salesbot")

REMINDER_TICK_SECONDS = 5.0  # how often due reminders are claimed and sent
# At a stop, how long the updates being handled, the jobs running and the reminders being sent
# may take to finish: within the 10 s Docker and most supervisors give from SIGTERM to SIGKILL
SHUTDOWN_GRACE = 6.0


def build_dispatcher(
    *,
    config: BusinessConfig,
    engine: AsyncEngine,
    storage: BaseStorage,
    admin_ids: frozenset[int],
    default_locale: str = "ru",
    clock: Clock | None = None,
    catalogue: Catalogue | None = None,
    events_isolation: BaseEventIsolation | None = None,
    tz: tzinfo | None = None,
    renderer: Renderer | None = None,
    templates_dir: Path | None = None,
) -> Dispatcher:
    catalogue = catalogue or default_catalogue()
    tz = tz or ZoneInfo("Europe/Moscow")
    staff = StaffService(
        SqlStaffRepository(engine),
        admin_ids,
        invite_hours=config.routing.invite_hours,
        tz=tz,
        hours=config.followups.working_hours.hours(),
        default_locale=default_locale,
    )
    clock = clock or SystemClock()
    desk = DeskService(SqlDeskRepository(engine))
    renderer = renderer or Renderer(effective_directory(templates_dir), owns_directory=True)
    under_way = UnderWay()
    dispatcher = TrackedDispatcher(
        under_way,
        storage=storage,
        # Updates of one chat run one after another: a double tap on "confirm" is seen once.
        events_isolation=events_isolation or SimpleEventIsolation(),
        # Dependencies reach handlers as keyword arguments (DESIGN.md).
        config=config,
        sources=source_table(config),
        leads=LeadCaptureService(
            SqlLeadRepository(engine),
            scoring_table(config),
            config.pipeline.first_stage,
            routing=config.routing.rule,
            # Reps of the configuration file and admins have personal links without a manager row.
            config_reps=frozenset(rep.telegram_id for rep in config.sources.reps) | admin_ids,
        ),
        staff=staff,
        desk=desk,
        templates=TemplateStore(renderer, templates_dir, config),
        reminders=ReminderService(SqlReminderRepository(engine), desk, staff),
        documents=DocumentService(
            SqlDocumentRepository(engine),
            SqlDealItemRepository(engine),
            desk,
            renderer,
            config,
            SqlCatalogueRepository(engine),
            default_locale=default_locale,
        ),
        pipeline=PipelineService(SqlPipelineRepository(engine), config.pipeline.domain()),
        tz=tz,
        clock=clock,
        catalogue=catalogue,
        admin_ids=admin_ids,
        live_cards=LiveCards(),
        live_screens=LiveCards(),  # the same, for each deal's quote screen
        under_way=under_way,
    )
    dispatcher.update.outer_middleware(UserMiddleware(catalogue, default_locale, staff, clock))
    dispatcher.include_routers(*get_routers(catalogue))
    dispatcher.errors.register(make_error_handler(catalogue, default_locale))
    return dispatcher


def create_bot(settings: Settings, config: BusinessConfig, redis: Redis | None = None) -> Bot:
    """With `redis` (REDIS_URL), the overall sending rate is shared by all the bot's processes."""
    assert settings.bot_token is not None
    session = AiohttpSession()
    if settings.telegram_api_url != DEFAULT_API_URL:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    sending = config.sending
    shared = None
    if redis is not None:
        from bot.shared_rate import SharedRate

        # Per bot: two bots sharing a Redis database have a rate each.
        shared = SharedRate(redis, sending.per_second, key=f"salesbot:{settings.bot_id}:sending")
    session.middleware(
        SendingPolicy(
            Limits(
                per_second=sending.per_second,
                per_chat_per_second=sending.per_chat_per_second,
                per_group_per_minute=sending.per_group_per_minute,
            ),
            shared=shared,
        )
    )
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


@dataclass
class Application:
    settings: Settings
    config: BusinessConfig
    engine: AsyncEngine
    storage: BaseStorage
    dispatcher: Dispatcher
    closers: list[BaseStorage | BaseEventIsolation] = field(default_factory=list)
    redis: Redis | None = None  # the FSM storage's client (REDIS_URL), closed with it

    async def close(self) -> None:
        self.dispatcher["documents"].close()
        for closer in self.closers:
            await closer.close()
        await self.engine.dispose()


def create_application(settings: Settings, clock: Clock | None = None) -> Application:
    config = load_business_config(settings.salesbot_config)
    engine = create_engine(settings.database_url)
    storage: BaseStorage
    isolation: BaseEventIsolation | None = None
    redis: Redis | None = None
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        redis_storage = RedisStorage.from_url(settings.redis_url)
        storage, isolation = redis_storage, RedisEventIsolation(redis=redis_storage.redis)
        redis = redis_storage.redis
    else:
        storage = SqlStorage(engine)
    dispatcher = build_dispatcher(
        config=config,
        engine=engine,
        storage=storage,
        admin_ids=settings.admin_ids,
        default_locale=settings.default_locale,
        clock=clock,
        events_isolation=isolation,
        tz=settings.tz,
        templates_dir=settings.templates_dir,
    )
    if redis is not None:
        # the two taps of a double tap may reach two processes; per bot, as the sending rate
        dispatcher["taps"] = SharedTaps(redis, key=f"salesbot:{settings.bot_id}:tap")
    closers: list[BaseStorage | BaseEventIsolation] = [storage]
    if isolation is not None:
        closers.append(isolation)
    return Application(settings, config, engine, storage, dispatcher, closers, redis)


async def set_commands(
    bot: Bot,
    catalogue: Catalogue,
    default_locale: str,
    staff: dict[int, tuple[bool, str]] | None = None,
) -> None:
    """The command menu in Telegram's UI, in both languages; a failure only costs the menu."""
    try:
        for locale in LOCALES:
            commands = [
                BotCommand(command="start", description=catalogue.label(locale, "cmd_start")),
                BotCommand(command="cancel", description=catalogue.label(locale, "cmd_cancel")),
            ]
            await bot.set_my_commands(
                commands,
                scope=BotCommandScopeAllPrivateChats(),
                language_code=None if locale == default_locale else locale,
            )
    except TelegramAPIError:
        log.warning("could not set the bot's command menu", exc_info=True)
    for chat_id, (admin, locale) in sorted((staff or {}).items()):  # (is an admin, language)
        await set_staff_commands(bot, chat_id, translator(catalogue, locale), admin)


async def _whoami(bot: Bot, settings: Settings) -> User:
    """The bot's own account: the first call, so a wrong token or an unreachable server stops
    start-up with a message naming the setting (as a wrong value does), not a traceback."""
    try:
        return await bot.get_me()
    except TelegramUnauthorizedError as error:
        raise SettingsError(
            f"BOT_TOKEN: the Bot API at {settings.telegram_api_url} refused it ({error.message});"
            " copy the token again from @BotFather (/mybots -> API Token)"
        ) from error
    except TelegramNetworkError as error:
        raise SettingsError(
            f"TELEGRAM_API_URL: cannot reach the Bot API at {settings.telegram_api_url}"
            f" ({error.message})"
        ) from error
    except (ClientDecodeError, TelegramNotFound) as error:  # a web server, not a Bot API
        raise SettingsError(
            f"TELEGRAM_API_URL: {settings.telegram_api_url} does not answer as a Bot API server"
            f" ({str(error).splitlines()[0]}); give the server's address without /bot..., e.g."
            " http://127.0.0.1:8081"
        ) from error


async def run_bot(settings: Settings) -> None:
    """Run until SIGTERM or Ctrl+C: updates by long polling, or from Telegram's posts to
    WEBHOOK_URL when it is set."""
    app = create_application(settings)
    bot = create_bot(settings, app.config, app.redis)
    try:
        me = await _whoami(bot, settings)
        log.info("salesbot started as @%s on %s", me.username, app.engine.url.render_as_string())
        if not settings.admin_ids:
            log.warning("ADMIN_IDS is empty: nobody can invite managers or configure the bot")
        staff = app.dispatcher["staff"]
        admins = settings.admin_ids
        members = {
            member: (member in admins, await staff.locale(member))
            for member in sorted((await staff.active_managers()) | admins)
        }
        await set_commands(bot, default_catalogue(), settings.default_locale, members)
        dp = app.dispatcher
        pusher = ReminderPusher(
            bot,
            dp["desk"],
            app.config,
            Translator(default_catalogue(), settings.default_locale),
            settings.tz,
            dp["staff"],
            dp["reminders"],
            dp.storage,
        )
        # dateparser loads its language data on first use (~0.3 s): not inside a handler.
        await asyncio.to_thread(parse_when, "завтра в 10:00", SystemClock().now(), settings.tz)
        clock = SystemClock()
        delivery = Delivery(dp["reminders"], pusher, clock.now, pusher.digest)
        under_way: UnderWay = dp["under_way"]
        scheduler = start_scheduler(
            delivery, dp["reminders"], clock, REMINDER_TICK_SECONDS, dp["staff"], app.config,
            under_way,
        )  # fmt: skip
        try:
            if settings.webhook_url:
                await serve_webhook(bot, dp, settings)
            else:
                await _poll(bot, dp)
        finally:
            scheduler.pause()  # no job starts any more; those running are waited for
            # side by side: the two together stay within the grace
            await asyncio.gather(
                under_way.drain(SHUTDOWN_GRACE), delivery.close(grace=SHUTDOWN_GRACE)
            )
            scheduler.shutdown(wait=False)
            with contextlib.suppress(Exception):  # the database gone: those few told twice
                await dp["reminders"].stop()
    finally:
        await bot.session.close()
        await app.close()


async def _poll(bot: Bot, dp: Dispatcher) -> None:
    # Telegram refuses getUpdates while a webhook is set (one left by an earlier deployment)
    webhook = (await bot.get_webhook_info()).url
    if webhook:
        log.warning("a webhook was set (%s): removed, this process polls for updates", webhook)
        await bot.delete_webhook(drop_pending_updates=False)
    await dp.start_polling(
        bot, allowed_updates=dp.resolve_used_update_types(), close_bot_session=False
    )
