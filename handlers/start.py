"""/start with its deep-link payload, the greeting and the menu."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, User

from bot import keyboards
from bot.callbacks import FormField as Field
from bot.callbacks import MenuAction, MenuCb, SourcedMenuCb
from bot.clock import Clock
from bot.commands import set_staff_commands
from bot.config import BusinessConfig
from bot.domain.attribution import ATTRIBUTION_WINDOW, SourceTable, attribute
from bot.domain.desk import Viewer
from bot.domain.models import Arrival, DealStatus
from bot.domain.parsing import format_phone
from bot.draft import load_draft, save_draft
from bot.filters import IsProspect, MenuPressed
from bot.services.desk import DeskService
from bot.services.lead_capture import LeadCaptureService
from bot.services.reminders import ReminderService
from bot.services.staff import INVITE_PREFIX, InviteResult, NewManager, StaffService
from bot.texts import Catalogue, Translator
from handlers.desk import show_menu
from handlers.form_flow import FORM_STATES, Flow, fresh_draft, plan_nudge, usable_name
from handlers.notify import staff_translator


def register(router: Router) -> None:
    """/start and the menu's request button, on the prospects' conversation router."""
    router.message.register(start, CommandStart(ignore_case=True))  # "/Start": a phone's capital
    # A member of staff's old "leave a request" button must not start a form they cannot leave.
    router.callback_query.register(menu_request, MenuPressed(MenuAction.REQUEST), IsProspect())


async def start(
    message: Message,
    command: CommandObject,
    bot: Bot,
    state: FSMContext,
    t: Translator,
    config: BusinessConfig,
    sources: SourceTable,
    leads: LeadCaptureService,
    clock: Clock,
    staff: StaffService,
    viewer: Viewer | None,
    catalogue: Catalogue,
    desk: DeskService,
) -> None:
    user = message.from_user
    if user is None:
        return
    now = clock.now()
    if command.args and command.args.startswith(INVITE_PREFIX):
        token = command.args.removeprefix(INVITE_PREFIX)
        await _join(message, user, token, bot, state, t, catalogue, staff, desk, now)
        return
    if viewer is not None:
        await state.clear()
        await show_menu(bot, message.chat.id, t, viewer, staff)
        return
    attribution = attribute(command.args, sources)
    known = await leads.record_arrival(user.id, Arrival(attribution, now))
    draft = await load_draft(state)
    draft.add_arrival(attribution.payload, now, recorded=known is not None)
    draft.consent_at = draft.consent_at or (known.consent_at if known else None)
    draft.consent_checked = True  # the menu button that follows need not look it up again
    await save_draft(state, draft)
    current = await state.get_state()
    if current in FORM_STATES:
        await message.answer(t("resume_ask"), reply_markup=keyboards.resume(t))
        return
    company = config.company.name.get(t.locale)
    if known is not None:  # a client: welcomed back, told where their request is
        name = usable_name(known.name)
        text = t("greeting_known", name=name, company=company, open_deal=known.open_deal)
    else:
        text = t("greeting", name=usable_name(user.first_name), company=company)
    await message.answer(text, reply_markup=keyboards.menu(t))


async def _join(
    message: Message,
    user: User,
    token: str,
    bot: Bot,
    state: FSMContext,
    t: Translator,
    catalogue: Catalogue,
    staff: StaffService,
    desk: DeskService,
    now: datetime,
) -> None:
    """A manager's invitation link: the first person to open it joins the staff. A client who
    joins keeps their own deal; the admins are told of it, as its manager now works for us."""
    who = NewManager(user.id, user.full_name[:100], user.username, user.language_code)
    result = await staff.redeem(token, who, now)
    if result not in (InviteResult.JOINED, InviteResult.REJOINED):
        await message.answer(t(f"invite_{result.value}"))
        return
    viewer = await staff.viewer(user.id)
    assert viewer is not None
    await state.clear()  # a form they were filling as a prospect ends: they are staff now
    await message.answer(t("invite_joined", name=user.first_name))
    await set_staff_commands(bot, message.chat.id, t, admin=False)
    await show_menu(bot, message.chat.id, t, viewer)
    own = await desk.prospect_deal(user.id)
    for admin in sorted(staff.admin_ids):
        staff_t = await staff_translator(catalogue, staff, admin)
        with suppress(TelegramAPIError):
            text = staff_t(
                f"manager_{result.value}", name=who.name, username=who.username,
                own_deal=own.deal_id if own and own.status is DealStatus.OPEN else None,
            )  # fmt: skip
            await bot.send_message(admin, text)


async def arrived_by_button(
    callback: CallbackQuery,
    source: str,
    state: FSMContext,
    leads: LeadCaptureService,
    now: datetime,
) -> None:
    """A menu button that carries the link the visitor came by (SourcedMenuCb: under the answer
    to a refused consent, when nothing of theirs was kept), as of the visit: the refusal's
    moment. A link older than the attribution window brings nothing; an arrival since is newer."""
    visited = callback.message.date if isinstance(callback.message, Message) else now
    if now - visited > ATTRIBUTION_WINDOW:
        return
    draft = await load_draft(state)
    if draft.arrivals:
        return
    user_id = callback.from_user.id
    on_file = await leads.consent_at(user_id) is not None  # /start stored it as a visit then
    draft.add_arrival(source, min(visited, now), recorded=on_file)
    await save_draft(state, draft)


async def menu_request(
    callback: CallbackQuery,
    callback_data: MenuCb | SourcedMenuCb,
    bot: Bot,
    state: FSMContext,
    t: Translator,
    config: BusinessConfig,
    leads: LeadCaptureService,
    reminders: ReminderService,
    clock: Clock,
) -> None:
    await callback.answer()
    if isinstance(callback_data, SourcedMenuCb):
        await arrived_by_button(callback, callback_data.source, state, leads, clock.now())
    if await state.get_state() in FORM_STATES:
        await bot.send_message(
            callback.from_user.id, t("resume_ask"), reply_markup=keyboards.resume(t)
        )
        return
    await begin_form(callback.from_user, bot, state, t, config, leads, reminders, clock.now())


async def begin_form(
    user: User,
    bot: Bot,
    state: FSMContext,
    t: Translator,
    config: BusinessConfig,
    leads: LeadCaptureService,
    reminders: ReminderService,
    now: datetime,
) -> None:
    """The form from its first step; consent is asked unless this person gave it before. A
    client's contacts are taken from before (they can change them at the summary)."""
    old = await load_draft(state)
    known = None
    if not old.consent_checked or old.consent_at is not None:  # somebody who may be a client
        known = await leads.person(user.id)
    consent_at = known.consent_at if known else None
    draft = fresh_draft(old, consent_at)
    flow = Flow(bot, user.id, state, t, config, user.first_name, draft, now)
    if draft.consent_at is None:
        await flow.ask_consent()
        return
    await plan_nudge(flow, reminders, now)
    if known is None or known.consent_at is None or not known.phone:
        await flow.ask(Field.NAME)
        return
    # a name stored before names were checked ("Здравствуйте") is asked again
    draft.name, draft.phone = usable_name(known.name), known.phone
    draft.email, draft.company = known.email, known.company
    draft.shown = {
        field: value
        for field, value in (("email", known.email), ("company", known.company))
        if value is not None
    }
    await flow.send(
        t(
            "contacts_known",
            name=draft.name,
            phone=format_phone(known.phone),
            email=known.email,
            company=known.company,
        )
    )
    await flow.ask(flow.first_missing() or Field.NEED)
