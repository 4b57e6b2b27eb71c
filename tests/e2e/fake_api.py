"""A small fake Telegram Bot API server over HTTP, for running the real bot process against.

The bot reaches it through TELEGRAM_API_URL and calls ``POST /bot<TOKEN>/<method>`` with
form-encoded or multipart parameters, complex values (reply_markup, ...) as JSON strings.

What it models, as Telegram does:
- getUpdates is a long poll: it answers as soon as an update is queued, or with ``[]`` when its
  timeout passes (capped, so that a stopping bot is not held up);
- updates stay queued until a getUpdates call confirms them with a higher ``offset``; until
  then every getUpdates without such an offset returns them again;
- ``allowed_updates`` is remembered; updates of other kinds are never delivered;
- after setWebhook, updates are posted to the webhook (one at a time, with its secret header,
  again until answered 200) and getUpdates is refused with 409; `webhook_targets` stands for a
  load balancer in front of several processes (each update to the next target in turn);
- message ids are counted per chat, shared by the user's and the bot's messages; edits change
  the stored message, and editing an unknown message is a 400 "message to edit not found".

Every call is recorded (method name and parsed parameters); sendMessage calls also as
`SentMessage` objects the test can wait for and press the buttons of.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession, web

JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
    }
)
UPDATE_KINDS = ("message", "edited_message", "callback_query", "my_chat_member")

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class TgUser:
    """A Telegram user writing to the bot from a private chat."""

    id: int
    first_name: str
    language_code: str = "ru"
    username: str | None = None

    def as_json(self) -> JsonDict:
        user: JsonDict = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            user["username"] = self.username
        return user

    def chat_json(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class Call:
    """One Bot API request the bot made."""

    method: str
    params: JsonDict


@dataclass
class SentMessage:
    """A message the bot sent (sendMessage), as the recipient currently sees it."""

    message_id: int
    chat_id: int
    text: str
    reply_markup: JsonDict | None  # as sent; inline keyboards change with edits
    edits: int = 0
    document: bytes | None = None  # sendDocument: the file; `text` holds its caption
    filename: str | None = None

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        if self.reply_markup is None:
            return []
        rows: list[list[JsonDict]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def reply_keyboard(self) -> list[list[JsonDict]]:
        if self.reply_markup is None:
            return []
        rows: list[list[JsonDict]] = self.reply_markup.get("keyboard", [])
        return rows

    @property
    def removes_keyboard(self) -> bool:
        return bool(self.reply_markup and self.reply_markup.get("remove_keyboard"))

    def buttons(self) -> list[str]:
        """Labels of the inline buttons, or else of the reply keyboard."""
        rows = self.inline_keyboard or self.reply_keyboard
        return [str(button["text"]) for row in rows for button in row]

    def inline_button(self, label: str) -> JsonDict | None:
        """The first inline button whose text contains `label`."""
        for row in self.inline_keyboard:
            for button in row:
                if label in str(button["text"]):
                    return button
        return None

    def reply_button(self, label: str) -> JsonDict | None:
        for row in self.reply_keyboard:
            for button in row:
                if label in str(button["text"]):
                    return button
        return None

    def as_json(self, bot_user: JsonDict) -> JsonDict:
        message: JsonDict = {
            "message_id": self.message_id,
            "from": bot_user,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private"},
        }
        if self.document is None:
            message["text"] = self.text
        else:
            message["caption"] = self.text
            message["document"] = {
                "file_id": f"doc-{self.chat_id}-{self.message_id}",
                "file_unique_id": f"u-{self.chat_id}-{self.message_id}",
                "file_name": self.filename or "file",
            }
        if self.inline_keyboard:  # Telegram returns only inline keyboards with a message
            message["reply_markup"] = {"inline_keyboard": self.inline_keyboard}
        return message


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


MessagePredicate = Callable[[SentMessage], bool]


class FakeBotAPI:
    """The fake server. ``async with FakeBotAPI(token) as api:`` binds a free port on 127.0.0.1."""

    def __init__(
        self,
        token: str,
        *,
        bot_username: str = "sales_bot",
        max_poll_wait: float = 1.0,
    ) -> None:
        self.token = token
        bot_id = int(token.split(":", 1)[0])
        self.bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Sales",
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.max_poll_wait = max_poll_wait
        self.calls: list[Call] = []
        self.sent: list[SentMessage] = []
        self.queue: list[JsonDict] = []  # updates not confirmed yet, oldest first
        self.deliveries: dict[int, int] = {}  # update_id -> times returned by getUpdates
        self.undelivered: list[JsonDict] = []  # updates of kinds the bot did not ask for
        self.allowed_updates: list[str] | None = None
        self.pushed = 0
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self.user_texts: dict[tuple[int, int], str] = {}  # what users wrote, for copyMessage
        self.failures: list[ApiError] = []  # the next sendMessage calls fail with these
        self.failures_of: dict[str, list[ApiError]] = {}  # the same for any method, by name
        self.blocked: set[int] = set()  # chats whose user blocked the bot
        # a sendMessage whose text contains the key is answered after that many seconds, once;
        # `holding` is set when it starts waiting
        self.slow: dict[str, float] = {}
        self.holding = asyncio.Event()
        self.webhook: JsonDict | None = None  # setWebhook's url, secret_token
        self.webhook_targets: list[str] = []  # where posts go, in turn; default: its url
        self.webhook_posts: list[tuple[str, int, int]] = []  # target, update_id, HTTP status
        self._poster: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- the server ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # a free port, chosen by the OS
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def close(self) -> None:
        self._closing = True
        await self._notify()
        if self._poster is not None:
            self._poster.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poster
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append(Call(method, params))
        try:
            result = await self._dispatch(method, params)
        except ApiError as error:
            body: JsonDict = {
                "ok": False, "error_code": error.code, "description": error.description,
            }  # fmt: skip
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            return web.json_response(body, status=error.code)
        finally:
            await self._notify()
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _params(request: web.Request) -> JsonDict:
        params: JsonDict = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        params[key] = value.file.read()
                        params[f"{key}__filename"] = value.filename
                    elif isinstance(value, bytes | bytearray):
                        params[key] = bytes(value).decode()
                    else:
                        params[key] = value
        for key in JSON_PARAMS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        return params

    async def _dispatch(self, method: str, params: JsonDict) -> Any:
        if self.failures_of.get(method):
            raise self.failures_of[method].pop(0)
        match method:
            case "getMe":
                return self.bot_user
            case "getUpdates":
                if self.webhook is not None:
                    raise ApiError(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; use "
                        "deleteWebhook to delete the webhook first",
                    )
                return await self._get_updates(params)
            case "setWebhook":
                self.webhook = {"url": params["url"], "secret": params.get("secret_token")}
                if "allowed_updates" in params:
                    self.allowed_updates = list(params["allowed_updates"]) or None
                if self._poster is None:
                    self._poster = asyncio.create_task(self._post_updates())
                await self._notify()
                return True
            case "deleteWebhook":
                self.webhook = None
                return True
            case "getWebhookInfo":
                url = self.webhook["url"] if self.webhook else ""
                return {
                    "url": url, "has_custom_certificate": False,
                    "pending_update_count": len(self.queue),
                }  # fmt: skip
            case "sendMessage":
                if self.failures:  # errors queued by a test, answered in turn
                    raise self.failures.pop(0)
                if int(params["chat_id"]) in self.blocked:
                    raise ApiError(403, "Forbidden: bot was blocked by the user")
                for text, delay in list(self.slow.items()):
                    if text in str(params.get("text")):
                        del self.slow[text]
                        self.holding.set()
                        await asyncio.sleep(delay)
                return self._send_message(params)
            case "copyMessage":
                return self._copy_message(params)
            case "sendDocument":
                return self._send_document(params)
            case "editMessageReplyMarkup":
                message = self._message(params)
                message.reply_markup = params.get("reply_markup")
                message.edits += 1
                return message.as_json(self.bot_user)
            case "editMessageText":
                message = self._message(params)
                message.text = str(params["text"])
                message.reply_markup = params.get("reply_markup")
                message.edits += 1
                return message.as_json(self.bot_user)
            case _:  # deleteWebhook, setMyCommands, answerCallbackQuery, ...
                return True

    # --- getUpdates ---------------------------------------------------------------------------

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        offset = int(params.get("offset") or 0)
        if offset > 0:  # confirms every update with a smaller id
            self.queue = [update for update in self.queue if update["update_id"] >= offset]
            await self._notify()
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"]) or None
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)

        def ready() -> bool:
            self._drop_not_allowed()
            return bool(self.queue) or self._closing

        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(ready), timeout=wait)
        batch = self.queue[:limit]
        for update in batch:
            self.deliveries[update["update_id"]] = self.deliveries.get(update["update_id"], 0) + 1
        return batch

    async def _post_updates(self) -> None:
        """Telegram's side of a webhook: the oldest update posted until it is taken."""
        turns = itertools.count()
        async with ClientSession() as http:
            while True:
                async with self._changed:
                    await self._changed.wait_for(self._webhook_due)
                webhook = self.webhook
                assert webhook is not None
                update = self.queue[0]
                targets = self.webhook_targets or [webhook["url"]]
                target = targets[next(turns) % len(targets)]
                headers = {"X-Telegram-Bot-Api-Secret-Token": webhook["secret"] or ""}
                try:
                    async with http.post(target, json=update, headers=headers) as response:
                        status = response.status
                except (ClientError, OSError):
                    status = 0  # not listening (yet, or any more)
                self.webhook_posts.append((target, update["update_id"], status))
                if status == 200:
                    self.queue.remove(update)
                    self.deliveries[update["update_id"]] = 1
                    await self._notify()
                else:
                    await asyncio.sleep(0.2)

    def _webhook_due(self) -> bool:
        if self.webhook is None:
            return False
        self._drop_not_allowed()
        return bool(self.queue)

    def _drop_not_allowed(self) -> None:
        allowed = self.allowed_updates
        if allowed is None:
            return
        for update in [u for u in self.queue if _kind(u) not in allowed]:
            self.queue.remove(update)
            self.undelivered.append(update)

    # --- what the bot sends -------------------------------------------------------------------

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _send_message(self, params: JsonDict) -> JsonDict:
        chat_id = int(params["chat_id"])
        markup = params.get("reply_markup")
        message = SentMessage(
            message_id=self._next_message_id(chat_id),
            chat_id=chat_id,
            text=str(params["text"]),
            reply_markup=markup if isinstance(markup, dict) else None,
        )
        self.sent.append(message)
        self._messages[chat_id, message.message_id] = message
        return message.as_json(self.bot_user)

    def _send_document(self, params: JsonDict) -> JsonDict:
        chat_id = int(params["chat_id"])
        upload = params["document"]
        filename = params.get("document__filename")
        if isinstance(upload, str) and upload.startswith("attach://"):  # aiogram's way to upload
            name = upload.removeprefix("attach://")
            upload, filename = params.get(name), params.get(f"{name}__filename")
        markup = params.get("reply_markup")
        message = SentMessage(
            message_id=self._next_message_id(chat_id),
            chat_id=chat_id,
            text=str(params.get("caption") or ""),
            reply_markup=markup if isinstance(markup, dict) else None,
            document=upload if isinstance(upload, bytes) else None,
            filename=str(filename) if filename else None,
        )
        self.sent.append(message)
        self._messages[chat_id, message.message_id] = message
        return message.as_json(self.bot_user)

    def _copy_message(self, params: JsonDict) -> JsonDict:
        """A copy arrives as the text of the original (users' messages are remembered)."""
        origin = (int(params["from_chat_id"]), int(params["message_id"]))
        if origin not in self.user_texts:
            raise ApiError(400, "Bad Request: message to copy not found")
        chat_id = int(params["chat_id"])
        message = SentMessage(
            message_id=self._next_message_id(chat_id),
            chat_id=chat_id,
            text=self.user_texts[origin],
            reply_markup=None,
        )
        self.sent.append(message)
        self._messages[chat_id, message.message_id] = message
        return {"message_id": message.message_id}

    def _message(self, params: JsonDict) -> SentMessage:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: inline messages are not supported by the fake")
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self._messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        return self._messages[key]

    def method_calls(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def messages_to(self, chat_id: int, since: int = 0) -> list[SentMessage]:
        """Messages the bot sent to `chat_id`, from the `since`-th sendMessage on."""
        return [message for message in self.sent[since:] if message.chat_id == chat_id]

    def latest_with_buttons(self, chat_id: int) -> SentMessage:
        """The newest message to `chat_id` that still has an inline keyboard."""
        for message in reversed(self.messages_to(chat_id)):
            if message.inline_keyboard:
                return message
        raise AssertionError(f"the bot shows no inline buttons in chat {chat_id}")

    def button_data(self, chat_id: int, label: str) -> tuple[str, int]:
        """(callback_data, message_id) of the button labelled `label` on the latest keyboard."""
        message = self.latest_with_buttons(chat_id)
        button = message.inline_button(label)
        if button is None:
            raise AssertionError(f"no button {label!r} in {message.buttons()}")
        return str(button["callback_data"]), message.message_id

    # --- what the user does -------------------------------------------------------------------

    async def push_update(self, **content: JsonDict) -> int:
        """Queue an update (e.g. ``message={...}``) for the next getUpdates; returns its id."""
        update_id = next(self._update_ids)
        self.queue.append({"update_id": update_id, **content})
        self.pushed = update_id
        await self._notify()
        return update_id

    def _user_message(self, user: TgUser, **content: Any) -> JsonDict:
        message_id = self._next_message_id(user.id)
        if "text" in content:
            self.user_texts[user.id, message_id] = str(content["text"])
        return {
            "message_id": message_id,
            "from": user.as_json(),
            "chat": user.chat_json(),
            "date": int(time.time()),
            **content,
        }

    async def push_message(
        self, user: TgUser, text: str, reply_to: SentMessage | None = None
    ) -> int:
        content: JsonDict = {"text": text}
        if reply_to is not None:
            content["reply_to_message"] = reply_to.as_json(self.bot_user)
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self.push_update(message=self._user_message(user, **content))

    async def push_contact(self, user: TgUser, phone: str, owner_id: int | None = None) -> int:
        contact = {
            "phone_number": phone,
            "first_name": user.first_name,
            "user_id": user.id if owner_id is None else owner_id,
        }
        return await self.push_update(message=self._user_message(user, contact=contact))

    async def push_callback(self, user: TgUser, data: str, message_id: int) -> int:
        stored = self._messages.get((user.id, message_id))
        message = (
            stored.as_json(self.bot_user)
            if stored is not None
            else {
                "message_id": message_id,
                "from": self.bot_user,
                "chat": user.chat_json(),
                "date": int(time.time()),
                "text": "…",
            }
        )
        query = {
            "id": str(next(self._callback_ids)),
            "from": user.as_json(),
            "message": message,
            "chat_instance": f"ci-{user.id}",
            "data": data,
        }
        return await self.push_update(callback_query=query)

    # --- waiting ------------------------------------------------------------------------------

    async def wait_until(self, condition: Callable[[], bool], what: str, timeout: float) -> None:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(condition), timeout=timeout)
            except TimeoutError:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None

    async def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        predicate: MessagePredicate | None = None,
        *,
        since: int = 0,
        timeout: float = 10.0,
    ) -> SentMessage:
        """The first message to `chat_id` (from the `since`-th sendMessage on) that matches."""

        def matches(message: SentMessage) -> bool:
            if contains is not None and contains not in message.text:
                return False
            return predicate is None or predicate(message)

        def found() -> SentMessage | None:
            return next(filter(matches, self.messages_to(chat_id, since)), None)

        try:
            await self.wait_until(lambda: found() is not None, "a message", timeout)
        except AssertionError:
            seen = [message.text for message in self.messages_to(chat_id, since)]
            raise AssertionError(
                f"the bot sent no message containing {contains!r} to {chat_id} within "
                f"{timeout} s; it sent: {seen}; undelivered updates: {self.undelivered}"
            ) from None
        message = found()
        assert message is not None
        return message

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 10.0) -> Call:
        """Wait until the bot has made `count` calls of `method`; returns the latest."""
        await self.wait_until(
            lambda: len(self.method_calls(method)) >= count, f"{count} × {method}", timeout
        )
        return self.method_calls(method)[-1]

    async def wait_until_confirmed(self, timeout: float = 10.0) -> None:
        """Wait until the bot has confirmed (by a getUpdates offset, or a webhook's 200) every
        update pushed."""
        await self.wait_until(lambda: not self.queue, "all updates to be confirmed", timeout)


def _kind(update: JsonDict) -> str:
    return next((kind for kind in update if kind != "update_id"), "")
