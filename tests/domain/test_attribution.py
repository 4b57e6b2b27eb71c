import pytest

from bot.domain.attribution import SourceRule, SourceTable, attribute
from bot.domain.models import Channel, Initiative

TABLE = SourceTable(
    direct=SourceRule(Channel.NETS, Initiative.INBOUND, "Прямой заход"),
    unknown=SourceRule(Channel.NETS, Initiative.INBOUND),
    campaigns={
        "vk_ads": SourceRule(Channel.NETS, Initiative.INBOUND, "VK"),
        "expo": SourceRule(Channel.SPEARS, Initiative.OUTBOUND, "Выставка"),
    },
    referral_prefix="ref_",
    rep_prefix="rep_",
    reps={"ivanov": 777},
)


def test_no_payload_is_a_direct_arrival() -> None:
    source = attribute(None, TABLE)
    assert (source.channel, source.campaign, source.payload) == (Channel.NETS, "Прямой заход", "")


def test_campaign_code_gives_its_channel_and_campaign() -> None:
    source = attribute("expo", TABLE)
    assert (source.channel, source.initiative, source.campaign) == (
        Channel.SPEARS,
        Initiative.OUTBOUND,
        "Выставка",
    )
    assert source.payload == "expo" and source.recognised


def test_referral_is_seeds_with_the_referrer() -> None:
    source = attribute("ref_123456789", TABLE)
    assert (source.channel, source.initiative) == (Channel.SEEDS, Initiative.INBOUND)
    assert source.referrer_telegram_id == 123456789


def test_rep_link_is_spears_outbound_assigned_to_the_rep() -> None:
    source = attribute("rep_ivanov", TABLE)
    assert (source.channel, source.initiative) == (Channel.SPEARS, Initiative.OUTBOUND)
    assert source.rep_telegram_id == 777


@pytest.mark.parametrize("payload", ["summer_sale", "rep_nobody", "ref_abc", "ref_"])
def test_unknown_payload_is_kept_as_is(payload: str) -> None:
    source = attribute(payload, TABLE)
    assert source.payload == payload and not source.recognised
    assert source.referrer_telegram_id is None and source.rep_telegram_id is None


@pytest.mark.parametrize("payload", ["x" * 65, "<script>", "пейлоад"])
def test_invalid_payload_is_not_stored(payload: str) -> None:
    source = attribute(payload, TABLE)
    assert source.payload == "" and not source.recognised


def test_a_request_is_credited_to_the_last_link_not_a_bare_start_after_it() -> None:
    from datetime import UTC, datetime, timedelta

    from bot.domain.attribution import credited
    from bot.domain.models import Arrival

    at = datetime(2026, 11, 23, tzinfo=UTC)

    def arrivals(*payloads: str | None) -> list[Arrival]:
        return [Arrival(attribute(payload, TABLE), at) for payload in payloads]

    assert credited(arrivals("expo", None, None), at) == 0  # "press /start" after the link
    assert credited(arrivals("expo", None, "vk_ads", None), at) == 2  # the last link wins
    assert credited(arrivals(None, None), at) == 1  # no link at all: the last arrival
    assert credited(arrivals("ref_2001"), at) == 0
    # a link of long ago brings nothing: the latest arrival stands
    from bot.domain.attribution import ATTRIBUTION_WINDOW

    assert credited(arrivals("expo", None), at + ATTRIBUTION_WINDOW) == 0
    assert credited(arrivals("expo", None), at + ATTRIBUTION_WINDOW + timedelta(days=1)) == 1


def test_a_drafts_many_bare_starts_do_not_push_out_the_link() -> None:
    from datetime import UTC, datetime, timedelta

    from bot.draft import MAX_ARRIVALS, LeadDraft

    draft = LeadDraft()
    start = datetime(2026, 11, 23, tzinfo=UTC)
    draft.add_arrival("vk_ads", start, recorded=False)
    for n in range(MAX_ARRIVALS + 5):
        draft.add_arrival("", start + timedelta(minutes=n + 1), recorded=False)
    assert len(draft.arrivals) == MAX_ARRIVALS
    assert draft.link(start) == "vk_ads" and draft.arrivals[0].payload == "vk_ads"
    assert draft.link(start + timedelta(days=91)) == ""  # too old to bring the lead
    assert draft.arrivals[-1].at == start + timedelta(minutes=MAX_ARRIVALS + 5)
