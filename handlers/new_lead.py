"""A manager brings in an outbound lead: a shared contact, or a typed name and phone. The same
duplicate rules as for a prospect's request apply (LeadCaptureService)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import desk_keyboards as kb
from bot.callbacks import StaffAction, StaffCb
from bot.domain.desk import Viewer, may_access
from bot.domain.parsing import InputError, parse_contact_phone, parse_name, parse_phone
from bot.filters import HasContact, HasText, IsStaff, NotCommand, PrivateChat
from bot.middlewares import DropPendingInput
from bot.services.lead_capture import LeadCaptureService, OutboundLead
from bot.services.staff import StaffService
from bot.states import StaffInput
from bot.texts import Translator
from handlers.deal_context import DealContext, staff_input_error


def build_router() -> Router:
    router = Router(name="new_lead")
    for observer in (router.message, router.callback_query):
        observer.filter(PrivateChat(), IsStaff())
    router.callback_query.middleware(DropPendingInput())
    router.message.middleware(DropPendingInput())
    router.message.register(command, Command("newlead", ignore_case=True))
    router.callback_query.register(button, StaffCb.filter(F.action == StaffAction.NEW_LEAD))
    inputs = StateFilter(StaffInput.lead_name, StaffInput.lead_phone)
    router.message.register(contact, inputs, HasContact())
    # A contact shared from the phone book with nothing asked: the quickest way to bring a lead
    # in on a phone (or to find the deal of a client who is already there)
    router.message.register(contact, StateFilter(None), HasContact())
    router.message.register(name, StateFilter(StaffInput.lead_name), HasText(), NotCommand())
    router.message.register(phone, StateFilter(StaffInput.lead_phone), HasText(), NotCommand())
    router.message.register(not_text, inputs, NotCommand())
    return router


async def command(message: Message, bot: Bot, state: FSMContext, t: Translator) -> None:
    await begin(bot, message.chat.id, state, t)


async def button(callback: CallbackQuery, bot: Bot, state: FSMContext, t: Translator) -> None:
    await callback.answer()
    await begin(bot, callback.from_user.id, state, t)


async def begin(bot: Bot, chat_id: int, state: FSMContext, t: Translator) -> None:
    await state.set_state(StaffInput.lead_name)
    await state.set_data({})
    await bot.send_message(chat_id, t("new_lead_ask"), reply_markup=kb.cancel_input(t))


async def contact(message: Message, **data: Any) -> None:
    assert message.contact is not None
    shared = message.contact
    t: Translator = data["t"]
    staff: StaffService = data["staff"]
    if shared.user_id is not None and await staff.viewer(shared.user_id) is not None:
        # one's own contact or a colleague's (shared by a slip, or to pass it on): no lead
        await message.answer(t("contact_is_staff"))
        return
    full_name = " ".join(part for part in (shared.first_name, shared.last_name) if part)
    try:
        lead_name = parse_name(full_name, strict=False)
    except InputError:
        lead_name = full_name[:100] or t.label("no_name")
    await _create(message, data, lead_name, shared.phone_number, shared.user_id, shared=True)


async def name(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.text is not None
    try:
        value = parse_name(message.text, strict=False)
    except InputError as error:
        await message.answer(staff_input_error(t, error))
        return
    await state.set_state(StaffInput.lead_phone)
    await state.update_data(name=value)
    await message.answer(t("new_lead_phone", name=value), reply_markup=kb.cancel_input(t))


async def phone(message: Message, **data: Any) -> None:
    assert message.text is not None
    stored = await data["state"].get_data()
    await _create(message, data, str(stored.get("name") or ""), message.text, None, shared=False)


async def _create(
    message: Message,
    data: dict[str, Any],
    lead_name: str,
    raw_phone: str,
    user_id: int | None,
    *,
    shared: bool,
) -> None:
    t: Translator = data["t"]
    viewer: Viewer = data["viewer"]
    leads: LeadCaptureService = data["leads"]
    try:
        region = data["config"].form.default_region
        value = (
            parse_contact_phone(raw_phone, region, own=False)
            if shared
            else parse_phone(raw_phone, region)
        )
    except InputError as error:
        await message.answer(staff_input_error(t, error), reply_markup=kb.cancel_input(t))
        return
    if not lead_name:
        await begin(data["bot"], message.chat.id, data["state"], t)
        return
    outcome = await leads.create_outbound(
        OutboundLead(viewer.telegram_id, lead_name, value, user_id), data["clock"].now()
    )
    await data["state"].clear()
    ctx = DealContext.from_data(message.chat.id, outcome.deal.id, data)
    if outcome.created:
        # where the lead came from, for the reports by source: the manager knows, one tap
        # above the card's own buttons
        await ctx.show_card(
            full=True,
            done=t("new_lead_created", deal_id=outcome.deal.id),
            first=kb.lead_sources(t, outcome.deal.id).inline_keyboard,
        )
    elif may_access(viewer, outcome.deal.manager_telegram_id):
        await ctx.show_card(full=True, done=t("new_lead_exists", deal_id=outcome.deal.id))
    else:
        # Somebody else's client: say so, without showing the deal.
        await ctx.send(t("new_lead_taken"))


async def not_text(message: Message, t: Translator) -> None:
    await message.answer(t("err_contact_or_text"))
