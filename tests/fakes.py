"""Hand-written fakes: a clock, a recording Bot session and a prospect who talks to the bot."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, ClassVar

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    File,
    InaccessibleMessage,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    MessageId,
    PhotoSize,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Sticker,
    Update,
    User,
    Voice,
)

BOT_ID = 42


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class Sent:
    """A message the bot sent, as the recipient sees it."""

    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
    message_id: int
    kind: str = "text"  # text, photo, voice, copy (of a message from another chat)
    file: object = None  # a photo's bytes, a voice's file id, a copy's (chat, message id)
    edits: int = 0
    reply_to: int | None = None  # the recipient's message it replies to

    def buttons(self) -> list[str]:
        if isinstance(self.markup, InlineKeyboardMarkup):
            return [button.text for row in self.markup.inline_keyboard for button in row]
        if isinstance(self.markup, ReplyKeyboardMarkup):
            return [button.text for row in self.markup.keyboard for button in row]
        return []


@dataclass
class RecordingSession(BaseSession):
    """Answers every Bot API call locally and records what the bot sent."""

    sent: list[Sent] = field(default_factory=list)
    calls: list[TelegramMethod[Any]] = field(default_factory=list)
    fail_for: set[int] = field(default_factory=set)  # chat ids that blocked the bot
    fail_copies_for: set[int] = field(default_factory=set)  # chats no copy reaches (a bad request)
    deleted: list[tuple[int, int]] = field(default_factory=list)  # (chat, message) the bot deleted

    def __post_init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1000)
        self.files: dict[str, bytes] = {}
        # message id -> the message: an edit finds it at once (a benchmark sends 100,000)
        self._by_id: dict[int, Sent] = {}

    def clear(self) -> None:
        """Forget what was sent and called (a benchmark's next run)."""
        self.sent.clear()
        self.calls.clear()
        self._by_id.clear()

    def _record(self, sent: Sent) -> None:
        self.sent.append(sent)
        self._by_id[sent.message_id] = sent

    def shown(self, chat_id: int, message_id: int | None) -> Sent | None:
        """The message `message_id` of the chat, as it is on screen now."""
        sent = self._by_id.get(message_id or 0)
        return sent if sent is not None and sent.chat_id == chat_id else None

    async def close(self) -> None:
        pass

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """Files "uploaded" by a test's user (Prospect.send_document), by their path."""
        path = url.rsplit("/", 1)[-1]
        yield self.files.get(path, b"")

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls.append(method)
        if isinstance(method, SendMessage):
            chat_id = int(method.chat_id)
            if chat_id in self.fail_for:
                from aiogram.exceptions import TelegramForbiddenError

                raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
            markup = method.reply_markup
            replied = method.reply_parameters
            reply_to = replied.message_id if replied is not None else method.reply_to_message_id
            sent = Sent(chat_id, method.text, markup, next(self._ids), reply_to=reply_to)  # type: ignore[arg-type]
            self._record(sent)
            message = Message(
                message_id=sent.message_id,
                date=datetime.now(UTC),
                chat=Chat(id=chat_id, type="private"),
                text=method.text,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )
            return message  # type: ignore[return-value]
        if isinstance(method, CopyMessage) and int(method.chat_id) in self.fail_copies_for:
            from aiogram.exceptions import TelegramBadRequest

            raise TelegramBadRequest(method, "Bad Request: message can't be copied")
        if isinstance(method, DeleteMessage):
            self.deleted.append((int(method.chat_id), method.message_id))
            return True  # type: ignore[return-value]
        if isinstance(method, SendPhoto | SendVoice | CopyMessage | SendDocument):
            return self._record_other(method)  # type: ignore[return-value]
        if isinstance(method, EditMessageText):
            shown = self.shown(int(method.chat_id or 0), method.message_id)
            if shown is not None:
                shown.text, shown.markup = method.text or "", method.reply_markup
                shown.edits += 1
            return True  # type: ignore[return-value]
        if isinstance(method, GetFile):
            return File(  # type: ignore[return-value]
                file_id=method.file_id, file_unique_id=f"u-{method.file_id}",
                file_path=method.file_id,
            )  # fmt: skip
        if isinstance(method, GetMe):
            return User(id=BOT_ID, is_bot=True, first_name="Sales", username="sales_bot")  # type: ignore[return-value]
        if isinstance(method, EditMessageReplyMarkup):
            shown = self.shown(int(method.chat_id or 0), method.message_id)
            if shown is not None:
                shown.markup = method.reply_markup
            return True  # type: ignore[return-value]
        if isinstance(method, AnswerCallbackQuery):
            return True  # type: ignore[return-value]
        return True  # type: ignore[return-value]

    def _record_other(
        self, method: SendPhoto | SendVoice | CopyMessage | SendDocument
    ) -> Message | MessageId:
        chat_id = int(method.chat_id)
        if chat_id in self.fail_for:
            from aiogram.exceptions import TelegramForbiddenError

            raise TelegramForbiddenError(
                method,  # type: ignore[misc]
                "Forbidden: bot was blocked by the user",
            )
        message_id = next(self._ids)
        if isinstance(method, SendPhoto):
            photo = method.photo
            data = getattr(photo, "data", photo)
            self._record(
                Sent(chat_id, method.caption or "", method.reply_markup, message_id, "photo", data)  # type: ignore[arg-type]
            )
        elif isinstance(method, SendVoice):
            self._record(Sent(chat_id, "", None, message_id, "voice", method.voice))
        elif isinstance(method, SendDocument):
            upload = method.document
            markup = method.reply_markup
            self._record(
                Sent(chat_id, method.caption or "", markup, message_id, "document", upload)  # type: ignore[arg-type]
            )
            return Message(
                message_id=message_id,
                date=datetime.now(UTC),
                chat=Chat(id=chat_id, type="private"),
                document=Document(
                    file_id=f"doc-{message_id}", file_unique_id=f"u{message_id}",
                    file_name=getattr(upload, "filename", None),
                ),
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )  # fmt: skip
        else:
            origin = (int(method.from_chat_id), method.message_id)
            self._record(Sent(chat_id, "", None, message_id, "copy", origin))
            return MessageId(message_id=message_id)
        return Message(
            message_id=message_id, date=datetime.now(UTC), chat=Chat(id=chat_id, type="private")
        )

    def to(self, chat_id: int) -> list[Sent]:
        return [sent for sent in self.sent if sent.chat_id == chat_id]


def make_bot(session: RecordingSession) -> Bot:
    from aiogram.client.default import DefaultBotProperties
    from aiogram.enums import ParseMode

    return Bot(
        f"{BOT_ID}:TEST-TOKEN-abcdef",
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


class Prospect:
    """A Telegram user in a private chat with the bot; each action returns what the bot answered."""

    _update_ids = itertools.count(1)

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        session: RecordingSession,
        user_id: int = 1001,
        first_name: str = "Анна",
        language: str = "ru",
        username: str | None = "anna",
    ) -> None:
        self.dp, self.bot, self.session = dispatcher, bot, session
        self.user = User(
            id=user_id,
            is_bot=False,
            first_name=first_name,
            language_code=language,
            username=username,
        )
        self.chat = Chat(id=user_id, type="private")
        self._message_ids = itertools.count(1)
        self.last_message_id = 0
        self.messages: dict[int, Message] = {}  # what the user sent, by id (for replies to it)

    async def _feed(self, **update: Any) -> list[Sent]:
        before = len(self.session.sent)
        await self.dp.feed_update(self.bot, Update(update_id=next(self._update_ids), **update))
        return [sent for sent in self.session.sent[before:] if sent.chat_id == self.chat.id]

    def _message(self, chat: Chat | None = None, **content: Any) -> Message:
        self.last_message_id = next(self._message_ids)
        message = Message(
            message_id=self.last_message_id,
            date=datetime.now(UTC),
            chat=chat or self.chat,
            from_user=self.user,
            **content,
        )
        self.messages[message.message_id] = message
        return message

    async def send(
        self, text: str, chat: Chat | None = None, reply_to: Sent | None = None
    ) -> list[Sent]:
        content: dict[str, Any] = {"text": text}
        if reply_to is not None:
            content["reply_to_message"] = self._bots(reply_to)
        return await self._feed(message=self._message(chat=chat, **content))

    def _bots(self, sent: Sent) -> Message:
        """The bot's message `sent`, as a reply to it carries it (a file with its name)."""
        document = None
        if sent.kind == "document":
            name = getattr(sent.file, "filename", None)
            document = Document(
                file_id=f"doc-{sent.message_id}", file_unique_id="u", file_name=name
            )
        return Message(
            message_id=sent.message_id,
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=User(id=BOT_ID, is_bot=True, first_name="Sales"),
            text=sent.text if document is None else None,
            caption=sent.text if document is not None else None,
            document=document,
        )

    async def send_voice(self, file_id: str = "voice-1", duration: int = 12) -> list[Sent]:
        voice = Voice(file_id=file_id, file_unique_id=f"u-{file_id}", duration=duration)
        return await self._feed(message=self._message(voice=voice))

    async def share_contact(
        self, phone: str, owner_id: int | None = None, first_name: str | None = None
    ) -> list[Sent]:
        contact = Contact(
            phone_number=phone,
            first_name=first_name or self.user.first_name,
            user_id=owner_id or self.user.id,
        )
        return await self._feed(message=self._message(contact=contact))

    async def send_sticker(self) -> list[Sent]:
        sticker = Sticker(
            file_id="s1",
            file_unique_id="u1",
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
        )
        return await self._feed(message=self._message(sticker=sticker))

    async def send_document(
        self, data: bytes, filename: str, file_size: int | None = None,
        reply_to: Sent | None = None,
    ) -> list[Sent]:  # fmt: skip
        """`file_size`: what Telegram says of the file, when it is not `data`'s (a file too big
        for a bot to download is only told of)."""
        file_id = f"file-{len(self.session.files) + 1}"
        self.session.files[file_id] = data
        document = Document(
            file_id=file_id, file_unique_id=f"u-{file_id}", file_name=filename,
            file_size=len(data) if file_size is None else file_size,
        )  # fmt: skip
        replied = self._bots(reply_to) if reply_to is not None else None
        return await self._feed(message=self._message(document=document, reply_to_message=replied))

    async def send_photo(self) -> list[Sent]:
        photo = [PhotoSize(file_id="p1", file_unique_id="pu1", width=90, height=90)]
        return await self._feed(message=self._message(photo=photo))

    async def callback(self, data: str, message_id: int = 1) -> list[Sent]:
        """A press of a button with `data` under the message `message_id`, which comes with the
        text and the keyboard the chat shows, as Telegram sends them (the HTML sent as text and
        its entities)."""
        shown = self.session.shown(self.chat.id, message_id)
        markup = shown.markup if shown and isinstance(shown.markup, InlineKeyboardMarkup) else None
        text, entities = as_entities(shown.text if shown and shown.text else "…")
        message = self._message(text=text, entities=entities or None)
        # a reply of the bot's comes with what it replies to, as Telegram gives it
        origin = self.messages.get(shown.reply_to) if shown and shown.reply_to else None
        update = {"message_id": message_id, "reply_markup": markup, "reply_to_message": origin}
        query = CallbackQuery(
            id=str(next(self._update_ids)),
            from_user=self.user,
            chat_instance="ci",
            data=data,
            message=message.model_copy(update=update),
        )
        return await self._feed(callback_query=query)

    async def edit(self, text: str | None = None, after: int = 0, **content: Any) -> list[Sent]:
        """The user's last message, edited `after` seconds after it was sent: to `text`, or to
        other `content` (a live location moving)."""
        message = self._message(**({"text": text} if text is not None else content))
        edited = message.model_copy(
            update={
                "message_id": self.last_message_id,
                "edit_date": int(message.date.timestamp()) + after,
            }
        )
        return await self._feed(edited_message=edited)

    async def callback_on_gone(self, data: str) -> list[Sent]:
        """A press under a message Telegram no longer gives the bot (too old, or deleted)."""
        query = CallbackQuery(
            id=str(next(self._update_ids)),
            from_user=self.user,
            chat_instance="ci",
            data=data,
            message=InaccessibleMessage(chat=self.chat, message_id=1, date=0),
        )
        return await self._feed(callback_query=query)

    def last(self) -> Sent:
        return self.session.to(self.chat.id)[-1]

    def last_with_buttons(self) -> Sent:
        for sent in reversed(self.session.to(self.chat.id)):
            if sent.buttons():
                return sent
        raise AssertionError("the bot has shown no buttons")

    async def press(self, label: str) -> list[Sent]:
        """Press the button whose text contains `label` on the latest keyboard shown."""
        sent = self.last_with_buttons()
        if isinstance(sent.markup, InlineKeyboardMarkup):
            for row in sent.markup.inline_keyboard:
                for button in row:
                    if label in button.text:
                        assert button.callback_data is not None
                        return await self.callback(button.callback_data, sent.message_id)
        if isinstance(sent.markup, ReplyKeyboardMarkup):
            for reply_row in sent.markup.keyboard:
                for reply_button in reply_row:
                    if label in reply_button.text:
                        if reply_button.request_contact:
                            return await self.share_contact("+79161234567")
                        return await self.send(reply_button.text)
        raise AssertionError(f"no button {label!r} in {sent.buttons()}")

    def answer_callback_texts(self) -> list[str | None]:
        return [call.text for call in self.session.calls if isinstance(call, AnswerCallbackQuery)]


class _Entities(HTMLParser):
    """The bot's HTML as Telegram gives it back: plain text, and entities in UTF-16 units."""

    KINDS: ClassVar[dict[str, str]] = {
        "b": "bold", "i": "italic", "u": "underline", "s": "strikethrough", "code": "code",
        "pre": "pre", "a": "text_link", "blockquote": "blockquote",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.open: list[tuple[str, int, str | None]] = []
        self.entities: list[MessageEntity] = []

    def _offset(self) -> int:
        return len(self.text.encode("utf-16-le")) // 2

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.KINDS:
            self.open.append((tag, self._offset(), dict(attrs).get("href")))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                _, start, url = self.open.pop(index)
                length = self._offset() - start
                if length:
                    self.entities.append(
                        MessageEntity(type=self.KINDS[tag], offset=start, length=length, url=url)
                    )
                return

    def handle_data(self, data: str) -> None:
        self.text += data


def as_entities(html: str) -> tuple[str, list[MessageEntity]]:
    parser = _Entities()
    parser.feed(html)
    parser.close()
    return parser.text, sorted(parser.entities, key=lambda e: e.offset)
