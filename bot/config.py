"""The business configuration: one human-editable YAML file, validated at start-up."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.attribution import SourceRule as DomainSourceRule
from bot.domain.attribution import SourceTable
from bot.domain.desk import RoutingRule
from bot.domain.hours import WorkingHours
from bot.domain.models import Channel, Initiative, Temperature
from bot.domain.parsing import InputError, parse_email
from bot.domain.pipeline import AnswerType, Pipeline, Question, Stage
from bot.domain.scoring import ScoringTable
from bot.texts import LOCALES

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
# Ids that travel in callback data, which Telegram limits to 64 bytes in all.
ShortId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,20}$")]
# A file of templates/documents/ (or TEMPLATES_DIR) by its name: no folders, no way out of them
FILE_NAME = r"^([^/\\]*[^/\\.][^/\\]*)?$"
FileName = Annotated[str, Field(pattern=FILE_NAME, max_length=100)]


def _repeated(ids: list[str]) -> list[str]:
    return sorted({one for one in ids if ids.count(one) > 1})


class Localized(RootModel[dict[str, str]]):
    """A text in several languages; Russian is required and is the fallback."""

    @model_validator(mode="before")
    @classmethod
    def _plain_string(cls, value: Any) -> Any:
        return {"ru": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _has_russian(self) -> Localized:
        if "ru" not in self.root or not self.root["ru"].strip():
            raise ValueError("a Russian text (key 'ru') is required")
        if unknown := sorted(set(self.root) - set(LOCALES)):
            # "eng:" instead of "en:" would leave English speakers with the Russian text
            raise ValueError(f"unknown language {unknown}: the texts are {list(LOCALES)}")
        return self

    def get(self, locale: str) -> str:
        return self.root.get(locale) or self.root["ru"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requisites(Strict):
    """What a Russian offer or invoice carries about the seller."""

    legal_name: Localized
    inn: str = Field(pattern=r"^(\d{10}|\d{12})$")
    kpp: str = Field("", pattern=r"^(\d{9})?$")
    ogrn: str = Field("", pattern=r"^(\d{13}|\d{15})?$")
    legal_address: Localized
    bank: Localized | None = None  # its name; a plain string is the Russian one
    bik: str = Field("", pattern=r"^(\d{9})?$")
    account: str = Field("", pattern=r"^(\d{20})?$")  # расчётный счёт
    correspondent_account: str = Field("", pattern=r"^(\d{20})?$")
    director: Localized | None = None  # signs the documents: "Иванов И. И.", "I. I. Ivanov"
    logo: FileName = ""  # a PNG or SVG file in templates/documents/ (or TEMPLATES_DIR)


class Company(Strict):
    name: Localized
    phone: str = ""
    email: str = ""
    website: str = ""
    address: Localized | None = None
    requisites: Requisites | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            parse_email(value) if value else None
        except InputError:
            raise ValueError(f"{value!r} is not an e-mail address") from None
        return value  # as written: documents print it


# VAT rates of Russia in 2026: 22 % (from 1 January 2026), 10 %, 0 %, and 5 % or 7 % for firms
# on the simplified system; null for sales not subject to VAT ("без НДС").
VatRate = Literal[0, 5, 7, 10, 22]


class CatalogueItem(Strict):
    sku: ShortId
    name: Localized
    unit: Localized = Localized({"ru": "шт.", "en": "pc."})
    price: Decimal = Field(ge=0, max_digits=14, decimal_places=2)  # roubles, for one unit
    vat: VatRate | None = 22


MAX_VALID_DAYS = 365  # of an offer: a type's own, or typed by a manager


class DocumentType(Strict):
    """A kind of document made from a deal's items: an offer, an invoice, a contract..."""

    id: ShortId
    title: Localized
    prefix: str = Field(pattern=r"^[A-ZА-Я0-9]{1,6}$")  # numbers go PREFIX-2026-0001
    pdf: FileName  # a Jinja2 HTML template in templates/documents/
    docx: FileName | None = None  # a Word template with Jinja2 tags, for the editable copy
    valid_days: int | None = Field(None, ge=1, le=MAX_VALID_DAYS)  # "valid until" = date + this


class Documents(Strict):
    prices_include_vat: bool = True
    types: tuple[DocumentType, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Documents:
        ids = [kind.id for kind in self.types]
        if len(set(ids)) != len(ids):
            raise ValueError("document type ids must be unique")
        prefixes = [kind.prefix for kind in self.types]
        if len(set(prefixes)) != len(prefixes):  # numbers of two types would collide
            raise ValueError("document type prefixes must be unique")
        return self


class Privacy(Strict):
    text: Localized
    url: str = ""


class SourceRule(Strict):
    channel: Channel
    initiative: Initiative
    campaign: Localized | None = None  # a name as staff read it; the Russian one is stored


class Campaign(SourceRule):
    code: Code


class SalesRep(Strict):
    code: Code
    telegram_id: int
    name: str = ""


class Sources(Strict):
    direct: SourceRule = SourceRule(channel=Channel.NETS, initiative=Initiative.INBOUND)
    unknown: SourceRule = SourceRule(channel=Channel.NETS, initiative=Initiative.INBOUND)
    campaigns: tuple[Campaign, ...] = ()
    referral_prefix: str = "ref_"
    rep_prefix: str = "rep_"
    reps: tuple[SalesRep, ...] = ()

    @model_validator(mode="after")
    def _unique_codes(self) -> Sources:
        for label, codes in (
            ("campaigns", [c.code for c in self.campaigns]),
            ("reps", [r.code for r in self.reps]),
        ):
            seen = {code for code in codes if codes.count(code) > 1}
            if seen:
                raise ValueError(f"{label}: duplicate code(s) {sorted(seen)}")
        return self


class Choice(Strict):
    id: ShortId
    label: Localized


class Form(Strict):
    default_region: str = Field(default="RU", pattern=r"^[A-Z]{2}$")
    needs: tuple[Choice, ...]
    timelines: tuple[Choice, ...]
    budgets: tuple[Choice, ...]
    contact_methods: tuple[Choice, ...]
    contact_times: tuple[Choice, ...]

    @model_validator(mode="after")
    def _non_empty_unique(self) -> Form:
        for name in ("needs", "timelines", "budgets", "contact_methods", "contact_times"):
            choices: tuple[Choice, ...] = getattr(self, name)
            if not choices:
                raise ValueError(f"{name}: at least one choice is required")
            if twice := _repeated([choice.id for choice in choices]):
                raise ValueError(f"{name}: choice ids must be unique: {twice}")
        return self

    def choices(self, field: str) -> tuple[Choice, ...]:
        return tuple(getattr(self, field))


class Scoring(Strict):
    hot_from: int
    warm_from: int
    need: Mapping[str, int] = {}
    need_other: int = 0
    timeline: Mapping[str, int] = {}
    budget: Mapping[str, int] = {}
    channel: Mapping[Channel, int] = {}
    has_email: int = 0
    has_company: int = 0
    returning: int = 0

    @model_validator(mode="after")
    def _thresholds(self) -> Scoring:
        if self.warm_from > self.hot_from:
            raise ValueError("warm_from must not be greater than hot_from")
        return self


class PipelineQuestion(Strict):
    id: ShortId
    text: Localized
    type: AnswerType = AnswerType.TEXT
    required: bool = True
    choices: tuple[Choice, ...] = ()
    deal_amount: bool = False  # the answer sets the deal's amount (the card's 💰)
    future: bool = False  # a date question about what is to come: no day before today
    must_be_yes: bool = False  # a yes/no question whose "no" holds the deal at its stage

    @model_validator(mode="after")
    def _choices_only_for_choice(self) -> PipelineQuestion:
        if self.type is AnswerType.CHOICE and len(self.choices) < 2:
            raise ValueError(f"question {self.id}: a choice question needs at least two choices")
        if self.type is not AnswerType.CHOICE and self.choices:
            raise ValueError(f"question {self.id}: only a choice question has choices")
        if self.deal_amount and self.type is not AnswerType.NUMBER:
            raise ValueError(f"question {self.id}: only a number can be the deal's amount")
        if self.future and self.type is not AnswerType.DATE:
            raise ValueError(f"question {self.id}: only a date can be in the future")
        if self.must_be_yes and self.type is not AnswerType.YES_NO:
            raise ValueError(f"question {self.id}: only a yes/no question can need a yes")
        if self.must_be_yes and not self.required:
            raise ValueError(f"question {self.id}: must_be_yes needs a required question")
        return self


class PipelineStage(Strict):
    id: ShortId
    name: Localized
    tips: Localized | None = None
    questions: tuple[PipelineQuestion, ...] = ()
    # Days without activity at this stage before the manager is nudged (followups.stale_days).
    stale_days: int | None = Field(None, ge=1, le=365)


class LostReason(Choice):
    # A client who may come back ("put the purchase off"): closing the deal offers a reminder
    # to call them in a month, three or six
    call_back: bool = False


class Objection(Strict):
    id: ShortId
    name: Localized
    answers: tuple[Localized, ...] = Field(min_length=1)


class PipelineConfig(Strict):
    """The stages a deal goes through, their required questions, objections and lost reasons."""

    stages: tuple[PipelineStage, ...] = Field(min_length=2)
    won_stage: ShortId
    objections: tuple[Objection, ...] = ()
    lost_reasons: tuple[LostReason, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> PipelineConfig:
        stage_ids = [stage.id for stage in self.stages]
        if twice := _repeated(stage_ids):
            raise ValueError(f"stage ids must be unique: {twice}")
        if self.won_stage not in stage_ids:
            raise ValueError(f"won_stage {self.won_stage!r} is not one of the stages {stage_ids}")
        if self.won_stage == stage_ids[0]:
            raise ValueError(
                f"won_stage {self.won_stage!r} is the first stage: a deal is won after it has"
                " gone through the others (the default pipeline wins into post_sale, the last)"
            )
        # A deal's answers are kept by question id, so an id means one question everywhere.
        questions = [q for stage in self.stages for q in stage.questions]
        if twice := _repeated([q.id for q in questions]):
            raise ValueError(f"question ids must be unique across stages: {twice}")
        for question in questions:
            if twice := _repeated([choice.id for choice in question.choices]):
                raise ValueError(f"question {question.id}: choice ids must be unique: {twice}")
        if twice := _repeated([objection.id for objection in self.objections]):
            raise ValueError(f"objection ids must be unique: {twice}")
        if twice := _repeated([reason.id for reason in self.lost_reasons]):
            raise ValueError(f"lost reason ids must be unique: {twice}")
        return self

    @property
    def first_stage(self) -> str:
        return self.stages[0].id

    def stage(self, stage_id: str) -> PipelineStage:
        return next(stage for stage in self.stages if stage.id == stage_id)

    def question(self, question_id: str) -> PipelineQuestion:
        return next(q for stage in self.stages for q in stage.questions if q.id == question_id)

    def find_question(self, question_id: str) -> tuple[PipelineStage, PipelineQuestion] | None:
        """The question and its stage; None for one no longer configured (a walk begun before
        the configuration changed)."""
        for stage in self.stages:
            for question in stage.questions:
                if question.id == question_id:
                    return stage, question
        return None

    def domain(self) -> Pipeline:
        """The pipeline as the domain's gate rules see it."""
        return Pipeline(
            stages=tuple(
                Stage(
                    stage.id,
                    tuple(
                        Question(
                            q.id,
                            q.type,
                            q.required,
                            tuple(c.id for c in q.choices),
                            q.deal_amount,
                            q.future,
                            q.must_be_yes,
                        )
                        for q in stage.questions
                    ),
                )
                for stage in self.stages
            ),
            won_stage=self.won_stage,
        )


DEFAULT_PRICE_WORDS = (
    "цена", "цену", "цены", "стоимость", "сколько стоит", "прайс", "кп",
    "коммерческое предложение", "выставьте счёт", "пришлите счёт", "счёт на оплату", "price",
    "cost", "quote", "quotation", "offer", "invoice", "how much",
)  # fmt: skip


class Routing(Strict):
    """Who gets a new lead. A lead through a manager's personal link always goes to them."""

    rule: RoutingRule = RoutingRule.ROUND_ROBIN
    invite_hours: int = Field(48, ge=1, le=24 * 30)
    # A prospect's message with one of these words is a price request: the deal becomes hot.
    price_words: tuple[str, ...] = DEFAULT_PRICE_WORDS
    stale_days: int = Field(3, ge=1, le=365)  # "today": open deals without activity this long


class SpeedToLead(Strict):
    """A new lead of these temperatures not contacted within `minutes` reminds its manager;
    after `escalate_after` more minutes the admins are told. Contacted: the manager logged
    an activity, answered a question, moved the deal or wrote to the client."""

    minutes: int = Field(15, ge=1, le=24 * 60)
    escalate_after: int = Field(30, ge=1, le=24 * 60)
    temperatures: tuple[Temperature, ...] = (Temperature.HOT, Temperature.WARM)


def _clock_time(value: object) -> object:
    """YAML reads an unquoted 9:00 as the number 540 (base 60), and pydantic a number as seconds
    past midnight in UTC: a time of day must be written as text."""
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
        return value.strip().zfill(5 if value.strip().count(":") == 1 else 8)
    if isinstance(value, dt.time) and value.tzinfo is None:
        return value
    raise ValueError('a time of day in quotes, e.g. "09:00" (without quotes 9:00 is a number)')


ClockTime = Annotated[dt.time, BeforeValidator(_clock_time)]


class WorkingTime(Strict):
    """Staff's default working hours (each can set their own in /settings): automatic
    follow-ups due outside them wait for the next working day's start."""

    start: ClockTime = dt.time(9, 0)
    end: ClockTime = dt.time(18, 0)
    days: tuple[Annotated[int, Field(ge=1, le=7)], ...] = (1, 2, 3, 4, 5)  # Monday is 1

    @model_validator(mode="after")
    def _ordered(self) -> WorkingTime:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self

    def hours(self) -> WorkingHours:
        return WorkingHours(self.start, self.end, frozenset(day - 1 for day in self.days))


class FollowUps(Strict):
    speed_to_lead: SpeedToLead = SpeedToLead()
    # A won deal reminds its manager this many days later: a repeat sale costs less (0: never).
    post_sale_days: int = Field(30, ge=0, le=3650)
    # An open deal without activity this many days in a stage nudges its manager once (0: never);
    # a stage's own stale_days overrides it.
    stale_days: int = Field(5, ge=0, le=365)
    # A prospect who agreed to the terms and left the form half-filled is reminded once, this
    # many hours later (0: never).
    form_nudge_hours: int = Field(24, ge=0, le=24 * 30)
    working_hours: WorkingTime = WorkingTime()


class Sending(Strict):
    """Telegram's limits, kept by the one sending path (bot/sending.py)."""

    per_second: float = Field(30.0, gt=0, le=1000)
    per_chat_per_second: float = Field(1.0, gt=0, le=100)
    per_group_per_minute: float = Field(20.0, gt=0, le=1000)


class BusinessConfig(Strict):
    company: Company
    privacy: Privacy
    sources: Sources = Sources()
    form: Form
    scoring: Scoring
    pipeline: PipelineConfig
    routing: Routing = Routing()
    sending: Sending = Sending()
    followups: FollowUps = FollowUps()
    catalogue: tuple[CatalogueItem, ...] = ()
    documents: Documents | None = None

    @model_validator(mode="after")
    def _catalogue_skus_unique(self) -> BusinessConfig:
        skus = [item.sku for item in self.catalogue]
        if len(set(skus)) != len(skus):
            raise ValueError("catalogue skus must be unique")
        return self

    @model_validator(mode="after")
    def _scoring_names_known_choices(self) -> BusinessConfig:
        for field in ("need", "timeline", "budget"):
            known = {choice.id for choice in self.form.choices(_FORM_FIELD[field])}
            unknown = set(getattr(self.scoring, field)) - known
            if unknown:
                raise ValueError(
                    f"scoring.{field} names unknown choice(s) {sorted(unknown)}; "
                    f"form.{_FORM_FIELD[field]} has {sorted(known)}"
                )
        return self


_FORM_FIELD = {"need": "needs", "timeline": "timelines", "budget": "budgets"}


class ConfigError(Exception):
    """The configuration file is missing or wrong; the message names the file and the place."""


class _StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing a key written twice in one mapping: YAML would keep the last,
    and an operator who edits the first one would see nothing change."""


def _mapping_once(loader: _StrictLoader, node: yaml.MappingNode) -> dict[object, object]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
            continue  # "<<" merges are flattened by construct_mapping; keys are scalars here
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is written twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_once)


def load_business_config(path: Path) -> BusinessConfig:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: file not found (set SALESBOT_CONFIG to its path)") from error
    except IsADirectoryError as error:
        raise ConfigError(
            f"{path}: a folder, not a file (set SALESBOT_CONFIG to the file)"
        ) from error
    except PermissionError as error:
        raise ConfigError(f"{path}: cannot be read: permission denied") from error
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {error.start}); save it in the UTF-8 encoding"
        ) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}:{where}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    try:
        return BusinessConfig.model_validate(raw)
    except ValidationError as error:
        lines = [f"{path}: {error.error_count()} problem(s):"]
        for problem in error.errors():
            where = _where(raw, problem["loc"])
            # A check of the whole file names its own places in its message.
            lines.append(f"  {where}: {_explain(problem)}" if where else f"  {_explain(problem)}")
        raise ConfigError("\n".join(lines)) from error


_PYDANTIC_WRAPPERS = {"root", "function-after[_has_russian(), dict[str,str]]"}
_ITEM_NAMES = ("id", "code", "sku")


def _where(raw: object, loc: tuple[int | str, ...]) -> str:
    """The place of a problem as an operator finds it in the file: list items counted from 1
    (`stages#2`), with the item's own id when it has one (`stages#2(needs)`)."""
    where = ""
    node = raw
    for part in loc:
        if part in _PYDANTIC_WRAPPERS:
            continue
        if part == "[key]":  # the key itself is wrong, not its value
            where += " (the key)"
            continue
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
            name = next(
                (node[key] for key in _ITEM_NAMES if isinstance(node, dict) and key in node), None
            )
            where += f"#{part + 1}" + (f"({name})" if name is not None else "")
            continue
        where += f".{part}" if where else str(part)
        node = node.get(part) if isinstance(node, dict) else None
    return where


# pydantic's words for the patterns above, in the words of the person editing the file
_PATTERNS = {
    r"^[A-Za-z0-9_-]{1,64}$": "only Latin letters, digits, _ and -, up to 64 characters",
    r"^[A-Za-z0-9_-]{1,20}$": "only Latin letters, digits, _ and -, up to 20 characters",
    FILE_NAME: "a file name, without folders",
}


def _explain(problem: Mapping[str, Any]) -> str:
    kind, given = problem["type"], problem.get("input")
    if kind in ("tuple_type", "list_type"):
        if given is None:
            return "empty: give at least one item (a line starting with '- ') or remove the key"
        return "expected a list: items on lines starting with '- '"
    if kind == "string_type" and isinstance(given, int | float):
        return f'expected text: put {given} in quotes, "{given}" (a number loses leading zeros)'
    if kind == "string_pattern_mismatch":
        pattern = str((problem.get("ctx") or {}).get("pattern", ""))
        if pattern in _PATTERNS:
            return f"{given!r}: {_PATTERNS[pattern]}"
    return re.sub(r"^Value error, ", "", str(problem["msg"]))


def source_table(config: BusinessConfig) -> SourceTable:
    sources = config.sources
    return SourceTable(
        direct=_rule(sources.direct),
        unknown=_rule(sources.unknown),
        campaigns={campaign.code: _rule(campaign) for campaign in sources.campaigns},
        referral_prefix=sources.referral_prefix,
        rep_prefix=sources.rep_prefix,
        reps={rep.code: rep.telegram_id for rep in sources.reps},
    )


def scoring_table(config: BusinessConfig) -> ScoringTable:
    scoring = config.scoring
    return ScoringTable(
        hot_from=scoring.hot_from,
        warm_from=scoring.warm_from,
        need=dict(scoring.need),
        need_other=scoring.need_other,
        timeline=dict(scoring.timeline),
        budget=dict(scoring.budget),
        channel=dict(scoring.channel),
        has_email=scoring.has_email,
        has_company=scoring.has_company,
        returning=scoring.returning,
    )


def _rule(rule: SourceRule) -> DomainSourceRule:
    return DomainSourceRule(
        rule.channel, rule.initiative, rule.campaign.get("ru") if rule.campaign else ""
    )


def campaign_name(config: BusinessConfig, payload: str, stored: str, locale: str) -> str:
    """A deal's campaign in the reader's language: the configured campaign its link's code
    names, or the name stored when it came (a campaign since removed from the file)."""
    for campaign in config.sources.campaigns:
        if campaign.code == payload and campaign.campaign is not None:
            return campaign.campaign.get(locale)
    return stored
