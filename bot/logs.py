"""Log lines an operator can share: the bot's token never appears in them.

aiohttp's errors carry the request's URL, and the Bot API's URLs carry the token
(`.../bot<token>/getUpdates`): a dropped connection would otherwise write it into the log, and
whoever holds the token controls the bot."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

HIDDEN = "<BOT_TOKEN>"


def hidden(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret, as written and as a URL quotes it ("123:abc", "123%3Aabc"),
    replaced by a mark."""
    forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, HIDDEN)
    return text


class SecretHidingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return hidden(super().format(record), self._secrets)


def hide_secrets(
    fmt: str, *secrets: str, handlers: Iterable[logging.Handler] | None = None
) -> None:
    """`handlers` (those of the root logger by default) hide `secrets` from here on."""
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        handler.setFormatter(SecretHidingFormatter(fmt, list(secrets)))
