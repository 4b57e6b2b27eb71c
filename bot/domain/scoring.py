"""Lead temperature: a pure, table-driven sum of points; the reasons are kept as the explanation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.domain.models import Channel, LeadAnswers, Score, ScoreReason, Temperature


@dataclass(frozen=True, slots=True)
class ScoringTable:
    hot_from: int
    warm_from: int
    need: Mapping[str, int] = field(default_factory=dict)
    need_other: int = 0
    timeline: Mapping[str, int] = field(default_factory=dict)
    budget: Mapping[str, int] = field(default_factory=dict)
    channel: Mapping[Channel, int] = field(default_factory=dict)
    has_email: int = 0
    has_company: int = 0
    returning: int = 0


def score_lead(
    answers: LeadAnswers, channel: Channel, returning: bool, table: ScoringTable
) -> Score:
    candidates: list[ScoreReason] = []
    if answers.need is not None:
        candidates.append(ScoreReason("need", answers.need, table.need.get(answers.need, 0)))
    else:
        candidates.append(ScoreReason("need", "other", table.need_other))
    candidates.append(
        ScoreReason("timeline", answers.timeline, table.timeline.get(answers.timeline, 0))
    )
    candidates.append(ScoreReason("budget", answers.budget, table.budget.get(answers.budget, 0)))
    candidates.append(ScoreReason("channel", channel.value, table.channel.get(channel, 0)))
    if answers.email:
        candidates.append(ScoreReason("email", "given", table.has_email))
    if answers.company:
        candidates.append(ScoreReason("company", "given", table.has_company))
    if returning:
        candidates.append(ScoreReason("returning", "yes", table.returning))
    reasons = tuple(reason for reason in candidates if reason.points)
    points = sum(reason.points for reason in reasons)
    return Score(temperature=temperature_for(points, table), points=points, reasons=reasons)


def temperature_for(points: int, table: ScoringTable) -> Temperature:
    if points >= table.hot_from:
        return Temperature.HOT
    if points >= table.warm_from:
        return Temperature.WARM
    return Temperature.COLD
