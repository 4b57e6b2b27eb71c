"""Messages between a prospect and their manager, through the bot, both ways in the history."""

from __future__ import annotations

import sqlalchemy as sa
from aiogram.methods import SetMessageReaction
from aiogram.types import ReactionTypeEmoji

from bot.callbacks import DealAction, DealCb
from storage.schema import deals, events, people
from tests.handlers.conftest import ADMIN_ID, World
from tests.handlers.test_deal_card import manager_with_deal
from tests.handlers.test_lead_form import draft_of, fsm_state
from tests.handlers.test_staff import submit_lead


async def history(world: World) -> list[tuple[str, dict[str, object]]]:
    async with world.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(events.c.kind, events.c.data)
            .where(events.c.kind.in_(["message_in", "message_out"]))
            .order_by(events.c.id)
        )
        return [(row.kind, row.data) for row in rows]


async def test_a_prospect_and_the_manager_write_to_each_other(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)
    assert await anna.send("Можно созвониться завтра?") == []  # no words back: it was relayed
    [seen] = [call for call in world.session.calls if isinstance(call, SetMessageReaction)]
    assert seen.chat_id == 1001 and seen.reaction == [ReactionTypeEmoji(emoji="👀")]
    relayed = world.session.to(7001)[-1]
    assert relayed.text.startswith("🔥 <b>Анна</b> (ООО Вектор) · сделка #1")
    assert "Можно созвониться завтра?" in relayed.text
    assert "Написать клиенту" in relayed.buttons()[0]

    [delivered] = await oleg.send("Да, в 11:00 удобно?", reply_to=relayed)
    assert "Отправлено клиенту" in delivered.text
    introduction, copy = world.session.to(1001)[-2:]
    assert (copy.kind, copy.file) == ("copy", (7001, oleg.last_message_id))
    # the copy comes from the bot: the client is told who answers, once a conversation
    assert introduction.text == "💬 Вам отвечает Олег, ООО «Ромашка»:"

    # The button works as well as a reply; photos travel as copies under the header.
    await oleg.press("К сделке")
    await oleg.press("Написать клиенту")
    await oleg.send("Жду вас")
    await anna.send_photo()
    header, photo = world.session.to(7001)[-2:]
    assert "сделка #1" in header.text and photo.kind == "copy"
    [again] = await oleg.send("Получил, спасибо", reply_to=photo)
    assert "Отправлено клиенту" in again.text
    assert [sent.kind for sent in world.session.to(1001)[-4:]] == ["text", "copy", "copy", "copy"]

    assert [kind for kind, _ in await history(world)] == [
        "message_in", "message_out", "message_out", "message_in", "message_out",
    ]  # fmt: skip
    assert (await history(world))[3][1]["media"] == "photo"
    await oleg.send("/deals")
    await oleg.press("#1")
    [card_history] = await oleg.press("История")
    assert "💬 Клиент: Можно созвониться завтра?" in card_history.text
    assert "↩️ Ответ: Да, в 11:00 удобно?" in card_history.text
    assert "💬 Клиент: [фото]" in card_history.text  # a photo, named in Russian


async def test_a_price_question_makes_the_deal_hot_and_alerts(world: World) -> None:
    await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(temperature="warm"))
    await anna.send("Сколько стоит внедрение?")
    relayed = world.session.to(7001)[-1]
    assert "Клиент спрашивает цену" in relayed.text
    async with world.engine.connect() as connection:
        assert (await connection.execute(sa.select(deals.c.temperature))).scalar() == "hot"
    await anna.send("И ещё вопрос про цены")
    assert "спрашивает цену" not in world.session.to(7001)[-1].text  # hot already: no new alarm


async def test_without_a_manager_the_admins_get_it_and_blocked_is_reported(world: World) -> None:
    anna = await submit_lead(world, 1001)  # no managers: nobody is assigned
    await anna.send("Алло?")
    relayed = world.session.to(ADMIN_ID)[-1]
    assert "Алло?" in relayed.text
    admin = world.admin()
    world.session.fail_for.add(1001)
    [blocked] = await admin.send("Здравствуйте!", reply_to=relayed)
    assert "заблокировал бота" in blocked.text
    assert any("К сделке" in label for label in blocked.buttons())  # the phone is on the card
    assert [kind for kind, _ in await history(world)] == ["message_in"]


async def test_a_reply_to_an_unknown_message_or_by_a_stranger_goes_nowhere(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await world.add_manager(7002, "Ира")
    anna = await submit_lead(world, 1001)  # -> Олег
    await anna.send("Вопрос")
    relayed = world.session.to(7001)[-1]
    ira = world.prospect(user_id=7002, first_name="Ира")
    # Ира quotes a message of Олег's chat: the relay map is per chat, so nothing is sent.
    answer = await ira.send("Это я отвечу", reply_to=relayed)
    assert all(sent.kind != "copy" for sent in world.session.to(1001))
    assert "Рабочее место" in answer[-1].text
    assert oleg.user.id == 7001


async def test_another_button_ends_a_pending_reply(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await submit_lead(world, 1001)
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Написать клиенту")
    await oleg.callback(DealCb(action=DealAction.HISTORY, deal=1).pack())
    [answer] = await oleg.send("заметка себе, не клиенту")
    assert "пока никуда не записан" in answer.text  # offered as a note, not sent
    assert all(sent.kind != "copy" for sent in world.session.to(1001))
    assert await history(world) == []


async def test_a_client_of_a_lost_deal_is_announced_as_such(world: World) -> None:
    await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(status="lost"))
    await anna.send("Мы передумали, давайте вернёмся к разговору")
    relayed = world.session.to(7001)[-1]
    assert "сделка #1 · проиграна" in relayed.text  # not the stage it was lost at


async def test_an_invisible_reply_is_not_sent_and_the_reply_still_waits(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Написать клиенту")
    [empty] = await oleg.send("\u200b\u200d ")
    assert "пустой" in empty.text.lower()
    assert not [sent for sent in world.session.to(1001) if sent.kind == "copy"]
    [delivered] = await oleg.send("Добрый день!")
    assert "Отправлено клиенту" in delivered.text


async def test_a_reply_after_a_pause_says_again_who_answers_in_the_clients_language(
    world: World,
) -> None:
    oleg = await world.add_manager(7001, "Олег")
    kate = await submit_lead(world, 1001)
    async with world.engine.begin() as connection:
        await connection.execute(people.update().values(language="en"))
    await kate.send("Hello?")
    relayed = world.session.to(7001)[-1]
    await oleg.send("Добрый день!", reply_to=relayed)
    world.clock.advance(hours=1)
    await oleg.send("Вы здесь?", reply_to=relayed)  # the same conversation: no introduction
    world.clock.advance(hours=13)
    await oleg.send("Напомню о себе", reply_to=relayed)
    kinds = [(sent.kind, sent.text) for sent in world.session.to(1001)][-5:]
    introduction = ("text", "💬 Олег of Romashka LLC is answering:")
    assert kinds == [
        introduction, ("copy", ""), ("copy", ""), introduction, ("copy", ""),
    ]  # fmt: skip


async def test_a_reply_that_cannot_be_copied_leaves_no_introduction_behind(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)
    await anna.send("Вопрос")
    relayed = world.session.to(7001)[-1]
    world.session.fail_copies_for.add(1001)
    [failed] = await oleg.send("Ответ", reply_to=relayed)
    assert "не удалось" in failed.text.lower() or "не дошл" in failed.text.lower()
    [introduction] = [sent for sent in world.session.to(1001) if "Вам отвечает" in sent.text]
    assert (1001, introduction.message_id) in world.session.deleted  # not left alone
    world.session.fail_copies_for.clear()
    await oleg.send("Ответ", reply_to=relayed)  # tried again: introduced again, once
    shown = [s for s in world.session.to(1001) if (1001, s.message_id) not in world.session.deleted]
    assert [s.kind for s in shown if s.kind == "copy" or "Вам отвечает" in s.text] == [
        "text", "copy",
    ]  # fmt: skip


async def test_a_clients_reply_to_the_manager_from_inside_a_new_request_reaches_him(
    world: World,
) -> None:
    oleg = await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)
    await anna.send("Можно созвониться завтра?")
    await oleg.send("Да, в 11:00 удобно?", reply_to=world.session.to(7001)[-1])
    copy = world.session.to(1001)[-1]
    await anna.send("/start")
    *_, asked = await anna.press("Оставить заявку")  # a second request: "what do you need?"
    assert "Что вам нужно" in asked.text
    [told] = await anna.send("Да, удобно", reply_to=copy)
    assert "Передал ваш ответ менеджеру" in told.text
    assert "Да, удобно" in world.session.to(7001)[-1].text
    assert (await history(world))[-1] == ("message_in", {"text": "Да, удобно"})
    # the form waits where it was: the reply was not taken for what she needs
    assert await fsm_state(world, anna) == "LeadForm:need"
    assert not (await draft_of(world)).get("need_text")
