"""The sending path against the fake Bot API over HTTP: 429, 5xx, 403."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError

from bot.sending import Limits, SendingPolicy
from tests.e2e.conftest import TOKEN
from tests.e2e.fake_api import ApiError, FakeBotAPI


class Waits:
    """A sleep that records and moves a fake clock instead of waiting: the tests take no time."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.time = 0.0

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.time += seconds

    def now(self) -> float:
        return self.time


def bot_for(api: FakeBotAPI, waits: Waits) -> tuple[Bot, SendingPolicy]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
    policy = SendingPolicy(Limits(backoff_seconds=0.5, server_retries=3), waits, waits.now)
    session.middleware(policy)
    return Bot(TOKEN, session=session), policy


async def test_429_waits_for_retry_after_and_the_message_is_not_lost(fake_api: FakeBotAPI) -> None:
    waits = Waits()
    bot, policy = bot_for(fake_api, waits)
    fake_api.failures = [ApiError(429, "Too Many Requests: retry after 7", retry_after=7)] * 2
    try:
        sent = await bot.send_message(1001, "hello")
    finally:
        await bot.session.close()
    assert sent.text == "hello" and policy.retried_429 == 2
    assert waits.seconds == [7, 7]
    assert [m.text for m in fake_api.messages_to(1001)] == ["hello"]


async def test_a_429_to_another_method_waits_without_holding_up_the_messages(
    fake_api: FakeBotAPI,
) -> None:
    """setWebhook while several processes start at a deploy: asked again after retry_after,
    not in a tight loop, and the messages' pace is its own."""
    waits = Waits()
    bot, policy = bot_for(fake_api, waits)
    fake_api.failures_of["setWebhook"] = [ApiError(429, "Too Many Requests", retry_after=3)] * 2
    try:
        assert await bot.set_webhook("https://bot.example.com/telegram")
        await bot.send_message(1001, "not paused")
    finally:
        await bot.session.close()
    assert waits.seconds == [3, 3] and len(fake_api.method_calls("setWebhook")) == 3
    assert policy.retried_429 == 2


async def test_server_errors_back_off_then_give_up(fake_api: FakeBotAPI) -> None:
    waits = Waits()
    bot, _ = bot_for(fake_api, waits)
    fake_api.failures = [ApiError(502, "Bad Gateway")] * 2
    try:
        await bot.send_message(1001, "after two failures")
        fake_api.failures = [ApiError(500, "Internal Server Error")] * 10
        try:
            await bot.send_message(1001, "never")
        except Exception as error:
            assert "Internal Server Error" in str(error)
        else:
            raise AssertionError("a persistent 5xx must be raised after the retries")
    finally:
        await bot.session.close()
    backoffs = [seconds for seconds in waits.seconds if seconds > 0.1]  # not the 30/s spacing
    assert backoffs == [0.5, 1.0, 0.5, 1.0, 2.0]
    assert [m.text for m in fake_api.messages_to(1001)] == ["after two failures"]


async def test_403_is_raised_at_once(fake_api: FakeBotAPI) -> None:
    waits = Waits()
    bot, _ = bot_for(fake_api, waits)
    fake_api.blocked.add(1001)
    try:
        await bot.send_message(1001, "x")
    except TelegramForbiddenError:
        pass
    else:
        raise AssertionError("403 must reach the caller")
    finally:
        await bot.session.close()
    assert waits.seconds == [] and len(fake_api.method_calls("sendMessage")) == 1


async def test_a_reply_goes_before_a_batch_of_reminders_already_queued() -> None:
    """In-process: the order in which requests leave the policy, with a recording next step."""
    import asyncio

    from aiogram.methods import SendMessage

    from bot.sending import bulk

    policy = SendingPolicy(Limits(per_second=1000))
    order: list[int] = []

    async def make_request(bot: object, method: SendMessage) -> object:
        order.append(int(method.chat_id))
        return object()

    async def reminder(chat: int) -> None:
        with bulk():
            await policy(make_request, None, SendMessage(chat_id=chat, text="reminder"))  # type: ignore[arg-type]

    async def reply() -> None:
        await policy(make_request, None, SendMessage(chat_id=1, text="reply"))  # type: ignore[arg-type]

    batch = [asyncio.create_task(reminder(chat)) for chat in range(100, 130)]
    await asyncio.sleep(0)  # the batch is queued first
    await asyncio.gather(reply(), *batch)
    assert len(order) == 31
    assert order.index(1) <= 2, order  # behind at most the reminders already at the head


async def test_a_message_held_past_its_deadline_is_not_sent(fake_api: FakeBotAPI) -> None:
    """A reminder whose lease would run out while a 429 holds it: left for the next claim."""
    import pytest

    from bot.sending import TooLate, start_by

    waits = Waits()
    bot, _ = bot_for(fake_api, waits)
    fake_api.failures = [ApiError(429, "Too Many Requests: retry after 30", retry_after=30)]
    try:
        with start_by(10.0), pytest.raises(TooLate):
            await bot.send_message(1001, "too late")
        await bot.send_message(1001, "no deadline")  # waits out the pause, then goes
    finally:
        await bot.session.close()
    assert [m.text for m in fake_api.messages_to(1001)] == ["no deadline"]
