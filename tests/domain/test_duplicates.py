from datetime import UTC, datetime, timedelta

from bot.domain.duplicates import DealDecision, choose_deal, match_person
from bot.domain.models import Channel, Deal, DealStatus, Initiative, Person, Temperature

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def person(id: int) -> Person:
    return Person(id=id, telegram_id=None, name="x", phone=None, email=None, company=None)


def deal(id: int, status: DealStatus, age_days: int = 0) -> Deal:
    at = NOW - timedelta(days=age_days)
    return Deal(
        id=id,
        person_id=1,
        status=status,
        stage="contact",
        temperature=Temperature.WARM,
        score=30,
        channel=Channel.NETS,
        initiative=Initiative.INBOUND,
        campaign="",
        manager_telegram_id=None,
        created_at=at,
        updated_at=at,
    )


def test_telegram_identity_wins_over_phone_and_email() -> None:
    assert match_person(person(1), person(2), person(3)) == person(1)
    assert match_person(None, person(2), person(3)) == person(2)
    assert match_person(None, None, person(3)) == person(3)
    assert match_person(None, None, None) is None


def test_no_deals_is_a_new_lead() -> None:
    assert choose_deal([]).decision is DealDecision.NEW


def test_open_deal_means_returning_and_no_second_deal() -> None:
    choice = choose_deal(
        [deal(1, DealStatus.WON, 90), deal(2, DealStatus.OPEN, 3), deal(3, DealStatus.OPEN, 1)]
    )
    assert choice.decision is DealDecision.RETURNING
    assert choice.open_deal is not None and choice.open_deal.id == 3  # the most recently active


def test_only_closed_deals_start_a_repeat_sale() -> None:
    choice = choose_deal([deal(1, DealStatus.WON), deal(2, DealStatus.LOST)])
    assert choice.decision is DealDecision.REPEAT and choice.open_deal is None
