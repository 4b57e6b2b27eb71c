"""The prospect's lead form: a handler per state, a specific re-ask for every wrong input."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, tzinfo
from functools import partial

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove, User

from bot import keyboards
from bot.callbacks import ChoiceCb, EditCb, FormAction, FormCb, FormField
from bot.cards import lead_card
from bot.clock import Clock
from bot.config import BusinessConfig
from bot.domain.attribution import SourceTable, attribute
from bot.domain.duplicates import DealDecision
from bot.domain.models import Arrival, DealStatus
from bot.domain.parsing import (
    InputError,
    declines,
    likely_meant,
    parse_company,
    parse_contact_phone,
    parse_email,
    parse_name,
    parse_phone,
    parse_words,
)
from bot.draft import LeadDraft, load_draft, save_draft
from bot.filters import IsProspect
from bot.services.desk import DeskService
from bot.services.documents import DocumentService
from bot.services.lead_capture import LeadCaptureService, LeadRequest
from bot.services.reminders import ReminderService
from bot.services.staff import StaffService
from bot.states import LeadForm
from bot.texts import Catalogue, Translator
from handlers.chat_relay import from_prospect, reply_to_manager
from handlers.form_flow import (
    CHOICES,
    FIELD_OF_STATE,
    FORM_STATES,
    STATE,
    Flow,
    end_form,
    fresh_draft,
    plan_nudge,
)
from handlers.notify import new_lead_alert
from handlers.self_offer import send_standard_offer
from handlers.start import begin_form

log = logging.getLogger(__name__)

TEXT_STATE_NAMES = frozenset(
    state.state for state in (LeadForm.name, LeadForm.phone, LeadForm.email, LeadForm.company)
)
OPTIONAL_STATE_NAMES = frozenset({LeadForm.email.state, LeadForm.company.state})
CHOICE_STATES = tuple(STATE[field] for field in CHOICES)


def register(router: Router, catalogue: Catalogue) -> None:
    """The form's handlers, on the prospects' conversation router after /start and the menu."""
    # The form is a prospect's only: staff have a /cancel and a catch-all of their own behind this
    # router, and a member of staff can be left in a form state (a form begun before joining the
    # staff or while deactivated, an old menu button pressed).
    router.message.register(cancel_command, Command("cancel", ignore_case=True), IsProspect())
    router.message.register(
        typed_input(
            back=catalogue.labels("btn_back"),
            cancel=catalogue.labels("btn_cancel"),
            skip=catalogue.labels("btn_skip"),
            buttons=frozenset().union(
                *(catalogue.labels(key) for key in ANSWER_BUTTONS), TYPED_ANSWERS
            ),
        ),
        StateFilter(*FORM_STATES),
        IsProspect(),
    )
    router.callback_query.register(form_action, FormCb.filter(), IsProspect())
    router.callback_query.register(
        choice, ChoiceCb.filter(), StateFilter(*CHOICE_STATES), IsProspect()
    )
    router.callback_query.register(
        edit, EditCb.filter(), StateFilter(LeadForm.confirm), IsProspect()
    )


TYPED_CANCEL = frozenset({"отменить", "стоп", "stop"})
# Typed at the consent or the summary, these are meant as its button, not as a message to a
# client's manager (at a choice step, "да" answers nothing there: it may well be for them).
ANSWER_BUTTONS = ("btn_agree", "btn_decline", "btn_confirm", "btn_continue", "btn_restart")
ANSWERED_BY_WORDS = frozenset({LeadForm.consent.state, LeadForm.confirm.state})
TYPED_ANSWERS = frozenset(
    {"да", "нет", "ок", "ok", "yes", "no", "согласен", "согласна", "верно", "всё верно",
     "все верно", "отправить", "correct", "send"}
)  # fmt: skip
TYPED_WORD_MAX = 20  # longer is an answer, not a button's word


def _plain(text: str) -> str:
    """ "✖️ Отмена" -> "отмена": a button's words without its emoji and case."""
    return " ".join(re.findall(r"\w+", text.lower()))


Step = Callable[[Message, Bot, FSMContext, Translator, BusinessConfig, Clock], Awaitable[None]]


def typed_input(
    back: frozenset[str], cancel: frozenset[str], skip: frozenset[str], buttons: frozenset[str]
) -> Callable[..., Awaitable[None]]:
    """Everything a prospect sends while the form waits, in one handler that looks the state
    up: one filter per message instead of one per step (aiogram tries a router's handlers in
    turn, and that walk was the largest part of a step's cost). Button labels are recognised
    in any language."""

    # "отмена" or "Назад" typed without the button's emoji means the same where only buttons
    # answer; where text is the answer only the buttons' own words are taken ("Стоп" may be
    # a company, "назад" a need)
    text_cancel = {_plain(label) for label in cancel}
    cancel_words = text_cancel | TYPED_CANCEL
    back_words = {_plain(label) for label in back}
    skip_words = {_plain(label) for label in skip}
    button_words = frozenset(_plain(label) for label in buttons)

    async def handle(
        message: Message, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
        clock: Clock, raw_state: str | None, desk: DeskService, staff: StaffService,
        catalogue: Catalogue,
    ) -> None:  # fmt: skip
        if message.reply_to_message is not None:
            deal = await reply_to_manager(message, desk)
            if deal is not None:
                if await from_prospect(
                    message, deal, bot, desk, staff, config, catalogue, clock, t
                ):  # (or the client was told that nobody could be reached)
                    await message.answer(t("relayed_mid_form"))
                return
        text = message.text
        typed = raw_state in TEXT_STATE_NAMES
        word = _plain(text) if text is not None and len(text) <= TYPED_WORD_MAX else None
        if text in cancel or word in (text_cancel if typed else cancel_words):
            await cancel_typed(message, bot, state, t, config, clock, desk)
            return
        # (consent is the first question: nothing is behind it)
        if (text in back or (not typed and word in back_words)) and (
            raw_state != LeadForm.consent.state
        ):
            await back_message(message, bot, state, t, config, clock)
            return
        if raw_state in OPTIONAL_STATE_NAMES and (
            text in skip or word in skip_words or (text is not None and declines(text))
        ):
            await skip_optional(message, bot, state, t, config, clock)
            return
        if raw_state == LeadForm.phone.state and message.contact is not None:
            await phone_contact(message, bot, state, t, config, clock)
            return
        step = TEXT_STEPS.get(raw_state)
        if step is not None:
            if text is None:
                await not_text(message, t)
            elif text.startswith("/"):  # a command the form does not know is not an answer
                await message.answer(t("err_form_command"))
            else:
                await step(message, bot, state, t, config, clock)
            return
        # consent, a choice or the summary: buttons only (a choice's words typed are that
        # choice); a client's words that answer nothing are still theirs, for their manager
        field = FIELD_OF_STATE.get(raw_state)
        if text is not None and field in CHOICES:
            picked = _typed_choice(text, config, field)
            if picked is not None:
                await _choose(
                    message.from_user, field, picked, bot, state, t, config, clock, typed=True
                )
                return
        if word is not None and word in button_words and raw_state in ANSWERED_BY_WORDS:
            await message.answer(t("err_use_buttons"))
            return
        await use_buttons(message, bot, t, config, clock, desk, staff, catalogue)

    return handle


async def _flow(
    user: User, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig, clock: Clock
) -> Flow:
    draft = await load_draft(state)
    return Flow(bot, user.id, state, t, config, user.first_name, draft, clock.now())


async def _field(state: FSMContext) -> FormField | None:
    return FIELD_OF_STATE.get(await state.get_state())


# --- cancel and back -------------------------------------------------------------------------


async def cancel_command(
    message: Message, state: FSMContext, t: Translator, desk: DeskService
) -> None:
    if await state.get_state() not in FORM_STATES:
        await message.answer(t("nothing_to_cancel"), reply_markup=ReplyKeyboardRemove())
        return
    await _cancel(message.chat.id, message.bot, state, t, desk)


async def cancel_typed(
    message: Message, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock, desk: DeskService,
) -> None:  # fmt: skip
    """The cancel button's words: while an answer is being changed from the summary, it is the
    change that is called off; at the summary, the request goes only once made sure of, as
    with its button (/cancel still ends the whole form at once)."""
    assert message.from_user is not None
    flow = await _flow(message.from_user, bot, state, t, config, clock)
    if flow.draft.editing:
        await flow.show_summary(went_back=True)
    elif await state.get_state() == LeadForm.confirm.state:
        await flow.send(t("cancel_sure"), keyboards.cancel_sure(t))
    else:
        await _cancel(message.chat.id, bot, state, t, desk, flow.draft)


async def _cancel(
    chat_id: int, bot: Bot | None, state: FSMContext, t: Translator, desk: DeskService,
    draft: LeadDraft | None = None,
) -> None:  # fmt: skip
    """`draft`: the form's, when the caller has loaded it already."""
    await end_form(state, draft or await load_draft(state))
    assert bot is not None
    # "nothing is kept" would be untrue to a client whose earlier request is being worked
    deal = await desk.prospect_deal(chat_id)
    open_deal = deal is not None and deal.status is DealStatus.OPEN
    text = t("cancelled_client" if open_deal else "cancelled")
    await bot.send_message(chat_id, text, reply_markup=ReplyKeyboardRemove())


async def back_message(
    message: Message, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock,
) -> None:  # fmt: skip
    assert message.from_user is not None
    flow = await _flow(message.from_user, bot, state, t, config, clock)
    await flow.back(await _field(state))


async def form_action(
    callback: CallbackQuery,
    callback_data: FormCb,
    bot: Bot,
    state: FSMContext,
    t: Translator,
    config: BusinessConfig,
    leads: LeadCaptureService,
    sources: SourceTable,
    clock: Clock,
    catalogue: Catalogue,
    staff: StaffService,
    reminders: ReminderService,
    desk: DeskService,
    tz: tzinfo,
    documents: DocumentService | None = None,
) -> None:
    current = await state.get_state()
    action = callback_data.action
    allowed = {
        FormAction.AGREE: current == LeadForm.consent.state,
        FormAction.DECLINE: current == LeadForm.consent.state,
        FormAction.BACK: current in {s.state for s in (*CHOICE_STATES, LeadForm.confirm)},
        FormAction.CONFIRM: current == LeadForm.confirm.state,
        FormAction.DROP: current == LeadForm.confirm.state,
    }.get(action, current in FORM_STATES)
    if not allowed:
        await callback.answer(t.label("err_stale_button"))
        return
    await callback.answer()
    await _drop_buttons(callback)
    user = callback.from_user
    flow = await _flow(user, bot, state, t, config, clock)
    if action is FormAction.CANCEL and flow.draft.editing:  # the edit is what is called off
        await flow.show_summary(went_back=True)
    elif action is FormAction.CANCEL and current == LeadForm.confirm.state:
        # a whole request one tap from gone, right under the edit buttons: made sure of
        await flow.send(t("cancel_sure"), keyboards.cancel_sure(t))
    elif action in (FormAction.CANCEL, FormAction.DROP):
        await _cancel(user.id, bot, state, t, desk, flow.draft)
    elif action is FormAction.AGREE:
        flow.draft.consent_at = clock.now()
        await plan_nudge(flow, reminders, clock.now())
        await flow.ask(FormField.NAME)
    elif action is FormAction.DECLINE:
        await state.clear()
        company = config.company
        contacts = ", ".join(part for part in (company.phone, company.email) if part)
        # "we keep nothing" would be untrue to somebody who consented with an earlier request
        on_file = await leads.consent_at(user.id) is not None
        key = "consent_declined_on_file" if on_file else "consent_declined"
        await flow.send(t(key, contacts=contacts), keyboards.menu(t, flow.draft.link(clock.now())))
    elif action is FormAction.BACK:
        await flow.back(FIELD_OF_STATE.get(current))
    elif action is FormAction.CONTINUE:
        await flow.resume(current)
    elif action is FormAction.RESTART:
        await state.clear()
        await state.set_data({"draft": fresh_draft(flow.draft, None).model_dump(mode="json")})
        await begin_form(user, bot, state, t, config, leads, reminders, clock.now())
    elif action is FormAction.CONFIRM:
        await _submit(flow, user, leads, sources, clock, catalogue, staff, reminders)
        if flow.draft.offer_sku and documents is not None:
            deal = await desk.prospect_deal(user.id)
            if deal is not None:
                await send_standard_offer(
                    bot, user.id, deal.deal_id, flow.draft.offer_sku, t, documents, desk, clock,
                    config, staff, catalogue, tz,
                )  # fmt: skip


async def _drop_buttons(callback: CallbackQuery) -> None:
    """Buttons of an answered question go, so an old one cannot be pressed again."""
    if isinstance(callback.message, Message):
        with suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=None)


# --- the steps -------------------------------------------------------------------------------


async def _reask(message: Message, t: Translator, error: InputError) -> None:
    await message.answer(t(f"err_{error.problem.value}", limit=error.limit))


async def name(
    message: Message, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock,
) -> None:  # fmt: skip
    assert message.text is not None and message.from_user is not None
    try:
        value = parse_name(message.text)
    except InputError as error:
        await _reask(message, t, error)
        return
    flow = await _flow(message.from_user, bot, state, t, config, clock)
    flow.draft.name = value
    await flow.accepted(FormField.NAME)


async def phone_contact(
    message: Message, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock,
) -> None:  # fmt: skip
    assert message.contact is not None and message.from_user is not None
    if message.contact.user_id != message.from_user.id:
        await message.answer(t("err_contact_not_own"))
        return
    try:
        value = parse_contact_phone(
            message.contact.phone_number, config.form.default_region, own=True
        )
    except InputError as error:
        await _reask(message, t, error)
        return
    await _accept_phone(message.from_user, value, bot, state, t, config, clock)


async def phone_text(
    message: Message, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock,
) -> None:  # fmt: skip
    assert message.text is not None
    await _phone(message, message.text, bot, state, t, config, clock)


async def _phone(
    message: Message, raw: str, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock,
) -> None:  # fmt: skip
    assert message.from_user is not None
    try:
        value = parse_phone(raw, config.form.default_region)
    except InputError as error:
        await _reask(message, t, error)
        return
    await _accept_phone(message.from_user, value, bot, state, t, config, clock)


async def _accept_phone(
    user: User, value: str, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock,
) -> None:  # fmt: skip
    flow = await _flow(user, bot, state, t, config, clock)
    flow.draft.phone = value
    await flow.accepted(FormField.PHONE)


async def skip_optional(
    message: Message, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock,
) -> None:  # fmt: skip
    assert message.from_user is not None
    field = await _field(state)
    assert field is not None
    flow = await _flow(message.from_user, bot, state, t, config, clock)
    setattr(flow.draft, field.value, None)
    await flow.accepted(field)


async def email(
    message: Message, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock,
) -> None:  # fmt: skip
    assert message.text is not None and message.from_user is not None
    try:
        value = parse_email(message.text)
    except InputError as error:
        await _reask(message, t, error)
        return
    flow = await _flow(message.from_user, bot, state, t, config, clock)
    meant = likely_meant(value)
    if meant is not None and flow.draft.email_kept != value:
        # "anna@gmial.com": the manager's e-mail would bounce; one tap puts it right
        flow.draft.email_kept = value
        await save_draft(flow.state, flow.draft)
        markup = keyboards.text_step(t, suggestion=meant, also=value, skip=True)
        await message.answer(t("email_typo", meant=meant, typed=value), reply_markup=markup)
        return
    flow.draft.email, flow.draft.email_kept = value, None
    await flow.accepted(FormField.EMAIL)


async def company(
    message: Message, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock,
) -> None:  # fmt: skip
    assert message.text is not None and message.from_user is not None
    try:
        value = parse_company(message.text)
    except InputError as error:
        await _reask(message, t, error)
        return
    flow = await _flow(message.from_user, bot, state, t, config, clock)
    flow.draft.company = value
    await flow.accepted(FormField.COMPANY)


async def need_text(
    message: Message, bot: Bot, state: FSMContext, t: Translator, config: BusinessConfig,
    clock: Clock,
) -> None:  # fmt: skip
    assert message.text is not None and message.from_user is not None
    try:
        value = parse_words(message.text)
    except InputError as error:
        await _reask(message, t, error)
        return
    flow = await _flow(message.from_user, bot, state, t, config, clock)
    flow.draft.need, flow.draft.need_text = None, value
    await _spend_question(flow)
    await flow.accepted(FormField.NEED)


async def _spend_question(flow: Flow) -> None:
    """A choice answered in words: its question's buttons go, as a pressed one's do."""
    if flow.draft.question is not None:
        with suppress(TelegramBadRequest):  # gone already, or too old to edit
            await flow.bot.edit_message_reply_markup(
                chat_id=flow.chat_id, message_id=flow.draft.question, reply_markup=None
            )
        flow.draft.question = None


async def choice(
    callback: CallbackQuery,
    callback_data: ChoiceCb,
    bot: Bot,
    state: FSMContext,
    t: Translator,
    config: BusinessConfig,
    clock: Clock,
) -> None:
    field = await _field(state)
    known = {item.id for item in config.form.choices(CHOICES.get(callback_data.field, ""))}
    if field is not callback_data.field or callback_data.value not in known:
        await callback.answer(t.label("err_stale_button"))
        return
    await callback.answer()
    await _drop_buttons(callback)
    await _choose(callback.from_user, field, callback_data.value, bot, state, t, config, clock)


async def _choose(
    user: User | None, field: FormField, value: str, bot: Bot, state: FSMContext,
    t: Translator, config: BusinessConfig, clock: Clock, typed: bool = False,
) -> None:  # fmt: skip
    assert user is not None
    flow = await _flow(user, bot, state, t, config, clock)
    if typed:
        await _spend_question(flow)
    setattr(flow.draft, field.value, value)
    if field is FormField.NEED:
        flow.draft.need_text = None
    if not flow.draft.reachable():  # "E-mail" typed, or an old button, with no address given
        await flow.ask(field)
        return
    await flow.accepted(field)


def _typed_choice(text: str, config: BusinessConfig, field: FormField) -> str | None:
    """The choice whose label was typed instead of pressed ("как можно скорее", "утром" for
    "Утром (9–12)"), in any language; None if the words are no choice's."""
    return _choice_words(config, field).get(_loose_words(text))


def _choice_words(config: BusinessConfig, field: FormField) -> dict[str, str]:
    """A step's labels as typed words -> choice id (only for a text typed at a choice step)."""
    words: dict[str, str] = {}
    for item in config.form.choices(CHOICES[field]):
        for label in item.label.root.values():
            for variant in (label, _BRACKETS.sub("", label)):
                if key := _loose_words(variant):
                    words.setdefault(key, item.id)
    return words


_BRACKETS = re.compile(r"\([^)]*\)")  # "Утром (9–12)": the hours may be left out


def _loose_words(text: str) -> str:
    return _plain(text).replace("ё", "е")


async def edit(
    callback: CallbackQuery,
    callback_data: EditCb,
    bot: Bot,
    state: FSMContext,
    t: Translator,
    config: BusinessConfig,
    clock: Clock,
) -> None:
    await callback.answer()
    await _drop_buttons(callback)
    flow = await _flow(callback.from_user, bot, state, t, config, clock)
    flow.draft.editing = True
    await flow.ask(callback_data.field)


TEXT_STEPS: dict[str | None, Step] = {
    LeadForm.name.state: name,
    LeadForm.phone.state: phone_text,
    LeadForm.email.state: email,
    LeadForm.company.state: company,
    LeadForm.need.state: need_text,
}


async def not_text(message: Message, t: Translator) -> None:
    await message.answer(t("err_not_text"))


async def use_buttons(
    message: Message,
    bot: Bot,
    t: Translator,
    config: BusinessConfig,
    clock: Clock,
    desk: DeskService,
    staff: StaffService,
    catalogue: Catalogue,
) -> None:
    """Typed where only buttons answer. A client with a deal who writes during a new request
    ("перезвоните мне сегодня") is writing to their manager, as they would outside the form:
    the words go there, and the form waits for its button."""
    deal = await desk.prospect_deal(message.chat.id) if not _is_command(message) else None
    if deal is None:
        await message.answer(t("err_use_buttons"))
        return
    if await from_prospect(message, deal, bot, desk, staff, config, catalogue, clock, t):
        await message.answer(t("err_use_buttons_relayed"))
    else:  # nobody to pass it to: the client was told so
        await message.answer(t("err_use_buttons"))


def _is_command(message: Message) -> bool:
    return (message.text or "").startswith("/")


# --- confirm ---------------------------------------------------------------------------------


async def _submit(
    flow: Flow,
    user: User,
    leads: LeadCaptureService,
    sources: SourceTable,
    clock: Clock,
    catalogue: Catalogue,
    staff: StaffService,
    reminders: ReminderService,
) -> None:
    draft = flow.draft
    answers = draft.answers()
    if draft.consent_at is None:
        await flow.ask_consent()
        return
    if answers is None:
        await flow.show_summary()  # asks the first missing answer
        return
    now = clock.now()
    request = LeadRequest(
        telegram_id=user.id,
        language=flow.t.locale,
        answers=answers,
        consent_at=draft.consent_at,
        arrivals=_arrivals(draft, sources, now),
        # what the client saw on file and took away at the summary
        removed={
            field: value for field, value in draft.shown.items() if not getattr(answers, field)
        },
    )
    ladder = flow.config.followups.speed_to_lead
    speed_to_lead = await reminders.speed_to_lead(
        staff.admin_ids, now, ladder.minutes, ladder.escalate_after, ladder.temperatures
    )
    outcome = await leads.submit(request, now, speed_to_lead)
    await flow.state.clear()
    returning = outcome.decision is DealDecision.RETURNING and not outcome.other_account
    key = "submitted_returning" if returning else "submitted"  # not told of another's request
    contact_time = ""
    for item in flow.config.form.contact_times:
        if item.id == answers.contact_time and item.id != "any":
            contact_time = item.label.get(flow.t.locale)
    try:
        await flow.send(flow.t(key, name=answers.name, contact_time=contact_time))
    except (
        TelegramAPIError
    ):  # the lead is stored: its staff hear of it whatever the prospect's chat
        log.warning("lead %s: the confirmation did not reach the prospect", outcome.deal.id)
    deal = outcome.deal
    reached = await new_lead_alert(
        flow.bot,
        partial(lead_card, config=flow.config, outcome=outcome, answers=answers,
                username=user.username),
        deal.id, deal.manager_telegram_id, staff, flow.config, catalogue,
    )  # fmt: skip
    reminders.alert_went(deal.id, reached)


def _arrivals(draft: LeadDraft, sources: SourceTable, now: datetime) -> tuple[Arrival, ...]:
    arrivals = tuple(
        Arrival(attribute(record.payload or None, sources), record.at, record.recorded)
        for record in draft.arrivals
    )
    return arrivals or (Arrival(attribute(None, sources), now),)
