"""Moving deals through the pipeline: the one place every path goes through (buttons, commands,
later the HTTP API and imports), so the stage gate has no way around it."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from bot.domain.models import DealStatus
from bot.domain.pipeline import (
    MoveAllowed,
    MoveRefused,
    MoveResult,
    Pipeline,
    Question,
    Refusal,
    amount_minor,
    check_loss,
    check_move,
    check_reopen,
    check_win,
    parse_answer,
    takes_answers,
)


@dataclass(frozen=True, slots=True)
class DealPosition:
    deal_id: int
    stage: str
    status: DealStatus
    answers: Mapping[str, str]


class PipelineStore(Protocol):
    """Reads and writes of the pipeline inside one transaction; `position` locks the deal."""

    async def position(self, deal_id: int) -> DealPosition | None: ...
    async def set_answer(
        self, deal_id: int, question_id: str, value: str, actor: int | None, now: datetime
    ) -> None: ...
    async def set_stage(
        self,
        deal_id: int,
        stage: str,
        status: DealStatus,
        lost_reason: str | None,
        now: datetime,
    ) -> None: ...
    async def set_amount(self, deal_id: int, amount_minor: int) -> int | None:
        """Returns the amount it replaced."""
        ...

    async def add_event(
        self,
        kind: str,
        data: Mapping[str, object],
        now: datetime,
        *,
        deal_id: int,
        actor_telegram_id: int | None,
    ) -> None: ...


class PipelineRepository(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[PipelineStore]: ...


class DealNotFound(LookupError):
    pass


class DealClosed(Exception):
    """A won or lost deal's answers are history: they do not change."""


class PipelineService:
    def __init__(self, repository: PipelineRepository, pipeline: Pipeline) -> None:
        self._repository = repository
        self._pipeline = pipeline

    def question(self, question_id: str) -> Question:
        for stage in self._pipeline.stages:
            for question in stage.questions:
                if question.id == question_id:
                    return question
        raise KeyError(question_id)

    async def answer(
        self,
        deal_id: int,
        question_id: str,
        raw: str,
        actor: int | None,
        now: datetime,
        locale: str = "ru",
        today: date | None = None,
    ) -> str:
        """Store an answer after validating it for its type (raises InputError, stores nothing);
        `locale` is the language the answer was typed in (how its numbers are written), `today`
        the day where it was typed (what "завтра" means)."""
        question = self.question(question_id)
        value = parse_answer(question, raw, locale, today)
        amount = amount_minor(value) if question.deal_amount else None
        async with self._repository.transaction() as store:
            position = await self._position(store, deal_id)
            stage = next(s.id for s in self._pipeline.stages if question in s.questions)
            if not takes_answers(position.status, stage, self._pipeline.won_stage):
                raise DealClosed(deal_id)
            before = position.answers.get(question_id)
            if before == value:
                return value
            await store.set_answer(deal_id, question_id, value, actor, now)
            # the card's amount is the one the closing gate asked for; its change is the one
            # line of history the answer makes ("Сумма: — → 1 500 000 ₽"), not two
            previous = await store.set_amount(deal_id, amount) if amount is not None else None
            if amount is not None and previous != amount:
                event = {"field": "amount_minor", "from": previous, "to": amount}
                await store.add_event(
                    "field_changed", event, now, deal_id=deal_id, actor_telegram_id=actor
                )
            else:
                await store.add_event(
                    "answer_given",
                    {"question": question_id, "from": before, "to": value},
                    now,
                    deal_id=deal_id,
                    actor_telegram_id=actor,
                )
        return value

    async def amount_answered(
        self, deal_id: int, amount_minor: int, actor: int | None, now: datetime
    ) -> None:
        """An amount set on the card or from a quote is the answer to the closing's amount
        question while the deal takes answers: the gate does not ask it again. The amount
        itself, and its line of history, are the desk's."""
        question = next(
            (q for s in self._pipeline.stages for q in s.questions if q.deal_amount), None
        )
        if question is None:
            return
        amount = Decimal(amount_minor) / 100  # written as a typed answer is stored
        integral = amount == amount.to_integral_value()
        value = str(int(amount)) if integral else format(amount.quantize(Decimal("0.01")), "f")
        async with self._repository.transaction() as store:
            position = await self._position(store, deal_id)
            stage = next(s.id for s in self._pipeline.stages if question in s.questions)
            if not takes_answers(position.status, stage, self._pipeline.won_stage):
                return
            if position.answers.get(question.id) != value:
                await store.set_answer(deal_id, question.id, value, actor, now)

    async def move(self, deal_id: int, target: str, actor: int | None, now: datetime) -> MoveResult:
        async with self._repository.transaction() as store:
            position = await self._position(store, deal_id)
            result = check_move(
                self._pipeline, position.stage, position.status, target, position.answers
            )
            return await self._apply(store, position, result, None, actor, now)

    async def win(self, deal_id: int, actor: int | None, now: datetime) -> MoveResult:
        async with self._repository.transaction() as store:
            position = await self._position(store, deal_id)
            result = check_win(self._pipeline, position.stage, position.status, position.answers)
            return await self._apply(store, position, result, None, actor, now)

    async def lose(
        self, deal_id: int, reason: str | None, actor: int | None, now: datetime
    ) -> MoveResult:
        async with self._repository.transaction() as store:
            position = await self._position(store, deal_id)
            result = check_loss(position.stage, position.status, reason)
            return await self._apply(store, position, result, reason, actor, now)

    def reopened_at(self, stage: str, status: DealStatus) -> str | None:
        """The stage a closed deal would be reopened at (None: it is open)."""
        result = check_reopen(self._pipeline, stage, status)
        return result.stage if isinstance(result, MoveAllowed) else None

    async def reopen(self, deal_id: int, actor: int | None, now: datetime) -> MoveResult:
        """A deal closed by mistake, open again (its lost reason cleared)."""
        async with self._repository.transaction() as store:
            position = await self._position(store, deal_id)
            result = check_reopen(self._pipeline, position.stage, position.status)
            return await self._apply(store, position, result, None, actor, now)

    @staticmethod
    async def _position(store: PipelineStore, deal_id: int) -> DealPosition:
        position = await store.position(deal_id)
        if position is None:
            raise DealNotFound(deal_id)
        return position

    @staticmethod
    async def _apply(
        store: PipelineStore,
        position: DealPosition,
        result: MoveResult,
        reason: str | None,
        actor: int | None,
        now: datetime,
    ) -> MoveResult:
        if isinstance(result, MoveRefused):
            if result.reason is Refusal.UNANSWERED:
                # Kept in the history: a refused skip is what a sales lead wants to see.
                await store.add_event(
                    "move_refused",
                    {"from": position.stage, "stage": result.stage, "missing": result.missing},
                    now,
                    deal_id=position.deal_id,
                    actor_telegram_id=actor,
                )
            return result
        assert isinstance(result, MoveAllowed)
        await store.set_stage(position.deal_id, result.stage, result.status, reason, now)
        await store.add_event(
            "stage_changed",
            {
                "from": position.stage,
                "to": result.stage,
                "status": [position.status.value, result.status.value],
                "reason": reason,
            },
            now,
            deal_id=position.deal_id,
            actor_telegram_id=actor,
        )
        return result
