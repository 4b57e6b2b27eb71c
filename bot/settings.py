"""Deployment settings, read from the environment and `.env`."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_API_URL = "https://api.telegram.org"

TOKEN_HELP = (
    "BOT_TOKEN is not set.\n"
    "  1. In Telegram, open @BotFather, send /newbot and follow its questions;\n"
    "     it answers with a token like 123456789:AAH...\n"
    "  2. Put it into the file .env next to the Makefile:  BOT_TOKEN=123456789:AAH...\n"
    "     (or export BOT_TOKEN in your shell), then run `make run` again.\n"
    "  .env, data/ and config/ are looked for in the folder salesbot runs in: {cwd}"
)


class Settings(BaseSettings):
    """Everything that differs between deployments; the business itself is in SALESBOT_CONFIG."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_API_URL
    database_url: str = "sqlite+aiosqlite:///data/salesbot.db"
    redis_url: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Europe/Moscow"
    default_locale: Literal["ru", "en"] = "ru"
    salesbot_config: Path = Path("config/salesbot.yaml")
    # Document templates admins uploaded through the bot: they replace the shipped ones by name.
    templates_dir: Path = Path("data/templates")
    # Telegram posts updates to this public address instead of being polled: what lets several
    # processes (behind one load balancer) share the bot.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None  # default: derived from the token, so all agree
    webhook_host: str = "127.0.0.1"  # where the webhook server listens
    webhook_port: int = 8080

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        text = str(value).strip()
        bot_id, _, secret = text.partition(":")
        if not bot_id.isdigit() or not re.fullmatch(r"[A-Za-z0-9_-]{5,}", secret):
            raise ValueError("expected the token from @BotFather, like 123456789:AAH...")
        return text

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL of a Bot API server")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        expected = (
            "expected sqlite+aiosqlite:///path/to/file.db or "
            "postgresql+asyncpg://user@host/database"
        )
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(expected)
        try:
            parsed = make_url(value)
        except (ArgumentError, ValueError) as error:
            raise ValueError(expected) from error
        database = parsed.database
        if parsed.port is not None and not 0 < parsed.port < 65536:
            raise ValueError(f"port {parsed.port} out of range; {expected}")
        # without it SQLite would keep everything in memory, PostgreSQL use the user's own
        if not database or database == ":memory:":
            raise ValueError(f"no database named; {expected}")
        return value

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: object) -> object:
        if value in (None, ""):
            return None
        text = str(value).strip()
        if not text.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://host:port/db")
        parsed = urlsplit(text)
        if not (parsed.path if parsed.scheme == "unix" else parsed.hostname):
            raise ValueError("no host named; expected redis://host:port/db")
        try:
            parsed.port  # noqa: B018 - it checks the port: "abc" or 99999 raise
        except ValueError as error:
            raise ValueError(
                "the port must be a number up to 65535; expected redis://host:port/db"
            ) from error
        return text

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _webhook_url(cls, value: object) -> object:
        if value in (None, ""):
            return None
        text = str(value).strip()
        parsed = urlsplit(text)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(
                "expected the public https:// address Telegram posts updates to, e.g."
                " https://bot.example.com/telegram"
            )
        return text

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: object) -> object:
        if value in (None, ""):
            return None
        # at least 16: a secret, and one that is hidden in the logs without hiding every word
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", str(value)):
            raise ValueError("16 to 256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_port")
    @classmethod
    def _webhook_port(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError("expected a port number from 1 to 65535")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isdigit() for part in parts):  # a negative id is a group's
                raise ValueError("expected comma-separated Telegram user ids, e.g. 123,456")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("expected an IANA time zone such as Europe/Moscow") from error
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def webhook_path(self) -> str:
        """The path of WEBHOOK_URL, which the webhook server serves (a proxy passes it on)."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def bot_id(self) -> str:
        """The bot's number, the token's first part ("bot" without a token): what the Redis
        keys of two bots sharing a database differ by."""
        token = self.bot_token.get_secret_value() if self.bot_token is not None else ""
        return token.partition(":")[0] or "bot"

    def webhook_token(self) -> str:
        """The secret Telegram sends with every update; without WEBHOOK_SECRET, one derived from
        the bot's token: the same in every process, and known to nobody without the token."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        assert self.bot_token is not None
        token = self.bot_token.get_secret_value().encode()
        return hashlib.sha256(b"salesbot webhook:" + token).hexdigest()


class SettingsError(Exception):
    """A setting has a wrong value; the message names it."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one naming the environment variables."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise SettingsError(".env: not UTF-8 text; save it in the UTF-8 encoding") from None
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            name = str(problem["loc"][0]).upper() if problem["loc"] else "?"
            lines.append(f"  {name}: {str(problem['msg']).removeprefix('Value error, ')}")
        message = "Wrong setting(s) in the environment or .env:\n" + "\n".join(lines)
        raise SettingsError(message) from None
