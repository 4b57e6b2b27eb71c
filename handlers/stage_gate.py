"""The stage gate in the chat: next stage, the stage picker, the stage's questions, and the walk
through exactly the missing questions after a refused move. Every move goes through
PipelineService, which enforces the gate."""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from markupsafe import Markup

from bot import desk_keyboards as kb
from bot.callbacks import AS_BEFORE, DealAction, DealCb
from bot.desk_views import answer_text, long_day, question_text, short, stage_name
from bot.domain.desk import DealCard
from bot.domain.parsing import InputError
from bot.domain.pipeline import (
    AnswerType,
    MoveAllowed,
    MoveRefused,
    MoveResult,
    Refusal,
    satisfies,
    takes_answers,
)
from bot.domain.when import written_day
from bot.services.desk import NoAccess
from bot.services.pipeline import DealClosed
from bot.states import DealWork
from handlers import notify
from handlers.deal_context import DealContext, refused_closed

WON = "__won__"  # a walk's target: win the deal after the questions


async def next_stage(ctx: DealContext, arg: str) -> None:
    """The next stage, through the gate. `arg`: the stage the pressed card showed; a deal that
    has moved since (a double tap, an old card) is not moved on again."""
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    if arg and arg != card.deal.stage:
        stage = stage_name(ctx.config, card.deal.stage, ctx.t.locale)
        await ctx.send(ctx.t("stage_moved_since", stage=stage), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    pipeline = ctx.config.pipeline.domain()
    known = {stage.id for stage in pipeline.stages}
    # From a stage no longer configured, "next" is the first stage (the gate starts there too).
    following = (
        pipeline.next_stage(card.deal.stage) if card.deal.stage in known else pipeline.stages[0]
    )
    if following is None:
        await ctx.send(ctx.t("stage_last"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    await move(ctx, following.id)


async def stages(ctx: DealContext, arg: str) -> None:
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    await ctx.send(
        ctx.t("stage_pick", deal_id=ctx.deal_id),
        kb.stages(ctx.t, ctx.config, ctx.deal_id, card.deal.stage),
    )


async def move(ctx: DealContext, target: str) -> None:
    if target not in {stage.id for stage in ctx.config.pipeline.stages}:
        await ctx.send(ctx.t("err_stale_button"))
        return
    if target == ctx.config.pipeline.won_stage:  # the post-sale stage is reached by winning
        await win(ctx, "")
        return
    result = await ctx.pipeline.move(ctx.deal_id, target, ctx.viewer.telegram_id, ctx.now())
    await _report(ctx, result, target)


async def win(ctx: DealContext, arg: str) -> None:
    result = await ctx.pipeline.win(ctx.deal_id, ctx.viewer.telegram_id, ctx.now())
    await _report(ctx, result, WON)


async def _report(ctx: DealContext, result: MoveResult, target: str) -> None:
    t = ctx.t
    if isinstance(result, MoveAllowed):
        await ctx.state.clear()
        if target != WON:
            # a new stage: the whole card, with its tips
            moved = t("stage_moved", stage=stage_name(ctx.config, result.stage, t.locale))
            await ctx.show_card(full=True, done=moved)
            return
        await ctx.reminders.deal_closed(ctx.deal_id)
        # set to work the deal ("демо в четверг"): the manager decides, as after a loss (the
        # post-sale reminder planned below is not among them)
        left = await ctx.reminders.on_deal(ctx.viewer, ctx.deal_id)
        owner = await ctx.desk.check(ctx.viewer, ctx.deal_id)
        days = ctx.config.followups.post_sale_days
        if days:
            chat = owner if owner is not None else ctx.viewer.telegram_id
            await ctx.reminders.post_sale(ctx.deal_id, chat, ctx.now(), days)
        won = t(
            "deal_won", stage=stage_name(ctx.config, result.stage, t.locale), reminders=len(left)
        )
        offer = kb.drop_reminders(t, ctx.deal_id, left).inline_keyboard if left else []
        await ctx.show_card(full=True, done=won, first=offer)
        await notify.owner_of_closed(ctx, owner)
        return
    assert isinstance(result, MoveRefused)
    if result.reason is Refusal.UNANSWERED:
        missing = [
            question_text(ctx.config, qid, t.locale)
            + (
                f" — {t.label('needs_yes')}"
                if ctx.config.pipeline.question(qid).must_be_yes
                else ""
            )
            for qid in result.missing
        ]
        await ctx.state.update_data(walk_target=target)
        # the walk asks every question up to the target: the refusal says how many more
        ahead = _questions_to(ctx, await ctx.desk.card(ctx.viewer, ctx.deal_id), target) or []
        await ctx.send(
            t(
                "stage_refused",
                later=max(len(ahead) - len(missing), 0),
                stage=stage_name(ctx.config, result.stage, t.locale),
                target=t.label("won_target")
                if target == WON
                else t.label("move_target", stage=stage_name(ctx.config, target, t.locale)),
                missing=missing,
            ),
            _walk_keyboard(ctx, target),
        )
        return
    # (a closed deal's refusal tells a manager who can bring it back)
    text = t(f"refused_{result.reason.value}", admin=ctx.viewer.is_admin)
    await ctx.send(text, kb.back_to_card(t, ctx.deal_id))


def _walk_keyboard(ctx: DealContext, target: str) -> InlineKeyboardMarkup:
    if target == WON:
        walk = DealCb(action=DealAction.WON, deal=ctx.deal_id, arg="walk")
    else:
        walk = DealCb(action=DealAction.MOVE, deal=ctx.deal_id, arg=f"walk.{target}")
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=ctx.t.label("btn_walk_missing"), callback_data=walk.pack())],
            [kb.to_card(ctx.t, ctx.deal_id)],
        ]
    )


def _questions_to(ctx: DealContext, card: DealCard, target: str) -> list[str] | None:
    """The required questions unanswered between the deal's stage and `target`, in order;
    None if `target` is not ahead of it."""
    pipeline = ctx.config.pipeline.domain()
    known = {stage.id for stage in pipeline.stages}
    start = pipeline.index(card.deal.stage) if card.deal.stage in known else 0
    end = pipeline.index(ctx.config.pipeline.won_stage if target == WON else target)
    if end <= start:
        return None
    return [qid for stage in pipeline.stages[start:end] for qid in stage.missing(card.answers)]


async def walk(ctx: DealContext, target: str) -> None:
    """Ask the questions that stand between the deal and `target`, then move it there."""
    if target != WON and target not in {stage.id for stage in ctx.config.pipeline.stages}:
        await ctx.send(ctx.t("err_stale_button"))
        return
    await _walk_or_move(ctx, target)


async def _walk_or_move(ctx: DealContext, target: str) -> None:
    """Ask the questions that stand between the deal and `target`, then move it there."""
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    if not card.is_open:
        await ctx.send(refused_closed(ctx), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    queue = _questions_to(ctx, card, target)
    if queue is None:  # an old message's button: the deal has gone past it, never back
        stage = stage_name(ctx.config, card.deal.stage, ctx.t.locale)
        await ctx.send(ctx.t("stage_moved_since", stage=stage), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    if not queue:
        if target == WON:
            await win(ctx, "")
        else:
            await move(ctx, target)
        return
    await ctx.expect(DealWork.answering, queue=queue, walk_target=target)
    await _ask(ctx, queue[0], len(queue))


async def questions(ctx: DealContext, arg: str) -> None:
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    if not await _stage_known(ctx, card.deal.stage):
        return
    stage = ctx.config.pipeline.stage(card.deal.stage)
    if not stage.questions:
        await ctx.send(ctx.t("questions_none"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    # What earlier stages found out (the client's problems, the budget): the presentation is
    # built on it, and it has left the card once the deal moved on
    stages = ctx.config.pipeline.stages
    earlier = [
        f"{short(question.text.get(ctx.t.locale), 40)}: "
        f"{short(answer_text(ctx.t, ctx.config, question.id, card.answers[question.id]), 60)}"
        for done in stages[: [s.id for s in stages].index(stage.id)]
        for question in done.questions
        if question.id in card.answers
    ]
    await ctx.send(
        ctx.t("questions_list", stage=stage.name.get(ctx.t.locale), earlier=earlier),
        kb.questions(ctx.t, ctx.config, card),
    )


async def ask(ctx: DealContext, question_id: str) -> None:
    """One question (arg: its id), or every missing one of the current stage (arg "")."""
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    if not await _stage_known(ctx, card.deal.stage):
        return
    if not takes_answers(card.deal.status, card.deal.stage, ctx.config.pipeline.won_stage):
        await ctx.send(refused_closed(ctx), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    stage = ctx.config.pipeline.stage(card.deal.stage)
    if question_id:
        if question_id not in {q.id for q in stage.questions}:
            await ctx.send(ctx.t("err_stale_button"))
            return
        queue = [question_id]
    else:
        queue = list(ctx.config.pipeline.domain().stage(stage.id).missing(card.answers))
        if not queue:
            await ctx.send(ctx.t("questions_all_answered"), kb.back_to_card(ctx.t, ctx.deal_id))
            return
    await ctx.expect(DealWork.answering, queue=queue, one=len(queue) == 1)
    await _ask(ctx, queue[0], len(queue))


async def _stage_known(ctx: DealContext, stage_id: str) -> bool:
    """A deal can sit at a stage that a later configuration removed: say so, change nothing."""
    if stage_id in {stage.id for stage in ctx.config.pipeline.stages}:
        return True
    await ctx.send(ctx.t("refused_unknown_stage"), kb.back_to_card(ctx.t, ctx.deal_id))
    return False


async def _ask(ctx: DealContext, question_id: str, left: int) -> None:
    found = ctx.config.pipeline.find_question(question_id)
    if found is None:  # a walk begun before the configuration changed
        await ctx.state.clear()
        await ctx.send(ctx.t("err_stale_button"), kb.back_to_card(ctx.t, ctx.deal_id))
        return
    _, question = found
    before = await _as_before(ctx, question_id)
    asked = await ctx.ask(
        ctx.t(
            "question_ask",
            text=question.text.get(ctx.t.locale),
            left=left,
            hint=ctx.t.label(f"hint_{question.type.value}"),
            before=short(answer_text(ctx.t, ctx.config, question_id, before), 300)
            if before is not None
            else None,
        ),
        kb.question(
            ctx.t,
            ctx.config,
            ctx.deal_id,
            question_id,
            optional=not question.required,
            as_before=before is not None,
        ),
    )
    await ctx.state.update_data(asked=asked.message_id)  # settled once it is answered by typing


async def _as_before(ctx: DealContext, question_id: str) -> str | None:
    """The answer the client's earlier deal has to a question of what they need (their problems,
    what matters more): a repeat sale starts from it. Not one about this sale's progress (did
    we reach them, a date, an amount): that is to be found out again."""
    found = ctx.config.pipeline.find_question(question_id)
    if found is None or found[1].type not in (AnswerType.TEXT, AnswerType.CHOICE):
        return None
    question = found[1]
    before = (await ctx.desk.earlier_answers(ctx.viewer, ctx.deal_id)).get(question_id)
    if question.type is AnswerType.CHOICE and before not in {c.id for c in question.choices}:
        return None  # a choice removed from the configuration since
    return before


async def answer_button(ctx: DealContext, arg: str) -> None:
    question_id, _, value = arg.partition(".")
    if value == AS_BEFORE:
        before = await _as_before(ctx, question_id)
        if before is None:  # forged, or the question changed its type
            await ctx.send(ctx.t("err_stale_button"))
            return
        value = before
    settled = ctx.message is not None  # the question's message will show the answer
    if await _in_walk(ctx, question_id):
        stored = await _answer(ctx, question_id, value, read_back=not settled)
    else:
        # a question of a walk left for another button (or a command): its answer is taken
        # all the same, and the walk, or another deal's, is left as it is
        stored = await _store(ctx, question_id, value, read_back=not settled)
        if stored is not None:
            await ctx.show_card(done=ctx.t("answer_saved"))
    if stored is not None and ctx.message is not None:
        await _settle(ctx, ctx.message.message_id, question_id, stored)


def _answered(ctx: DealContext, question_id: str, value: str | None) -> bool:
    found = ctx.config.pipeline.find_question(question_id)
    return found is not None and satisfies(value, found[1].must_be_yes)


async def _in_walk(ctx: DealContext, question_id: str) -> bool:
    """Whether `question_id` is the question the walk about this deal asks now."""
    data = await ctx.state.get_data()
    queue = data.get("queue") or []
    return bool(queue) and queue[0] == question_id and data.get("deal") == ctx.deal_id


async def _settle(ctx: DealContext, asked: int, question_id: str, value: str | None) -> None:
    """The question's message keeps the question and the answer as it was taken ("150 000",
    "пт, 25.12.2026"), or that it was skipped (None), not its buttons: "Пропустить" would now
    only be refused. Pressed or typed, the same."""
    found = ctx.config.pipeline.find_question(question_id)
    if found is None:
        return
    text = found[1].text.get(ctx.t.locale)
    if value is None:
        settled = ctx.t("question_skipped", text=text)
    else:
        answer: str | None
        if ctx.pipeline.question(question_id).type is AnswerType.DATE:
            answer = long_day(ctx.t, date.fromisoformat(value))  # a misread day is seen at once
        else:
            answer = short(answer_text(ctx.t, ctx.config, question_id, value), 100)
        settled = ctx.t("question_answered", text=text, answer=answer)
    # headed as it was asked: which deal it is about stays readable
    head = ctx.t("deal_head", deal_id=ctx.deal_id, name=await ctx.client_name())
    with suppress(TelegramAPIError):  # too old to edit: the answer is kept all the same
        await ctx.bot.edit_message_text(
            Markup("{} · {}").format(head, settled), chat_id=ctx.chat_id, message_id=asked
        )


async def skip(ctx: DealContext, question_id: str) -> None:
    data = await ctx.state.get_data()
    queue: list[str] = list(data.get("queue") or [])
    if not queue or queue[0] != question_id or data.get("deal") != ctx.deal_id:
        await ctx.send(ctx.t("err_stale_button"))
        return
    if ctx.message is not None:
        await _settle(ctx, ctx.message.message_id, question_id, None)
    await _advance(ctx, queue[1:], data.get("walk_target"))


async def answer_typed(message: Message, **data: Any) -> None:
    """A typed answer in a walk: validated for its type, re-asked when wrong."""
    state = data["state"]
    stored = await state.get_data()
    queue = stored.get("queue") or []
    if not queue:
        await state.clear()
        return
    if message.text is None:
        await message.answer(data["t"]("err_not_text"))
        return
    ctx = DealContext.from_data(message.chat.id, int(stored["deal"]), data)
    asked = stored.get("asked")
    raw = _choice_typed(ctx, queue[0], message.text)
    # the question's message shows the date taken, with its weekday: no message of its own
    value = await _answer(ctx, queue[0], raw, read_back=not isinstance(asked, int))
    if value is not None and isinstance(asked, int):
        await _settle(ctx, asked, queue[0], value)


def _choice_typed(ctx: DealContext, question_id: str, text: str) -> str:
    """A choice's label typed instead of pressed ("сэкономить средства") is that choice."""
    found = ctx.config.pipeline.find_question(question_id)
    typed = " ".join(text.split()).strip(" .!").casefold()
    for choice in found[1].choices if found else ():
        if typed in {label.casefold() for label in choice.label.root.values()}:
            return choice.id
    return text


async def _answer(
    ctx: DealContext, question_id: str, raw: str, read_back: bool = True
) -> str | None:
    """The answer as stored, if it was taken (the walk goes on or holds); None if not."""
    if not await _in_walk(ctx, question_id):
        await ctx.send(ctx.t("err_stale_button"))  # a question no longer asked
        return None
    data = await ctx.state.get_data()
    queue: list[str] = list(data.get("queue") or [])
    value = await _store(ctx, question_id, raw, walking=True, read_back=read_back)
    if value is None:
        return None
    if data.get("walk_target") and not ctx.pipeline.question(question_id).satisfied_by(value):
        await _held(ctx, question_id)
        return value
    await _advance(ctx, queue[1:], data.get("walk_target"))
    return value


async def _store(
    ctx: DealContext, question_id: str, raw: str, walking: bool = False, read_back: bool = True
) -> str | None:
    """The answer validated and stored (as stored); None, and the manager told why, if not
    (`walking`: and the walk it was asked in ends, as it cannot go on). `read_back`: a date said
    in words is read back in a message (when no question's message will show it)."""
    now = ctx.now()
    try:
        await ctx.desk.check(ctx.viewer, ctx.deal_id)
        value = await ctx.pipeline.answer(
            ctx.deal_id,
            question_id,
            raw,
            ctx.viewer.telegram_id,
            now,
            ctx.t.locale,
            today=now.astimezone(ctx.tz).date(),
        )
    except InputError as error:
        await ctx.send(ctx.t(f"err_{error.problem.value}", limit=error.limit))
        return None
    except DealClosed:
        if walking:
            await ctx.state.clear()
        await ctx.send(refused_closed(ctx), kb.back_to_card(ctx.t, ctx.deal_id))
        return None
    except KeyError:  # a question removed from the configuration since it was asked
        if walking:
            await ctx.state.clear()
        await ctx.send(ctx.t("err_stale_button"), kb.back_to_card(ctx.t, ctx.deal_id))
        return None
    except NoAccess:
        if walking:
            await ctx.state.clear()
        await ctx.send(ctx.t("err_no_access"))
        return None
    question = ctx.pipeline.question(question_id)
    if read_back and question.type is AnswerType.DATE and written_day(raw) is None:
        # "в пятницу" or "25.12": the day it was taken for, so a misreading is seen at once
        await ctx.send(ctx.t("date_read_as", date=long_day(ctx.t, date.fromisoformat(value))))
    return value


async def _held(ctx: DealContext, question_id: str) -> None:
    """ "Did you reach the client?" - "no": the walk ends there. The deal goes as far as the
    answers allow, to the stage of that question, and stays there until a "yes"."""
    await ctx.state.clear()
    found = ctx.config.pipeline.find_question(question_id)
    assert found is not None  # it was just answered
    held = found[0]
    card = await ctx.desk.card(ctx.viewer, ctx.deal_id)
    ids = [s.id for s in ctx.config.pipeline.stages]
    if card.deal.stage in ids and ids.index(card.deal.stage) > ids.index(held.id):
        # moved past that stage meanwhile: it holds nothing
        await ctx.show_card(done=ctx.t("answers_saved"))
        return
    held_text = ctx.t("held_until_yes", stage=held.name.get(ctx.t.locale))
    if card.deal.stage in ids and ids.index(card.deal.stage) < ids.index(held.id):
        await ctx.send(held_text)
        result = await ctx.pipeline.move(ctx.deal_id, held.id, ctx.viewer.telegram_id, ctx.now())
        await _report(ctx, result, held.id)
        return
    await ctx.show_card(done=held_text)


async def _advance(ctx: DealContext, queue: list[str], target: str | None) -> None:
    if queue:
        # one answered meanwhile (an old question's button) is not asked again
        answers = (await ctx.desk.card(ctx.viewer, ctx.deal_id)).answers
        queue = [q for q in queue if not _answered(ctx, q, answers.get(q))]
    if queue:
        # the answered question's message is settled; the next one's id comes once it is sent
        await ctx.state.update_data(queue=queue, asked=None)
        await _ask(ctx, queue[0], len(queue))
        return
    one = bool((await ctx.state.get_data()).get("one"))  # a single question was asked
    await ctx.state.clear()
    if target == WON:
        await win(ctx, "")
    elif target:
        await move(ctx, target)
    else:
        await ctx.show_card(done=ctx.t("answer_saved" if one else "answers_saved"))
