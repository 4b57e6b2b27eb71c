"""Lead-form benchmark: many prospects fill the form at once through the real Dispatcher.

Run from the repository root: `.venv/bin/python bench/lead_form.py` (or `make bench`).

Two stacks are measured in the same run, on the same updates and the same recording Bot session
(no network):

* ours: the production Dispatcher (`bot.app.build_dispatcher`) on a fresh, migrated SQLite file
  in a temporary directory, FSM state in that database (`storage.fsm.SqlStorage`);
* baseline: a bare aiogram Dispatcher with MemoryStorage and one router whose handlers only
  answer (no database, no form logic).

Each prospect is a new Telegram user who sends the updates a real user sends: /start with a
deep-link payload, the menu button, consent, the one-tap name, a shared contact, a typed e-mail and
company, five choice buttons and confirm -- 13 updates, each fed with `dp.feed_update`. Updates are
built as the Bot API sends them (JSON-shaped dicts validated with the bot in the context, as
polling does) before the timed part, so building them costs neither stack anything.

Two load models:

* closed loop: N prospects at once, each sending its next update as soon as the previous one was
  handled, for --closed-seconds; throughput = updates handled / wall time;
* open loop: N prospects, each sending one update at Poisson-distributed moments (one per second
  on average, so about N updates/s offered), for --seconds; latency = feed start to feed end of
  each update. Before the timed part each prospect is brought, untimed, to a random step of its
  form, so the timed mix covers every step of the form from the first second.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import cProfile
import gc
import itertools
import logging
import platform
import pstats
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from aiogram import Bot, Dispatcher, Router
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
)

from bench.stats import percentile, verdict
from bot.app import build_dispatcher
from bot.callbacks import ChoiceCb, FormAction, FormCb, FormField, MenuAction, MenuCb
from bot.clock import SystemClock
from bot.config import load_business_config
from storage.db import create_engine
from storage.fsm import SqlStorage
from storage.migrate import upgrade_engine
from tests.fakes import BOT_ID, RecordingSession, make_bot

ROOT = Path(__file__).resolve().parent.parent
ADMIN_ID = 5001
FIRST_USER_ID = 10_000_000
FIRST_NAME = "Анна"
PAYLOADS = ("vk_ads", "site", "yandex_direct", "expo", "partners")
STEPS_PER_FORM = 13

THROUGHPUT_RATIO_TARGET = 0.4  # ours >= 0.4 x baseline
P99_TARGET_MS = 25.0  # ours, open loop at N prospects

# ------------------------------------------------------------------------------------------------
# The updates a prospect sends


class Conversations:
    """Prospect i's 13 updates, built once, bound to the bot, reused by every run.

    Every run starts on an empty database (or an empty MemoryStorage), so the same users are new
    users in each run. Within a run each conversation is taken once: `take` hands them out in
    order and `reset` starts over.
    """

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._forms: list[list[Update]] = []
        self._next = 0
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._date = int(time.time())
        self.built_while_timed = 0

    def ensure(self, count: int) -> None:
        while len(self._forms) < count:
            self._forms.append(self._build(len(self._forms)))

    def reset(self) -> None:
        self._next = 0

    def take(self) -> list[Update]:
        if self._next >= len(self._forms):
            self.built_while_timed += 1
            self.ensure(self._next + 1)
        form = self._forms[self._next]
        self._next += 1
        return form

    @property
    def taken(self) -> int:
        return self._next

    def _build(self, index: int) -> list[Update]:
        user_id = FIRST_USER_ID + index
        user = {
            "id": user_id,
            "is_bot": False,
            "first_name": FIRST_NAME,
            "username": f"anna{index}",
            "language_code": "ru",
        }
        chat = {"id": user_id, "type": "private", "first_name": FIRST_NAME}
        bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "Sales", "username": "sales_bot"}
        message_ids = itertools.count(1)

        def message(**content: Any) -> dict[str, Any]:
            return {
                "message": {
                    "message_id": next(message_ids),
                    "date": self._date,
                    "chat": chat,
                    "from": user,
                    **content,
                }
            }

        def press(data: str) -> dict[str, Any]:
            """A button under the bot's latest message, as a callback query."""
            return {
                "callback_query": {
                    "id": str(next(self._query_ids)),
                    "from": user,
                    "chat_instance": f"ci{user_id}",
                    "data": data,
                    "message": {
                        "message_id": next(message_ids),
                        "date": self._date,
                        "chat": chat,
                        "from": bot_user,
                        "text": "…",
                    },
                }
            }

        def pick(field: FormField, value: str) -> dict[str, Any]:
            return press(ChoiceCb(field=field, value=value).pack())

        start = f"/start {PAYLOADS[index % len(PAYLOADS)]}"
        contact = {
            "phone_number": f"+7916{index:07d}",
            "first_name": FIRST_NAME,
            "user_id": user_id,
        }
        steps = [
            message(text=start, entities=[{"type": "bot_command", "offset": 0, "length": 6}]),
            press(MenuCb(action=MenuAction.REQUEST).pack()),
            press(FormCb(action=FormAction.AGREE).pack()),
            message(text=FIRST_NAME),  # the one-tap answer on the reply keyboard
            message(contact=contact),  # "send my number"
            message(text=f"Anna{index}@Example.com"),
            message(text="ООО Вектор"),
            pick(FormField.NEED, "crm"),
            pick(FormField.TIMELINE, "now"),
            pick(FormField.BUDGET, "large"),
            pick(FormField.CONTACT_METHOD, "phone"),
            pick(FormField.CONTACT_TIME, "morning"),
            press(FormCb(action=FormAction.CONFIRM).pack()),
        ]
        assert len(steps) == STEPS_PER_FORM
        return [
            Update.model_validate(
                {"update_id": next(self._update_ids), **step}, context={"bot": self._bot}
            )
            for step in steps
        ]


# ------------------------------------------------------------------------------------------------
# The two stacks


@dataclass
class Stack:
    name: str
    dp: Dispatcher
    close: Callable[[], Awaitable[None]]
    leads: Callable[[], Awaitable[int | None]]  # leads stored, where there is a database


async def ours(directory: Path, run: int) -> Stack:
    engine = create_engine(f"sqlite+aiosqlite:///{directory / f'salesbot-{run}.db'}")
    await upgrade_engine(engine)
    dp = build_dispatcher(
        config=load_business_config(ROOT / "config" / "salesbot.yaml"),
        engine=engine,
        storage=SqlStorage(engine),
        admin_ids=frozenset({ADMIN_ID}),
        clock=SystemClock(),
    )

    async def leads() -> int | None:
        async with engine.connect() as connection:
            result = await connection.execute(sa.text("select count(*) from deals"))
            return int(result.scalar_one())

    return Stack("ours", dp, engine.dispose, leads)


async def baseline(directory: Path, run: int) -> Stack:
    router = Router(name="baseline")

    async def on_message(message: Message) -> None:
        await message.answer("ok")

    async def on_callback(callback: CallbackQuery, bot: Bot) -> None:
        await callback.answer()
        await bot.send_message(callback.from_user.id, "ok")

    router.message.register(on_message)
    router.callback_query.register(on_callback)
    dp = Dispatcher(storage=MemoryStorage())
    dp.include_router(router)

    async def close() -> None:
        await dp.storage.close()

    async def leads() -> int | None:
        return None

    return Stack("baseline", dp, close, leads)


StackFactory = Callable[[Path, int], Awaitable[Stack]]
STACKS: dict[str, StackFactory] = {"baseline": baseline, "ours": ours}


# ------------------------------------------------------------------------------------------------
# Load


@dataclass
class Run:
    stack: str
    kind: str  # "closed" or "open"
    updates: int = 0
    elapsed: float = 0.0
    cpu: float = 0.0
    forms: int = 0  # conversations that reached confirm
    late: int = 0  # open loop: updates sent after their moment (the previous one still running)
    latencies: list[float] = field(default_factory=list)  # seconds
    by_step: dict[str, list[float]] = field(default_factory=dict)  # the same, by form step
    leads: int | None = None

    @property
    def throughput(self) -> float:
        return self.updates / self.elapsed

    def percentile_ms(self, q: float) -> float:
        return 1000 * percentile(self.latencies, q)


CONFIRM = FormCb(action=FormAction.CONFIRM).pack()


def stream(conversations: Conversations) -> Iterator[Update]:
    """One prospect after another: a prospect who confirmed is followed by a new one."""
    while True:
        yield from conversations.take()


STEP_NAMES = {
    MenuCb(action=MenuAction.REQUEST).pack(): "menu",
    FormCb(action=FormAction.AGREE).pack(): "consent",
    CONFIRM: "confirm",
}


def step_name(update: Update) -> str:
    """Which of the form's steps an update is, as the report groups them."""
    if update.message is not None:
        if (update.message.text or "").startswith("/start"):
            return "/start"
        return "contact" if update.message.contact else "typed"
    data = update.callback_query.data if update.callback_query else None
    return STEP_NAMES.get(data or "", "choice")


def confirms(update: Update) -> bool:
    return update.callback_query is not None and update.callback_query.data == CONFIRM


async def closed_loop(
    stack: Stack, bot: Bot, conversations: Conversations, prospects: int, seconds: float
) -> Run:
    run = Run(stack.name, "closed")
    feed = stack.dp.feed_update
    clock = time.perf_counter

    async def prospect() -> int:
        handled = 0
        updates = stream(conversations)
        while clock() < deadline:
            update = next(updates)
            await feed(bot, update)
            handled += 1
            run.forms += confirms(update)
        return handled

    gc.collect()
    cpu, start = time.process_time(), clock()
    deadline = start + seconds
    counts = await asyncio.gather(*(prospect() for _ in range(prospects)))
    run.elapsed, run.cpu = clock() - start, time.process_time() - cpu
    run.updates = sum(counts)
    return run


async def open_loop(
    stack: Stack,
    bot: Bot,
    conversations: Conversations,
    prospects: int,
    seconds: float,
    rng: random.Random,
) -> Run:
    run = Run(stack.name, "open")
    feed = stack.dp.feed_update
    clock = time.perf_counter
    streams = [stream(conversations) for _ in range(prospects)]

    # Untimed: each prospect goes to a random step of their form, so that the timed mix holds
    # every step, not 200 /start at once.
    async def prefill(updates: Iterator[Update], steps: int) -> None:
        for _ in range(steps):
            await feed(bot, next(updates))

    # At most 12 steps: nobody confirms untimed.
    await asyncio.gather(*(prefill(s, rng.randrange(STEPS_PER_FORM)) for s in streams))
    delays = [rng.expovariate(1.0) for _ in range(prospects)]

    async def prospect(updates: Iterator[Update], first: float) -> None:
        moment = start + first
        while moment < end:
            wait = moment - clock()
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                run.late += 1
            update = next(updates)
            began = clock()
            await feed(bot, update)
            latency = clock() - began
            run.latencies.append(latency)
            run.by_step.setdefault(step_name(update), []).append(latency)
            run.forms += confirms(update)
            moment += rng.expovariate(1.0)

    gc.collect()
    cpu, start = time.process_time(), clock()
    end = start + seconds
    await asyncio.gather(*(prospect(s, d) for s, d in zip(streams, delays, strict=True)))
    run.elapsed, run.cpu = clock() - start, time.process_time() - cpu
    run.updates = len(run.latencies)
    return run


async def measure(
    name: str,
    kind: str,
    directory: Path,
    number: int,
    session: RecordingSession,
    bot: Bot,
    conversations: Conversations,
    args: argparse.Namespace,
    rng: random.Random,
) -> Run:
    stack = await STACKS[name](directory, number)
    session.clear()
    conversations.reset()
    try:
        if kind == "closed":
            run = await closed_loop(stack, bot, conversations, args.prospects, args.closed_seconds)
        else:
            run = await open_loop(stack, bot, conversations, args.prospects, args.seconds, rng)
        run.leads = await stack.leads()
    finally:
        await stack.close()
    return run


# ------------------------------------------------------------------------------------------------
# Checks: the updates are the ones a real user sends, and every form ends as a stored lead


class ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def check_conversation(
    directory: Path, session: RecordingSession, bot: Bot, conversations: Conversations
) -> None:
    """One prospect through our stack: every button pressed was shown, and a lead is stored."""
    stack = await ours(directory, 0)
    session.clear()
    conversations.reset()
    form = conversations.take()
    try:
        for update in form:
            await stack.dp.feed_update(bot, update)
        leads = await stack.leads()
    finally:
        await stack.close()
    chat_id = FIRST_USER_ID
    offered: set[str] = set()
    replies: set[str] = set()
    contact_button = False
    for sent in session.to(chat_id):
        if isinstance(sent.markup, InlineKeyboardMarkup):
            offered.update(
                button.callback_data
                for row in sent.markup.inline_keyboard
                for button in row
                if button.callback_data
            )
        if isinstance(sent.markup, ReplyKeyboardMarkup):
            for reply_row in sent.markup.keyboard:
                for reply_button in reply_row:
                    replies.add(reply_button.text)
                    contact_button |= bool(reply_button.request_contact)
    for update in form:
        if update.callback_query is not None:
            data = update.callback_query.data
            assert data in offered, f"the bot never showed a button {data!r}"
    assert FIRST_NAME in replies and contact_button, "no one-tap name or contact button"
    assert leads == 1, f"expected one stored lead, got {leads}"
    assert any("Заявка принята" in sent.text for sent in session.to(chat_id)), "no confirmation"
    assert session.to(ADMIN_ID), "no new-lead alert"


async def step_costs(
    directory: Path,
    session: RecordingSession,
    bot: Bot,
    conversations: Conversations,
    repeat: int,
    forms: int = 100,
) -> None:
    """Event-loop thread CPU (`time.thread_time`) of each of the 13 steps, one prospect at a
    time, both stacks alternating `repeat` + 2 times (the medians are printed): where the time
    goes, without the concurrency of the load runs."""
    stacks = {name: await STACKS[name](directory, 90 + index) for index, name in enumerate(STACKS)}
    costs: dict[str, list[list[float]]] = {name: [] for name in STACKS}
    conversations.ensure(conversations.taken + forms * len(STACKS) * (repeat + 3))
    try:
        for round_number in range(repeat + 3):
            for name, stack in stacks.items():
                per_step = [0.0] * STEPS_PER_FORM
                for _ in range(forms):
                    for index, update in enumerate(conversations.take()):
                        session.clear()
                        began = time.thread_time()
                        await stack.dp.feed_update(bot, update)
                        per_step[index] += time.thread_time() - began
                if round_number:  # the first round warms up
                    costs[name].append([1e6 * value / forms for value in per_step])
    finally:
        for stack in stacks.values():
            await stack.close()
    print(f"\nEvent-loop CPU per step, us (medians of {repeat + 2} rounds of {forms} forms):")
    print("  " + " ".join(f"{name:>8}" for name in ("stack", *STEP_TITLES, "form")))
    for name, rounds in costs.items():
        medians = [median([one[index] for one in rounds]) for index in range(STEPS_PER_FORM)]
        total = median([sum(one) for one in rounds])
        print(
            "  "
            + " ".join(
                f"{value:>8.0f}" if isinstance(value, float) else f"{value:>8}"
                for value in (name, *medians, total)
            )
        )
    ratios = [sum(b) / sum(o) for o, b in zip(costs["ours"], costs["baseline"], strict=True)]
    print(
        f"  form CPU baseline/ours: median {median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
    )


STEP_TITLES = (
    "/start", "menu", "consent", "name", "phone", "e-mail", "company", "need", "timeline",
    "budget", "method", "time", "confirm",
)  # fmt: skip


# ------------------------------------------------------------------------------------------------
# Report


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def report(runs: list[Run], args: argparse.Namespace) -> bool:
    def select(stack: str, kind: str) -> list[Run]:
        return [run for run in runs if run.stack == stack and run.kind == kind]

    print("\nAll runs:")
    for run in runs:
        line = (
            f"  {run.stack:8} {run.kind:6} {run.updates:6d} updates in {run.elapsed:5.2f} s"
            f" = {run.throughput:7.0f} upd/s, cpu {1e6 * run.cpu / run.updates:5.0f} us/upd,"
            f" forms {run.forms:5d}"
        )
        if run.kind == "open":
            line += (
                f", p50 {run.percentile_ms(0.50):6.2f} ms, p99 {run.percentile_ms(0.99):6.2f} ms,"
                f" max {1000 * max(run.latencies):6.1f} ms, late {run.late}"
            )
        if run.leads is not None:
            line += f", leads stored {run.leads}"
        print(line)

    figures: dict[str, dict[str, float]] = {}
    for stack in STACKS:
        closed, opened = select(stack, "closed"), select(stack, "open")
        figures[stack] = {
            "throughput": median([run.throughput for run in closed]),
            "cpu_us": median([1e6 * run.cpu / run.updates for run in closed]),
            "offered": median([run.throughput for run in opened]),
            "p50": median([run.percentile_ms(0.50) for run in opened]),
            "p99": median([run.percentile_ms(0.99) for run in opened]),
        }
    steps: dict[str, list[float]] = {}
    for run in select("ours", "open"):
        for name, values in run.by_step.items():
            steps.setdefault(name, []).extend(values)
    print("\nOurs, open loop, by step (all runs):")
    for name, values in sorted(steps.items(), key=lambda item: -percentile(item[1], 0.99)):
        print(
            f"  {name:8} {len(values):6d} updates, p50 {1000 * percentile(values, 0.5):6.2f} ms,"
            f" p99 {1000 * percentile(values, 0.99):6.2f} ms"
        )

    our, base = figures["ours"], figures["baseline"]
    ratio = our["throughput"] / base["throughput"]
    n = args.prospects
    print(f"\nMedians of {args.repeat} runs, {n} prospects:")
    print(f"  {'':34} {'ours':>10} {'baseline':>10}")
    rows = [
        ("closed-loop throughput, upd/s", "throughput", "{:10.0f}"),
        ("closed-loop CPU per update, us", "cpu_us", "{:10.0f}"),
        ("open-loop offered load, upd/s", "offered", "{:10.0f}"),
        ("open-loop latency p50, ms", "p50", "{:10.2f}"),
        ("open-loop latency p99, ms", "p99", "{:10.2f}"),
    ]
    for label, key, spec in rows:
        print(f"  {label:34} {spec.format(our[key])} {spec.format(base[key])}")
    ratio_ok = ratio >= THROUGHPUT_RATIO_TARGET
    p99_ok = our["p99"] < P99_TARGET_MS
    print(f"\nthroughput ours/baseline = {ratio:.2f} (target >= {THROUGHPUT_RATIO_TARGET})")
    print(f"  {verdict(ratio_ok)}")
    print(f"p99 ours = {our['p99']:.2f} ms at {n} prospects (target < {P99_TARGET_MS:.0f} ms)")
    print(f"  {verdict(p99_ok)}")
    return ratio_ok and p99_ok


# ------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--prospects", type=int, default=200, help="concurrent prospects (200)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (3)")
    parser.add_argument(
        "--seconds", type=float, default=12.0, help="timed part of each open-loop run (12)"
    )
    parser.add_argument(
        "--closed-seconds", type=float, default=5.0, help="each closed-loop run (5)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the open loop (1)")
    parser.add_argument(
        "--profile",
        choices=sorted(STACKS),
        help="instead of the benchmark: one closed-loop run of that stack under cProfile",
    )
    parser.add_argument(
        "--steps",
        action="store_true",
        help="instead of the benchmark: event-loop CPU of each step, one prospect at a time",
    )
    parser.add_argument("--check", action="store_true", help="exit with 1 if a target is missed")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> bool:
    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    session = RecordingSession()
    bot = make_bot(session)
    conversations = Conversations(bot)
    rng = random.Random(args.seed)
    n = args.prospects
    print(
        f"lead-form bench: {n} prospects, {args.repeat} repeats, closed loop "
        f"{args.closed_seconds:g} s, open loop {args.seconds:g} s at ~{n} upd/s offered; "
        f"Python {platform.python_version()}"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="salesbot-bench-") as tmp:
            directory = Path(tmp)
            conversations.ensure(2 * n)
            await check_conversation(directory, session, bot, conversations)
            print("conversation check: every pressed button was offered, the lead was stored")

            # Warm-up, and how many conversations a closed-loop run takes at most.
            warm: dict[str, float] = {}
            for name in STACKS:
                run = await measure(
                    name,
                    "closed",
                    directory,
                    1,
                    session,
                    bot,
                    conversations,
                    argparse.Namespace(**{**vars(args), "closed_seconds": 1.0}),
                    rng,
                )
                warm[name] = run.throughput
            most = max(warm.values()) * args.closed_seconds * 1.5 / STEPS_PER_FORM
            conversations.ensure(int(most) + 2 * n)

            if args.steps:
                await step_costs(directory, session, bot, conversations, args.repeat)
                return True

            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                run = await measure(
                    args.profile, "closed", directory, 2, session, bot, conversations, args, rng
                )
                profiler.disable()
                print(f"{run.updates} updates, {run.throughput:.0f} upd/s under the profiler")
                stats = pstats.Stats(profiler).strip_dirs()
                stats.sort_stats("tottime").print_stats(30)
                stats.sort_stats("cumulative").print_stats(40)
                return True

            runs: list[Run] = []
            number = itertools.count(3)
            for repeat in range(args.repeat):
                order = list(STACKS) if repeat % 2 == 0 else list(reversed(STACKS))
                for kind in ("closed", "open"):
                    for name in order:
                        run = await measure(
                            name,
                            kind,
                            directory,
                            next(number),
                            session,
                            bot,
                            conversations,
                            args,
                            rng,
                        )
                        runs.append(run)
                        print(
                            f"  run {repeat + 1}/{args.repeat} {name:8} {kind:6} "
                            f"{run.throughput:7.0f} upd/s"
                            + (
                                f", p99 {run.percentile_ms(0.99):6.2f} ms"
                                if run.kind == "open"
                                else ""
                            ),
                            flush=True,
                        )
                        if run.leads is not None:
                            assert run.leads == run.forms, (run.leads, run.forms)
    finally:
        await session.close()
    if errors.count:
        print(f"WARNING: {errors.count} errors were logged during the bench")
    if conversations.built_while_timed:
        print(f"WARNING: {conversations.built_while_timed} conversations built during timed runs")
    return report(runs, args) and errors.count == 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ok = asyncio.run(main_async(args))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
