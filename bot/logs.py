"""Log lines an operator can share: the bot's token never appears in them.

aiohttp's errors carry the request's URL, and the Bot API's URLs carry the token
(`.../bot<token>/getUpdates`): a dropped connection would otherwise write it into the log, and
whoever holds the token controls the bot."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

HIDDEN = "<BOT_TOKEN>"


class SecretHidingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        # the token as written and as a URL quotes it ("123:abc" and "123%3Aabc")
        self._secrets = sorted(
            {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))},
            key=len,
            reverse=True,
        )

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, HIDDEN)
        return line


def hide_secrets(
    fmt: str, *secrets: str, handlers: Iterable[logging.Handler] | None = None
) -> None:
    """`handlers` (those of the root logger by default) hide `secrets` from here on."""
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        handler.setFormatter(SecretHidingFormatter(fmt, list(secrets)))
