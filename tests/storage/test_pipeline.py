"""The pipeline service on a real database: the gate holds, every change is in the history."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import BusinessConfig
from bot.domain.models import DealStatus
from bot.domain.parsing import InputError
from bot.domain.pipeline import MoveAllowed, MoveRefused, Refusal
from bot.services.pipeline import DealNotFound, PipelineService
from storage.deals import SqlPipelineRepository
from storage.schema import deal_answers, deals, events
from tests.storage.test_leads import NOW, request, service

MANAGER = 7001


async def new_deal(engine: AsyncEngine, config: BusinessConfig) -> int:
    outcome = await service(engine, config).submit(request(config), NOW)
    return outcome.deal.id


def pipeline_service(engine: AsyncEngine, config: BusinessConfig) -> PipelineService:
    return PipelineService(SqlPipelineRepository(engine), config.pipeline.domain())


async def deal_row(engine: AsyncEngine, deal_id: int) -> sa.Row[object]:
    async with engine.connect() as connection:
        return (await connection.execute(sa.select(deals).where(deals.c.id == deal_id))).one()


async def history(engine: AsyncEngine, deal_id: int) -> list[tuple[str, dict[str, object]]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(events.c.kind, events.c.data, events.c.actor_telegram_id)
            .where(events.c.deal_id == deal_id)
            .order_by(events.c.id)
        )
        return [(row.kind, row.data) for row in rows]


async def answer_needs(pipeline: PipelineService, deal_id: int) -> None:
    for question, raw in [
        ("problems", "теряем заявки"),
        ("priority", "productivity"),
        ("experience", "пробовали таблицы"),
        ("decision_maker", "да"),
        ("budget", "300 000"),
        ("deadline", "25.12.2026"),
    ]:
        await pipeline.answer(deal_id, question, raw, MANAGER, NOW)


async def test_the_gate_refuses_then_lets_the_deal_through(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await new_deal(engine, business_config)
    pipeline = pipeline_service(engine, business_config)

    refused = await pipeline.move(deal_id, "needs", MANAGER, NOW)
    assert refused == MoveRefused(Refusal.UNANSWERED, "contact", ("reached",))
    assert (await deal_row(engine, deal_id)).stage == "contact"

    assert await pipeline.answer(deal_id, "reached", "Да", MANAGER, NOW) == "yes"
    assert await pipeline.move(deal_id, "needs", MANAGER, NOW) == MoveAllowed(
        "needs", DealStatus.OPEN
    )
    skip = await pipeline.move(deal_id, "closing", MANAGER, NOW)
    assert isinstance(skip, MoveRefused) and skip.stage == "needs"
    assert set(skip.missing) == {
        "problems",
        "priority",
        "experience",
        "decision_maker",
        "budget",
        "deadline",
    }
    await answer_needs(pipeline, deal_id)
    assert isinstance(await pipeline.move(deal_id, "presentation", MANAGER, NOW), MoveAllowed)

    kinds = [kind for kind, _ in await history(engine, deal_id)]
    assert kinds.count("move_refused") == 2 and kinds.count("stage_changed") == 2
    changes = [data for kind, data in await history(engine, deal_id) if kind == "stage_changed"]
    assert [(c["from"], c["to"]) for c in changes] == [
        ("contact", "needs"),
        ("needs", "presentation"),
    ]


async def test_an_invalid_answer_stores_nothing(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await new_deal(engine, business_config)
    pipeline = pipeline_service(engine, business_config)
    with pytest.raises(InputError):
        await pipeline.answer(deal_id, "budget", "дорого", MANAGER, NOW)
    with pytest.raises(InputError):
        await pipeline.answer(deal_id, "priority", "forged-choice", MANAGER, NOW)
    async with engine.connect() as connection:
        stored = (await connection.execute(sa.select(deal_answers))).all()
    assert stored == []


async def test_changed_answers_keep_both_values_in_the_history(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await new_deal(engine, business_config)
    pipeline = pipeline_service(engine, business_config)
    await pipeline.answer(deal_id, "budget", "100000", MANAGER, NOW)
    await pipeline.answer(deal_id, "budget", "100 000", MANAGER, NOW)  # the same: no event
    await pipeline.answer(deal_id, "budget", "150000", MANAGER, NOW)
    given = [data for kind, data in await history(engine, deal_id) if kind == "answer_given"]
    assert [(d["from"], d["to"]) for d in given] == [(None, "100000"), ("100000", "150000")]


async def test_won_goes_to_post_sale_and_a_closed_deal_stays_put(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await new_deal(engine, business_config)
    pipeline = pipeline_service(engine, business_config)
    assert isinstance(await pipeline.win(deal_id, MANAGER, NOW), MoveRefused)  # gate on the way
    answers = {
        "reached": "да",
        "presented": "01.12.2026",
        "reaction": "понравилось",
        "objections_resolved": "да",
        "amount": "250000",
        "payment_date": "10.12.2026",
    }
    await answer_needs(pipeline, deal_id)
    for question, raw in answers.items():
        await pipeline.answer(deal_id, question, raw, MANAGER, NOW)
    assert await pipeline.win(deal_id, MANAGER, NOW) == MoveAllowed("post_sale", DealStatus.WON)
    row = await deal_row(engine, deal_id)
    assert (row.stage, row.status, row.closed_at) == ("post_sale", "won", NOW)
    assert await pipeline.move(deal_id, "contact", MANAGER, NOW) == MoveRefused(Refusal.CLOSED)


async def test_lost_from_any_stage_needs_a_reason(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await new_deal(engine, business_config)
    pipeline = pipeline_service(engine, business_config)
    assert await pipeline.lose(deal_id, "", MANAGER, NOW) == MoveRefused(Refusal.NO_REASON)
    assert await pipeline.lose(deal_id, "price", MANAGER, NOW) == MoveAllowed(
        "contact", DealStatus.LOST
    )
    row = await deal_row(engine, deal_id)
    assert (row.status, row.lost_reason) == ("lost", "price")


async def test_two_managers_moving_one_deal_at_once_move_it_once(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    deal_id = await new_deal(engine, business_config)
    await pipeline_service(engine, business_config).answer(deal_id, "reached", "да", 1, NOW)
    first, second = (
        pipeline_service(engine, business_config),
        pipeline_service(engine, business_config),
    )
    results = await asyncio.gather(
        first.move(deal_id, "needs", 1, NOW), second.move(deal_id, "needs", 2, NOW)
    )
    assert sorted(type(result).__name__ for result in results) == ["MoveAllowed", "MoveRefused"]
    kinds = [kind for kind, _ in await history(engine, deal_id)]
    assert kinds.count("stage_changed") == 1


async def test_an_unknown_deal_is_reported(
    engine: AsyncEngine, business_config: BusinessConfig
) -> None:
    with pytest.raises(DealNotFound):
        await pipeline_service(engine, business_config).move(999, "needs", MANAGER, NOW)
