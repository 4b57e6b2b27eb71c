"""Texts of the managers' desk: the deal list, the deal card, its history, the relay header."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from bot.cards import TEMPERATURE_ICON, request_labels
from bot.config import BusinessConfig, campaign_name
from bot.domain.desk import DealCard, DealRow, HistoryEntry, Viewer
from bot.domain.models import DealStatus, Temperature
from bot.domain.offers import grouped, money
from bot.domain.parsing import format_phone
from bot.domain.pipeline import satisfies
from bot.services.desk import ProspectDeal
from bot.services.reminders import MANUAL
from bot.texts import Translator, score_reason

ACTIVITY_ICON = {"call": "📞", "meeting": "🤝", "note": "🗒"}
EVENT_TEXT = 200  # characters of a note or a message shown in a history line
MESSAGE_LIMIT = 3800  # Telegram takes 4096 characters a message; room for the rest


def stage_name(config: BusinessConfig, stage_id: str, locale: str) -> str:
    for stage in config.pipeline.stages:
        if stage.id == stage_id:
            return stage.name.get(locale)
    return stage_id


def question_text(config: BusinessConfig, question_id: str, locale: str) -> str:
    for stage in config.pipeline.stages:
        for question in stage.questions:
            if question.id == question_id:
                return question.text.get(locale)
    return question_id


def answer_text(t: Translator, config: BusinessConfig, question_id: str, value: str) -> str:
    """A stored answer as a person reads it: a choice's label, yes/no, a date as 25.12.2026
    (Dec 25, 2026 in English)."""
    for stage in config.pipeline.stages:
        for question in stage.questions:
            if question.id != question_id:
                continue
            for choice in question.choices:
                if choice.id == value:
                    return choice.label.get(t.locale)
            if question.type == "yes_no":
                return t.label("answer_yes" if value == "yes" else "answer_no")
            if question.type == "date":
                try:
                    return day(date.fromisoformat(value), t.locale, with_year=True)
                except ValueError:
                    return value
            if question.type == "number":
                return format_number(value, t.locale)
    return value


def lost_reason_label(config: BusinessConfig, reason: str, locale: str) -> str:
    """A configured reason's label, or the reason as it was typed ("other")."""
    return next(
        (r.label.get(locale) for r in config.pipeline.lost_reasons if r.id == reason), reason
    )


def format_number(value: str | int | Decimal, locale: str = "ru") -> str:
    """ "150 000,50" as Russian writes it, "150,000.50" in English; no fraction if whole."""
    number = Decimal(str(value))
    if number == int(number):
        return grouped(int(number), locale)
    return money(int((number * 100).to_integral_value()), locale)


def format_amount(minor: int | None, locale: str = "ru") -> str | None:
    if minor is None:
        return None
    return f"{format_number(Decimal(minor) / 100, locale)}\u00a0₽"


def local(moment: datetime, tz: tzinfo, now: datetime | None = None, locale: str = "ru") -> str:
    """ "25.12 10:30" ("Dec 25, 10:30" in English) in the zone `tz`; with `now`, a moment of
    another year shows its year."""
    at = moment.astimezone(tz)
    other_year = now is not None and at.year != now.astimezone(tz).year
    return f"{day(at, locale, other_year)}{',' if locale == 'en' else ''} {at:%H:%M}"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # the catalogue's weekday_* keys


def long_day(t: Translator, moment: date) -> str:
    """ "пт, 04.12.2026" or "Fri, Dec 4, 2026": a day read back with its weekday."""
    weekday = t.label(f"weekday_{WEEKDAYS[moment.weekday()]}")
    return f"{weekday}, {day(moment, t.locale, with_year=True)}"


def day(moment: date, locale: str = "ru", with_year: bool = False) -> str:
    """ "25.12" or "Dec 25" (with the year: "25.12.2026", "Dec 25, 2026")."""
    if locale == "en":  # month names from the C locale are English's
        return f"{moment:%b} {moment.day}" + (f", {moment.year}" if with_year else "")
    return f"{moment:%d.%m}" + (f".{moment.year}" if with_year else "")


def temperature_label(t: Translator, temperature: Temperature) -> str:
    return f"{TEMPERATURE_ICON[temperature]} {t.label('temperature_' + temperature.value)}"


# a closed deal in a list (search finds lost ones too) is marked as such, not by temperature
STATUS_ICON = {DealStatus.WON: "✅", DealStatus.LOST: "❌"}


def deal_button(
    t: Translator, config: BusinessConfig, row: DealRow, names: Mapping[int, str] | None = None
) -> str:
    """`names`: an admin's lists say whose each deal is (by the managers' names), right after
    its number: a phone cuts a long button at its end."""
    icon = STATUS_ICON.get(row.status) or TEMPERATURE_ICON[row.temperature]
    who = short(row.name if not row.company else f"{row.name}, {row.company}", 40)
    stage = stage_name(config, row.stage, t.locale)
    if names is None:
        return f"{icon} #{row.id} {who} · {stage}"
    owner = row.manager_telegram_id
    if owner is None:
        whose = t.label("list_nobody")
    else:
        whose = f"👔 {short(names.get(owner) or t.label('list_staff'), 20)}"
    return f"{icon} #{row.id} {whose} · {who} · {stage}"


def checklist(config: BusinessConfig, stage_id: str, answers: Mapping[str, str]) -> tuple[int, int]:
    """(answered, required) for the stage's required questions ((0, 0) for a stage no longer
    in the configuration)."""
    stage = next((s for s in config.pipeline.stages if s.id == stage_id), None)
    if stage is None:
        return 0, 0
    required = [q for q in stage.questions if q.required]
    return sum(1 for q in required if satisfies(answers.get(q.id), q.must_be_yes)), len(required)


def deal_card(
    t: Translator,
    config: BusinessConfig,
    card: DealCard,
    tz: tzinfo,
    history_lines: int = 3,
    full: bool = True,
    viewer: Viewer | None = None,
) -> Markup:
    """The card; not `full`: its short form, what changes as the deal is worked and how to
    reach the client (the card shown again after each action, under what was done)."""
    deal, person = card.deal, card.person
    stage_ids = [stage.id for stage in config.pipeline.stages]
    answered, required = checklist(config, deal.stage, card.answers)
    reasons = ", ".join(
        score_reason(t, reason.get("factor"), reason.get("points")) for reason in card.score_reasons
    )
    stage = config.pipeline.stage(deal.stage) if deal.stage in stage_ids else None
    status = "" if deal.status is DealStatus.OPEN else t.label(f"status_{deal.status.value}")
    lost = lost_reason_label(config, card.lost_reason, t.locale) if card.lost_reason else None
    return t(
        "deal_card" if full else "deal_card_short",
        icon=TEMPERATURE_ICON[deal.temperature],
        deal_id=deal.id,
        temperature=t.label(f"temperature_{deal.temperature.value}"),
        status=status,
        lost_reason=lost,
        name=person.name,
        company=person.company,
        phone=format_phone(person.phone) if person.phone else None,
        email=person.email,
        telegram_id=person.telegram_id,
        source=(
            f"{t.label('channel_' + deal.channel.value)}, "
            f"{t.label('initiative_' + deal.initiative.value)}"
        ),
        campaign=campaign_name(config, card.payload, deal.campaign, t.locale),
        payload=card.payload,
        score=deal.score,
        reasons=reasons,
        stage=stage_name(config, deal.stage, t.locale),
        stage_number=stage_ids.index(deal.stage) + 1 if deal.stage in stage_ids else "?",
        stage_count=len(stage_ids),
        answered=answered,
        required=required,
        amount=format_amount(card.amount_minor, t.locale),
        next_step=card.next_step,
        last_activity=local(card.last_activity, tz, locale=t.locale),
        manager=card.manager_name,
        # the short card names the manager to an admin, who sees everybody's deals
        show_manager=viewer is not None and viewer.is_admin,
        whose=_whose(t, card, viewer),
        request=request_labels(config, card.request, t.locale) if card.request else None,
        # An admin selling through their own link, or a rep known only to the config's sources.
        manager_id=deal.manager_telegram_id,
        manager_you=viewer is not None and deal.manager_telegram_id == viewer.telegram_id,
        tips=stage.tips.get(t.locale) if stage and stage.tips and card.is_open else None,
        history=Markup("\n").join(
            history_line(t, config, entry, tz) for entry in card.history[:history_lines]
        ),
    )


def _whose(t: Translator, card: DealCard, viewer: Viewer | None) -> str | None:
    """The short card's manager: a name, "вы" for the viewer's own, or "сотрудник"."""
    manager = card.deal.manager_telegram_id
    if card.manager_name:
        return card.manager_name
    if manager is None:
        return None
    if viewer is not None and manager == viewer.telegram_id:
        return t.label("list_you")
    return t.label("list_staff")


def history_text(
    t: Translator, config: BusinessConfig, deal_id: int, entries: Iterable[HistoryEntry], tz: tzinfo
) -> Markup:
    lines: list[Markup] = []
    size = 0
    for entry in entries:  # newest first: the oldest give way when the message would be too long
        line = history_line(t, config, entry, tz)
        size += len(line) + 1
        if size > MESSAGE_LIMIT:
            break
        lines.append(line)
    return t("history", deal_id=deal_id, lines=Markup("\n").join(lines) if lines else None)


def short(text: object, limit: int = EVENT_TEXT) -> str | None:
    if text is None or text == "":
        return None
    value = " · ".join(str(text).splitlines())  # a note's lines, on the history's one line
    return value if len(value) <= limit else value[: limit - 1] + "…"


def history_line(t: Translator, config: BusinessConfig, entry: HistoryEntry, tz: tzinfo) -> Markup:
    data = entry.data
    values: dict[str, Any] = {}
    kind = entry.kind
    if kind == "answer_given":
        question = str(data.get("question"))
        values = {
            "question": question_text(config, question, t.locale),
            "before": answer_text(t, config, question, str(data["from"]))
            if data.get("from")
            else None,
            "after": short(answer_text(t, config, question, str(data.get("to")))),
        }
    elif kind in ("stage_changed", "move_refused"):
        values = {
            "before": stage_name(config, str(data.get("from")), t.locale),
            "after": stage_name(config, str(data.get("to") or data.get("stage")), t.locale),
            "status": (data.get("status") or ["", ""])[-1],
            "reopened": (data.get("status") or ["", ""])[0] in ("won", "lost"),
            "missing": len(data.get("missing") or ()),
        }
    elif kind == "activity":
        values = {
            "icon": ACTIVITY_ICON.get(str(data.get("type")), "🗒"),
            "what": t.label(f"activity_{data.get('type')}"),
            "text": short(data.get("text")),
            "voice": bool(data.get("voice")),
            "duration": _duration(data.get("duration")),
        }
    elif kind == "objection":
        values = {"name": _objection(config, str(data.get("objection")), t.locale),
                  "text": short(data.get("text"))}  # fmt: skip
    elif kind == "temperature_changed":
        values = {
            "before": t.label(f"temperature_{data.get('from')}"),
            "after": t.label(f"temperature_{data.get('to')}"),
            "why": t.label(f"why_{data.get('why')}") if data.get("why") else None,
        }
    elif kind == "field_changed":
        field = str(data.get("field"))
        values = {
            "field": t.label(f"field_{field}"),
            "before": _field_value(field, data.get("from"), t.locale),
            "after": _field_value(field, data.get("to"), t.locale),
        }
    elif kind == "source_changed":
        before, after = (data.get(end) or ["", ""] for end in ("from", "to"))
        values = {
            "before": f"{t.label(f'channel_{before[0]}')}, {t.label(f'initiative_{before[1]}')}",
            "after": f"{t.label(f'channel_{after[0]}')}, {t.label(f'initiative_{after[1]}')}",
        }
    elif kind == "document":
        values = {"title": _document_title(config, str(data.get("kind")), t.locale),
                  "number": data.get("number"),
                  "total": money(int(data.get("total_minor") or 0), t.locale)}  # fmt: skip
    elif kind in ("message_in", "message_out"):
        media = data.get("media")
        values = {"text": short(data.get("text") or data.get("caption")),
                  "media": t.label(f"media_{media}") if t.catalogue.has(f"media_{media}")
                  else media}  # fmt: skip
    key = f"ev_{kind}" if t.catalogue.has(f"ev_{kind}") else "ev_other"
    return Markup(f"{local(entry.created_at, tz, locale=t.locale)} ") + t(key, kind=kind, **values)


def _field_value(field: str, value: Any, locale: str) -> object:
    if value is None:
        return None
    if field == "amount_minor":
        return format_amount(value, locale)
    return format_phone(value) if field == "phone" else value


def _document_title(config: BusinessConfig, kind: str, locale: str) -> str:
    for document_type in config.documents.types if config.documents else ():
        if document_type.id == kind:
            return document_type.title.get(locale)
    return kind


def relay_header(t: Translator, config: BusinessConfig, deal: ProspectDeal) -> Markup:
    return t(
        "relay_header",
        icon=TEMPERATURE_ICON[deal.temperature],
        deal_id=deal.deal_id,
        name=deal.name,
        company=deal.company,
        # a closed deal's stage is history: what a reader needs is that it was won or lost
        stage=stage_name(config, deal.stage, t.locale)
        if deal.status is DealStatus.OPEN
        else t.label(f"status_{deal.status.value}"),
    )


def _objection(config: BusinessConfig, objection_id: str, locale: str) -> str | None:
    """The objection's name; None for one the manager wrote in their own words ("other")."""
    for objection in config.pipeline.objections:
        if objection.id == objection_id:
            return objection.name.get(locale)
    return None if objection_id == "other" else objection_id


def _duration(seconds: object) -> str | None:
    if not isinstance(seconds, int):
        return None
    return f"{seconds // 60}:{seconds % 60:02d}"


def reminder_purpose(t: Translator, kind: str) -> str | None:
    """What an automatic reminder is for: a bare time on a list says nothing."""
    key = f"reminder_kind_{kind}"
    return t.label(key) if kind != MANUAL and t.catalogue.has(key) else None
