"""Texts about a lead that several handlers show: the summary, the new-lead card."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from markupsafe import Markup

from bot.config import BusinessConfig, campaign_name
from bot.domain.duplicates import DealDecision
from bot.domain.models import LeadAnswers, Temperature
from bot.domain.parsing import format_phone
from bot.services.lead_capture import LeadOutcome
from bot.texts import Translator, score_reason

TEMPERATURE_ICON = {Temperature.HOT: "🔥", Temperature.WARM: "🌤", Temperature.COLD: "❄️"}


def choice_label(config: BusinessConfig, field: str, choice_id: object, locale: str) -> str:
    for choice in config.form.choices(field):
        if choice.id == choice_id:
            return choice.label.get(locale)
    return str(choice_id or "—")


def request_labels(
    config: BusinessConfig, request: Mapping[str, Any], locale: str
) -> dict[str, str]:
    """What a client asked for in the form, in words: the alert's and the deal card's lines."""
    return {
        "need": str(request.get("need_text") or "")
        or choice_label(config, "needs", request.get("need"), locale),
        "timeline": choice_label(config, "timelines", request.get("timeline"), locale),
        "budget": choice_label(config, "budgets", request.get("budget"), locale),
        "contact_method": choice_label(
            config, "contact_methods", request.get("contact_method"), locale
        ),
        "contact_time": choice_label(config, "contact_times", request.get("contact_time"), locale),
    }


def answer_labels(config: BusinessConfig, answers: LeadAnswers, locale: str) -> dict[str, str]:
    return request_labels(config, asdict(answers), locale)


def lead_card(
    t: Translator,
    config: BusinessConfig,
    outcome: LeadOutcome,
    answers: LeadAnswers,
    username: str | None,
) -> str:
    header = {
        DealDecision.NEW: t("lead_alert_new"),
        DealDecision.RETURNING: t("lead_alert_returning", deal_id=outcome.deal.id),
        DealDecision.REPEAT: t("lead_alert_repeat"),
    }[outcome.decision]
    if outcome.other_account:
        header = Markup("{}\n{}").format(
            header, t("lead_alert_other_account", name=outcome.person.name)
        )
    reasons = ", ".join(
        score_reason(t, reason.factor, reason.points) for reason in outcome.score.reasons
    )
    source = outcome.attribution
    return t(
        "lead_card",
        header=header,
        temperature_icon=TEMPERATURE_ICON[outcome.deal.temperature],
        temperature=t.label(f"temperature_{outcome.deal.temperature.value}"),
        score=outcome.score.points,
        reasons=reasons,
        name=answers.name,
        company=answers.company,
        phone=format_phone(answers.phone),
        email=answers.email,
        username=username,
        source=(
            f"{t.label('channel_' + source.channel.value)}, "
            f"{t.label('initiative_' + source.initiative.value)}"
        ),
        campaign=campaign_name(config, source.payload, source.campaign, t.locale),
        payload=source.payload,
        referrer=outcome.referrer.name if outcome.referrer else None,
        deal_id=outcome.deal.id,
        **answer_labels(config, answers, t.locale),
    )
