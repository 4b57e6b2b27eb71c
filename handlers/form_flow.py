"""Moving through the lead form: which step comes next, and how each step is asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot import keyboards
from bot.callbacks import FormField
from bot.cards import answer_labels
from bot.config import BusinessConfig
from bot.domain.parsing import InputError, format_phone, parse_name
from bot.draft import EMAIL_METHOD, LeadDraft, save_draft
from bot.services.reminders import ReminderService
from bot.states import LeadForm
from bot.texts import Translator

STEPS: tuple[FormField, ...] = tuple(FormField)
STATE: dict[FormField, State] = {field: getattr(LeadForm, field.value) for field in FormField}
FIELD_OF_STATE: dict[str | None, FormField] = {state.state: field for field, state in STATE.items()}
TEXT_STEPS = frozenset({FormField.NAME, FormField.PHONE, FormField.EMAIL, FormField.COMPANY})
CHOICES: dict[FormField, str] = {
    FormField.NEED: "needs",
    FormField.TIMELINE: "timelines",
    FormField.BUDGET: "budgets",
    FormField.CONTACT_METHOD: "contact_methods",
    FormField.CONTACT_TIME: "contact_times",
}
FORM_STATES = frozenset(state.state for state in LeadForm.__all_states__)


async def plan_nudge(flow: Flow, reminders: ReminderService, now: datetime) -> None:
    """With consent given, the form begins: if the prospect stops half-way, one reminder comes
    `followups.form_nudge_hours` later in the language of the form (never a second one)."""
    flow.draft.locale = flow.t.locale
    hours = flow.config.followups.form_nudge_hours
    if hours:
        await reminders.form_nudge(flow.chat_id, now, hours)


@dataclass
class Flow:
    """One prospect's form in one update: where to write, in which language, with what data."""

    bot: Bot
    chat_id: int
    state: FSMContext
    t: Translator
    config: BusinessConfig
    first_name: str | None
    draft: LeadDraft
    now: datetime  # of this update: the form's last step, for the half-way reminder

    async def send(
        self,
        text: str,
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None,
    ) -> Message:
        return await self.bot.send_message(self.chat_id, text, reply_markup=markup)

    async def ask(self, field: FormField) -> None:
        """Put the form on `field` and ask its question."""
        await self.state.set_state(STATE[field])
        t = self.t
        # an answer given before (back, or a client's contacts from last time) is one tap away
        current = self._current(field)
        suggestion = current or (usable_name(self.first_name) if field is FormField.NAME else None)
        question = t(
            f"ask_{field.value}",
            first_name=suggestion,
            current=current,
            no_email=not self.draft.reachable(),
        )
        if field in TEXT_STEPS:
            markup = keyboards.text_step(
                t,
                suggestion=suggestion,
                share_phone=field is FormField.PHONE,
                skip=field in (FormField.EMAIL, FormField.COMPANY),
            )
            self.draft.reply_keyboard = True
            await self._save()
            await self.send(question, markup)
            return
        await self._drop_reply_keyboard()
        await self._save()
        choices = self.config.form.choices(CHOICES[field])
        no_address = field is FormField.CONTACT_METHOD and self.draft.email is None
        buttons = keyboards.choice_step(t, field, choices, EMAIL_METHOD if no_address else None)
        sent = await self.send(question, buttons)
        self.draft.question = sent.message_id  # answered in words, its buttons must go
        await self._save()

    def _current(self, field: FormField) -> str | None:
        if field is FormField.PHONE:
            return format_phone(self.draft.phone) if self.draft.phone else None
        if field in (FormField.NAME, FormField.EMAIL, FormField.COMPANY):
            value: str | None = getattr(self.draft, field.value)
            return value
        return None

    async def ask_consent(self, went_back: bool = False) -> None:
        await self.state.set_state(LeadForm.consent)
        await self._drop_reply_keyboard("went_back" if went_back else "got_it")
        await self._save()
        privacy = self.config.privacy
        await self.send(
            self.t("consent_ask", text=privacy.text.get(self.t.locale), url=privacy.url),
            keyboards.consent(self.t),
        )

    async def show_summary(self, went_back: bool = False) -> None:
        answers = self.draft.answers()
        if answers is None:
            await self.ask(self.first_missing() or FormField.NAME)
            return
        await self.state.set_state(LeadForm.confirm)
        self.draft.editing = False
        await self._drop_reply_keyboard("went_back" if went_back else "got_it")
        await self._save()
        await self.send(
            self.t(
                "summary",
                name=answers.name,
                phone=format_phone(answers.phone),
                email=answers.email,
                company=answers.company,
                **answer_labels(self.config, answers, self.t.locale),
            ),
            keyboards.summary(self.t),
        )

    async def accepted(self, field: FormField) -> None:
        """An answer to `field` was stored in the draft: go on, or back to the summary."""
        if self.draft.editing:
            await self.show_summary()
            return
        following = STEPS[STEPS.index(field) + 1 :]
        if following:
            await self.ask(following[0])
        else:
            await self.show_summary()

    async def back(self, field: FormField | None) -> None:
        if self.draft.editing or field is None:  # from an edit, or from the summary
            if field is None:
                await self.ask(STEPS[-1])
            else:
                await self.show_summary(went_back=True)
            return
        index = STEPS.index(field)
        if index == 0:
            await self.ask_consent(went_back=True)
        else:
            await self.ask(STEPS[index - 1])

    async def resume(self, current: str | None) -> None:
        if current == LeadForm.consent.state:
            await self.ask_consent()
        elif current == LeadForm.confirm.state:
            await self.show_summary()
        else:
            await self.ask(FIELD_OF_STATE.get(current) or FormField.NAME)

    def first_missing(self) -> FormField | None:
        draft = self.draft
        for field in STEPS:
            if field is FormField.NEED:
                if draft.need is None and draft.need_text is None:
                    return field
            elif (
                field not in (FormField.EMAIL, FormField.COMPANY)
                and getattr(draft, field.value) is None
            ) or (field is FormField.CONTACT_METHOD and not draft.reachable()):
                return field
        return None

    async def _save(self) -> None:
        self.draft.moved_at = self.now
        await save_draft(self.state, self.draft)

    async def _drop_reply_keyboard(self, key: str = "got_it") -> None:
        """Telegram takes a reply keyboard away only with a message: "got it" after an answer,
        "going back" after "back"."""
        if self.draft.reply_keyboard:
            self.draft.reply_keyboard = False
            await self.send(self.t(key), ReplyKeyboardRemove())


async def end_form(state: FSMContext, draft: LeadDraft) -> None:
    """The form ends unsent: its answers go. How a visitor who consented arrived stays, so that
    the campaign's, referrer's or rep's link they followed still brings the lead if they come
    back to the form (of somebody who did not consent nothing is kept)."""
    await state.clear()
    if draft.arrivals and draft.consent_at is not None:
        await save_draft(state, LeadDraft(arrivals=draft.arrivals))


def usable_name(name: str | None) -> str | None:
    """A name to greet with or offer as a one-tap answer, if it is one: a Telegram name of "🌸"
    or "007" offered and then refused would be a trap, and "Здравствуйте" stored as a name
    before names were checked is no name to greet with."""
    if not name:
        return None
    try:
        return parse_name(name)
    except InputError:
        return None


def fresh_draft(old: LeadDraft, consent_at: datetime | None) -> LeadDraft:
    """Start over, keeping how the prospect arrived, their consent and an offer asked for."""
    return LeadDraft(
        arrivals=old.arrivals, consent_at=consent_at or old.consent_at, offer_sku=old.offer_sku
    )
