"""The `salesbot` command: run, migrate, check-config."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from bot.config import ConfigError, load_business_config
from bot.logs import hide_secrets
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
        help="apply migrations and start the bot (long polling)",
        description="Check the settings and configuration, apply database migrations, then "
        "receive updates by long polling until stopped (Ctrl+C).",
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
    try:
        settings = load_settings()
        if settings.bot_token is not None:
            hide_secrets(LOG_FORMAT, settings.bot_token.get_secret_value())
        if args.command == "check-config":
            _check_config(settings)
            print(f"OK: settings and {settings.salesbot_config} are valid.")
            return 0
        if args.command == "migrate":
            return _migrate(settings)
        return _run(settings, migrate=not args.no_migrate)
    except (SettingsError, ConfigError) as error:
        print(error, file=sys.stderr)
        return 2


def _only_upgrades(record: logging.LogRecord) -> bool:
    """Alembic's lines on each start that say nothing to an operator; a migration applied is
    still told."""
    return not record.getMessage().startswith(("Context impl", "Will assume"))


def _check_config(settings: Settings) -> None:
    from bot.template_store import missing_templates

    config = load_business_config(settings.salesbot_config)
    missing = missing_templates(config, settings.templates_dir)
    if missing:
        raise ConfigError(
            f"{settings.salesbot_config}: no such template in templates/documents or"
            f" TEMPLATES_DIR ({settings.templates_dir}): " + "; ".join(missing)
        )


def _migrate(settings: Settings) -> int:
    from storage.migrate import upgrade

    upgrade(settings.database_url)
    print("Database is up to date.")
    return 0


def _run(settings: Settings, migrate: bool) -> int:
    if settings.bot_token is None:
        print(TOKEN_HELP, file=sys.stderr)
        return 2
    _check_config(settings)  # fail before touching the database
    if migrate:
        _migrate(settings)
    from bot.app import run_polling

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_polling(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
