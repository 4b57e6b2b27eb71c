import pytest

from bot.domain.models import Channel, LeadAnswers, Temperature
from bot.domain.scoring import ScoringTable, score_lead, temperature_for

TABLE = ScoringTable(
    hot_from=60,
    warm_from=30,
    need={"crm": 15, "consult": 5},
    need_other=5,
    timeline={"now": 40, "quarter": 20, "later": 0},
    budget={"small": 5, "large": 25},
    channel={Channel.SEEDS: 10},
    has_email=5,
    has_company=5,
    returning=10,
)


def answers(**changes: object) -> LeadAnswers:
    values: dict[str, object] = {
        "name": "Анна",
        "phone": "+79161234567",
        "email": None,
        "company": None,
        "need": "consult",
        "need_text": None,
        "timeline": "later",
        "budget": "small",
        "contact_method": "phone",
        "contact_time": "any",
    }
    values.update(changes)
    return LeadAnswers(**values)  # type: ignore[arg-type]


def test_urgent_large_budget_is_hot_and_explained() -> None:
    score = score_lead(
        answers(need="crm", timeline="now", budget="large"), Channel.NETS, False, TABLE
    )
    assert score.temperature is Temperature.HOT
    assert score.points == 80
    assert {(r.factor, r.answer, r.points) for r in score.reasons} == {
        ("need", "crm", 15),
        ("timeline", "now", 40),
        ("budget", "large", 25),
    }


def test_just_looking_is_cold() -> None:
    score = score_lead(answers(), Channel.NETS, False, TABLE)
    assert (score.temperature, score.points) == (Temperature.COLD, 10)


def test_referral_email_company_and_return_add_up_to_warm() -> None:
    score = score_lead(answers(email="a@b.ru", company="Вектор"), Channel.SEEDS, True, TABLE)
    assert score.points == 5 + 5 + 10 + 5 + 5 + 10
    assert score.temperature is Temperature.WARM
    assert {r.factor for r in score.reasons} == {
        "need",
        "budget",
        "channel",
        "email",
        "company",
        "returning",
    }


def test_free_text_need_scores_as_other() -> None:
    score = score_lead(answers(need=None, need_text="Нужен сайт"), Channel.NETS, False, TABLE)
    assert ("need", "other", 5) in {(r.factor, r.answer, r.points) for r in score.reasons}


def test_answers_worth_nothing_are_not_in_the_explanation() -> None:
    score = score_lead(answers(timeline="later"), Channel.NETS, False, TABLE)
    assert "timeline" not in {r.factor for r in score.reasons}


@pytest.mark.parametrize(
    ("points", "temperature"),
    [
        (0, Temperature.COLD),
        (29, Temperature.COLD),
        (30, Temperature.WARM),
        (59, Temperature.WARM),
        (60, Temperature.HOT),
    ],
)
def test_thresholds(points: int, temperature: Temperature) -> None:
    assert temperature_for(points, TABLE) is temperature
