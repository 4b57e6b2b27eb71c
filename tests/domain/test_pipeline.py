"""The stage gate and the moves a deal may make (DESIGN.md: the guided pipeline)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.models import DealStatus
from bot.domain.parsing import InputError, Problem
from bot.domain.pipeline import (
    AnswerType,
    MoveAllowed,
    MoveRefused,
    Pipeline,
    Question,
    Refusal,
    Stage,
    check_loss,
    check_move,
    check_win,
    parse_answer,
)

PIPELINE = Pipeline(
    stages=(
        Stage("contact", (Question("reached", AnswerType.YES_NO),)),
        Stage(
            "needs",
            (
                Question("problems", AnswerType.TEXT),
                Question("budget", AnswerType.NUMBER),
                Question("notes", AnswerType.TEXT, required=False),
            ),
        ),
        Stage("presentation", (Question("reaction", AnswerType.TEXT),)),
        Stage("closing", ()),
        Stage("post_sale", ()),
    ),
    won_stage="post_sale",
)
OPEN = DealStatus.OPEN
CONTACT_DONE = {"reached": "yes"}
NEEDS_DONE = {**CONTACT_DONE, "problems": "учёт заявок", "budget": "150000"}
ALL_DONE = {**NEEDS_DONE, "reaction": "понравилось"}


def test_forward_to_the_next_stage_once_its_questions_are_answered() -> None:
    assert check_move(PIPELINE, "contact", OPEN, "needs", CONTACT_DONE) == MoveAllowed(
        "needs", OPEN
    )


def test_forward_is_refused_naming_the_unanswered_questions() -> None:
    result = check_move(PIPELINE, "needs", OPEN, "presentation", {**CONTACT_DONE, "budget": "5"})
    assert result == MoveRefused(Refusal.UNANSWERED, "needs", ("problems",))


def test_optional_questions_do_not_hold_a_deal() -> None:
    assert isinstance(check_move(PIPELINE, "needs", OPEN, "presentation", NEEDS_DONE), MoveAllowed)


def test_an_empty_answer_is_no_answer() -> None:
    result = check_move(PIPELINE, "contact", OPEN, "needs", {"reached": ""})
    assert result == MoveRefused(Refusal.UNANSWERED, "contact", ("reached",))


def test_a_no_where_only_yes_will_do_holds_the_deal() -> None:
    strict = Pipeline(
        stages=(
            Stage("contact", (Question("reached", AnswerType.YES_NO, must_be_yes=True),)),
            Stage("needs", (Question("decision_maker", AnswerType.YES_NO),)),
            Stage("post_sale", ()),
        ),
        won_stage="post_sale",
    )
    assert check_move(strict, "contact", OPEN, "needs", {"reached": "no"}) == MoveRefused(
        Refusal.UNANSWERED, "contact", ("reached",)
    )
    assert isinstance(check_move(strict, "contact", OPEN, "needs", CONTACT_DONE), MoveAllowed)
    # a plain yes/no question is answered by "no" too
    answers = {"reached": "yes", "decision_maker": "no"}
    assert isinstance(check_win(strict, "needs", OPEN, answers), MoveAllowed)


def test_skipping_past_an_unanswered_stage_is_refused_at_that_stage() -> None:
    result = check_move(PIPELINE, "contact", OPEN, "closing", CONTACT_DONE)
    assert result == MoveRefused(Refusal.UNANSWERED, "needs", ("problems", "budget"))


def test_skipping_ahead_past_complete_stages_is_allowed() -> None:
    # Answered earlier, before the deal was moved back: nothing on the way is missing.
    assert check_move(PIPELINE, "contact", OPEN, "closing", ALL_DONE) == MoveAllowed(
        "closing", OPEN
    )


@pytest.mark.parametrize(("current", "target"), [("needs", "contact"), ("closing", "contact")])
def test_moving_back_is_always_allowed(current: str, target: str) -> None:
    assert check_move(PIPELINE, current, OPEN, target, {}) == MoveAllowed(target, OPEN)


@pytest.mark.parametrize(
    ("current", "target", "reason"),
    [
        ("needs", "needs", Refusal.SAME_STAGE),
        ("needs", "nowhere", Refusal.UNKNOWN_STAGE),
        ("gone", "nowhere", Refusal.UNKNOWN_STAGE),
    ],
)
def test_meaningless_moves_are_refused(current: str, target: str, reason: Refusal) -> None:
    assert check_move(PIPELINE, current, OPEN, target, ALL_DONE) == MoveRefused(reason)


def test_a_deal_at_a_removed_stage_is_gated_as_from_the_first_stage() -> None:
    assert check_move(PIPELINE, "gone", OPEN, "contact", {}) == MoveAllowed("contact", OPEN)
    refused = check_move(PIPELINE, "gone", OPEN, "needs", {})
    assert isinstance(refused, MoveRefused) and refused.reason is Refusal.UNANSWERED
    assert refused.stage == "contact"
    assert check_move(PIPELINE, "gone", OPEN, "needs", ALL_DONE) == MoveAllowed("needs", OPEN)


@pytest.mark.parametrize("status", [DealStatus.WON, DealStatus.LOST])
def test_a_closed_deal_does_not_move(status: DealStatus) -> None:
    assert check_move(PIPELINE, "needs", status, "contact", ALL_DONE) == MoveRefused(Refusal.CLOSED)
    assert check_win(PIPELINE, "closing", status, ALL_DONE) == MoveRefused(Refusal.CLOSED)
    assert check_loss("needs", status, "price") == MoveRefused(Refusal.CLOSED)


def test_winning_moves_to_post_sale_through_the_gate() -> None:
    assert check_win(PIPELINE, "closing", OPEN, ALL_DONE) == MoveAllowed(
        "post_sale", DealStatus.WON
    )
    assert check_win(PIPELINE, "contact", OPEN, CONTACT_DONE) == MoveRefused(
        Refusal.UNANSWERED, "needs", ("problems", "budget")
    )


def test_a_deal_already_at_post_sale_can_be_won() -> None:
    assert check_win(PIPELINE, "post_sale", OPEN, {}) == MoveAllowed("post_sale", DealStatus.WON)


@pytest.mark.parametrize("stage", ["contact", "needs", "closing"])
def test_lost_from_any_stage_with_a_reason(stage: str) -> None:
    assert check_loss(stage, OPEN, "price") == MoveAllowed(stage, DealStatus.LOST)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_lost_without_a_reason_is_refused(reason: str | None) -> None:
    assert check_loss("needs", OPEN, reason) == MoveRefused(Refusal.NO_REASON)


def test_a_pipeline_must_know_where_won_deals_go() -> None:
    with pytest.raises(ValueError, match="won_stage"):
        Pipeline(stages=(Stage("a"), Stage("b")), won_stage="c")
    with pytest.raises(ValueError, match="unique"):
        Pipeline(stages=(Stage("a"), Stage("a")), won_stage="a")


# --- answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("150000", "150000"), ("1 500 000", "1500000"), ("1500,50", "1500.50"), ("0", "0")],
)
def test_numbers_in_the_usual_writings(raw: str, stored: str) -> None:
    assert parse_answer(Question("budget", AnswerType.NUMBER), raw) == stored


@pytest.mark.parametrize("raw", ["много", "-5", "1e400x", "NaN", "Infinity"])
def test_not_a_number_is_re_asked(raw: str) -> None:
    with pytest.raises(InputError) as error:
        parse_answer(Question("budget", AnswerType.NUMBER), raw)
    assert error.value.problem is Problem.NOT_A_NUMBER


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("25.12.2026", "2026-12-25"),
        ("5.1.27", "2027-01-05"),
        ("2026-12-25", "2026-12-25"),
        ("25.12.2026.", "2026-12-25"),  # the end of a sentence
    ],
)
def test_dates(raw: str, stored: str) -> None:
    assert parse_answer(Question("deadline", AnswerType.DATE), raw) == stored


@pytest.mark.parametrize("raw", ["31.02.2026", "12.2026", "декабрь"])
def test_not_a_date_is_re_asked(raw: str) -> None:
    with pytest.raises(InputError) as error:
        parse_answer(Question("deadline", AnswerType.DATE), raw, today=date(2026, 11, 23))
    assert error.value.problem is Problem.NOT_A_DATE


def test_a_date_in_words_is_read_from_the_day_it_is_typed() -> None:
    deadline = Question("deadline", AnswerType.DATE)
    assert parse_answer(deadline, "завтра", today=date(2026, 11, 23)) == "2026-11-24"
    with pytest.raises(InputError):  # nobody said which day today is
        parse_answer(deadline, "завтра")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Да", "yes"),
        ("yes", "yes"),
        ("нет.", "no"),
        ("No", "no"),
        ("Yeah", "yes"),
        ("sure", "yes"),
        ("ok", "yes"),
        ("Конечно!", "yes"),
        ("nope", "no"),
        ("неа", "no"),
        ("да, дозвонился", "yes"),  # the first word answers
        ("Нет, не берёт трубку", "no"),
        ("yes, reached him", "yes"),
        ("да нет, не дозвонился", "no"),  # a Russian "no"
    ],
)
def test_yes_or_no(raw: str, stored: str) -> None:
    assert parse_answer(Question("reached", AnswerType.YES_NO), raw) == stored


@pytest.mark.parametrize(
    "raw",
    # both at once, or a "no" meaning "yes": asked again
    ["может быть", "конечно нет", "дозвонился", "Да, нет вопросов", "Нет проблем", "no problem"],
)
def test_neither_yes_nor_no_is_re_asked(raw: str) -> None:
    with pytest.raises(InputError) as error:
        parse_answer(Question("reached", AnswerType.YES_NO), raw)
    assert error.value.problem is Problem.NOT_YES_NO


def test_a_choice_must_be_one_of_the_options() -> None:
    question = Question("priority", AnswerType.CHOICE, choices=("saving", "productivity"))
    assert parse_answer(question, "saving") == "saving"
    with pytest.raises(InputError) as error:
        parse_answer(question, "forged")
    assert error.value.problem is Problem.USE_BUTTONS


def test_text_answers_are_cleaned_and_limited() -> None:
    question = Question("problems", AnswerType.TEXT)
    assert parse_answer(question, "  учёт\u202e  заявок ") == "учёт заявок"
    with pytest.raises(InputError) as error:
        parse_answer(question, "x" * 5000)
    assert error.value.problem is Problem.TOO_LONG


def test_a_question_about_what_is_ahead_takes_no_day_gone() -> None:
    next_talk = Question("next_talk", AnswerType.DATE, future=True)
    today = date(2026, 11, 23)
    assert parse_answer(next_talk, "сегодня", today=today) == "2026-11-23"
    with pytest.raises(InputError) as error:
        parse_answer(next_talk, "22.11.2026", today=today)
    assert error.value.problem is Problem.DATE_GONE
    presented = Question("presented", AnswerType.DATE)  # any day: it may have been yesterday
    assert parse_answer(presented, "вчера", today=today) == "2026-11-22"
    # without a year: the next one, not the nearest (which was June 2026)
    assert parse_answer(next_talk, "10.06", today=today) == "2027-06-10"
    assert parse_answer(presented, "10.06", today=today) == "2026-06-10"


def test_a_text_answer_of_emoji_alone_is_asked_again_in_words() -> None:
    with pytest.raises(InputError) as error:
        parse_answer(Question("problems", AnswerType.TEXT), "🙂👍")
    assert error.value.problem is Problem.NO_WORDS
    assert parse_answer(Question("problems", AnswerType.TEXT), "👍 учёт в Excel") == (
        "👍 учёт в Excel"
    )
