"""Deal-desk benchmark: a manager's deal list and a deal card on a database of 100,000 deals.

Run from the repository root: `.venv/bin/python bench/deals.py`. SQLite always (a fresh, migrated
file in a temporary directory, opened with `storage.db.create_engine`: WAL and the rest); also
PostgreSQL when TEST_DATABASE_URL is set (postgresql+asyncpg://...), in a schema of its own
(`bench_deals_<pid>`), migrated, dropped at the end.

The data set is generated once with a fixed seed and bulk-inserted with SQLAlchemy Core
(executemany in chunks, not through the services): 100 managers, 100,000 people, 100,000 deals
spread at random over the managers (about 1,000 each) with a mix of stages, temperatures and
statuses and updated_at over the last 90 days, about 5 events per deal (inserted in time order,
so that a deal's events are spread over the table as they are in a live database) and the
answers to the stage questions a deal has passed. SQLite's file is checkpointed after the load
and not ANALYZEd (the bot never runs ANALYZE); PostgreSQL is ANALYZEd, as autovacuum would.

Measured through `DeskService(SqlDeskRepository(engine))` as the desk handlers call it, with a
manager's `Viewer`, on a fresh engine after the load:

* list: the first page of a random manager's list, unfiltered, with a stage filter, with a
  temperature filter and with both; and the last page of the unfiltered list;
* card: the card of a random deal of a random manager;
* baseline: `SELECT 1` on a connection from the same engine, the same way (one connection
  checkout, one statement), in the same run.

After a warm-up, every iteration runs each measurement once, in a rotating order, so the noise
of the machine falls on all of them alike. Target (issue 3): p95 under 20 ms for each list and
the card. The plan of the filtered list's statements (exactly as the repository sends them) is
printed with whether it uses the covering index `ix_deals_manager_list`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import gc
import os
import platform
import random
import re
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.stats import percentile, verdict
from bot.config import load_business_config
from bot.domain.desk import PAGE_SIZE, DealFilter, Role, Viewer
from bot.domain.models import Channel, DealStatus, Initiative, Temperature
from bot.services.desk import DeskService
from storage.db import create_engine
from storage.desk import SqlDeskRepository
from storage.migrate import upgrade_engine
from storage.schema import deal_answers, deals, events, managers, people

ROOT = Path(__file__).resolve().parent.parent
P95_TARGET_MS = 20.0
INDEX = "ix_deals_manager_list"
FULL_SCAN = re.compile(r"(?:Seq Scan on|^\s*SCAN) (\w+)")  # PostgreSQL, SQLite
TABLES = {"deals", "people", "events", "deal_answers", "managers"}
CHUNK = 5_000  # rows per executemany (and per transaction)
WARM_UP = 30  # untimed iterations before the timed ones
FIRST_MANAGER_ID = 700_000_000
FIRST_PERSON_ID = 100_000_000

TEMPERATURES = ((Temperature.HOT, 15), (Temperature.WARM, 35), (Temperature.COLD, 50))
STATUSES = ((DealStatus.OPEN, 80), (DealStatus.WON, 8), (DealStatus.LOST, 12))
# Where open deals stand (the won stage holds the won deals).
OPEN_STAGE_WEIGHTS = (30, 25, 15, 12, 10)
FIRST_NAMES = ("Анна", "Иван", "Мария", "Сергей", "Ольга", "Дмитрий", "Елена", "Алексей")
LAST_NAMES = ("Иванова", "Петров", "Смирнова", "Кузнецов", "Попова", "Соколов", "Лебедева")
COMPANIES = ("ООО Вектор", "ИП Орлов", "АО Север", "ООО Ромашка", "Студия Луч", None)
PAYLOADS = ("vk_ads", "site", "yandex_direct", "expo", "partners", "")
NOTES = (
    "Позвонил, обсудили задачи, договорились о встрече во вторник",
    "Отправил КП на почту, ждёт согласования с директором",
    "Встреча в офисе клиента: показали демо, вопросы по интеграции",
    "Клиент просит перезвонить после праздников",
)

# ------------------------------------------------------------------------------------------------
# The data set


@dataclass
class Table:
    """Rows to insert, kept as tuples (half a million dicts would weigh on the GC)."""

    table: sa.Table
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def chunks(self) -> Iterator[list[dict[str, Any]]]:
        for start in range(0, len(self.rows), CHUNK):
            yield [
                dict(zip(self.columns, row, strict=True))
                for row in self.rows[start : start + CHUNK]
            ]


@dataclass
class DataSet:
    tables: list[Table]
    managers: list[int]
    deals_of: dict[int, list[int]]  # every deal of each manager
    listed: dict[int, int]  # deals in each manager's list (open and won)
    stages: list[str]


def generate(deal_count: int, manager_count: int, seed: int, now: datetime) -> DataSet:
    rng = random.Random(seed)
    pipeline = load_business_config(ROOT / "config" / "salesbot.yaml").pipeline
    stages = [stage.id for stage in pipeline.stages]
    open_stages = [stage for stage in stages if stage != pipeline.won_stage]
    questions = {
        stage.id: [q.id for q in stage.questions if q.required] for stage in pipeline.stages
    }
    lost_reasons = [reason.id for reason in pipeline.lost_reasons]
    day = timedelta(days=1)

    manager_ids = [FIRST_MANAGER_ID + i for i in range(manager_count)]
    manager_table = Table(
        managers,
        ("telegram_id", "name", "username", "language", "active", "created_at", "updated_at"),
        [
            (tid, f"Менеджер {i + 1}", f"manager{i + 1}", "ru", True, now - 400 * day, now)
            for i, tid in enumerate(manager_ids)
        ],
    )
    people_table = Table(
        people,
        ("id", "telegram_id", "name", "phone", "email", "company", "language", "consent_at",
         "created_at", "updated_at"),
    )  # fmt: skip
    deal_table = Table(
        deals,
        ("id", "person_id", "status", "stage", "temperature", "score", "score_reasons", "channel",
         "initiative", "campaign", "source_payload", "manager_telegram_id", "request",
         "created_at", "updated_at", "closed_at", "lost_reason", "amount_minor", "next_step"),
    )  # fmt: skip
    event_table = Table(
        events, ("deal_id", "person_id", "actor_telegram_id", "kind", "data", "created_at")
    )
    answer_table = Table(
        deal_answers, ("deal_id", "question_id", "value", "answered_by", "answered_at")
    )
    deals_of: dict[int, list[int]] = {tid: [] for tid in manager_ids}
    listed = dict.fromkeys(manager_ids, 0)
    reasons = {
        t: [{"factor": "timeline", "answer": "now", "points": p}, {"factor": "budget",
            "answer": "large", "points": p}]
        for t, p in ((Temperature.HOT, 30), (Temperature.WARM, 15), (Temperature.COLD, 0))
    }  # fmt: skip
    activities = [
        {"type": kind, "text": note} for kind in ("call", "meeting", "note") for note in NOTES
    ]

    # Deal i is created before deal i + 1: ids grow with created_at, as in a live database.
    ages = sorted(
        (rng.uniform(0, 90) + rng.uniform(0, 90) for _ in range(deal_count)), reverse=True
    )
    for index, age in enumerate(ages):
        deal_id = person_id = index + 1
        created = now - age * day
        updated = now - rng.uniform(0, min(age, 90)) * day
        manager = rng.choice(manager_ids)
        status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
        temperature = rng.choices([t for t, _ in TEMPERATURES], [w for _, w in TEMPERATURES])[0]
        if status is DealStatus.WON:
            stage = pipeline.won_stage
        else:
            stage = rng.choices(open_stages, OPEN_STAGE_WEIGHTS)[0]
        deals_of[manager].append(deal_id)
        listed[manager] += status is not DealStatus.LOST
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        company = rng.choice(COMPANIES)
        phone = f"+7916{index:07d}"
        email = f"client{index}@example.com" if rng.random() < 0.7 else None
        telegram_id = FIRST_PERSON_ID + index if rng.random() < 0.9 else None
        payload = rng.choice(PAYLOADS)
        people_table.rows.append(
            (person_id, telegram_id, name, phone, email, company, "ru", created, created, created)
        )
        request = {
            "name": name, "phone": phone, "email": email, "company": company, "need": "crm",
            "need_text": None, "timeline": "now", "budget": "large", "contact_method": "phone",
            "contact_time": "morning",
        }  # fmt: skip
        closed = updated if status is not DealStatus.OPEN else None
        deal_table.rows.append(
            (deal_id, person_id, status.value, stage, temperature.value,
             {"hot": 60, "warm": 30, "cold": 0}[temperature.value], reasons[temperature],
             Channel.NETS.value, Initiative.INBOUND.value, payload, payload, manager, request,
             created, updated, closed,
             rng.choice(lost_reasons) if status is DealStatus.LOST else None,
             rng.randrange(10_000, 5_000_000) * 100 if rng.random() < 0.4 else None,
             "Перезвонить в четверг" if rng.random() < 0.5 else None)
        )  # fmt: skip
        # Events: the deal's creation, then ~4 more between its creation and its last change.
        span = (updated - created).total_seconds()
        event_table.rows.append(
            (deal_id, person_id, telegram_id, "deal_created", {"decision": "new"}, created)
        )
        for _ in range(rng.randint(1, 7)):
            at = created + timedelta(seconds=rng.uniform(0, span))
            kind = rng.choices(
                ("activity", "message_in", "message_out", "stage_changed"), (45, 20, 20, 15)
            )[0]
            if kind == "activity":
                data: dict[str, Any] = rng.choice(activities)
            elif kind == "stage_changed":
                data = {"from": stages[0], "to": stage}
            else:
                data = {"text": rng.choice(NOTES)}
            actor = telegram_id if kind == "message_in" else manager
            event_table.rows.append((deal_id, None, actor, kind, data, at))
        # The answers to the required questions of the stages the deal has passed.
        for passed in stages[: stages.index(stage)]:
            for question in questions[passed]:
                answer_table.rows.append((deal_id, question, "да", manager, updated))
    event_table.rows.sort(key=lambda row: row[-1])
    return DataSet(
        [manager_table, people_table, deal_table, event_table, answer_table],
        manager_ids,
        deals_of,
        listed,
        stages,
    )


async def load(engine: AsyncEngine, data: DataSet) -> None:
    for table in data.tables:
        for rows in table.chunks():
            async with engine.begin() as c:
                await c.execute(table.table.insert(), rows)
    async with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            await c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            for name in ("people", "deals", "events"):
                await c.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"
                    )
                )
    if engine.dialect.name == "postgresql":
        async with engine.begin() as c:  # our tables only, not the whole database
            await c.exec_driver_sql(f"ANALYZE {', '.join(t.table.name for t in data.tables)}")


# ------------------------------------------------------------------------------------------------
# The databases


@dataclass
class Target:
    name: str
    make_engine: Callable[[], AsyncEngine]
    version: str = ""


@asynccontextmanager
async def sqlite_target(directory: Path) -> AsyncIterator[Target]:
    url = f"sqlite+aiosqlite:///{directory / 'deals.db'}"
    yield Target("SQLite", lambda: create_engine(url))


@asynccontextmanager
async def postgres_target(url: str) -> AsyncIterator[Target]:
    schema = f"bench_deals_{os.getpid()}"
    admin = create_engine(url)
    async with admin.begin() as c:
        await c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        settings = {"server_settings": {"search_path": schema}}
        yield Target("PostgreSQL", lambda: create_engine(url, connect_args=settings))
    finally:
        async with admin.begin() as c:
            await c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


# ------------------------------------------------------------------------------------------------
# Measurements


@dataclass
class Series:
    name: str
    target: bool  # held to the p95 target (the baseline is not)
    samples: list[float] = field(default_factory=list)  # seconds

    def percentile_ms(self, q: float) -> float:
        return 1000 * percentile(self.samples, q)


Call = Callable[[], Awaitable[object]]
Measurement = Callable[[random.Random], Call]  # picks its arguments (untimed), returns the call


def measurements(
    engine: AsyncEngine, service: DeskService, data: DataSet
) -> dict[str, Measurement]:
    temperatures = list(Temperature)

    def viewer(rng: random.Random) -> Viewer:
        return Viewer(rng.choice(data.managers), Role.MANAGER)

    def baseline(rng: random.Random) -> Call:
        async def call() -> object:
            async with engine.connect() as c:
                return (await c.execute(sa.text("SELECT 1"))).scalar_one()

        return call

    def page(stage: bool, temperature: bool, last: bool = False) -> Measurement:
        def pick(rng: random.Random) -> Call:
            who = viewer(rng)
            where = DealFilter(
                rng.choice(data.stages) if stage else None,
                rng.choice(temperatures) if temperature else None,
            )
            number = (data.listed[who.telegram_id] - 1) // PAGE_SIZE if last else 0
            return lambda: service.page(who, where, number)

        return pick

    def card(rng: random.Random) -> Call:
        who = viewer(rng)
        deal_id = rng.choice(data.deals_of[who.telegram_id])
        return lambda: service.card(who, deal_id)

    return {
        "baseline: SELECT 1": baseline,
        "list, unfiltered, page 1": page(False, False),
        "list, stage, page 1": page(True, False),
        "list, temperature, page 1": page(False, True),
        "list, stage + temperature, page 1": page(True, True),
        "list, unfiltered, last page": page(False, False, last=True),
        "card": card,
    }


async def run_series(
    chosen: dict[str, Measurement], iterations: int, rng: random.Random
) -> list[Series]:
    series = [Series(name, not name.startswith("baseline")) for name in chosen]
    picks = list(chosen.values())
    clock = time.perf_counter
    for iteration in range(WARM_UP + iterations):
        shift = iteration % len(picks)
        if iteration == WARM_UP:
            gc.collect()
        for position in range(shift, shift + len(picks)):
            index = position % len(picks)
            call = picks[index](rng)
            began = clock()
            await call()
            elapsed = clock() - began
            if iteration >= WARM_UP:
                series[index].samples.append(elapsed)
    return series


async def check(service: DeskService, data: DataSet) -> None:
    """The lists show each manager's deals and the card opens: the data set is what we think."""
    manager = data.managers[0]
    who = Viewer(manager, Role.MANAGER)
    page = await service.page(who, DealFilter(), 0)
    assert page.total == data.listed[manager], (page.total, data.listed[manager])
    assert len(page.rows) == PAGE_SIZE
    hot = await service.page(who, DealFilter(temperature=Temperature.HOT), 0)
    assert all(row.temperature is Temperature.HOT for row in hot.rows)
    card = await service.card(who, data.deals_of[manager][0])
    assert card.deal.manager_telegram_id == manager and card.history


def plan_lines(rows: list[tuple[Any, ...]], sqlite: bool) -> list[str]:
    """PostgreSQL's EXPLAIN is text already; SQLite's QUERY PLAN rows (id, parent, _, detail)
    become an indented tree."""
    if not sqlite:
        return [str(row[0]) for row in rows]
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append(f"{'  ' * depth[node]}{detail}")
    return lines


async def plans(engine: AsyncEngine, service: DeskService, data: DataSet) -> list[str]:
    """The plans of the statements a list sends (a filtered one, then an unfiltered one), exactly
    as the repository sends them; PostgreSQL's with ANALYZE (actual rows and times)."""
    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    who = Viewer(data.managers[0], Role.MANAGER)
    lines: list[str] = []
    sent: list[tuple[str, Any]] = []

    def record(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    for where in (DealFilter(data.stages[1], Temperature.HOT), DealFilter()):
        sent.clear()
        sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            await service.page(who, where, 0)
        finally:
            sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
        shown = f"stage={where.stage}, temperature={where.temperature}" if where.stage else "none"
        lines.append(f"list of manager {who.telegram_id}, page 1, filter: {shown}")
        async with engine.connect() as c:
            for statement, parameters in sent:
                lines.append("  " + " ".join(statement.split())[:120] + " ...")
                result = await c.exec_driver_sql(prefix + statement, parameters)
                plan = plan_lines([tuple(row) for row in result], sqlite)
                lines.extend(f"    {line}" for line in plan)
                used = any(INDEX in line for line in plan)
                scanned = sorted(
                    {m.group(1) for line in plan if (m := FULL_SCAN.search(line))} & TABLES
                )
                lines.append(
                    f"    -> {INDEX} {'USED' if used else 'NOT USED'}"
                    + (f"; FULL SCAN of {', '.join(scanned)}" if scanned else "")
                )
    return lines


async def bench(
    target: Target, data: DataSet, args: argparse.Namespace
) -> tuple[list[Series], list[str]]:
    engine = target.make_engine()
    try:
        began = time.perf_counter()
        await upgrade_engine(engine)
        await load(engine, data)
        print(
            f"{target.name}: migrated and loaded in {time.perf_counter() - began:.1f} s", flush=True
        )
    finally:
        await engine.dispose()
    engine = target.make_engine()  # a fresh engine, as the bot starts with
    try:
        async with engine.connect() as c:
            target.version = str(
                (
                    await c.exec_driver_sql(
                        "select sqlite_version()"
                        if engine.dialect.name == "sqlite"
                        else "show server_version"
                    )
                ).scalar_one()
            )
        service = DeskService(SqlDeskRepository(engine))
        await check(service, data)
        explained = await plans(engine, service, data)
        series = await run_series(
            measurements(engine, service, data), args.iterations, random.Random(args.seed)
        )
    finally:
        await engine.dispose()
    return series, explained


# ------------------------------------------------------------------------------------------------
# Report


def report(target: Target, series: Sequence[Series], explained: Sequence[str]) -> bool:
    print(f"\n{target.name} {target.version}: {len(series[0].samples)} timed calls each, ms")
    print(
        f"  {'':34} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  target p95 < {P95_TARGET_MS:.0f} ms"
    )
    ok = True
    for s in series:
        p95 = s.percentile_ms(0.95)
        passed = p95 < P95_TARGET_MS
        ok &= passed or not s.target
        print(
            f"  {s.name:34} {s.percentile_ms(0.50):7.2f} {p95:7.2f} {s.percentile_ms(0.99):7.2f}"
            f" {1000 * max(s.samples):7.2f}  {verdict(passed) if s.target else '(baseline)'}"
        )
    print(f"  overall: {verdict(ok)}")
    print(f"\n{target.name}: plans of a list")
    for line in explained:
        print(line)
    return ok


# ------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--deals", type=int, default=100_000, help="deals (and people) (100000)")
    parser.add_argument("--managers", type=int, default=100, help="managers (100)")
    parser.add_argument(
        "--iterations", type=int, default=300, help="timed calls of each measurement (300)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--check", action="store_true", help="exit with 1 if a target is missed")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> bool:
    pg_url = os.environ.get("TEST_DATABASE_URL")
    print(
        f"deals bench: {args.deals} deals, {args.managers} managers, {args.iterations} timed calls"
        f" each after {WARM_UP} warm-up rounds, seed {args.seed}; Python {platform.python_version()}"
        f", SQLAlchemy {sa.__version__}; PostgreSQL: "
        + (
            make_url(pg_url).render_as_string(hide_password=True)
            if pg_url
            else "TEST_DATABASE_URL not set"
        )
    )
    began = time.perf_counter()
    data = generate(args.deals, args.managers, args.seed, datetime.now(UTC))
    rows = {table.table.name: len(table.rows) for table in data.tables}
    print(f"data set generated in {time.perf_counter() - began:.1f} s: {rows}", flush=True)
    gc.collect()
    gc.freeze()  # the data set stays for the next database; keep it out of the GC's scans
    ok = True
    with tempfile.TemporaryDirectory(prefix="salesbot-bench-") as tmp:
        async with sqlite_target(Path(tmp)) as target:
            series, explained = await bench(target, data, args)
            ok &= report(target, series, explained)
    if pg_url:
        async with postgres_target(pg_url) as target:
            series, explained = await bench(target, data, args)
            ok &= report(target, series, explained)
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ok = asyncio.run(main_async(args))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
