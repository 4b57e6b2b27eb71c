"""Which source an arrival came from, decided from the /start deep-link payload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.models import Arrival, Attribution, Channel, Initiative
from bot.domain.parsing import is_valid_payload


@dataclass(frozen=True, slots=True)
class SourceRule:
    channel: Channel
    initiative: Initiative
    campaign: str = ""


@dataclass(frozen=True, slots=True)
class SourceTable:
    direct: SourceRule
    unknown: SourceRule
    campaigns: Mapping[str, SourceRule]
    referral_prefix: str
    rep_prefix: str
    reps: Mapping[str, int]  # rep code -> the rep's Telegram id


def attribute(payload: str | None, table: SourceTable) -> Attribution:
    """Campaign codes, `ref_<telegram id>` referrals and `rep_<code or telegram id>` links (whether
    the rep is a manager is the router's business); anything else is kept
    as-is under the `unknown` rule so that nobody's link is lost."""
    if not payload:
        return _from(table.direct, "")
    if not is_valid_payload(payload):
        # Not something Telegram would send; keep a trace without storing arbitrary input.
        return _from(table.unknown, "", recognised=False)
    campaign = table.campaigns.get(payload)
    if campaign is not None:
        return _from(campaign, payload)
    if table.referral_prefix and payload.startswith(table.referral_prefix):
        referrer = payload[len(table.referral_prefix) :]
        if referrer.isdigit() and len(referrer) <= 19:
            return Attribution(
                channel=Channel.SEEDS,
                initiative=Initiative.INBOUND,
                payload=payload,
                referrer_telegram_id=int(referrer),
            )
    if table.rep_prefix and payload.startswith(table.rep_prefix):
        code = payload[len(table.rep_prefix) :]
        rep = table.reps.get(code)
        if rep is None and code.isdigit() and len(code) <= 19:
            rep = int(code)  # a manager's personal link: rep_<their Telegram id>
        if rep is not None:
            return Attribution(
                channel=Channel.SPEARS,
                initiative=Initiative.OUTBOUND,
                payload=payload,
                rep_telegram_id=rep,
            )
    return _from(table.unknown, payload, recognised=False)


ATTRIBUTION_WINDOW = timedelta(days=90)  # a link older than that no longer brings the lead


def credited(arrivals: Sequence[Arrival], now: datetime) -> int:
    """Which of a request's arrivals (oldest first) its deal is credited to: the last that came
    through a link within ATTRIBUTION_WINDOW. A bare /start after a campaign's link (the bot's
    own messages say "press /start") is the same visitor coming back, not a source of its own:
    the campaign, the referrer or the rep whose link brought them keeps the lead; a link of
    last spring does not."""
    for index in range(len(arrivals) - 1, -1, -1):
        arrival = arrivals[index]
        if arrival.attribution.payload and now - arrival.at <= ATTRIBUTION_WINDOW:
            return index
    return len(arrivals) - 1


def _from(rule: SourceRule, payload: str, recognised: bool = True) -> Attribution:
    return Attribution(
        channel=rule.channel,
        initiative=rule.initiative,
        campaign=rule.campaign,
        payload=payload,
        recognised=recognised,
    )
