"""The deal card, the stage gate in the chat, objections, activities, lists and search."""

from __future__ import annotations

import sqlalchemy as sa
from aiogram import Router

from bot.callbacks import DealAction, DealCb, KeepCb, PlayCb
from bot.middlewares import DoubleTap
from storage.schema import deal_answers, deals, events, managers, reminders
from tests.fakes import Prospect
from tests.handlers.conftest import ADMIN_ID, World, choose_quickly
from tests.handlers.test_staff import button_data, submit_lead


async def deal_of(world: World, deal_id: int = 1) -> sa.Row[object]:
    async with world.engine.connect() as connection:
        return (await connection.execute(sa.select(deals).where(deals.c.id == deal_id))).one()


async def event_kinds(world: World) -> list[str]:
    async with world.engine.connect() as connection:
        rows = await connection.execute(sa.select(events.c.kind).order_by(events.c.id))
        return [row.kind for row in rows]


async def hand_deal_to(world: World, name: str, deal_id: int = 1) -> None:
    """The admin gives the deal to the manager called `name`, from its card."""
    admin = world.admin()
    await admin.send("/deals")
    await admin.press(f"#{deal_id}")
    await admin.press("Передать")
    await admin.press(name)


async def manager_with_deal(world: World) -> Prospect:
    oleg = await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    await oleg.press("Открыть сделку")
    return oleg


async def test_the_card_shows_what_a_manager_needs(world: World) -> None:
    oleg = await manager_with_deal(world)
    card = oleg.last()
    assert "Сделка #1" in card.text and "Горячий" in card.text
    assert "+7 916 000-10-01" in card.text  # written so that Telegram makes it tap-to-dial
    assert "tg://user?id=1001" in card.text
    assert "интернет-маркетинг, входящий" in card.text
    assert "сроки +55" in card.text  # why it is hot
    # what the client asked for stays on the card once the alert has scrolled away
    assert "🎯 Автоматизация продаж (CRM)" in card.text
    assert "⏱ Как можно скорее · 💰 Больше 300 000 ₽" in card.text
    assert "🕑 Звонок, Утром (9–12)" in card.text
    assert "Установление контакта (1/6) · чек-лист 0/1" in card.text
    assert "Будьте дружелюбны" in card.text  # the stage's tip
    for label in ("Следующий этап", "Возражение", "Звонок", "Выиграна", "Проиграна", "История"):
        assert any(label in button for button in card.buttons()), label
    assert not any("Передать" in button for button in card.buttons())  # admins only


async def test_the_gate_refuses_a_skip_then_walks_through_the_missing_questions(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    [refusal] = await oleg.press("Следующий этап")
    assert "Перейти на этап «Выявление потребностей» пока нельзя" in refusal.text
    assert "Удалось связаться с клиентом?" in refusal.text
    assert (await deal_of(world)).stage == "contact"

    [asked] = await oleg.press("Ответить и перейти")
    answer = await oleg.press("Да")
    assert any("Выявление потребностей" in sent.text for sent in answer)
    assert (await deal_of(world)).stage == "needs"
    # the question keeps its answer, not buttons that could only be refused now
    answered = world.session.shown(7001, asked.message_id)
    assert answered is not None and answered.buttons() == []
    assert answered.text == "<b>#1 Анна</b> · ❓ Удалось связаться с клиентом?\n✔ Да"

    # Skipping ahead to closing: refused, the bot names needs discovery's questions, and how
    # many more the walk will ask on the way
    await oleg.press("Этап…")
    [refusal] = await oleg.press("Закрытие сделки")
    assert "на этапе «Выявление потребностей» нет ответов" in refusal.text
    assert "…и ещё 3 вопроса на следующих этапах." in refusal.text
    assert "Какие проблемы клиента мы можем решить?" in refusal.text
    assert (await deal_of(world)).stage == "needs"

    [asked] = await oleg.press("Ответить и перейти")
    await oleg.send("Теряют заявки из мессенджеров")
    typed = world.session.shown(7001, asked.message_id)  # answered by typing: settled too
    assert typed is not None and typed.buttons() == []
    assert (
        typed.text == "<b>#1 Анна</b> · ❓ Какие проблемы клиента мы можем решить?\n"
        "✔ Теряют заявки из мессенджеров"
    )
    await oleg.send("увеличить продуктивность.")  # the choice's words typed, not pressed
    await oleg.send("Пробовали Excel, неудобно")
    await oleg.press("Да")
    [wrong] = await oleg.send("много")
    assert "Нужно число" in wrong.text  # re-asked, nothing stored
    [budget_asked] = [s for s in world.session.to(7001) if "Бюджет" in s.text][-1:]
    await oleg.send("150 000")
    budget = world.session.shown(7001, budget_asked.message_id)
    assert budget is not None and budget.text.endswith("✔ 150\u00a0000")  # as the card writes it
    await oleg.send("31.12.2026")
    await oleg.send("01.12.2026")  # presentation date
    await oleg.send("Понравилось")
    moved = await oleg.press("Да")  # objections resolved
    assert any("Закрытие сделки" in sent.text for sent in moved)
    assert (await deal_of(world)).stage == "closing"
    # what needs discovery found out is at hand at closing, not only in the history
    [listed] = await oleg.press("Вопросы")
    assert "Что выяснили раньше:" in listed.text
    assert "• Какие проблемы клиента мы можем решить?: Теряют заявки из мессенджеров" in listed.text
    assert "• Бюджет клиента, ₽: 150\u00a0000" in listed.text
    async with world.engine.connect() as connection:
        answers = dict(
            (row.question_id, row.value)
            for row in await connection.execute(sa.select(deal_answers))
        )
    assert answers["budget"] == "150000" and answers["priority"] == "productivity"
    assert answers["deadline"] == "2026-12-31"
    kinds = await event_kinds(world)
    assert kinds.count("move_refused") == 2 and kinds.count("stage_changed") == 2


async def test_a_repeat_sale_starts_from_what_the_last_deal_found_out(world: World) -> None:
    oleg = await manager_with_deal(world)
    async with world.engine.begin() as connection:
        await connection.execute(
            deal_answers.insert(),
            [
                {"deal_id": 1, "question_id": q, "value": v, "answered_at": world.clock.now()}
                for q, v in (
                    ("problems", "Теряют заявки из мессенджеров"),
                    ("priority", "saving"),
                    ("decision_maker", "yes"),
                    ("budget", "150000"),
                )
            ],
        )
        await connection.execute(deals.update().where(deals.c.id == 1).values(status="won"))
    anna = world.prospect(user_id=1001, first_name="Анна")  # again: a repeat sale, deal 2
    await anna.send("/start")
    await anna.press("Оставить заявку")
    await choose_quickly(anna)
    await anna.press("Всё верно")
    await oleg.send("/deals")
    await oleg.press("#2")
    await oleg.press("Следующий этап")
    [reached] = await oleg.press("Ответить и перейти")
    assert "прошлой сделке" not in reached.text  # whether we reached them is this sale's
    await oleg.press("Да")
    await oleg.press("Следующий этап")
    [problems] = await oleg.press("Ответить и перейти")
    assert "↩️ В прошлой сделке клиента: Теряют заявки из мессенджеров" in problems.text
    [priority] = await oleg.press("Как в прошлой сделке")
    settled = world.session.shown(7001, problems.message_id)
    assert settled is not None and settled.text.endswith("✔ Теряют заявки из мессенджеров")
    # a choice: the earlier one is named, and pressed as any other
    assert "В прошлой сделке клиента: Сэкономить средства" in priority.text
    assert not any("Как в прошлой" in b for b in priority.buttons())
    [experience] = await oleg.press("Сэкономить")
    assert "прошлой сделке" not in experience.text  # the last deal did not find it out
    # a forged "as before" where there is nothing before: refused, nothing stored
    await oleg.callback(DealCb(action=DealAction.ANSWER, deal=2, arg="experience.~").pack())
    assert "Эта кнопка уже не действует" in oleg.last().text
    await oleg.send("Пробовали Excel")
    [decision] = [s for s in world.session.to(7001) if "лицом, принимающим" in s.text][-1:]
    assert "прошлой сделке" not in decision.text  # yes/no: asked again
    async with world.engine.connect() as connection:
        rows = await connection.execute(sa.select(deal_answers).where(deal_answers.c.deal_id == 2))
        answers = {row.question_id: row.value for row in rows}
    assert answers["problems"] == "Теряют заявки из мессенджеров"
    assert answers["priority"] == "saving" and answers["experience"] == "Пробовали Excel"


async def test_a_question_left_for_another_button_is_still_answered(world: World) -> None:
    oleg = await manager_with_deal(world)
    card = oleg.last()
    await oleg.press("Следующий этап")
    [asked] = await oleg.press("Ответить и перейти")  # "Удалось связаться?" [Да] [Нет]
    await oleg.callback(DealCb(action=DealAction.AMOUNT, deal=1).pack(), card.message_id)
    await oleg.send("100 000")  # the walk has ended: another button was pressed
    [saved] = await oleg.callback(button_data(asked, "Да"), asked.message_id)
    assert saved.text.startswith("Ответ сохранён ✔\n\n") and "чек-лист 1/1" in saved.text
    assert asked.text == "<b>#1 Анна</b> · ❓ Удалось связаться с клиентом?\n✔ Да"
    assert asked.buttons() == []
    assert (await deal_answers_of(world)) == {"reached": "yes", "amount": "100000"}
    assert (await deal_of(world)).stage == "contact"  # answered, not moved: that is a walk's


async def test_a_client_not_reached_holds_the_deal_at_contact(world: World) -> None:
    """ "Did you reach the client?" - "no" is saved, but it is no way past the gate."""
    oleg = await manager_with_deal(world)
    await oleg.press("Следующий этап")
    await oleg.press("Ответить и перейти")
    held = await oleg.press("Нет")
    assert "Дальше этапа «Установление контакта» сделка пойдёт, когда ответ будет «Да»" in (
        held[0].text
    )
    assert (await deal_of(world)).stage == "contact"

    [refusal] = await oleg.press("Следующий этап")  # the card shown after it
    assert "Удалось связаться с клиентом? — нужен ответ «Да»" in refusal.text
    assert (await deal_of(world)).stage == "contact"
    await oleg.press("К сделке")
    [checklist] = await oleg.press("Вопросы (0/1)")
    assert any(b.startswith("▫️ Удалось связаться с клиентом?: Нет") for b in checklist.buttons())

    await oleg.press("▫️ Удалось связаться с клиентом?: Нет")  # asked again, out of a walk
    await oleg.press("Да")
    await oleg.press("Следующий этап")
    assert (await deal_of(world)).stage == "needs"


def without_double_tap_guard(world: World) -> None:
    """An old message's button pressed again at once: as if seconds had passed between."""
    routers: list[Router] = [world.dp]
    while routers:
        router = routers.pop()
        routers.extend(router.sub_routers)
        for middleware in router.callback_query.middleware._middlewares:
            if isinstance(middleware, DoubleTap):
                middleware._window = 0.0


async def test_an_old_walk_button_never_moves_a_deal_back(world: World) -> None:
    oleg = await manager_with_deal(world)
    without_double_tap_guard(world)
    [refusal] = await oleg.press("Следующий этап")  # "answer and move to needs discovery"
    await oleg.press("Ответить и перейти")
    await oleg.press("Да")
    await oleg.press("Следующий этап")
    await oleg.press("Ответить и перейти")
    for answer in ("Теряют заявки", None, "Excel", None, "150000", "31.12.2026"):
        if answer is None:
            await oleg.press("Да" if "Говорим" in oleg.last().text else "Сэкономить")
        else:
            await oleg.send(answer)
    assert (await deal_of(world)).stage == "presentation"

    [stale] = await oleg.callback(button_data(refusal, "Ответить и перейти"), refusal.message_id)
    assert "Сделка уже на этапе «Презентация»" in stale.text
    assert (await deal_of(world)).stage == "presentation"


async def test_a_walk_held_by_a_no_further_on_keeps_what_was_answered(world: World) -> None:
    """A walk to closing from contact, held at "Возражения сняты?" - "Нет": the deal goes as far
    as its answers allow, not back to where the walk began."""
    oleg = await manager_with_deal(world)
    await oleg.press("Этап…")
    await oleg.press("Закрытие сделки")
    await oleg.press("Ответить и перейти")
    await oleg.press("Да")  # reached
    await oleg.send("Теряют заявки")
    await oleg.press("Сэкономить")
    await oleg.send("Excel")
    await oleg.press("Да")  # the decision maker
    await oleg.send("150000")
    await oleg.send("31.12.2026")
    await oleg.send("01.12.2026")
    await oleg.send("Понравилось")
    held = await oleg.press("Нет")  # objections resolved? no
    assert "Дальше этапа «Работа с возражениями» сделка пойдёт" in held[0].text
    assert any("переведена на этап «Работа с возражениями»" in sent.text for sent in held)
    assert (await deal_of(world)).stage == "objections"


async def test_text_or_voice_nothing_waits_for_is_offered_as_a_note_to_a_deal(
    world: World,
) -> None:
    """A walk ended by a /command: the answer typed after it is not taken for the question,
    and not lost either: one tap keeps it with the deal as a note."""
    oleg = await manager_with_deal(world)
    await oleg.press("Следующий этап")
    await oleg.press("Ответить и перейти")
    await oleg.send("/reminders")
    [offer] = await oleg.send("Да, дозвонился,\nперезвонить в пятницу")
    assert "Этот текст пока никуда не записан" in offer.text
    assert "reached" not in (await deal_answers_of(world))
    [card] = await oleg.press("#1 Анна")
    assert "В историю записано: Заметка" in card.text and "Сделка #1" in card.text
    shown = oleg.session.shown(7001, offer.message_id)
    assert shown is not None and shown.markup is None  # kept once
    [voice_offer] = await oleg.send_voice("voice-7", duration=20)
    assert "голосовое пока никуда не записано" in voice_offer.text
    await oleg.press("#1 Анна")
    async with world.engine.connect() as connection:
        kept = (
            await connection.execute(
                sa.select(events.c.data).where(events.c.kind == "activity").order_by(events.c.id)
            )
        ).all()
    assert [row.data for row in kept] == [
        {"type": "note", "text": "Да, дозвонился,\nперезвонить в пятницу"},
        {"type": "note", "voice": "voice-7", "duration": 20},
    ]


async def test_loose_notes_are_offered_to_the_deals_shown_last_and_none_is_lost(
    world: World,
) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    await submit_lead(world, 1002, name="Борис")
    await oleg.send("/deals")
    await oleg.press("#2")
    await oleg.send("/deals")
    await oleg.press("#1")
    [first] = await oleg.send("перезвонить после обеда")
    labels = [row[0].text for row in first.markup.inline_keyboard]  # type: ignore[union-attr]
    assert labels == ["📝 #1 Анна", "📝 #2 Борис"]  # the card seen last first
    assert first.text.endswith("\n\nперезвонить после обеда")  # what will be kept, quoted
    [second] = await oleg.send("нет, лучше завтра")
    await oleg.callback(DealCb(action=DealAction.AMOUNT, deal=1).pack())
    await oleg.send("150000")  # a typed answer in between loses neither note
    assert (await deal_of(world)).amount_minor == 15_000_000
    [card] = await oleg.callback(button_data(first, "#2 Борис"), first.message_id)
    assert "В историю записано: Заметка" in card.text and "Сделка #2" in card.text
    assert first.markup is None  # kept once: the offer's other deals go
    to_anna = button_data(second, "#1 Анна")
    await oleg.callback(to_anna, second.message_id)
    await oleg.callback(to_anna, second.message_id)  # a double tap keeps it once
    async with world.engine.connect() as connection:
        kept = (
            await connection.execute(
                sa.select(events.c.deal_id, events.c.data)
                .where(events.c.kind == "activity")
                .order_by(events.c.id)
            )
        ).all()
    assert [(row.deal_id, row.data["text"]) for row in kept] == [
        (2, "перезвонить после обеда"), (1, "нет, лучше завтра"),
    ]  # fmt: skip


async def test_a_loose_text_after_a_restart_is_offered_to_the_managers_own_deals(
    world: World,
) -> None:
    await world.add_manager(7001, "Олег")
    ira = await world.add_manager(7002, "Ира")
    [ira_idle, menu] = await ira.send("заметка")  # no deal of hers: nothing to keep it in
    assert "никуда не записан" in ira_idle.text and "Рабочее место" in menu.text
    await submit_lead(world, 1001)
    await submit_lead(world, 1002, name="Борис")
    await hand_deal_to(world, "Ира", 2)
    await hand_deal_to(world, "Олег", 1)
    # no card of hers shown in this chat (as after a restart): her own deals
    [offer] = await ira.send("клиент просил КП")
    labels = [row[0].text for row in offer.markup.inline_keyboard]  # type: ignore[union-attr]
    assert labels == ["📝 #2 Борис"]
    # Олег's deal is not hers: a forged button is refused and keeps nothing
    hers = KeepCb.unpack(button_data(offer, "#2 Борис"))
    await ira.callback(KeepCb(deal=1, message=hers.message).pack(), offer.message_id)
    assert ira.answer_callback_texts()[-1] == "Эта сделка вам недоступна."
    [card] = await ira.press("#2 Борис")
    assert "В историю записано: Заметка" in card.text
    async with world.engine.connect() as connection:
        kept = (
            await connection.execute(
                sa.select(events.c.deal_id, events.c.data).where(events.c.kind == "activity")
            )
        ).all()
    assert [(row.deal_id, row.data["text"]) for row in kept] == [(2, "клиент просил КП")]


async def test_an_english_manager_is_offered_to_keep_a_loose_text(world: World) -> None:
    oleg = await english_manager_with_deal(world)
    [offer] = await oleg.send("Called, will decide by Friday")
    assert "This text isn't saved anywhere yet" in offer.text
    [card] = await oleg.press("#1")
    assert "Note logged in the history" in card.text


async def deal_answers_of(world: World) -> dict[str, str]:
    async with world.engine.connect() as connection:
        rows = await connection.execute(sa.select(deal_answers.c.question_id, deal_answers.c.value))
        return {row.question_id: row.value for row in rows}


async def test_the_history_names_the_stage_a_refused_move_could_not_leave(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Следующий этап")
    await oleg.press("К сделке")
    [history] = await oleg.press("История")
    assert "Не переведена дальше этапа «Установление контакта»: без ответа 1 вопрос" in history.text


async def test_moving_back_is_allowed_and_lost_needs_a_reason(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Следующий этап")
    await oleg.press("Ответить и перейти")
    await oleg.press("Да")
    await oleg.press("Этап…")
    await oleg.press("Установление контакта")
    assert (await deal_of(world)).stage == "contact"
    await oleg.press("Проиграна")
    await oleg.press("Выбрали конкурента")
    deal = await deal_of(world)
    assert (deal.status, deal.lost_reason) == ("lost", "competitor")
    card = oleg.last()
    assert "проиграна" in card.text and "Выбрали конкурента" in card.text
    assert not any("Следующий этап" in button for button in card.buttons())
    # an old card's "Проиграна": refused at once, not after the reasons, and he is told who
    # can undo a loss tapped by mistake
    for action, arg in ((DealAction.LOST, ""), (DealAction.WON, ""), (DealAction.MOVE, "needs")):
        [refused] = await oleg.callback(DealCb(action=action, deal=1, arg=arg).pack())
        assert "Сделка уже закрыта" in refused.text and "администратор" in refused.text


async def test_objection_shows_ready_answers_and_is_logged(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Возражение")
    [answers] = await oleg.press("Дорого")
    assert "Дорого по сравнению с чем" in answers.text
    await oleg.press("К сделке")
    await oleg.press("Возражение")
    await oleg.press("Другое")
    await oleg.send("Нет бюджета до весны")
    assert (await event_kinds(world))[-2:] == ["objection", "objection"]
    [history] = await oleg.press("История")
    assert "Возражение «Дорого»" in history.text
    assert "Возражение: Нет бюджета до весны" in history.text  # in the manager's own words


async def test_calls_and_voice_notes_are_logged_and_replayable(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Звонок / встреча")
    await oleg.press("Звонок")
    [hint] = await oleg.send_sticker()
    assert "голосовое" in hint.text  # neither text nor voice: a hint, nothing stored
    await oleg.send("Договорились:\n1. Демо в четверг\n\n2. КП до пятницы")
    await oleg.press("Звонок / встреча")
    await oleg.press("Заметка")
    await oleg.send_voice("voice-42", duration=75)
    [history] = await oleg.press("История")
    # typed on several lines: kept, not glued into "Договорились:1. Демо..."; the history
    # shows each entry on its line
    assert "Звонок: Договорились: · 1. Демо в четверг · 2. КП до пятницы" in history.text
    async with world.engine.connect() as connection:
        logged = (
            await connection.execute(sa.select(events.c.data).where(events.c.kind == "activity"))
        ).first()
    assert logged is not None
    assert logged.data["text"] == "Договорились:\n1. Демо в четверг\n2. КП до пятницы"
    assert "Заметка 🎤 1:15" in history.text
    [voice] = await oleg.press("Голосовое")
    assert (voice.kind, voice.file) == ("voice", "voice-42")


async def test_temperature_amount_and_next_step(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Температура")
    await oleg.press("Холодный")
    await oleg.press("Сумма")
    [wrong] = await oleg.send("дорого")
    assert "Нужно число" in wrong.text
    [zero] = await oleg.send("0,001")  # rounds to 0 ₽: asked again
    assert "должна быть больше нуля" in zero.text
    await oleg.send("120 000,50")
    await oleg.press("Следующий шаг")
    await oleg.send("Отправить КП до пятницы")
    deal = await deal_of(world)
    assert (deal.temperature, deal.amount_minor, deal.next_step) == (
        "cold",
        12000050,
        "Отправить КП до пятницы",
    )
    card = oleg.last()
    assert "120\u00a0000,50\u00a0₽" in card.text and "Отправить КП до пятницы" in card.text


async def test_after_an_action_the_card_is_short_and_its_details_a_tap_away(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    assert not any("Подробнее" in b for b in oleg.last().buttons())  # opened: already whole
    await oleg.press("Сумма")
    [card] = await oleg.send("120 000")  # what was done, then the card: one message
    done, short = card.text.split("\n\n")
    assert done.startswith("Сумма сделки")
    # what changes as the deal is worked and how to reach the client; not the client's
    # request, the source or the tips
    assert short.splitlines() == [
        "🔥 <b>Сделка #1</b> · Горячий",
        "👤 Анна, ООО Вектор · +7 916 000-10-01",
        '🕑 Звонок, Утром (9–12) · 💬 <a href="tg://user?id=1001">Telegram</a>',
        "🧭 Установление контакта (1/6) · чек-лист 0/1",
        "💰 120\u00a0000\u00a0₽ · ➡️ следующий шаг не задан",
    ]
    for label in ("Следующий этап", "Звонок", "Выиграна", "История"):  # the same buttons
        assert any(label in button for button in card.buttons()), label
    shown = await oleg.press("Подробнее")
    assert shown == [] and card.edits == 1  # in place
    assert "интернет-маркетинг, входящий" in card.text and "120\u00a0000\u00a0₽" in card.text
    assert not any("Подробнее" in b for b in card.buttons())
    assert await oleg.press("Свернуть") == [] and card.edits == 2  # and back, in place
    assert card.text.startswith("🔥 <b>Сделка #1</b>") and "интернет-маркетинг" not in card.text
    assert any("Подробнее" in b for b in card.buttons())
    # back from a screen of the deal: the card was just seen, its short form again
    await oleg.press("Возражение")
    await oleg.press("Дорого")
    [back] = await oleg.press("К сделке")
    assert "Подробнее" in str(back.buttons()) and "интернет-маркетинг" not in back.text
    # an admin's short card says whose deal it is
    admin = world.admin()
    await admin.callback(DealCb(action=DealAction.OPEN, deal=1, arg="back").pack())
    assert "· 👔 Олег" in admin.last().text and "👔" not in back.text
    # a new stage is shown whole: its tips, what earlier stages found out
    await oleg.press("Следующий этап")
    await oleg.press("Ответить и перейти")
    await oleg.press("Да")
    moved = oleg.last()
    assert "Выявление потребностей" in moved.text and "интернет-маркетинг" in moved.text
    assert "💡" in moved.text and not any("Подробнее" in b for b in moved.buttons())


async def test_a_chat_has_one_working_card_per_deal(world: World) -> None:
    oleg = await manager_with_deal(world)
    first = oleg.last()
    await submit_lead(world, 1002, name="Борис")
    await oleg.send("/deals")
    await oleg.press("#2")
    other = oleg.last()
    await oleg.callback(DealCb(action=DealAction.TEMPERATURE, deal=1).pack(), first.message_id)
    await oleg.press("Тёплый")
    newest = oleg.last()
    assert "Сделка #1" in newest.text and "Тёплый" in newest.text
    newest_done = newest.text.split("\n\n")[0]
    assert "Тёплый" in newest_done
    # the card before shrinks to a line (its figures are old) that brings the deal down again
    assert first.buttons() == ["📋 Открыть сделку"]
    assert first.text == "📋 Сделка #1 · Анна — актуальная карточка ниже"
    assert len(other.buttons()) > 5  # another deal's card is not touched
    await oleg.callback(button_data(first, "Открыть сделку"), first.message_id)
    assert newest.buttons() == ["📋 Открыть сделку"] and len(oleg.last().buttons()) > 5
    # what was done there stays readable in the chat
    assert newest.text.splitlines() == [
        newest_done,
        "📋 Сделка #1 · Анна — актуальная карточка ниже",
    ]


async def test_each_prompt_says_which_deal_it_is_about(world: World) -> None:
    oleg = await manager_with_deal(world)
    await submit_lead(world, 1002, name="Борис")
    card_of_anna = next(m for m in reversed(world.session.to(7001)) if "Сделка #1" in m.text)
    [amount] = await oleg.callback(button_data(card_of_anna, "Сумма"), card_of_anna.message_id)
    assert amount.text.startswith("<b>#1 Анна</b> · Сумма сделки")
    await oleg.send("/deals")
    await oleg.press("#2")
    await oleg.press("Следующий этап")  # a refusal: the walk is offered
    [asked] = await oleg.press("Ответить и перейти")
    assert asked.text.startswith("<b>#2 Борис</b> · ❓ Удалось связаться с клиентом?")
    await oleg.callback(
        DealCb(action=DealAction.TEMPERATURE, deal=1).pack(), card_of_anna.message_id
    )
    assert oleg.last().text.startswith("<b>#1 Анна</b> · ")


async def english_manager_with_deal(world: World) -> Prospect:
    await world.add_manager(7001, "Oleg", language="en")
    await submit_lead(world, 1001)
    oleg = world.prospect(user_id=7001, first_name="Oleg", language="en")
    await oleg.send("/deals")
    await oleg.press("#1")
    return oleg


async def test_an_english_speaking_manager_types_amounts_the_english_way(world: World) -> None:
    oleg = await english_manager_with_deal(world)
    await oleg.press("Amount")
    await oleg.send("12,500")  # twelve thousand five hundred, not twelve and a half
    assert (await deal_of(world)).amount_minor == 1250000
    await oleg.press("Amount")
    answer = await oleg.send("1,500.50")
    assert (await deal_of(world)).amount_minor == 150050
    assert "1,500.50\u00a0₽" in answer[-1].text  # the card writes it the English way too
    assert "\n\n🔥 <b>Deal #1</b> · Hot\n" in answer[-1].text  # its short form, in English
    assert "ℹ️ Details" in answer[-1].buttons()


async def at_the_closing_gate(world: World, **deal_values: object) -> Prospect:
    """Олег pressed "won" on a deal in closing; the gate asks for the amount first, then the
    payment date."""
    oleg = await manager_with_deal(world)
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(stage="closing", **deal_values))
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Выиграна")
    await oleg.press("Ответить и перейти")
    return oleg


async def test_an_amount_set_on_the_card_is_not_asked_again_at_the_closing(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Сумма")
    await oleg.send("250 000")
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(stage="closing"))
    await oleg.send("/deals")
    await oleg.press("#1")
    [refusal] = await oleg.press("Выиграна")
    assert "Сумма сделки" not in refusal.text and "Дата оплаты" in refusal.text
    [asked] = await oleg.press("Ответить и перейти")
    assert "Дата оплаты" in asked.text
    await oleg.send("01.12.2026")
    deal = await deal_of(world)
    assert (deal.status, deal.amount_minor) == ("won", 25_000_000)
    [history] = await oleg.press("История")
    assert history.text.count("250\u00a0000") == 1  # one line for the amount, as before


async def test_an_amount_typed_on_a_card_is_the_deals_whatever_was_answered_before(
    world: World,
) -> None:
    oleg = await at_the_closing_gate(world)
    await oleg.send("120 000")
    await oleg.send("01.12.2026")  # won at 120 000
    await oleg.press("Сумма")
    await oleg.send("150 000")  # corrected on the won card: the answer is history
    await world.admin().callback(DealCb(action=DealAction.REOPEN, deal=1, arg="yes.won").pack())
    await oleg.callback(DealCb(action=DealAction.AMOUNT, deal=1).pack())
    [card] = await oleg.send("120 000")  # the closing's answer already says 120 000
    assert "💰 120\u00a0000\u00a0₽" in card.text
    assert (await deal_of(world)).amount_minor == 12_000_000


async def test_a_returning_clients_new_request_is_what_the_card_shows(world: World) -> None:
    oleg = await manager_with_deal(world)
    anna = world.prospect(user_id=1001, first_name="Анна")
    await anna.send("/start")
    await anna.press("Оставить заявку")  # contacts from last time, then the need
    await choose_quickly(anna)
    await anna.press("Всё верно")
    [card] = await oleg.callback(DealCb(action=DealAction.OPEN, deal=1).pack())
    assert "🎯 Нужна консультация" in card.text and "Пока просто интересуюсь" in card.text


async def test_a_won_deals_post_sale_questions_can_be_answered(world: World) -> None:
    oleg = await at_the_closing_gate(world)
    await oleg.send("150 000")
    await oleg.send("01.12.2026")
    assert (await deal_of(world)).status == "won"
    [questions] = await oleg.press("Вопросы после продажи")
    assert "◽️ Как клиент оценивает результат?" in questions.buttons()
    await oleg.press("Как клиент оценивает результат?")
    await oleg.send("Доволен, хочет подключить второй отдел")
    async with world.engine.connect() as connection:
        stored = (
            await connection.execute(
                sa.select(deal_answers.c.value).where(deal_answers.c.question_id == "result")
            )
        ).scalar_one()
    assert stored == "Доволен, хочет подключить второй отдел"
    # a lost deal's questions stay closed
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(status="lost"))
    [card] = await oleg.callback(DealCb(action=DealAction.OPEN, deal=1).pack())
    assert not any("Вопросы" in button for button in card.buttons())
    [refused] = await oleg.callback(DealCb(action=DealAction.ASK, deal=1, arg="upsell").pack())
    assert "Сделка уже закрыта" in refused.text


async def test_the_amount_answered_at_the_closing_gate_is_the_deals_amount(world: World) -> None:
    oleg = await at_the_closing_gate(world)
    [zero] = await oleg.send("0")  # not won at 0 ₽: asked again
    assert "должна быть больше нуля" in zero.text
    await oleg.send("150 000")
    answer = await oleg.send("01.12.2026")
    assert any("выиграна" in sent.text.lower() for sent in answer)
    assert (await deal_of(world)).amount_minor == 15000000
    assert "💰 150\u00a0000\u00a0₽" in answer[-1].text  # the won card, not "no amount yet"
    won_card = answer[-1].buttons()
    for label in ("Звонок", "Напомнить", "Сумма", "История"):  # post-sale work goes on
        assert any(label in button for button in won_card), (label, won_card)
    assert not any("Следующий этап" in button for button in won_card)
    [history] = await oleg.press("История")
    assert history.text.count("150\u00a0000") == 1  # one line for one answer


async def test_an_amount_too_big_for_the_card_is_reasked_at_the_gate_and_on_the_card(
    world: World,
) -> None:
    oleg = await at_the_closing_gate(world, amount_minor=15000000)
    [reask] = await oleg.send("99 999 999 999 999")
    assert "Слишком большая сумма" in reask.text
    async with world.engine.connect() as connection:
        assert (await connection.execute(sa.select(deal_answers))).first() is None  # not kept
    answer = await oleg.send("200 000")
    assert "Дата оплаты" in answer[-1].text or "оплат" in answer[-1].text.lower()
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Сумма")
    [reask] = await oleg.send("99 999 999 999 999")
    assert "Слишком большая сумма" in reask.text  # a number, just too big
    assert (await deal_of(world)).amount_minor == 20000000  # the gate's answer, kept


async def test_another_managers_deal_and_forged_buttons_are_refused(world: World) -> None:
    await manager_with_deal(world)  # deal 1 is Олег's
    ira = await world.add_manager(7002, "Ира")
    for action in (DealAction.OPEN, DealAction.WON, DealAction.REASSIGN):
        sent = await ira.callback(DealCb(action=action, deal=1).pack())
        assert sent == []
        assert ira.answer_callback_texts()[-1] == "Эта сделка вам недоступна."
    await ira.callback(DealCb(action=DealAction.OPEN, deal=999).pack())
    assert ira.answer_callback_texts()[-1] == "Эта сделка вам недоступна."
    await ira.callback(PlayCb(event=1).pack())
    assert ira.answer_callback_texts()[-1] == "Эта сделка вам недоступна."
    await ira.callback("d:open:not-a-number")
    assert ira.answer_callback_texts()[-1] == "Эта кнопка уже не действует."

    prospect = world.prospect(user_id=1001)
    await prospect.callback(DealCb(action=DealAction.LOST, deal=1, arg="price").pack())
    assert prospect.answer_callback_texts()[-1] == "Эта кнопка уже не действует."
    oleg = world.prospect(user_id=7001)
    await oleg.callback(DealCb(action=DealAction.MOVE, deal=1, arg="nowhere").pack())
    assert "Эта кнопка уже не действует" in oleg.last().text
    deal = await deal_of(world)
    assert (deal.status, deal.stage, deal.manager_telegram_id) == ("open", "contact", 7001)


async def test_admin_sees_every_deal_and_reassigns(world: World) -> None:
    oleg = await manager_with_deal(world)
    olegs_card = oleg.last()
    ira = await world.add_manager(7002, "Ира")
    await hand_deal_to(world, "Ира")
    assert (await deal_of(world)).manager_telegram_id == 7002
    assert "Вам передана сделка #1 (Анна)" in world.session.to(ira.user.id)[-1].text
    # the admin sees the card as it is now, whose it is
    done = world.session.to(ADMIN_ID)[-1]
    assert done.text.startswith("Сделка передана менеджеру Ира.\n\n") and "👔 Ира" in done.text
    # Олег's card no longer offers buttons that would only answer "no access"
    assert olegs_card.text == "📋 Сделка #1 · Анна — передана другому менеджеру"
    assert olegs_card.buttons() == []


async def test_a_deal_of_an_admins_own_link_names_who_has_it(world: World) -> None:
    await submit_lead(world, 1001, payload=f"rep_{ADMIN_ID}")
    admin = world.admin()
    await admin.send("/deals")
    [card] = await admin.press("#1")
    assert "👔 вы\n" in card.text  # their own deal, not a stranger's id
    assert "менеджер не назначен" not in card.text and "не в списке" not in card.text
    assert await admin.press("Свернуть") == []  # the short form, in place
    assert "· 👔 вы\n" in card.text  # their own deal, not a bare id


async def test_reassigning_to_the_deals_own_manager_changes_nothing(world: World) -> None:
    await manager_with_deal(world)
    told = len(world.session.to(7001))
    admin = world.admin()
    await admin.send("/deals")
    await admin.press("#1")
    await admin.press("Передать")
    [answer] = await admin.press("Олег")
    assert "и так у менеджера Олег" in answer.text
    assert len(world.session.to(7001)) == told  # not told a deal he has is given to him
    assert "deal_reassigned" not in await event_kinds(world)


async def test_with_nobody_active_an_admin_takes_the_deal_themselves(world: World) -> None:
    await manager_with_deal(world)
    async with world.engine.begin() as connection:
        await connection.execute(managers.update().values(active=False))
    world.dp["staff"].forget()
    admin = world.admin()
    await admin.send("/deals")
    await admin.press("#1")
    [answer] = await admin.press("Передать")
    assert "Активных менеджеров нет — сделку можно взять себе" in answer.text
    assert answer.buttons() == ["🙋 Себе", "⬅️ К сделке"]
    [card] = await admin.press("Себе")
    assert card.text.startswith("👔 Сделка теперь ваша") and "👔 вы" in card.text
    assert (await deal_of(world)).manager_telegram_id == ADMIN_ID
    told = world.session.to(7001)[-1].text  # the deal's manager before, switched off
    assert "Сделку #1 (Анна) взял себе администратор" in told
    [same] = await admin.callback(DealCb(action=DealAction.REASSIGN, deal=1, arg="5001").pack())
    assert "Сделка и так ваша" in same.text
    # another admin's or a stranger's id is not offered, and is refused
    [forged] = await admin.callback(DealCb(action=DealAction.REASSIGN, deal=1, arg="42").pack())
    assert "кнопка уже не действует" in forged.text
    assert (await deal_of(world)).manager_telegram_id == ADMIN_ID


async def test_an_admin_is_offered_to_take_a_deal_beside_the_managers(world: World) -> None:
    await manager_with_deal(world)
    await world.add_manager(7002, "Ира")
    admin = world.admin()
    await admin.send("/deals")
    await admin.press("#1")
    [answer] = await admin.press("Передать")
    assert answer.text.endswith("Кому передать сделку?")
    assert answer.buttons() == ["Ира", "• Олег", "🙋 Себе", "⬅️ К сделке"]


async def test_list_pages_filters_and_attention_order(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    for user_id in range(2001, 2011):
        await submit_lead(world, user_id, name=f"Клиент{user_id}")
    await oleg.send("/deals")
    listing = oleg.last()
    assert "Мои сделки</b> (10)" in listing.text
    deal_buttons = [b for b in listing.buttons() if b.startswith("🔥")]
    assert len(deal_buttons) == 8 and "1/2" in listing.buttons()
    await oleg.press("▶️")
    assert listing.edits == 1 and len([b for b in listing.buttons() if "#" in b]) == 2
    await oleg.press("🌡")
    await oleg.press("Холодный")
    assert "Сделок нет" in listing.text
    await oleg.press("🌡")
    await oleg.press("Горячий")
    assert "(10)" in listing.text


async def test_search_by_phone_in_any_format_and_by_company(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    await world.add_manager(7002, "Ира")
    await submit_lead(world, 1002)  # Ира's: not found by Олег
    await oleg.send("/menu")
    await oleg.press("Поиск")
    [found] = await oleg.send("8 (916) 000-10-01")
    assert "Найдено" in found.text and any("#1" in b for b in found.buttons())
    await oleg.send("/search")
    [found] = await oleg.send("10-01")  # the last digits a manager remembers
    assert "Найдено" in found.text and any("#1" in b for b in found.buttons())
    await oleg.send("/search")
    [found] = await oleg.send("вектор")
    assert "Найдено по запросу «вектор»: 1" in found.text and "#1 " in found.buttons()[0]
    await oleg.send("/search")
    [nothing] = await oleg.send("Рога и копыта")
    assert "ничего не нашлось" in nothing.text
    # a deal's number opens it; another manager's deal is not shown
    await oleg.send("/search")
    [card] = await oleg.send("#1")
    assert card.text.startswith("🔥 <b>Сделка #1</b>")
    await oleg.send("/search")
    [card] = await oleg.send("1")
    assert "<b>Сделка #1</b>" in card.text
    await oleg.send("/search")
    [nothing] = await oleg.send("#2")
    assert "ничего не нашлось" in nothing.text


async def test_today_lists_hot_new_and_stale_deals(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    await submit_lead(world, 1002, name="Борис")
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().where(deals.c.id == 2).values(temperature="warm"))
    [today] = await oleg.send("/today")
    assert "<b>Сегодня</b> (2)" in today.text
    assert "🔥 Горячие (1):\n• 🔥 #1 Анна" in today.text
    assert "Новые за сегодня (1):\n• 🌤 #2 Борис" in today.text
    assert today.text.count("• 🔥 #1 Анна") == 1  # hot and new: listed once, where it is hot
    world.clock.advance(days=5)
    [today] = await oleg.send("/today")
    assert "Без активности больше 3 дней (1):\n• 🌤 #2 Борис" in today.text
    assert "Новые за сегодня" not in today.text and today.text.count("• 🔥 #1 Анна") == 1


async def test_today_begins_with_the_days_reminders(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.send("сегодня в 16:30 позвонить по договору")
    await oleg.press("К сделке")
    await oleg.press("Напомнить")
    await oleg.send("завтра в 11")  # not today's
    [today] = await oleg.send("/today")
    assert (
        "⏰ Напоминания на сегодня (2):\n• 12:15 · #1 Анна: 🔥 лид ждёт ответа\n"
        "• 16:30 · #1 Анна: позвонить по договору" in today.text
    )
    assert today.text.index("Напоминания") < today.text.index("Горячие")


async def test_a_deal_at_a_stage_removed_from_the_configuration(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(stage="old_stage"))
    await oleg.send("/deals")
    [card] = await oleg.press("#1")
    assert "old_stage (?/6)" in card.text
    [answer] = await oleg.press("Вопросы")
    assert "Такого этапа больше нет" in answer.text
    await oleg.press("К сделке")
    await oleg.press("Этап…")
    [refusal] = await oleg.press("Выявление потребностей")  # gated as from the first stage
    assert "Удалось связаться с клиентом?" in refusal.text
    await oleg.press("К сделке")
    await oleg.press("Следующий этап")  # from a removed stage, "next" is the first stage
    assert (await deal_of(world)).stage == "contact"


async def test_a_manager_hears_when_an_admin_closes_their_deal(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.send("завтра в 11")
    admin = world.admin()
    await admin.send("/deals")
    await admin.press("#1")
    await admin.press("Проиграна")
    [lost] = [s for s in await admin.press("Выбрали конкурента") if "проигранная" in s.text]
    assert "напоминания" not in lost.text  # the reminder is Олег's, not the admin's

    note = oleg.last()
    assert (
        "Администратор закрыл вашу сделку #1 (Анна) как проигранную: «Выбрали конкурента»"
        in note.text
    )
    assert note.buttons() == ["📋 Открыть сделку", "🔕 Отменить напоминания (1)"]
    [done] = await oleg.press("Отменить напоминания")
    assert "отменены (1)" in done.text


async def test_a_manager_hears_when_an_admin_wins_their_deal(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Напомнить")
    await oleg.send("завтра в 11 позвонить про демо")  # set to work the deal
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(stage="closing"))
    admin = world.admin()
    await admin.send("/deals")
    await admin.press("#1")
    await admin.press("Выиграна")
    await admin.press("Ответить и перейти")
    await admin.send("150000")
    await admin.send("25.12.2026")
    assert (await deal_of(world)).status == "won"
    note = oleg.last()
    assert "Администратор отметил вашу сделку #1 (Анна) выигранной" in note.text
    # the reminder set to work it can go, as after a loss; the repeat sale's is not offered
    assert "повторной продаже" in note.text
    assert note.buttons() == ["📋 Открыть сделку", "🔕 Отменить напоминания (1)"]


async def test_a_manager_closing_their_own_deal_gets_no_note_about_it(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Проиграна")
    await oleg.press("Выбрали конкурента")
    assert not any("Администратор" in s.text for s in world.session.to(7001))


async def test_an_admin_reopens_a_deal_won_by_mistake(world: World) -> None:
    oleg = await at_the_closing_gate(world)
    await oleg.send("150 000")
    await oleg.send("01.12.2026")
    assert (await deal_of(world)).status == "won"
    [card] = await oleg.callback(DealCb(action=DealAction.OPEN, deal=1).pack())
    assert not any("Вернуть в работу" in button for button in card.buttons())  # admins only
    [refused] = await oleg.callback(DealCb(action=DealAction.REOPEN, deal=1, arg="yes").pack())
    assert "может администратор" in refused.text
    assert (await deal_of(world)).status == "won"

    admin = world.admin()
    await admin.send("/deals")
    await admin.press("#1")
    [ask] = await admin.press("Вернуть в работу")
    assert "Вернуть сделку #1 в работу?" in ask.text and "«Закрытие сделки»" in ask.text
    await admin.press("Да, вернуть в работу")
    deal = await deal_of(world)
    assert (deal.status, deal.stage) == ("open", "closing")
    told = world.session.to(7001)[-1]
    assert "Администратор вернул в работу вашу сделку #1" in told.text
    [history] = await admin.press("История")
    assert "♻️ Возвращена в работу, этап «Закрытие сделки»" in history.text
    [again] = await admin.callback(DealCb(action=DealAction.REOPEN, deal=1, arg="yes").pack())
    assert "Сделка и так в работе" in again.text  # an old button: nothing twice
    async with world.engine.connect() as connection:  # no "after the sale" push for it now
        post_sale = await connection.execute(
            sa.select(reminders.c.status).where(reminders.c.kind == "post_sale")
        )
        assert [row.status for row in post_sale] == ["cancelled"]


async def test_a_lost_deal_reopens_at_the_stage_it_was_lost_at(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Проиграна")
    await oleg.press("Выбрали конкурента")
    admin = world.admin()
    [ask] = await admin.callback(DealCb(action=DealAction.REOPEN, deal=1).pack())
    assert "«Установление контакта»" in ask.text
    await admin.press("Да, вернуть в работу")
    deal = await deal_of(world)
    assert (deal.status, deal.stage, deal.lost_reason) == ("open", "contact", None)


async def test_a_reopen_asked_about_a_loss_does_not_undo_a_later_win(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Проиграна")
    await oleg.press("Выбрали конкурента")
    admin = world.admin()
    [ask] = await admin.callback(DealCb(action=DealAction.REOPEN, deal=1).pack())
    async with world.engine.begin() as connection:  # meanwhile: reopened and won by others
        await connection.execute(deals.update().values(status="won", stage="post_sale"))
    [stale] = await admin.callback(button_data(ask, "Да, вернуть"), ask.message_id)
    assert "кнопка уже не действует" in stale.text
    assert (await deal_of(world)).status == "won"


async def test_a_skipped_question_says_so_instead_of_keeping_its_buttons(world: World) -> None:
    oleg = await at_the_closing_gate(world)
    await oleg.send("150 000")
    await oleg.send("01.12.2026")
    await oleg.press("Вопросы после продажи")
    [asked] = await oleg.press("Что ещё можно предложить клиенту?")
    await oleg.press("Пропустить")
    skipped = world.session.shown(7001, asked.message_id)
    assert skipped is not None and skipped.buttons() == []
    assert skipped.text == "<b>#1 Анна</b> · ❓ Что ещё можно предложить клиенту?\n⏭ Пропущен"


async def test_a_walk_does_not_ask_again_what_an_old_question_answered_meanwhile(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Следующий этап")
    await oleg.press("Ответить и перейти")
    await oleg.press("Да")  # now at needs discovery
    await oleg.press("Вопросы")
    [decision] = await oleg.press("принимающим решение")  # asked alone, then left
    await oleg.press("К сделке")
    await oleg.press("Следующий этап")
    await oleg.press("Ответить и перейти")  # a walk through needs discovery: problems first
    await oleg.callback(button_data(decision, "Да"), decision.message_id)  # the old one
    await oleg.send("Теряют заявки")
    await oleg.press("Сэкономить")
    [budget] = await oleg.send("Пробовали Excel")  # experience: next is the budget, not again
    assert "Бюджет клиента" in budget.text


async def test_one_question_answered_from_the_list_is_one_answer_saved(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Вопросы")
    await oleg.press("Удалось связаться")
    [saved] = await oleg.press("Да")
    assert saved.text.startswith("Ответ сохранён ✔\n\n")


async def test_a_refused_old_button_does_not_end_what_the_manager_was_typing(world: World) -> None:
    oleg = await manager_with_deal(world)
    await submit_lead(world, 1002, name="Борис")  # Олег's too: nobody else works
    await world.add_manager(7002, "Ирина")
    await hand_deal_to(world, "Ирина", deal_id=2)
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Сумма")
    # the history button of Борис's old card, handed over since: refused
    await oleg.callback(DealCb(action=DealAction.HISTORY, deal=2).pack())
    assert oleg.answer_callback_texts()[-1] == "Эта сделка вам недоступна."
    await oleg.send("150 000")  # still the amount asked: not offered as a note
    assert (await deal_of(world)).amount_minor == 15_000_000
