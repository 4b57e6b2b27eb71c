import itertools
from pathlib import Path

import pytest

from bot.config import load_business_config, scoring_table
from bot.domain.models import Channel, LeadAnswers, Temperature
from bot.domain.scoring import ScoringTable, score_lead, temperature_for

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "salesbot.yaml"
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


def test_the_shipped_weights_keep_the_sales_methods_temperatures() -> None:
    """DESIGN.md: cold - no need yet, warm - needs it and compares, hot - buys now. Whatever else
    a prospect answers, "just looking" is never hot and "within 3 months" never cold."""
    config = load_business_config(SHIPPED)
    table = scoring_table(config)
    seen: dict[str, set[Temperature]] = {}
    for timeline, need, budget, channel, email, company, returning in itertools.product(
        [t.id for t in config.form.timelines],
        [*(n.id for n in config.form.needs), None],
        [b.id for b in config.form.budgets],
        Channel,
        (None, "a@b.ru"),
        (None, "Вектор"),
        (False, True),
    ):
        lead = answers(
            timeline=timeline, need=need, need_text=None if need else "сайт", budget=budget,
            email=email, company=company,
        )  # fmt: skip
        temperature = score_lead(lead, channel, returning, table).temperature
        seen.setdefault(timeline, set()).add(temperature)
    assert seen == {
        "later": {Temperature.COLD},
        "quarter": {Temperature.WARM},
        "now": {Temperature.WARM, Temperature.HOT},
    }
    urgent = answers(timeline="now", need="crm", budget="unknown")
    assert score_lead(urgent, Channel.NETS, False, table).temperature is Temperature.HOT
