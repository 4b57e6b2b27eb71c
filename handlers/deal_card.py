"""The deal card and what its buttons do. One entry point checks the caller's right to the deal
before anything else happens: callback data comes from the client and can be forged."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message

from bot import desk_keyboards as kb
from bot.callbacks import BACK, DealAction, DealCb, PlayCb, row_id
from bot.config import scoring_table
from bot.desk_views import (
    deal_card,
    format_amount,
    history_text,
    long_day,
    stage_name,
    temperature_label,
)
from bot.domain.desk import RoutingRule, Viewer
from bot.domain.models import Temperature
from bot.domain.parsing import (
    InputError,
    format_phone,
    parse_company,
    parse_contact_phone,
    parse_email,
    parse_name,
    parse_phone,
    parse_words,
)
from bot.domain.pipeline import AnswerType, Question, amount_minor, parse_answer
from bot.domain.when import LATER
from bot.filters import HasContact, HasText, IsStaff, NotCommand, PrivateChat
from bot.middlewares import DoubleTap, DropPendingInput
from bot.services.desk import ActivityKind, ClientField, DeskService, NoAccess, TakeResult
from bot.states import DealWork
from handlers import notify, offers, reminders, stage_gate
from handlers.deal_context import (
    DEAL_KEY,
    NOTE_LIMIT,
    DealContext,
    note_text,
    offered,
    refused_closed,
    staff_input_error,
)

log = logging.getLogger(__name__)

HISTORY_PAGE = 15
_AMOUNT = Question("amount", AnswerType.NUMBER, deal_amount=True)


def build_router() -> Router:
    router = Router(name="deal_card")
    for observer in (router.message, router.callback_query):
        observer.filter(PrivateChat(), IsStaff())
    router.callback_query.middleware(DoubleTap(repeatable=_counts))
    router.callback_query.middleware(DropPendingInput())
    router.message.filter(NotCommand())  # this router's messages are all typed input
    router.callback_query.register(deal_action, DealCb.filter())
    router.callback_query.register(play_voice, PlayCb.filter())
    router.message.register(stage_gate.answer_typed, StateFilter(DealWork.answering))
    router.message.register(objection_typed, StateFilter(DealWork.objection), HasText())
    router.message.register(activity_typed, StateFilter(DealWork.activity))
    router.message.register(amount_typed, StateFilter(DealWork.amount), HasText())
    router.message.register(step_typed, StateFilter(DealWork.next_step), HasText())
    router.message.register(lost_typed, StateFilter(DealWork.lost_reason), HasText())
    router.message.register(client_typed, StateFilter(DealWork.client_field), HasText())
    router.message.register(client_typed, StateFilter(DealWork.client_field), HasContact())
    router.message.register(
        not_text,
        StateFilter(
            DealWork.objection,
            DealWork.amount,
            DealWork.next_step,
            DealWork.lost_reason,
            DealWork.client_field,
        ),
    )
    return router


Action = Callable[[DealContext, str], Awaitable[None]]


def _counts(data: str) -> bool:
    """An offer's ➕/➖ and catalogue pages: pressed again on purpose."""
    try:
        pressed = DealCb.unpack(data)
    except (TypeError, ValueError):
        return False
    return pressed.action is DealAction.OFFER and pressed.arg.startswith(("add.", "sub.", "cat"))


async def deal_action(callback: CallbackQuery, callback_data: DealCb, **data: Any) -> None:
    viewer: Viewer = data["viewer"]
    desk: DeskService = data["desk"]
    t = data["t"]
    ctx = DealContext.from_data(callback.from_user.id, callback_data.deal, data)
    if isinstance(callback.message, Message):
        ctx.message = callback.message
    action = callback_data.action
    if action is DealAction.TAKE:
        await callback.answer()
        await take(ctx, callback_data.arg)
        return
    try:
        await desk.check(viewer, callback_data.deal)
    except NoAccess:
        await callback.answer(t.label("err_no_access"), show_alert=True)
        return
    await callback.answer()
    try:
        await ACTIONS[action](ctx, callback_data.arg)
    except NoAccess:  # taken away between the check and the action
        await ctx.send(t("err_no_access"))


async def open_card(ctx: DealContext, arg: str) -> None:
    await ctx.state.clear()
    await ctx.show_card(full=arg != BACK)


async def details(ctx: DealContext, arg: str) -> None:
    """The card turned into its other form in place, no new message: whole, or (`BACK`)
    short again."""
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    full = arg != BACK
    await ctx.replace(
        deal_card(ctx.t, ctx.config, card, ctx.tz, full=full, viewer=ctx.viewer),
        kb.deal_card(ctx.t, ctx.config, card, ctx.viewer, full=full),
    )


async def history(ctx: DealContext, arg: str) -> None:
    entries = await ctx.desk.history(ctx.viewer, ctx.deal_id, HISTORY_PAGE)
    text = history_text(ctx.t, ctx.config, ctx.deal_id, entries, ctx.tz)
    await ctx.send(text, kb.history(ctx.t, ctx.deal_id, entries))


async def play_voice(callback: CallbackQuery, callback_data: PlayCb, **data: Any) -> None:
    t = data["t"]
    try:
        voice = await data["desk"].voice(data["viewer"], callback_data.event)
    except NoAccess:
        await callback.answer(t.label("err_no_access"), show_alert=True)
        return
    await callback.answer()
    await data["bot"].send_voice(callback.from_user.id, voice)


async def objections(ctx: DealContext, arg: str) -> None:
    if await _closed_for_objections(ctx):
        return
    await ctx.ask(ctx.t("objection_pick"), kb.objections(ctx.t, ctx.config, ctx.deal_id))


async def _closed_for_objections(ctx: DealContext) -> bool:
    """An old picker's button on a deal closed since: a closed card offers no objections."""
    if (await ctx.desk.card(ctx.viewer, ctx.deal_id)).is_open:
        return False
    await ctx.send(ctx.t("objection_closed"), kb.back_to_card(ctx.t, ctx.deal_id))
    return True


async def objection(ctx: DealContext, objection_id: str) -> None:
    if await _closed_for_objections(ctx):
        return
    if not objection_id:  # "other": the manager types it
        await ctx.expect(DealWork.objection)
        await ctx.ask(ctx.t("objection_other_ask"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    found = next((o for o in ctx.config.pipeline.objections if o.id == objection_id), None)
    if found is None:
        await ctx.send(ctx.t("err_stale_button"))
        return
    await ctx.desk.log_objection(ctx.viewer, ctx.deal_id, objection_id, None, ctx.now())
    await ctx.send(
        ctx.t(
            "objection_answers",
            name=found.name.get(ctx.t.locale),
            answers=[answer.get(ctx.t.locale) for answer in found.answers],
        ),
        kb.back_to_card(ctx.t, ctx.deal_id),
    )


async def log_menu(ctx: DealContext, kind: str) -> None:
    if not kind:
        await ctx.ask(ctx.t("activity_pick"), kb.activities(ctx.t, ctx.deal_id))
        return
    if kind not in {k.value for k in ActivityKind}:
        await ctx.send(ctx.t("err_stale_button"))
        return
    if kind == ActivityKind.NO_ANSWER:  # nothing to write about: when to try again instead
        await ctx.desk.log_call_attempt(ctx.viewer, ctx.deal_id, ctx.now())
        if (await ctx.desk.card(ctx.viewer, ctx.deal_id)).is_open:
            await ctx.send(ctx.t("no_answer_logged"), reminders.redial_choices(ctx.t, ctx.deal_id))
        else:  # a closed deal: a call back is set from its card, in months
            await ctx.send(ctx.t("no_answer_noted"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    await ctx.expect(DealWork.activity, kind=kind)
    await ctx.ask(
        ctx.t("activity_ask", what=ctx.t.label(f"activity_{kind}")),
        kb.back_to_card(ctx.t, ctx.deal_id),
    )


async def temperature(ctx: DealContext, value: str) -> None:
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    if not card.is_open:  # an old button: a closed deal's temperature is history
        await ctx.send(ctx.t("temperature_closed"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    if not value:
        await ctx.ask(
            ctx.t("temperature_pick"), kb.temperatures(ctx.t, ctx.deal_id, card.deal.temperature)
        )
        return
    if value not in {v.value for v in Temperature}:
        await ctx.send(ctx.t("err_stale_button"))
        return
    await ctx.desk.set_temperature(
        ctx.viewer, ctx.deal_id, Temperature(value), ctx.now(), "manager"
    )
    label = temperature_label(ctx.t, Temperature(value))
    await ctx.show_card(done=ctx.t("temperature_set", value=label))


async def won(ctx: DealContext, arg: str) -> None:
    if arg == "walk":
        await stage_gate.walk(ctx, stage_gate.WON)
    else:
        await stage_gate.win(ctx, arg)


async def move(ctx: DealContext, arg: str) -> None:
    if arg.startswith("walk."):
        await stage_gate.walk(ctx, arg.removeprefix("walk."))
    else:
        await stage_gate.move(ctx, arg)


async def lost(ctx: DealContext, reason: str) -> None:
    if reason and reason not in {r.id for r in ctx.config.pipeline.lost_reasons}:
        await ctx.send(ctx.t("err_stale_button"))
        return
    # an old card's button: the reasons (or the question) would only be refused after
    if reason in ("", "other") and not (await ctx.desk.card(ctx.viewer, ctx.deal_id)).is_open:
        await ctx.send(refused_closed(ctx), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    if not reason:
        await ctx.ask(ctx.t("lost_pick"), kb.lost_reasons(ctx.t, ctx.config, ctx.deal_id))
        return
    if reason == "other":
        await ctx.expect(DealWork.lost_reason)
        await ctx.ask(ctx.t("lost_other_ask"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    await _lose(ctx, reason)


async def _lose(ctx: DealContext, reason: str) -> None:
    result = await ctx.pipeline.lose(ctx.deal_id, reason, ctx.viewer.telegram_id, ctx.now())
    await ctx.state.clear()
    if getattr(result, "reason", None) is not None:  # refused: already closed
        await ctx.send(refused_closed(ctx), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    await ctx.reminders.deal_closed(ctx.deal_id)
    # Reminders set to work the deal lose their point; the manager decides (a "call again in
    # spring" may be just what they want)
    left = await ctx.reminders.on_deal(ctx.viewer, ctx.deal_id)
    call_back = any(r.id == reason and r.call_back for r in ctx.config.pipeline.lost_reasons)
    rows = kb.drop_reminders(ctx.t, ctx.deal_id, left).inline_keyboard if left else []
    if call_back:  # "put it off": not forgotten, however long it takes
        later = [
            reminders.quick_button(ctx.t, ctx.deal_id, when, reminders.CALL_BACK) for when in LATER
        ]
        rows = [*rows, later]
    lost_text = ctx.t("deal_lost", reminders=len(left), call_back=call_back)
    await ctx.show_card(done=lost_text, first=rows)  # what it asks, above the card's buttons
    owner = await ctx.desk.check(ctx.viewer, ctx.deal_id)
    await notify.owner_of_closed(ctx, owner, lost_reason=reason)


async def reopen(ctx: DealContext, arg: str) -> None:
    """An admin's way back for a deal won or lost by mistake; asked first, as the win or the
    loss leaves the reports."""
    if not ctx.viewer.is_admin:
        await ctx.send(ctx.t("reopen_admins_only"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    target = ctx.pipeline.reopened_at(card.deal.stage, card.deal.status)
    if target is None:
        await ctx.send(ctx.t("reopen_open"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    stage = stage_name(ctx.config, target, ctx.t.locale)
    status = card.deal.status.value
    if not arg:
        text = ctx.t("reopen_ask", deal_id=ctx.deal_id, stage=stage)
        await ctx.send(text, kb.reopen(ctx.t, ctx.deal_id, status))
        return
    if arg != f"yes.{status}":  # asked about a loss, and it has been reopened and won since
        await ctx.send(ctx.t("err_stale_button"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    result = await ctx.pipeline.reopen(ctx.deal_id, ctx.viewer.telegram_id, ctx.now())
    if getattr(result, "reason", None) is not None:  # reopened by somebody else meanwhile
        await ctx.send(ctx.t("reopen_open"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    await ctx.reminders.deal_reopened(ctx.deal_id)
    await ctx.show_card(full=True, done=ctx.t("reopened", stage=stage))
    await notify.owner_of_reopened(ctx, card.deal.manager_telegram_id, stage)


async def drop_reminders(ctx: DealContext, arg: str) -> None:
    if (await ctx.desk.card(ctx.viewer, ctx.deal_id)).is_open:  # reopened since: they are needed
        await ctx.send(ctx.t("err_stale_button"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    # the reminders there were when the deal closed (an older button: all of them), not a call
    # back set since
    dropped = await ctx.reminders.cancel_on_deal(ctx.viewer, ctx.deal_id, up_to=row_id(arg))
    await ctx.drop_buttons(lambda button: offered(button, DealAction.UNREMIND, ""))
    await ctx.send(ctx.t("reminders_dropped", count=dropped), kb.back_to_card(ctx.t, ctx.deal_id))


async def reassign(ctx: DealContext, target: str) -> None:
    if not ctx.viewer.is_admin:
        await ctx.send(ctx.t("err_no_access"))
        return
    me = ctx.viewer.telegram_id
    managers = [m for m in await ctx.staff.managers() if m.active and m.telegram_id != me]
    if not target:
        card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
        await ctx.ask(
            ctx.t("reassign_pick" if managers else "reassign_none"),
            kb.reassign(ctx.t, ctx.deal_id, managers, card.deal.manager_telegram_id, me),
        )
        return
    name: str | None  # None: the admin themselves (an owner sells too)
    if target == str(me):
        new, name = me, None
    else:
        chosen = next((m for m in managers if str(m.telegram_id) == target), None)
        if chosen is None:
            await ctx.send(ctx.t("err_stale_button"))
            return
        new, name = chosen.telegram_id, chosen.name
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    if card.deal.manager_telegram_id == new:
        same = ctx.t("reassign_same", name=name) if name else ctx.t("reassign_same_self")
        await ctx.send(same, kb.back_to_card(ctx.t, ctx.deal_id))
        return
    previous = await ctx.desk.reassign(ctx.viewer, ctx.deal_id, new, ctx.now())
    client = card.person.name
    await ctx.show_card(done=ctx.t("reassigned", name=name) if name else ctx.t("reassigned_self"))
    if name:
        await _tell(ctx, new, "deal_given_to_you", client=client)
    if previous is not None and previous != new:
        # No button: the deal is no longer theirs to open; their reminders of it went along.
        if name:
            await _tell(
                ctx, previous, "deal_taken_from_you", button=False, name=name, client=client
            )
        else:
            await _tell(ctx, previous, "deal_taken_by_admin", button=False, client=client)
        await _close_card(ctx, previous, card.person.name)


async def _close_card(ctx: DealContext, member: int, client: str) -> None:
    """The card of a deal taken from `member` loses its buttons in their chat (each would
    answer "no access") and says where the deal went."""
    if ctx.live_cards is None or member == ctx.viewer.telegram_id:
        return
    shown = ctx.live_cards.forget(member, ctx.deal_id)
    if shown is None:
        return
    staff_t = await ctx.staff_t(member)
    with suppress(TelegramAPIError):  # deleted, or too old to edit: its buttons say "no access"
        await ctx.bot.edit_message_text(
            staff_t("card_taken", deal_id=ctx.deal_id, name=client),
            chat_id=member,
            message_id=shown.message_id,
        )


async def take(ctx: DealContext, arg: str) -> None:
    if ctx.config.routing.rule is not RoutingRule.INBOX and not ctx.viewer.is_admin:
        await ctx.send(ctx.t("err_stale_button"))  # no shared inbox: leads are given, not taken
        return
    try:
        result = await ctx.desk.take(ctx.viewer, ctx.deal_id, ctx.now())
    except NoAccess:
        await ctx.send(ctx.t("err_no_access"))
        return
    if result is TakeResult.TAKEN_BY_OTHER:
        await ctx.send(ctx.t("take_lost"))
        return
    won = ctx.t("take_won", deal_id=ctx.deal_id) if result is TakeResult.TAKEN else None
    await ctx.show_card(full=True, done=won)


async def amount(ctx: DealContext, arg: str) -> None:
    await ctx.expect(DealWork.amount)
    await ctx.ask(ctx.t("amount_ask"), kb.back_to_card(ctx.t, ctx.deal_id))


async def step(ctx: DealContext, arg: str) -> None:
    await ctx.expect(DealWork.next_step)
    await ctx.ask(ctx.t("step_ask"), kb.back_to_card(ctx.t, ctx.deal_id))


async def source(ctx: DealContext, arg: str) -> None:
    """Where a lead the manager brought in came from: the question under its new card."""
    chosen = next(((c, i) for c, i, _ in kb.MANUAL_SOURCES if arg == f"{c.value}.{i.value}"), None)
    if chosen is None:
        await ctx.send(ctx.t("err_stale_button"))
        return
    channel, initiative = chosen
    points = scoring_table(ctx.config).channel.get(channel, 0)
    if not await ctx.desk.set_manual_source(
        ctx.viewer, ctx.deal_id, channel, initiative, points, ctx.now()
    ):  # a deal that came through the bot: its source is its link
        await ctx.send(ctx.t("err_stale_button"))
        return
    label = f"{ctx.t.label('channel_' + channel.value)}, {ctx.t.label('initiative_' + initiative.value)}"
    await ctx.drop_buttons(lambda button: offered(button, DealAction.SOURCE, ""))  # asked once
    await ctx.show_card(done=ctx.t("source_set", source=label))


async def client(ctx: DealContext, arg: str) -> None:
    """The client's details, corrected from the card: a misheard name, a new phone, an e-mail
    the offer is to go to."""
    person = (await ctx.desk.card(ctx.viewer, ctx.deal_id)).person
    if not await ctx.desk.may_edit_client(ctx.viewer, ctx.deal_id):  # said before anything typed
        await ctx.send(ctx.t("client_shared"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    if not arg:
        await ctx.send(
            ctx.t(
                "client_details",
                deal_id=ctx.deal_id,
                name=person.name,
                phone=format_phone(person.phone) if person.phone else None,
                email=person.email,
                company=person.company,
            ),
            kb.client_fields(ctx.t, ctx.deal_id),
        )
        return
    erase = arg.startswith("clear.")
    try:
        field = ClientField(arg.removeprefix("clear."))
    except ValueError:
        await ctx.send(ctx.t("err_stale_button"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    if erase:
        if field.optional:
            await _set_client_field(ctx, field, None)
        else:
            await ctx.send(ctx.t("err_stale_button"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    current = getattr(person, field.value)
    await ctx.expect(DealWork.client_field, field=field.value)
    await ctx.ask(
        ctx.t(
            f"client_ask_{field.value}",
            current=format_phone(current) if field is ClientField.PHONE and current else current,
        ),
        kb.client_ask(ctx.t, ctx.deal_id, field, erasable=field.optional and current is not None),
    )


async def _set_client_field(ctx: DealContext, field: ClientField, value: str | None) -> None:
    edit = await ctx.desk.set_client_field(ctx.viewer, ctx.deal_id, field, value, ctx.now())
    if edit.shared:
        await ctx.state.clear()
        await ctx.send(ctx.t("client_shared"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    if edit.held:  # asked again: the manager types another one or goes back
        await ctx.send(
            ctx.t(f"client_held_{field.value}", deal_id=edit.held_deal),
            kb.back_to_card(ctx.t, ctx.deal_id),
        )
        return
    await ctx.state.clear()
    shown = format_phone(value) if field is ClientField.PHONE and value else value
    label = ctx.t.label(f"field_{field.value}")
    key = "client_set" if edit.changed else "client_unchanged"
    await ctx.show_card(done=ctx.t(key, field=label, value=shown))


async def reply(ctx: DealContext, arg: str) -> None:
    await ctx.expect(DealWork.reply)
    await ctx.ask(ctx.t("reply_ask"), kb.back_to_card(ctx.t, ctx.deal_id))


async def _tell(
    ctx: DealContext, telegram_id: int, key: str, button: bool = True, **values: object
) -> None:
    """A short note to another member of staff about this deal, with a button to open it
    unless it is no longer theirs; their failure is not ours."""
    if telegram_id == ctx.viewer.telegram_id:
        return
    staff_t = await ctx.staff_t(telegram_id)
    try:
        await ctx.bot.send_message(
            telegram_id,
            staff_t(key, deal_id=ctx.deal_id, **values),
            reply_markup=kb.alert(staff_t, ctx.deal_id, inbox=False) if button else None,
        )
    except TelegramAPIError:
        log.warning("could not tell %s about deal %s", telegram_id, ctx.deal_id)


ACTIONS: dict[DealAction, Action] = {
    DealAction.OPEN: open_card,
    DealAction.DETAILS: details,
    DealAction.HISTORY: history,
    DealAction.NEXT: stage_gate.next_stage,
    DealAction.STAGES: stage_gate.stages,
    DealAction.MOVE: move,
    DealAction.QUESTIONS: stage_gate.questions,
    DealAction.ASK: stage_gate.ask,
    DealAction.ANSWER: stage_gate.answer_button,
    DealAction.SKIP: stage_gate.skip,
    DealAction.OBJECTIONS: objections,
    DealAction.OBJECTION: objection,
    DealAction.LOG: log_menu,
    DealAction.TEMPERATURE: temperature,
    DealAction.WON: won,
    DealAction.LOST: lost,
    DealAction.UNREMIND: drop_reminders,
    DealAction.REASSIGN: reassign,
    DealAction.REPLY: reply,
    DealAction.AMOUNT: amount,
    DealAction.STEP: step,
    DealAction.REMIND: reminders.remind,
    DealAction.REOPEN: reopen,
    DealAction.CLIENT: client,
    DealAction.SOURCE: source,
    DealAction.OFFER: offers.offer,
    DealAction.OFFER_DOCX: offers.docx,
}


# --- typed input -----------------------------------------------------------------------------


async def _typed_context(message: Message, data: dict[str, Any]) -> DealContext | None:
    stored = await data["state"].get_data()
    deal_id = stored.get(DEAL_KEY)
    if not isinstance(deal_id, int):
        await data["state"].clear()
        return None
    ctx = DealContext.from_data(message.chat.id, deal_id, data)
    try:
        await ctx.desk.check(ctx.viewer, deal_id)
    except NoAccess:
        await ctx.state.clear()
        await ctx.send(ctx.t("err_no_access"))
        return None
    return ctx


async def _text(
    message: Message, ctx: DealContext, limit: int = NOTE_LIMIT, lines: bool = False
) -> str | None:
    try:
        return parse_words(message.text or "", limit=limit, lines=lines)
    except InputError as error:
        await ctx.send(ctx.t(f"err_{error.problem.value}", limit=error.limit))
        return None


async def objection_typed(message: Message, **data: Any) -> None:
    if message.text is None or (ctx := await _typed_context(message, data)) is None:
        return
    text = await _text(message, ctx, limit=300)
    if text is None:
        return
    await ctx.desk.log_objection(ctx.viewer, ctx.deal_id, "other", text, ctx.now())
    await ctx.state.clear()
    await ctx.show_card(done=ctx.t("objection_logged"))


async def activity_typed(message: Message, **data: Any) -> None:
    """A call, meeting or note: typed text or a voice message (kept, and replayable)."""
    if message.text is None and message.voice is None:
        await message.answer(data["t"]("err_text_or_voice"))
        return
    if (ctx := await _typed_context(message, data)) is None:
        return
    kind = ActivityKind((await ctx.state.get_data()).get("kind", ActivityKind.NOTE.value))
    if message.voice is not None:
        await ctx.desk.log_activity(
            ctx.viewer, ctx.deal_id, kind, ctx.now(), voice=message.voice.file_id,
            duration=message.voice.duration, text=note_text(message.caption),
        )  # fmt: skip
    else:
        text = await _text(message, ctx, lines=True)  # a call's summary keeps its lines
        if text is None:
            return
        await ctx.desk.log_activity(ctx.viewer, ctx.deal_id, kind, ctx.now(), text=text)
    await ctx.state.clear()
    await ctx.show_card(done=ctx.t("activity_logged", what=ctx.t.label(f"activity_{kind.value}")))


async def amount_typed(message: Message, **data: Any) -> None:
    if message.text is None or (ctx := await _typed_context(message, data)) is None:
        return
    try:
        minor = amount_minor(parse_answer(_AMOUNT, message.text, ctx.t.locale))
    except InputError as error:
        await ctx.send(ctx.t(f"err_{error.problem.value}", limit=error.limit))
        return
    await ctx.set_amount(minor)
    await ctx.state.clear()
    await ctx.show_card(done=ctx.t("amount_set", amount=format_amount(minor, ctx.t.locale)))


async def step_typed(message: Message, **data: Any) -> None:
    if message.text is None or (ctx := await _typed_context(message, data)) is None:
        return
    text = await _text(message, ctx, limit=200)
    if text is None:
        return
    await ctx.desk.set_next_step(ctx.viewer, ctx.deal_id, text, ctx.now())
    await ctx.state.clear()
    # "Демо в четверг 15:00": a step with a moment in it is offered as a reminder, one tap
    moment = await reminders.moment_in(text, ctx.now(), ctx.tz)
    if moment is None:
        await ctx.show_card(done=ctx.t("step_set"))
        return
    # with its weekday: a misread day is seen before the button is pressed
    local_moment = moment.astimezone(ctx.tz)
    when = f"{long_day(ctx.t, local_moment.date())} {local_moment:%H:%M}"
    offer = reminders.at_button(ctx.t, ctx.deal_id, moment, text, when)
    await ctx.show_card(done=ctx.t("step_set_remind", when=when), first=offer.inline_keyboard)


async def lost_typed(message: Message, **data: Any) -> None:
    if message.text is None or (ctx := await _typed_context(message, data)) is None:
        return
    text = await _text(message, ctx, limit=200)
    if text is not None:
        await _lose(ctx, text)


async def client_typed(message: Message, **data: Any) -> None:
    if (ctx := await _typed_context(message, data)) is None:
        return
    try:
        field = ClientField(str((await ctx.state.get_data()).get("field")))
    except ValueError:  # a wait left by an older version: asked again from the card
        await ctx.state.clear()
        await ctx.send(ctx.t("err_stale_button"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    region = ctx.config.form.default_region
    try:
        if message.contact is not None:  # a contact shared from the phone book: its number
            if field is not ClientField.PHONE:
                await ctx.send(ctx.t("err_not_text"))
                return
            value = parse_contact_phone(message.contact.phone_number, region, own=False)
        elif field is ClientField.NAME:
            value = parse_name(message.text or "", strict=False)
        elif field is ClientField.PHONE:
            value = parse_phone(message.text or "", region)
        elif field is ClientField.EMAIL:
            value = parse_email(message.text or "")
        else:
            value = parse_company(message.text or "")
    except InputError as error:
        await ctx.send(staff_input_error(ctx.t, error))
        return
    await _set_client_field(ctx, field, value)


async def not_text(message: Message, **data: Any) -> None:
    await message.answer(data["t"]("err_not_text"))
