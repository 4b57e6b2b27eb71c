"""The guided pipeline: which stage moves a deal may make, and the stage gate.

A deal moves forward only past stages whose required questions are all answered; it may always
move back; it may be lost from any stage (with a reason); winning moves it to the post-sale
stage, through the same gate. Every path that moves a deal asks `check_move` first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bot.domain.models import DealStatus
from bot.domain.parsing import (
    InputError,
    Problem,
    parse_decimal,
    parse_free_text,
    parse_words,
)
from bot.domain.when import parse_day, written_day


class AnswerType(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    NUMBER = "number"
    DATE = "date"
    YES_NO = "yes_no"


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: AnswerType
    required: bool = True
    choices: tuple[str, ...] = ()  # the ids of a CHOICE question's options
    deal_amount: bool = False  # a NUMBER question whose answer is the deal's amount
    future: bool = False  # a DATE question about what is to come ("next talk", "deadline")
    # a YES_NO question that only "yes" answers: "did you reach the client?" answered "no" is
    # the reason the deal stays where it is, not a way past the gate
    must_be_yes: bool = False

    def satisfied_by(self, answer: object) -> bool:
        return satisfies(answer, self.must_be_yes)


def takes_answers(status: DealStatus, stage: str, won_stage: str) -> bool:
    """Whether questions of `stage` may be answered on a deal of `status`: any on an open deal;
    on a won one, its post-sale stage's (how the client rates the result); none on a lost one."""
    return status is DealStatus.OPEN or (status is DealStatus.WON and stage == won_stage)


def satisfies(answer: object, must_be_yes: bool = False) -> bool:
    """Whether a stored answer answers its question for the gate."""
    if answer in (None, ""):
        return False
    return answer == "yes" or not must_be_yes


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    questions: tuple[Question, ...] = ()

    def missing(self, answers: Mapping[str, object]) -> tuple[str, ...]:
        """Ids of the required questions of this stage that have no answer yet (or a "no" where
        only "yes" will do)."""
        return tuple(
            question.id
            for question in self.questions
            if question.required and not question.satisfied_by(answers.get(question.id))
        )


@dataclass(frozen=True, slots=True)
class Pipeline:
    stages: tuple[Stage, ...]
    won_stage: str  # where a won deal goes: the post-sale stage

    def __post_init__(self) -> None:
        ids = [stage.id for stage in self.stages]
        if len(ids) < 2 or len(set(ids)) != len(ids):
            raise ValueError("a pipeline needs at least two stages with unique ids")
        if self.won_stage not in ids:
            raise ValueError(f"won_stage {self.won_stage!r} is not one of the stages {ids}")

    def index(self, stage_id: str) -> int:
        for number, stage in enumerate(self.stages):
            if stage.id == stage_id:
                return number
        raise KeyError(stage_id)

    def stage(self, stage_id: str) -> Stage:
        return self.stages[self.index(stage_id)]

    def next_stage(self, stage_id: str) -> Stage | None:
        number = self.index(stage_id) + 1
        return self.stages[number] if number < len(self.stages) else None


class Refusal(StrEnum):
    UNKNOWN_STAGE = "unknown_stage"
    SAME_STAGE = "same_stage"
    CLOSED = "closed"  # the deal is won or lost
    UNANSWERED = "unanswered"  # a stage on the way has unanswered required questions
    NO_REASON = "no_reason"  # lost without a reason
    STILL_OPEN = "still_open"  # reopening a deal that is not closed


@dataclass(frozen=True, slots=True)
class MoveRefused:
    reason: Refusal
    stage: str = ""  # for UNANSWERED: the first stage on the way that is not complete
    missing: tuple[str, ...] = ()  # ... and its unanswered required questions


@dataclass(frozen=True, slots=True)
class MoveAllowed:
    stage: str
    status: DealStatus


MoveResult = MoveAllowed | MoveRefused


def check_move(
    pipeline: Pipeline,
    current: str,
    status: DealStatus,
    target: str,
    answers: Mapping[str, object],
) -> MoveResult:
    """May a deal at `current` go to stage `target`? Moving back is always allowed; moving
    forward needs every stage from `current` up to `target` (not included) complete. A deal at
    a stage no longer configured is gated as if it were at the first stage."""
    if status is not DealStatus.OPEN:
        return MoveRefused(Refusal.CLOSED)
    known = {stage.id for stage in pipeline.stages}
    if target not in known:
        return MoveRefused(Refusal.UNKNOWN_STAGE)
    if target == current:
        return MoveRefused(Refusal.SAME_STAGE)
    # A stage removed from the configuration since: the deal may go where a deal from the
    # first stage could, so the gate still holds.
    start = pipeline.index(current) if current in known else 0
    end = pipeline.index(target)
    if end < start:
        return MoveAllowed(target, DealStatus.OPEN)
    gate = _gate(pipeline, start, end, answers)
    return gate or MoveAllowed(target, DealStatus.OPEN)


def check_win(
    pipeline: Pipeline, current: str, status: DealStatus, answers: Mapping[str, object]
) -> MoveResult:
    """Winning moves the deal to the post-sale stage, through the same gate."""
    if status is not DealStatus.OPEN:
        return MoveRefused(Refusal.CLOSED)
    if current not in {stage.id for stage in pipeline.stages}:
        return MoveRefused(Refusal.UNKNOWN_STAGE)
    start, end = pipeline.index(current), pipeline.index(pipeline.won_stage)
    gate = _gate(pipeline, start, end, answers) if end > start else None
    return gate or MoveAllowed(pipeline.won_stage, DealStatus.WON)


def check_loss(current: str, status: DealStatus, reason: str | None) -> MoveResult:
    """A deal can be lost from any stage, with a reason; it stays at its stage."""
    if status is not DealStatus.OPEN:
        return MoveRefused(Refusal.CLOSED)
    if not reason or not reason.strip():
        return MoveRefused(Refusal.NO_REASON)
    return MoveAllowed(current, DealStatus.LOST)


def check_reopen(pipeline: Pipeline, current: str, status: DealStatus) -> MoveResult:
    """A closed deal back at work: a lost one at the stage it was lost at, a won one at the stage
    before the win (closing, by default), where the sale is still to be made."""
    if status is DealStatus.OPEN:
        return MoveRefused(Refusal.STILL_OPEN)
    known = [stage.id for stage in pipeline.stages]
    if status is DealStatus.WON and current == pipeline.won_stage:
        return MoveAllowed(known[pipeline.index(current) - 1], DealStatus.OPEN)
    return MoveAllowed(current if current in known else known[0], DealStatus.OPEN)


def _gate(
    pipeline: Pipeline, start: int, end: int, answers: Mapping[str, object]
) -> MoveRefused | None:
    for stage in pipeline.stages[start:end]:
        missing = stage.missing(answers)
        if missing:
            return MoveRefused(Refusal.UNANSWERED, stage.id, missing)
    return None


# --- answers --------------------------------------------------------------------------------

YES = frozenset({"да", "д", "ага", "угу", "конечно", "yes", "y", "yeah", "yep", "yup", "sure", "ok",
                 "okay", "ок", "correct", "+", "true"})  # fmt: skip
NO = frozenset({"нет", "н", "неа", "no", "n", "nope", "nah", "-", "false"})


AMOUNT_LIMIT = 10**15  # kopecks: past this, no card shows the amount


def amount_minor(answer: str) -> int:
    """A NUMBER answer as stored (roubles) -> kopecks; InputError AMOUNT_TOO_BIG past
    AMOUNT_LIMIT."""
    minor = int((Decimal(answer) * 100).to_integral_value())
    if minor >= AMOUNT_LIMIT:
        raise InputError(Problem.AMOUNT_TOO_BIG)
    return minor


def parse_answer(
    question: Question, raw: str, locale: str = "ru", today: date | None = None
) -> str:
    """A typed answer, validated for the question's type, as it is stored (text); numbers are
    read as the person's language writes them. A date in words ("завтра", "25 декабря") needs
    `today`, the day where the person is; without it only 25.12.2026 and 2026-12-25 are read."""
    text = parse_free_text(raw)
    match question.type:
        case AnswerType.TEXT:
            return parse_words(text)
        case AnswerType.CHOICE:
            if text not in question.choices:
                raise InputError(Problem.USE_BUTTONS)
            return text
        case AnswerType.NUMBER:
            number = parse_decimal(text, locale, scaled=True)
            if number < 0:
                raise InputError(Problem.NOT_A_NUMBER)
            if question.deal_amount and amount_minor(str(number)) == 0:  # not won at 0 ₽
                raise InputError(Problem.ZERO_AMOUNT)
            if number == number.to_integral_value():
                return str(int(number))
            return format(number, "f")
        case AnswerType.DATE:
            day = _parse_date(text, today, question.future)
            if question.future and today is not None and day < today.isoformat():
                raise InputError(Problem.DATE_GONE)  # "вчера" for the next conversation
            return day
        case AnswerType.YES_NO:
            return _yes_no(text)


_NO_PROBLEM = re.compile(
    r"\b(?:нет\s+(?:проблем|вопросов)|без\s+проблем|не\s+вопрос|no\s+(?:problems?|worries))\b"
)


def _yes_no(text: str) -> str:
    """ "да", and "да, дозвонился" or "нет, не берёт трубку": the first word answers, unless
    the words say both ("конечно нет" is asked again; "да нет" is a Russian "no")."""
    lowered = text.lower().strip(" .!")
    if lowered in YES:
        return "yes"
    if lowered in NO:
        return "no"
    if _NO_PROBLEM.search(lowered):  # "нет проблем": a "no" in words, a "yes" in sense
        raise InputError(Problem.NOT_YES_NO)
    if re.match(r"да\s+нет\b", lowered):  # "да нет, не дозвонился" ("да, нет вопросов" is no no)
        return "no"
    words = re.findall(r"\w+", lowered)
    said_yes, said_no = YES.intersection(words), NO.intersection(words)
    if words and words[0] in YES and not said_no:
        return "yes"
    if words and words[0] in NO and not said_yes:
        return "no"
    raise InputError(Problem.NOT_YES_NO)


def _parse_date(text: str, today: date | None, ahead: bool = False) -> str:
    written = written_day(text)
    if written is not None:
        return written.isoformat()
    if today is None:
        raise InputError(Problem.NOT_A_DATE)
    return parse_day(text, today, ahead).isoformat()
