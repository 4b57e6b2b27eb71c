"""The `salesbot` command: run, migrate, check-config."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.config import ConfigError, load_business_config
from bot.logs import hidden, hide_secrets
from bot.settings import TOKEN_HELP, Settings, SettingsError, load_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="salesbot",
        description="salesbot: a Telegram sales assistant. Settings come from the environment "
        "and .env (see README.md); the business itself from SALESBOT_CONFIG.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="apply migrations and start the bot (long polling, or a webhook)",
        description="Check the settings and configuration, apply database migrations, then "
        "receive updates until stopped (Ctrl+C, SIGTERM): by long polling, or, with WEBHOOK_URL "
        "set, from Telegram's posts to it (several processes can share those).",
    )
    run.add_argument(
        "--no-migrate", action="store_true", help="do not apply migrations before starting"
    )
    commands.add_parser(
        "migrate",
        help="bring the database (DATABASE_URL) to the newest schema",
        description="Apply the Alembic migrations to DATABASE_URL.",
    )
    commands.add_parser(
        "check-config",
        help="validate the settings and the business configuration file",
        description="Validate the environment settings and SALESBOT_CONFIG, as start-up does.",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # start-up noise
    logging.getLogger("alembic.runtime.migration").addFilter(_only_upgrades)
    # A line per scheduler tick (every 5 s) would bury what an operator needs to see.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    secrets: list[str] = []
    try:
        settings = load_settings()
        if settings.bot_token is not None:
            secrets.append(settings.bot_token.get_secret_value())
            secrets.append(settings.webhook_token())
            hide_secrets(LOG_FORMAT, *secrets)
        if args.command == "check-config":
            _check_config(settings)
            print(f"OK: settings and {settings.salesbot_config} are valid.")
            if settings.bot_token is None:
                print("Note: BOT_TOKEN is not set yet; `salesbot run` needs it.")
            if not settings.admin_ids:
                print("Note: ADMIN_IDS is empty: nobody can invite managers or configure the bot.")
            return 0
        if args.command == "migrate":
            return _migrate(settings)
        return _run(settings, migrate=not args.no_migrate)
    except (SettingsError, ConfigError) as error:
        # stderr is the log under systemd or Docker: an error quoting a URL must not carry the token
        print(hidden(str(error), secrets), file=sys.stderr)
        return 2


def _only_upgrades(record: logging.LogRecord) -> bool:
    """Alembic's lines on each start that say nothing to an operator; a migration applied is
    still told, on one line (a migration's title may be wrapped)."""
    message = record.getMessage()
    if message.startswith(("Context impl", "Will assume")):
        return False
    record.msg, record.args = " ".join(message.split()), ()
    return True


def _check_config(settings: Settings) -> None:
    from bot.template_store import missing_templates

    config = load_business_config(settings.salesbot_config)
    missing = missing_templates(config, settings.templates_dir)
    if missing:
        raise ConfigError(
            f"{settings.salesbot_config}: no such file in templates/documents or"
            f" TEMPLATES_DIR ({settings.templates_dir}): " + "; ".join(missing)
        )


def _reach_database(url: str) -> None:
    """Open the database once, so that one that is down, missing or mistyped stops start-up
    with a line naming DATABASE_URL rather than a traceback from inside the migrations."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from storage.db import create_engine

    async def probe() -> None:
        # a server that never answers is reported after 10 s, not asyncpg's minute
        options = {} if url.startswith("sqlite") else {"connect_args": {"timeout": 10}}
        engine = create_engine(url, **options)
        try:
            async with engine.connect() as connection:
                await connection.execute(sa.text("select 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(probe())
    except (DBAPIError, OSError) as error:
        cause = getattr(error, "orig", None) or error
        reason = (str(cause) or type(cause).__name__).splitlines()[0]  # TimeoutError() says ""
        shown = make_url(url).render_as_string(hide_password=True)
        raise SettingsError(f"DATABASE_URL: cannot open the database {shown}: {reason}") from None


def _reach_redis(url: str) -> None:
    """Forms in progress live in Redis when it is set: one that does not answer at start-up
    would fail every update, so it stops start-up instead, naming REDIS_URL."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    async def probe() -> None:
        client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(probe())
    except (RedisError, OSError) as error:
        reason = str(error) or type(error).__name__
        raise SettingsError(f"REDIS_URL: no answer from {_hide_password(url)}: {reason}") from None


def _hide_password(url: str) -> str:
    """The URL as a log may show it: the password (redis://:pw@host, ?password=pw) as ***."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _migrate(settings: Settings) -> int:
    from storage.migrate import upgrade

    _reach_database(settings.database_url)
    upgrade(settings.database_url)
    print("Database is up to date.")
    return 0


def _run(settings: Settings, migrate: bool) -> int:
    if settings.bot_token is None:
        print(TOKEN_HELP.format(cwd=Path.cwd()), file=sys.stderr)
        return 2
    _check_config(settings)  # fail before touching the database
    if migrate:
        _migrate(settings)
    else:
        _reach_database(settings.database_url)
    if settings.redis_url:
        _reach_redis(settings.redis_url)
    from bot.app import run_bot

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_bot(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
