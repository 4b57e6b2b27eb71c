"""Reminders benchmark: a batch of due reminders sent within Telegram's limits (issue 4).

Run from the repository root: `.venv/bin/python bench/reminders.py` (about 20 min with the
defaults: 10,000 reminders at 30 messages/s alone take 5.5 min at the very least). A quick run
of a few minutes: `--reminders 1000 --others 500`. `--only` picks
parts.

Everything runs in this process and its event loop: the fake Bot API server of the end-to-end
tests (`tests.e2e.fake_api.FakeBotAPI`, aiohttp on 127.0.0.1), subclassed here to note the time
each sendMessage is accepted and, for one run, to answer 10 % of them with 429; the bot's Bot
built by `bot.app.create_bot` (AiohttpSession to the fake server, the `SendingPolicy` middleware
with the `sending` limits of config/salesbot.yaml, --rate overriding per_second); the real
`ReminderService` on `SqlReminderRepository` and the real `ReminderPusher` (each reminder sent
with `bot.send_message` inside `bulk()`), on a fresh, migrated SQLite file per run.

Runs, each on its own database, server and Bot (fresh limiters):

* baseline: the same fake server and HTTP path without the SendingPolicy (1,000 messages from 30
  concurrent senders), and interactive messages through the policy with nothing else being sent;
* A, rate: --reminders reminders (10,000) due at once over --chats chats (2,000), delivered
  exactly as `bot.app` delivers them: `bot.reminder_push.start_scheduler` ticks every
  `REMINDER_TICK_SECONDS`, each tick of `bot.services.delivery.Delivery` claims (with leases)
  while fewer than `WINDOW` reminders are on their way, one sender per chat sends them, and the
  SendingPolicy alone sets the pace;
* B, latency: --others reminders (3,000) the same way, while every 0.25 s an interactive message
  (not in `bulk()`) goes to a chat outside the batch; its latency is call to return;
* C, 429: --others reminders with 10 % of sendMessage calls answered 429 (retry_after 1);
* memory: the bot process itself (`python -m bot run`, started as the e2e tests start it,
  against the fake server) on a database of 100,000 pending reminders due over the next 30 days,
  after 12 s of long polling and scheduler ticks: its RSS and peak from /proc, against the same
  process on a database without reminders (the baseline);
* due-row query: `SqlReminderRepository.claim` and the SELECT of due rows it contains on those
  100,000 rows, nothing due and 100 due, against `SELECT 1` on the same engine.

The reminders of a batch are spread evenly over the chats in random order, except for a few
busy chats (--busy-chats x --busy-size, 10 x 30) whose reminders are consecutive rows: a manager
who set 30 reminders for 10:00, the case where the per-chat limit is what holds sending back.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import bisect
import gc
import logging
import math
import os
import platform
import random
import re
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiogram
import sqlalchemy as sa
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.stats import percentile, verdict
from bot.app import REMINDER_TICK_SECONDS, create_bot
from bot.clock import SystemClock
from bot.config import BusinessConfig, load_business_config
from bot.domain.reminders import ReminderStatus
from bot.reminder_push import ReminderPusher, start_scheduler
from bot.sending import SendingPolicy
from bot.services.delivery import WINDOW, Delivery
from bot.services.desk import DeskService
from bot.services.reminders import LEASE, ReminderService
from bot.settings import Settings
from bot.texts import Translator, default_catalogue
from storage.db import create_engine
from storage.desk import SqlDeskRepository
from storage.migrate import upgrade_engine
from storage.reminders import SqlReminderRepository, due_rows
from storage.schema import reminders
from tests.e2e.conftest import TOKEN, BotLauncher
from tests.e2e.fake_api import ApiError, FakeBotAPI, JsonDict

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parent.parent
CONFIG = ROOT / "config" / "salesbot.yaml"
FIRST_CHAT = 600_000_000  # the batch's chats
FIRST_PROBE_CHAT = 900_000_000  # interactive messages, one new chat each
MARK = re.compile(r"bench reminder (\d+)\b")
CHUNK = 5_000  # rows per executemany
PENDING = ReminderStatus.PENDING.value

RATE_TARGET = 0.95  # of the limit, sustained
INTERACTIVE_P95_TARGET = 1.5  # seconds, while a batch runs
RSS_TARGET_MB = 150.0  # the bot process with 100,000 pending reminders
QUERY_P95_TARGET_MS = 5.0  # the due-row query
PROBE_EVERY = 0.25  # seconds between interactive messages
FAIL_SHARE = 0.10  # of sendMessage calls answered 429 in run C
RETRY_AFTER = 1  # seconds, in those answers
IN_FLIGHT = 0.05  # s: requests this soon after a 429 were on their way already
WINDOWS = (1.0, 3.0, 10.0)  # seconds: per-chat sliding windows checked
MEMORY_PENDING = 100_000
MEMORY_SETTLE = 12.0  # seconds the bot process runs before its memory is read (2-3 ticks)
QUERY_ITERATIONS = 300
QUERY_WARM_UP = 30

# ------------------------------------------------------------------------------------------------
# The fake Bot API server, timing what it accepts


@dataclass(frozen=True, slots=True)
class Accepted:
    """A sendMessage the server accepted: when (time.monotonic), to whom, which reminder."""

    at: float
    chat_id: int
    reminder: int | None  # None: not a reminder (an interactive message)


class TimedBotAPI(FakeBotAPI):
    """The e2e fake server; notes each accepted sendMessage, answers a share of them 429."""

    def __init__(self, fail_share: float = 0.0, seed: int = 1) -> None:
        super().__init__(TOKEN)
        self.fail_share = fail_share
        self._rng = random.Random(seed)
        self.accepted: list[Accepted] = []
        self.requests: list[float] = []  # every sendMessage, refused ones too
        self.refusals: list[float] = []  # when a 429 was answered

    async def _dispatch(self, method: str, params: JsonDict) -> Any:
        if method == "sendMessage":
            self.requests.append(time.monotonic())
            if self.fail_share and self._rng.random() < self.fail_share:
                self.refusals.append(time.monotonic())
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=RETRY_AFTER)
        result = await super()._dispatch(method, params)
        if method == "sendMessage":
            found = MARK.search(str(params["text"]))
            self.accepted.append(
                Accepted(
                    time.monotonic(),
                    int(params["chat_id"]),
                    int(found.group(1)) if found else None,
                )
            )
        return result


def bot_config(rate: float) -> BusinessConfig:
    config = load_business_config(CONFIG)
    sending = config.sending.model_copy(update={"per_second": rate})
    return config.model_copy(update={"sending": sending})


def policy_bot(api: FakeBotAPI, config: BusinessConfig) -> tuple[Bot, SendingPolicy]:
    """The bot's own Bot, as `bot.app.create_bot` builds it, against the fake server."""
    bot = create_bot(Settings(bot_token=TOKEN, telegram_api_url=api.url), config)
    policy = next(m for m in bot.session.middleware if isinstance(m, SendingPolicy))
    return bot, policy


def raw_bot(api: FakeBotAPI) -> Bot:
    """The same HTTP path without the SendingPolicy."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


# ------------------------------------------------------------------------------------------------
# The reminders of a batch


@dataclass(frozen=True)
class Plan:
    chats: list[int]  # chat of reminder i + 1, in row order
    busy: list[int]  # the busy chats

    @property
    def size(self) -> int:
        return len(self.chats)


def make_plan(count: int, chats: int, busy_chats: int, busy_size: int, seed: int) -> Plan:
    """`busy_chats` chats get `busy_size` consecutive rows each, at random places; the other
    reminders go evenly to the other chats, in random order."""
    rng = random.Random(seed)
    busy_chats = min(busy_chats, max(0, chats - 1), count // max(1, busy_size))
    busy = [FIRST_CHAT + i for i in range(busy_chats)]
    others = [FIRST_CHAT + i for i in range(busy_chats, chats)]
    rest = count - busy_chats * busy_size
    order = [others[i % len(others)] for i in range(rest)]
    rng.shuffle(order)
    for chat in busy:
        at = rng.randrange(len(order) + 1)
        order[at:at] = [chat] * busy_size
    return Plan(order, busy)


def scaled(plan_args: argparse.Namespace, count: int, seed: int) -> Plan:
    """A smaller batch with the same density of reminders per chat and of busy chats."""
    share = count / plan_args.reminders
    return make_plan(
        count,
        max(1, round(plan_args.chats * share)),
        max(1, round(plan_args.busy_chats * share)) if plan_args.busy_chats else 0,
        plan_args.busy_size,
        seed,
    )


async def new_database(directory: Path, name: str) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{directory / name}.db")
    await upgrade_engine(engine)
    return engine


async def insert(engine: AsyncEngine, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with engine.begin() as c:
            await c.execute(reminders.insert(), list(rows[start : start + CHUNK]))


def row(reminder_id: int, chat_id: int, due_at: datetime, now: datetime) -> dict[str, Any]:
    return {
        "id": reminder_id,
        "deal_id": None,  # the pusher sends a reminder without a deal as it is
        "chat_id": chat_id,
        "kind": "manual",
        "text": f"bench reminder {reminder_id}",
        "due_at": due_at,
        "status": PENDING,
        "lease_until": None,
        "attempts": 0,
        "created_by": chat_id,
        "created_at": now,
        "sent_at": None,
    }


async def pending(engine: AsyncEngine) -> int:
    async with engine.connect() as c:
        query = sa.select(sa.func.count()).where(reminders.c.status == PENDING)
        return int((await c.execute(query)).scalar_one())


async def statuses(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as c:
        result = await c.execute(
            sa.select(reminders.c.status, sa.func.count()).group_by(reminders.c.status)
        )
        return {str(status): int(count) for status, count in result}


# ------------------------------------------------------------------------------------------------
# A batch run


@dataclass
class BatchRun:
    name: str
    plan: Plan
    how: str  # how the batch was driven
    accepted: list[Accepted] = field(default_factory=list)  # reminders only
    probes: list[float] = field(default_factory=list)  # interactive latencies, s
    probes_accepted: int = 0
    began: float = 0.0  # time.monotonic() when the batch was due and delivery started
    ended: float = 0.0
    finished: bool = False
    statuses: dict[str, int] = field(default_factory=dict)
    refused_429: int = 0
    retried_429: int = 0
    during_pause: int = 0  # requests within a 429's retry_after (not in flight already)
    attempts: int = 0  # sendMessage calls the server saw for reminders, 429s included

    # --- figures ---

    @property
    def delivered(self) -> int:
        return len(self.accepted)

    @property
    def times(self) -> list[float]:
        return sorted(a.at for a in self.accepted)

    def rate(self) -> float:
        """Sustained: messages after the first / time from the first to the last."""
        t = self.times
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 0.0

    def middle_rate(self) -> float:
        """Over the middle 80 % of the messages (from the 10th to the 90th percentile)."""
        t = self.times
        if len(t) < 10:
            return self.rate()
        low, high = int(0.1 * len(t)), int(0.9 * len(t))
        return (high - low) / (t[high] - t[low]) if t[high] > t[low] else 0.0

    def wall_rate(self) -> float:
        """Messages / time from the start of delivery to the last message."""
        t = self.times
        return len(t) / (t[-1] - self.began) if t else 0.0

    def per_reminder(self) -> Counter[int]:
        return Counter(a.reminder for a in self.accepted if a.reminder is not None)

    def lost(self) -> int:
        seen = self.per_reminder()
        return sum(1 for i in range(1, self.plan.size + 1) if i not in seen)

    def twice(self) -> int:
        return sum(1 for n in self.per_reminder().values() if n > 1)

    def wrong_chat(self) -> int:
        return sum(
            1
            for a in self.accepted
            if a.reminder is None
            or not 1 <= a.reminder <= self.plan.size
            or self.plan.chats[a.reminder - 1] != a.chat_id
        )

    def max_in_window(self, window: float, chats: bool) -> int:
        """The most messages in any `window` seconds: to one chat, or overall."""
        groups: dict[int, list[float]] = defaultdict(list)
        for a in self.accepted:
            groups[a.chat_id if chats else 0].append(a.at)
        most = 0
        for times in groups.values():
            times.sort()
            for i, start in enumerate(times):
                # messages at start .. start + window, excluding the far end
                j = bisect.bisect_left(times, start + window, lo=i)
                most = max(most, j - i)
        return most

    def max_overall_after(self, window: float, skip: float) -> int:
        t = [at for at in self.times if at >= self.times[0] + skip]
        most = 0
        for i, start in enumerate(t):
            most = max(most, bisect.bisect_left(t, start + window, lo=i) - i)
        return most

    def percentile(self, q: float) -> float:
        return percentile(self.probes, q)


def during_pause(requests: Sequence[float], refusals: Sequence[float]) -> int:
    """Requests the server got while a 429 told the bot to wait: later than IN_FLIGHT after
    one and earlier than its retry_after."""
    refusals = sorted(refusals)
    count = 0
    for at in requests:
        i = bisect.bisect_right(refusals, at - IN_FLIGHT)  # refusals at least IN_FLIGHT before
        count += i > 0 and at < refusals[i - 1] + RETRY_AFTER
    return count


async def run_batch(
    name: str,
    directory: Path,
    plan: Plan,
    config: BusinessConfig,
    args: argparse.Namespace,
    *,
    fail_share: float = 0.0,
    probes: bool = False,
) -> BatchRun:
    how = f"start_scheduler every {REMINDER_TICK_SECONDS:g} s, Delivery window {WINDOW}"
    run = BatchRun(name, plan, how)
    engine = await new_database(directory, name)
    now = datetime.now(UTC)
    await insert(engine, [row(i, chat, now, now) for i, chat in enumerate(plan.chats, start=1)])
    api = TimedBotAPI(fail_share, args.seed)
    await api.start()
    bot, policy = policy_bot(api, config)
    service = ReminderService(SqlReminderRepository(engine), DeskService(SqlDeskRepository(engine)))
    pusher = ReminderPusher(
        bot, DeskService(SqlDeskRepository(engine)), config, Translator(default_catalogue(), "ru")
    )
    # Generous: the batch at the limit three times over (eight with 429s, each of which may
    # stop all sending for a second), plus a minute.
    deadline_in = (8 if fail_share else 3) * plan.size / args.rate + 60
    probe_tasks: list[asyncio.Task[None]] = []

    async def probe(number: int) -> None:
        began = time.perf_counter()
        await bot.send_message(FIRST_PROBE_CHAT + number, f"interactive reply {number}")
        run.probes.append(time.perf_counter() - began)

    async def prober() -> None:
        number = 0
        while True:
            probe_tasks.append(asyncio.create_task(probe(number)))
            number += 1
            await asyncio.sleep(PROBE_EVERY)

    async def until_done(deadline: float) -> None:
        while time.monotonic() < deadline:
            if await pending(engine) == 0:
                return
            await asyncio.sleep(0.2)

    gc.collect()
    prober_task = asyncio.create_task(prober()) if probes else None
    try:
        run.began = time.monotonic()
        deadline = run.began + deadline_in
        clock = SystemClock()
        delivery = Delivery(service, pusher, clock.now, pusher.digest)
        jobs = start_scheduler(delivery, service, clock, REMINDER_TICK_SECONDS)
        try:
            await until_done(deadline)
        finally:
            jobs.shutdown(wait=False)
            await delivery.close()
        run.ended = time.monotonic()
        run.finished = run.ended < deadline
    finally:
        if prober_task is not None:
            prober_task.cancel()
        if probe_tasks:
            await asyncio.gather(*probe_tasks, return_exceptions=True)
        await asyncio.sleep(0.5)  # a send still in flight (the scheduler's) lands
        run.accepted = [a for a in api.accepted if a.reminder is not None]
        run.probes_accepted = sum(1 for a in api.accepted if a.reminder is None)
        run.attempts = len(api.method_calls("sendMessage")) - run.probes_accepted
        run.refused_429, run.retried_429 = len(api.refusals), policy.retried_429
        run.during_pause = during_pause(api.requests, api.refusals)
        run.statuses = await statuses(engine)
        await bot.session.close()
        await api.close()
        await engine.dispose()
    return run


# ------------------------------------------------------------------------------------------------
# Baselines: the HTTP path without the policy; interactive messages with nothing else sent


@dataclass
class Baseline:
    raw_messages: int = 0
    raw_rate: float = 0.0
    raw_latencies: list[float] = field(default_factory=list)
    idle_latencies: list[float] = field(default_factory=list)


async def baselines(config: BusinessConfig, messages: int, probes: int) -> Baseline:
    result = Baseline(raw_messages=messages)
    async with TimedBotAPI() as api:
        bot = raw_bot(api)
        try:
            queue = list(range(messages))

            async def sender() -> None:
                while queue:
                    number = queue.pop()
                    began = time.perf_counter()
                    await bot.send_message(FIRST_CHAT + number % 2_000, f"bench reminder {number}")
                    result.raw_latencies.append(time.perf_counter() - began)

            began = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(30)))
            result.raw_rate = messages / (time.perf_counter() - began)
        finally:
            await bot.session.close()
    async with TimedBotAPI() as api:
        bot, _ = policy_bot(api, config)
        try:
            for number in range(probes):
                began = time.perf_counter()
                await bot.send_message(FIRST_PROBE_CHAT + number, f"interactive reply {number}")
                result.idle_latencies.append(time.perf_counter() - began)
                await asyncio.sleep(PROBE_EVERY)
        finally:
            await bot.session.close()
    return result


# ------------------------------------------------------------------------------------------------
# Memory: the bot process (`python -m bot run`) on 100,000 pending reminders


def status_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of process `pid`, MB (Linux); NaN where /proc is missing."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return math.nan, math.nan
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


@dataclass
class BotMemory:
    rss: float  # MB, after the ticks
    peak: float  # MB, the process's high-water mark (start-up and migrations included)
    pending_after: int
    reminders_sent: int
    database: Path
    hundred_due: datetime | None  # when exactly 100 of the pending reminders are due


async def bot_process_memory(directory: Path, fill: int, seed: int, chats: int) -> BotMemory:
    """The real bot process as `make run` starts it (migrations, command menu, long polling, the
    reminder scheduler), on a database holding `fill` pending reminders, none due; its memory
    after `MEMORY_SETTLE` seconds (several scheduler ticks)."""
    await asyncio.to_thread(directory.mkdir)
    api = TimedBotAPI()
    await api.start()
    launcher = BotLauncher(api, directory)
    engine = create_engine(f"sqlite+aiosqlite:///{launcher.db_path}")
    hundred_due = None
    try:
        await upgrade_engine(engine)
        if fill:
            hundred_due = await fill_pending(engine, fill, chats, seed)
        process = await launcher.start()
        assert process.process is not None
        await asyncio.sleep(MEMORY_SETTLE)
        rss, peak = status_mb(process.process.pid)
        code = await process.stop()
        if code != 0:
            raise RuntimeError(f"the bot process exited with {code}:\n{process.output()}")
        left = await pending(engine)
    finally:
        await engine.dispose()
        await api.close()
    sent = sum(1 for a in api.accepted if a.reminder is not None)
    return BotMemory(rss, peak, left, sent, launcher.db_path, hundred_due)


async def fill_pending(engine: AsyncEngine, count: int, chats: int, seed: int) -> datetime:
    """`count` pending reminders due over the next 30 days, from an hour from now; returns
    the due time of the 100th earliest (at that moment 100 are due)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    first = now + timedelta(hours=1)
    offsets = [rng.uniform(0, 30 * 86_400) for _ in range(count)]
    rows = [
        row(i, FIRST_CHAT + rng.randrange(chats), first + timedelta(seconds=offset), now)
        for i, offset in enumerate(offsets, start=1)
    ]
    await insert(engine, rows)
    async with engine.begin() as c:
        await c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return first + timedelta(seconds=sorted(offsets)[99])


# ------------------------------------------------------------------------------------------------
# The due-row query on 100,000 pending reminders


@dataclass
class Series:
    name: str
    target: bool  # held to the target (not a baseline, not the claim of 100 due)
    samples: list[float] = field(default_factory=list)  # seconds

    def ms(self, q: float) -> float:
        return 1000 * percentile(self.samples, q)


async def query_times(
    engine: AsyncEngine, small: AsyncEngine, hundred_due: datetime, iterations: int
) -> tuple[list[Series], list[str]]:
    """`small` holds 100 reminders, all due at `hundred_due`: the same claim of 100 rows
    without the 100,000 others, as a baseline of the write itself."""
    repository = SqlReminderRepository(engine)
    clock = time.perf_counter

    async def select_one() -> float:
        began = clock()
        async with engine.connect() as c:
            (await c.execute(sa.text("SELECT 1"))).scalar_one()
        return clock() - began

    async def claim_nothing() -> float:
        now = datetime.now(UTC)
        began = clock()
        claimed = await repository.claim(now, LEASE, 100)
        elapsed = clock() - began
        assert claimed == [], len(claimed)
        return elapsed

    def select(at: Callable[[], datetime], expect: int) -> Callable[[], Awaitable[float]]:
        async def call() -> float:
            query = due_rows(at(), 100)
            began = clock()
            async with engine.connect() as c:
                ids = (await c.execute(query)).scalars().all()
            elapsed = clock() - began
            assert len(ids) == expect, len(ids)
            return elapsed

        return call

    def claim_hundred(where: AsyncEngine) -> Callable[[], Awaitable[float]]:
        claimer = SqlReminderRepository(where)

        async def call() -> float:
            began = clock()
            claimed = await claimer.claim(hundred_due, LEASE, 100)
            elapsed = clock() - began
            assert len(claimed) == 100, len(claimed)
            async with where.begin() as c:  # untimed: back to the queue for the next round
                await c.execute(
                    reminders.update()
                    .where(reminders.c.id.in_([r.id for r in claimed]))
                    .values(lease_until=None, attempts=0)
                )
            return elapsed

        return call

    def upcoming(chat: int) -> Callable[[], Awaitable[float]]:
        """Not the due-row query: a person's list of their pending reminders (a handler)."""

        async def call() -> float:
            began = clock()
            await repository.upcoming(chat, 20)
            return clock() - began

        return call

    calls: dict[str, Callable[[], Awaitable[float]]] = {
        "baseline: SELECT 1": select_one,
        "claim(now, lease, 100), nothing due": claim_nothing,
        "SELECT of due rows, nothing due": select(lambda: datetime.now(UTC), 0),
        "SELECT of due rows, 100 due": select(lambda: hundred_due, 100),
        "claim(now, lease, 100), 100 due": claim_hundred(engine),
        "baseline: the same, 100-row table": claim_hundred(small),
    }
    # Apart, after the others: each reads the whole index, which would evict the pages the
    # others use from SQLite's cache and slow them down.
    lists: dict[str, Callable[[], Awaitable[float]]] = {
        "upcoming(chat, 20): /reminders": upcoming(FIRST_CHAT + 7),
        "upcoming(chat, 20), chat has none": upcoming(FIRST_PROBE_CHAT),
    }
    series: list[Series] = []
    for group, rounds in ((calls, iterations), (lists, iterations // 3)):
        series.extend(await rotate(group, rounds))
    return series, await plans(engine, repository, hundred_due)


async def rotate(calls: dict[str, Callable[[], Awaitable[float]]], rounds: int) -> list[Series]:
    """After a warm-up, `rounds` rounds in which each call runs once, in rotating order."""
    series = [Series(name, "SELECT of" in name or "nothing due" in name) for name in calls]
    functions = list(calls.values())
    for iteration in range(QUERY_WARM_UP + rounds):
        if iteration == QUERY_WARM_UP:
            gc.collect()
        shift = iteration % len(functions)
        for position in range(shift, shift + len(functions)):
            index = position % len(functions)
            elapsed = await functions[index]()
            if iteration >= QUERY_WARM_UP:
                series[index].samples.append(elapsed)
    return series


async def plans(engine: AsyncEngine, repository: SqlReminderRepository, at: datetime) -> list[str]:
    """SQLite's plan of the claim's statement, exactly as the repository sends it."""
    sent: list[tuple[str, Any]] = []

    def record(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        claimed = await repository.claim(at, LEASE, 100)
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
    lines: list[str] = []
    async with engine.begin() as c:
        await c.execute(
            reminders.update()
            .where(reminders.c.id.in_([r.id for r in claimed]))
            .values(lease_until=None, attempts=0)
        )
        for statement, parameters in sent:
            lines.append("  " + " ".join(statement.split())[:150] + " ...")
            result = await c.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            lines.extend(f"    {plan_row[-1]}" for plan_row in result)
    return lines


# ------------------------------------------------------------------------------------------------
# Report


class LogCounter(logging.Handler):
    """Counts warnings and errors by logger (429 pauses, skipped scheduler runs, failures)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.errors = 0
        self.first: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = f"{record.levelname} {record.name}"
        self.counts[key] += 1
        self.first.setdefault(key, record.getMessage()[:160])
        self.errors += record.levelno >= logging.ERROR


def envelope(config: BusinessConfig, window: float) -> float:
    """What the per-chat limiter allows in `window` s: its burst, plus its rate after it."""
    burst = 3  # Limits.per_chat_burst; create_bot keeps the default
    return burst + config.sending.per_chat_per_second * window


def report_batch(run: BatchRun, config: BusinessConfig, args: argparse.Namespace) -> bool:
    limit = config.sending.per_second
    lost, twice, wrong = run.lost(), run.twice(), run.wrong_chat()
    print(
        f"\n{run.name}: {run.plan.size} reminders, {len(set(run.plan.chats))} chats"
        f" ({len(run.plan.busy)} busy), {run.how}"
    )
    print(
        f"  delivered {run.delivered} in {run.ended - run.began:.1f} s"
        f"{'' if run.finished else ' (STOPPED at the deadline)'}; database: {run.statuses}"
    )
    print(
        f"  rate, msg/s: middle 80 % {run.middle_rate():.2f}, first to last {run.rate():.2f},"
        f" from start {run.wall_rate():.2f}; limit {limit:g}"
    )
    most = run.max_in_window(1.0, chats=False)
    print(
        f"  most in any 1 s overall: {most} (after the first 2 s:"
        f" {run.max_overall_after(1.0, 2.0)}){'  OVER THE LIMIT' if most > limit else ''}"
    )
    chats_line = ", ".join(
        f"{w:g} s: {run.max_in_window(w, chats=True)} (allowed {envelope(config, w):g})"
        for w in WINDOWS
    )
    print(f"  most to one chat in any {chats_line}")
    per_chat_ok = all(run.max_in_window(w, chats=True) <= envelope(config, w) for w in WINDOWS)
    print(
        f"  lost {lost}, sent twice {twice}, to a wrong chat {wrong};"
        f" sendMessage calls {run.attempts}, 429 answered {run.refused_429},"
        f" retried by the policy {run.retried_429}, sent while told to wait {run.during_pause}"
    )
    ok = lost == 0 and twice == 0 and wrong == 0 and per_chat_ok and run.finished
    ok &= run.statuses.get(ReminderStatus.SENT.value, 0) == run.plan.size
    print(f"  none lost, none twice, per-chat limit kept: {verdict(ok)}")
    if run.probes:
        print(
            f"  interactive: {len(run.probes)} sent every {PROBE_EVERY:g} s, latency p50"
            f" {run.percentile(0.5):.3f} s, p95 {run.percentile(0.95):.3f} s,"
            f" max {max(run.probes):.3f} s (target p95 < {INTERACTIVE_P95_TARGET:g} s):"
            f" {verdict(run.percentile(0.95) < INTERACTIVE_P95_TARGET)}"
        )
        ok &= run.percentile(0.95) < INTERACTIVE_P95_TARGET
    if run.name == "A-rate":
        rate_ok = run.middle_rate() >= RATE_TARGET * limit
        print(
            f"  sustained (middle 80 %) {run.middle_rate():.2f} msg/s ="
            f" {run.middle_rate() / limit:.1%} of the limit"
            f" (target >= {RATE_TARGET:.0%} = {RATE_TARGET * limit:g}): {verdict(rate_ok)}"
        )
        ok &= rate_ok
    return ok


def aiogram_floor() -> float:
    """RSS, MB, of a bare Python that imported aiogram and nothing else: no bot on aiogram
    can be smaller (its pydantic models of the whole Bot API)."""
    import subprocess

    code = (
        "import gc, aiogram; from aiogram import Bot, Dispatcher; gc.collect();"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def report_memory(full: BotMemory, empty: BotMemory, floor: float) -> bool:
    print(
        f"\nmemory of the bot process (python -m bot run, {MEMORY_SETTLE:g} s: long polling and"
        f" the reminder scheduler every {REMINDER_TICK_SECONDS:g} s), MB"
    )
    print(f"  {'':34} {'RSS':>7} {'peak':>7}")
    for label, figures in (
        (f"{MEMORY_PENDING} pending reminders", full),
        ("baseline: no reminders", empty),
    ):
        print(f"  {label:34} {figures.rss:7.1f} {figures.peak:7.1f}")
    print(f"  {'floor: python + import aiogram':34} {floor:7.1f}")
    cost = full.rss - empty.rss
    untouched = full.pending_after == MEMORY_PENDING and full.reminders_sent == 0
    cost_ok = cost < RSS_TARGET_MB and untouched
    print(
        f"  the pending reminders cost {cost:+.1f} MB (target < {RSS_TARGET_MB:g} MB):"
        f" {verdict(cost_ok)}; still pending after the ticks: {full.pending_after}"
    )
    print(
        f"  the whole process: RSS {full.rss:.1f} MB, peak {full.peak:.1f} MB, of which"
        f" {floor:.1f} MB are aiogram's import (not held: no process with aiogram is smaller)"
    )
    return cost_ok


def note(name: str) -> str:
    if name.startswith("baseline"):
        return "(baseline)"
    if name.startswith("claim"):
        return "(a write of 100 rows: not held)"
    return "(not the due-row query: not held)"


def report_queries(series: Sequence[Series], explained: Sequence[str]) -> bool:
    print(
        f"\ndue-row query on {MEMORY_PENDING} pending reminders, ms ({len(series[0].samples)} calls"
        f" each; the lists apart, after, {len(series[-1].samples)} each)"
    )
    print(f"  {'':40} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}")
    ok = True
    for s in series:
        passed = s.ms(0.95) < QUERY_P95_TARGET_MS
        ok &= passed or not s.target
        print(
            f"  {s.name:40} {s.ms(0.5):7.2f} {s.ms(0.95):7.2f} {s.ms(0.99):7.2f}"
            f" {1000 * max(s.samples):7.2f}  {verdict(passed) if s.target else note(s.name)}"
        )
    print(f"  target p95 < {QUERY_P95_TARGET_MS:g} ms (the due-row query): {verdict(ok)}")
    print("  plan of the claim:")
    for line in explained:
        print(line)
    return ok


# ------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--reminders", type=int, default=10_000, help="run A (10000)")
    parser.add_argument("--chats", type=int, default=2_000, help="chats of run A (2000)")
    parser.add_argument("--rate", type=float, default=30.0, help="messages/s overall (30)")
    parser.add_argument(
        "--others", type=int, default=3_000, help="runs B (latency) and C (429) (3000)"
    )
    parser.add_argument("--busy-chats", type=int, default=10, help="busy chats of run A (10)")
    parser.add_argument("--busy-size", type=int, default=30, help="reminders per busy chat (30)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--only",
        default="baseline,A,B,C,memory",
        help="which parts, comma-separated (baseline,A,B,C,memory: memory and the due-row query)",
    )
    parser.add_argument("--check", action="store_true", help="exit with 1 if a target is missed")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> bool:
    counter = LogCounter()
    logging.getLogger().addHandler(counter)
    parts = {part.strip() for part in args.only.split(",")}
    config = bot_config(args.rate)
    print(
        f"reminders bench: limit {args.rate:g} msg/s (replies before reminders,"
        f" per chat {config.sending.per_chat_per_second:g}/s in bursts of 3), run A"
        f" {args.reminders} reminders over {args.chats} chats, B and C {args.others};"
        f" Python {platform.python_version()}, aiogram"
        f" {aiogram.__version__}, SQLAlchemy {sa.__version__}, {os.cpu_count()} CPUs"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="salesbot-bench-") as tmp:
        directory = Path(tmp)
        if "baseline" in parts:
            base = await baselines(config, 1_000, 40)
            print(
                f"\nbaseline, the fake server without the SendingPolicy: {base.raw_messages}"
                f" messages from 30 senders at {base.raw_rate:.0f} msg/s, latency p50"
                f" {1000 * percentile(base.raw_latencies, 0.5):.1f} ms, p95"
                f" {1000 * percentile(base.raw_latencies, 0.95):.1f} ms"
            )
            print(
                f"baseline, interactive through the SendingPolicy, nothing else sent:"
                f" {len(base.idle_latencies)} every {PROBE_EVERY:g} s, latency p50"
                f" {1000 * percentile(base.idle_latencies, 0.5):.1f} ms, p95"
                f" {1000 * percentile(base.idle_latencies, 0.95):.1f} ms"
            )
        runs: list[tuple[str, Callable[[], Awaitable[BatchRun]]]] = []
        if "A" in parts:
            plan = make_plan(args.reminders, args.chats, args.busy_chats, args.busy_size, args.seed)
            runs.append(("A", lambda: run_batch("A-rate", directory, plan, config, args)))
        if "B" in parts:
            plan_b = scaled(args, args.others, args.seed + 1)
            runs.append(
                ("B", lambda: run_batch("B-latency", directory, plan_b, config, args, probes=True))
            )
        if "C" in parts:
            plan_c = scaled(args, args.others, args.seed + 2)
            runs.append(
                (
                    "C",
                    lambda: run_batch(
                        "C-429", directory, plan_c, config, args, fail_share=FAIL_SHARE
                    ),
                )
            )
        for part, start in runs:
            print(f"\nrun {part} ...", flush=True)
            ok &= report_batch(await start(), config, args)
        if "memory" in parts:
            print("\nmemory ...", flush=True)
            empty = await bot_process_memory(directory / "memory-empty", 0, args.seed, args.chats)
            full = await bot_process_memory(
                directory / "memory-pending", MEMORY_PENDING, args.seed, args.chats
            )
            ok &= report_memory(full, empty, aiogram_floor())
            assert full.hundred_due is not None
            small, now = await new_database(directory, "hundred"), datetime.now(UTC)
            await insert(
                small, [row(i, FIRST_CHAT + i, full.hundred_due, now) for i in range(1, 101)]
            )
            engine = create_engine(f"sqlite+aiosqlite:///{full.database}")  # fresh, as at start
            try:
                series, explained = await query_times(
                    engine, small, full.hundred_due, QUERY_ITERATIONS
                )
            finally:
                await engine.dispose()
                await small.dispose()
            ok &= report_queries(series, explained)
    if counter.counts:
        print("\nwarnings and errors logged:")
        for key, count in counter.counts.most_common():
            print(f"  {count:6d} x {key}: {counter.first[key]}")
    print(f"\noverall: {verdict(ok)}")
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ok = asyncio.run(main_async(args))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
