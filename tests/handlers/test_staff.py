"""Roles, invitations, routing of new leads and the shared inbox, through the Dispatcher."""

from __future__ import annotations

import asyncio
import re

import sqlalchemy as sa
from aiogram.methods import DeleteMyCommands
from aiogram.types import BotCommandScopeChat, InlineKeyboardMarkup

from bot.callbacks import InviteCb, StaffAction, StaffCb
from bot.config import BusinessConfig, Routing
from bot.domain.desk import RoutingRule
from storage.schema import deals, managers
from tests.fakes import FakeClock, Prospect, RecordingSession, Sent
from tests.handlers.conftest import ADMIN_ID, World, make_world


async def deal_rows(world: World) -> list[sa.Row[object]]:
    async with world.engine.connect() as connection:
        return list(await connection.execute(sa.select(deals).order_by(deals.c.id)))


async def submit_lead(
    world: World, user_id: int, payload: str | None = None, name: str = "Анна"
) -> Prospect:
    """A prospect's whole form, with a phone of their own (the same phone is the same person)."""
    prospect = await fill_form(world, user_id, payload, name)
    await prospect.press("Всё верно")
    return prospect


async def fill_form(
    world: World, user_id: int, payload: str | None = None, name: str = "Анна"
) -> Prospect:
    """Up to the summary, not confirmed yet."""
    prospect = world.prospect(user_id=user_id, first_name=name)
    await prospect.send(f"/start {payload}" if payload else "/start")
    await prospect.press("Оставить заявку")
    await prospect.press("Согласен")
    await prospect.press(name)
    await prospect.send(f"+7 916 {user_id:07d}")
    await prospect.press("Пропустить")
    await prospect.send("ООО Вектор")
    await prospect.press("Автоматизация продаж")
    await prospect.press("Как можно скорее")
    await prospect.press("Больше 300")
    await prospect.press("Звонок")
    await prospect.press("Утром")
    return prospect


def invite_token(text: str) -> str:
    found = re.search(r"start=inv_([A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


async def test_an_invitation_makes_a_manager_once_and_expires(world: World) -> None:
    admin = world.admin()
    [link] = await admin.send("/invite")
    token = invite_token(link.text)
    [tried] = await admin.send(f"/start inv_{token}")  # the admin tries the link first
    assert "перешлите ссылку" in tried.text and "не найдена" not in tried.text

    newcomer = world.prospect(user_id=7001, first_name="Олег", username="oleg")
    welcome = await newcomer.send(f"/start inv_{token}")
    assert "Добро пожаловать в команду, Олег" in welcome[0].text
    assert "Рабочее место менеджера" in welcome[1].text
    assert any("Новый менеджер: Олег" in sent.text for sent in world.session.to(ADMIN_ID))

    stranger = world.prospect(user_id=7002, first_name="Ира")
    [refused] = await stranger.send(f"/start inv_{token}")
    assert "уже использована" in refused.text

    [second] = await admin.send("/invite")
    world.clock.advance(hours=49)
    [expired] = await stranger.send(f"/start inv_{invite_token(second.text)}")
    assert "истёк" in expired.text
    [greeting] = await stranger.send("/start")
    assert "Оставьте заявку" in greeting.text  # still a prospect
    async with world.engine.connect() as connection:
        ids = [row.telegram_id for row in await connection.execute(sa.select(managers))]
    assert ids == [7001]


async def test_an_invitation_opened_by_staff_stays_for_the_newcomer(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    admin = world.admin()
    [link] = await admin.send("/invite")
    token = invite_token(link.text)
    told = len(world.session.to(ADMIN_ID))
    [already] = await oleg.send(f"/start inv_{token}")  # posted in the team's chat, say
    assert "уже в команде" in already.text
    assert len(world.session.to(ADMIN_ID)) == told  # no "new manager" who is none
    newcomer = world.prospect(user_id=7002, first_name="Ира")
    [welcome, *_] = await newcomer.send(f"/start inv_{token}")
    assert "Добро пожаловать в команду, Ира" in welcome.text


async def test_a_switched_off_manager_back_by_an_invitation_is_announced_as_back(
    world: World,
) -> None:
    await world.add_manager(7001, "Олег", active=False)
    admin = world.admin()
    [link] = await admin.send("/invite")
    oleg = world.prospect(user_id=7001, first_name="Олег")
    [welcome, *_] = await oleg.send(f"/start inv_{invite_token(link.text)}")
    assert "Добро пожаловать в команду" in welcome.text
    texts = [sent.text for sent in world.session.to(ADMIN_ID)]
    assert any("Снова в команде по приглашению: Олег" in text for text in texts)
    assert not any("Новый менеджер" in text for text in texts)


async def test_an_invitation_withdrawn_lets_nobody_in(world: World) -> None:
    admin = world.admin()
    [link] = await admin.send("/invite")
    withdraw = button_data(link, "Отозвать")
    await admin.press("Отозвать приглашение")
    assert not link.buttons()  # the link's message loses its button
    assert (
        admin.answer_callback_texts()[-1] == "Приглашение отозвано: по этой ссылке больше не войти."
    )
    newcomer = world.prospect(user_id=7001, first_name="Олег")
    [refused] = await newcomer.send(f"/start inv_{invite_token(link.text)}")
    assert "истёк" in refused.text
    await admin.callback(withdraw)  # again, from a chat not updated yet
    assert "уже использовано, истекло или отозвано" in str(admin.answer_callback_texts()[-1])
    await admin.callback(InviteCb(key="0" * 32).pack())  # no such invitation
    assert "уже использовано, истекло или отозвано" in str(admin.answer_callback_texts()[-1])
    await newcomer.callback(withdraw)  # not an admin
    assert newcomer.answer_callback_texts()[-1] == "Эта кнопка уже не действует."
    async with world.engine.connect() as connection:
        assert (await connection.execute(sa.select(managers))).first() is None


async def test_a_client_who_joins_the_staff_is_announced_with_their_open_deal(
    world: World,
) -> None:
    await world.add_manager(7001, "Олег")
    anna = await submit_lead(world, 1001)  # a client with deal #1
    [link] = await world.admin().send("/invite")
    await anna.send(f"/start inv_{invite_token(link.text)}")
    [joined] = [s for s in world.session.to(ADMIN_ID) if "Новый менеджер" in s.text]
    assert "сделка #1 открыта" in joined.text


async def test_a_prospect_half_way_through_the_form_who_joins_the_staff_is_staff(
    world: World,
) -> None:
    [link] = await world.admin().send("/invite")
    newcomer = world.prospect(user_id=7003, first_name="Олег")
    await newcomer.send("/start")
    await newcomer.press("Оставить заявку")
    await newcomer.press("Согласен")  # the form now asks for a name
    await newcomer.send(f"/start inv_{invite_token(link.text)}")

    [idle, menu] = await newcomer.send("Олег")  # not taken as the form's answer
    assert "никуда не записан" in idle.text
    assert "Рабочее место менеджера" in menu.text
    [cancelled, menu] = await newcomer.send("/cancel")  # the staff's /cancel
    assert cancelled.text == "Отменено." and "Рабочее место менеджера" in menu.text


async def test_a_manager_deactivated_half_way_through_a_form_gets_the_desk_back_when_activated(
    world: World,
) -> None:
    oleg = await world.add_manager(7001, "Олег")
    admin = world.admin()
    await admin.send("/managers")
    await admin.press("⏸ Олег")
    await admin.press("Да, отключить")
    await oleg.send("/start")  # a prospect now
    await oleg.press("Оставить заявку")
    await oleg.press("Согласен")  # the form asks for a name, and keeps waiting for it
    await admin.press("▶️ Олег")

    [idle, menu] = await oleg.send("Олег")  # not taken as the form's answer
    assert "никуда не записан" in idle.text
    assert "Рабочее место менеджера" in menu.text
    [cancelled, menu] = await oleg.send("/cancel")  # the staff's /cancel, not the form's
    assert cancelled.text == "Отменено." and "Рабочее место менеджера" in menu.text


async def test_a_managers_old_request_button_does_not_start_a_form(world: World) -> None:
    newcomer = world.prospect(user_id=7003, first_name="Олег")
    await newcomer.send("/start")  # the prospect's menu stays in the chat
    oleg = await world.add_manager(7003, "Олег")

    await oleg.press("Оставить заявку")
    assert oleg.answer_callback_texts()[-1] == "Эта кнопка уже не действует."
    [idle, menu] = await oleg.send("Иван")
    assert "никуда не записан" in idle.text
    assert "Рабочее место менеджера" in menu.text


async def test_a_prospect_cannot_invite_or_reach_the_desk(world: World) -> None:
    prospect = world.prospect()
    answer = await prospect.send("/invite")
    assert not any("inv_" in sent.text for sent in answer)
    await prospect.send("/deals")
    assert not any("Мои сделки" in sent.text for sent in world.session.sent)
    await prospect.callback("staff:deals")
    assert prospect.answer_callback_texts()[-1] == "Эта кнопка уже не действует."


async def test_round_robin_skips_deactivated_managers(world: World) -> None:
    await world.add_manager(7001, "Олег")
    await world.add_manager(7002, "Ира")
    await world.add_manager(7003, "Пётр", active=False)
    for user_id in (1001, 1002, 1003):
        await submit_lead(world, user_id)
    assigned = [deal.manager_telegram_id for deal in await deal_rows(world)]
    assert assigned == [7001, 7002, 7001]
    [alert] = [sent for sent in world.session.to(7002) if "Новый лид" in sent.text]
    assert "Открыть сделку" in " ".join(alert.buttons())
    admin_alerts = [s.text for s in world.session.to(ADMIN_ID) if "Новый лид" in s.text]
    # the admins see whose lead each one is; a manager is not told their own name
    assert [text.splitlines()[-1] for text in admin_alerts] == [
        "👔 Менеджер: Олег", "👔 Менеджер: Ира", "👔 Менеджер: Олег",
    ]  # fmt: skip
    assert "👔" not in alert.text
    assert world.session.to(7003) == []


async def test_deactivated_manager_loses_the_desk_and_the_queue(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await world.add_manager(7002, "Ира")
    admin = world.admin()
    await admin.send("/managers")
    [ask] = await admin.press("⏸ Олег")
    assert "Олег — отключить?" in ask.text and world.session.to(7001) == []  # asked first
    await admin.press("Да, отключить")
    assert "Доступ отключён — Олег" in " ".join(s.text for s in world.session.to(ADMIN_ID))
    assert "отключил ваш доступ" in world.session.to(7001)[-1].text  # told, not left to guess
    assert any(
        isinstance(call, DeleteMyCommands) and call.scope == BotCommandScopeChat(chat_id=7001)
        for call in world.session.calls
    )  # and the desk's commands are gone from his menu
    [greeting] = await oleg.send("/start")
    assert "Оставьте заявку" in greeting.text  # a prospect again
    [told] = await oleg.send("/deals")  # the desk's command: told why, not offered a request
    assert "отключил ваш доступ" in told.text and not told.buttons()
    [told] = await oleg.send("Клиент #3 перезвонит завтра")  # nor is his note taken for a visitor's
    assert "отключил ваш доступ" in told.text and "оставьте заявку" not in told.text
    await submit_lead(world, 1001)
    assert [d.manager_telegram_id for d in await deal_rows(world)] == [7002]
    await admin.send("/managers")
    await admin.press("▶️ Олег")
    assert "снова включён" in world.session.to(7001)[-1].text
    [menu] = await oleg.send("/start")
    assert "Рабочее место менеджера" in menu.text


async def test_a_second_press_of_switch_off_or_on_does_nothing_twice(world: World) -> None:
    await world.add_manager(7001, "Олег")
    admin = world.admin()
    await admin.send("/managers")
    [ask] = await admin.press("⏸ Олег")
    confirm = button_data(ask, "Да, отключить")
    await admin.callback(confirm)
    [again] = await admin.callback(confirm)  # the same confirmation, pressed again
    assert again.text == "Эта кнопка уже не действует."
    assert len([s for s in world.session.to(7001) if "отключил ваш доступ" in s.text]) == 1
    [listing] = await admin.send("/managers")
    switch_on = button_data(listing, "▶️ Олег")
    await admin.callback(switch_on)
    [again] = await admin.callback(switch_on)  # the old list's button
    assert again.text == "Эта кнопка уже не действует."
    assert len([s for s in world.session.to(7001) if "снова включён" in s.text]) == 1


def button_data(sent: Sent, label: str) -> str:
    assert isinstance(sent.markup, InlineKeyboardMarkup)
    return next(
        str(button.callback_data)
        for row in sent.markup.inline_keyboard
        for button in row
        if label in button.text
    )


async def test_a_lead_through_a_personal_link_goes_to_that_manager(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    await world.add_manager(7002, "Ира")
    [qr] = await oleg.send("/link")
    assert qr.kind == "photo" and isinstance(qr.file, bytes) and qr.file.startswith(b"\x89PNG")
    assert "https://t.me/sales_bot?start=rep_7001" in qr.text
    await submit_lead(world, 1001, payload="rep_7002")
    [deal] = await deal_rows(world)
    assert (deal.manager_telegram_id, deal.channel, deal.initiative) == (7002, "spears", "outbound")


def inbox_world(world: World, config: BusinessConfig, clock: FakeClock) -> World:
    inbox = config.model_copy(update={"routing": Routing(rule=RoutingRule.INBOX)})
    return make_world(world.engine, inbox, clock, RecordingSession())


async def test_two_managers_take_one_inbox_lead_and_exactly_one_wins(
    world: World, business_config: BusinessConfig, clock: FakeClock
) -> None:
    world = inbox_world(world, business_config, clock)
    oleg = await world.add_manager(7001, "Олег")
    ira = await world.add_manager(7002, "Ира")
    await submit_lead(world, 1001)
    [deal] = await deal_rows(world)
    assert deal.manager_telegram_id is None
    for manager in (oleg, ira):
        [alert] = world.session.to(manager.user.id)
        assert "Взять себе" in alert.buttons()[0]
    await asyncio.gather(oleg.press("Взять себе"), ira.press("Взять себе"))
    texts = [s.text for s in world.session.to(7001) + world.session.to(7002)]
    assert sum("теперь ваша" in text for text in texts) == 1
    assert sum("уже взял другой менеджер" in text for text in texts) == 1
    [deal] = await deal_rows(world)
    winner = 7001 if any("теперь ваша" in s.text for s in world.session.to(7001)) else 7002
    assert deal.manager_telegram_id == winner


async def test_a_lead_nobody_took_waits_at_the_top_of_every_managers_day(
    world: World, business_config: BusinessConfig, clock: FakeClock
) -> None:
    world = inbox_world(world, business_config, clock)
    oleg = await world.add_manager(7001, "Олег")
    await world.add_manager(7002, "Ира")
    await submit_lead(world, 1001, name="Борис")  # the alert scrolled away unseen
    [today] = await oleg.send("/today")
    assert "Ничьи заявки: 1" in today.text and "Срочного нет" not in today.text
    assert "🙋 Взять себе: #1 Борис" in today.buttons()
    await oleg.press("Взять себе: #1")
    assert "теперь ваша" in " ".join(s.text for s in world.session.to(7001)[-3:])
    [deal] = await deal_rows(world)
    assert deal.manager_telegram_id == 7001
    [today] = await oleg.send("/today")
    assert "Ничьи заявки" not in today.text  # taken: his own now, not anybody's
    ira = world.prospect(user_id=7002)
    [today] = await ira.send("/today")
    assert "Ничьи заявки" not in today.text and "Взять себе" not in " ".join(today.buttons())


async def test_without_the_shared_inbox_a_lead_nobody_has_is_the_admins_to_hand(
    world: World,
) -> None:
    await submit_lead(world, 1001)  # round robin, before any manager joined: nobody's
    oleg = await world.add_manager(7001, "Олег")
    [today] = await oleg.send("/today")  # not offered: only an admin hands it out here
    assert "Ничьи заявки" not in today.text and "Срочного нет" in today.text


async def test_admin_hands_a_managers_open_deals_to_another(world: World) -> None:
    await world.add_manager(7001, "Олег")
    ira = await world.add_manager(7002, "Ира")
    await world.add_manager(7003, "Пётр", active=False)
    await submit_lead(world, 1001)  # -> Олег
    await submit_lead(world, 1002)  # -> Ира
    admin = world.admin()
    await admin.send("/managers")
    await admin.press("Передать сделки")  # the first row: Ира (sorted by name)
    [pick] = [s for s in world.session.to(ADMIN_ID) if "Кому передать" in s.text]
    # not Ира herself, not the deactivated Пётр; and a way out
    assert pick.buttons() == ["Олег", "✖️ Отмена"]
    await admin.press("Олег")
    assert [d.manager_telegram_id for d in await deal_rows(world)] == [7001, 7001]
    received = world.session.to(7001)[-1]
    assert "Вам переданы сделки: 1" in received.text
    assert received.buttons() == ["#2", "📋 Мои сделки"]  # one tap to the deal
    # Ира, at work, is told that the deal is no longer hers
    assert "передал ваши открытые сделки менеджеру Олег: #2" in ira.last().text
    # the picker is spent: a tap on it later would move deals she was given since, unasked
    assert pick.markup is None


async def test_a_manager_with_no_open_deals_has_nothing_to_hand_over(world: World) -> None:
    await world.add_manager(7001, "Олег")
    await world.add_manager(7002, "Ира")
    admin = world.admin()
    await admin.send("/managers")
    [answer] = await admin.press("Передать сделки")
    assert "нет открытых сделок" in answer.text and not answer.buttons()


async def test_the_switch_off_question_can_be_cancelled(world: World) -> None:
    await world.add_manager(7001, "Олег")
    admin = world.admin()
    await admin.send("/managers")
    [ask] = await admin.press("⏸ Олег")
    [listing] = await admin.press("Отмена")
    assert "⏸ Олег" in listing.buttons()  # the list again, Олег still active
    assert world.session.to(7001) == []
    # the question's "Да, отключить" is gone: a tap on it later switches nobody off
    assert ask.markup is None
    [ask] = await admin.press("⏸ Олег")
    await admin.press("Да, отключить")
    assert ask.markup is None  # answered: not to be answered twice


async def test_a_switch_off_question_from_before_a_switch_on_does_nothing(world: World) -> None:
    await world.add_manager(7001, "Олег")
    admin = world.admin()
    [listing] = await admin.send("/managers")
    [first] = await admin.press("⏸ Олег")  # asked, and left unanswered
    old_yes = button_data(first, "Да, отключить")
    await admin.callback(button_data(listing, "⏸ Олег"), listing.message_id)  # asked again
    await admin.press("Да, отключить")
    world.clock.advance(minutes=5)
    await admin.send("/managers")
    await admin.press("▶️ Олег")  # at work again
    [refused] = await admin.callback(old_yes, first.message_id)
    assert refused.text == "Эта кнопка уже не действует."
    assert [m.active for m in await world.dp["staff"].managers()] == [True]


async def test_the_desk_menu_has_buttons_for_what_the_commands_do(world: World) -> None:
    oleg = await world.add_manager(7001, "Олег")
    [menu] = await oleg.send("/start")
    assert "📦 Каталог" not in menu.buttons()  # admins only
    [reminders] = await oleg.press("Напоминания")
    assert "Предстоящих напоминаний нет" in reminders.text
    await oleg.send("/menu")
    [settings] = await oleg.press("Настройки")
    assert "Часовой пояс" in str(settings.buttons())
    await oleg.callback(StaffCb(action=StaffAction.CATALOGUE).pack())  # forged: admins' only
    assert oleg.answer_callback_texts()[-1] == "Эта кнопка уже не действует."

    admin = world.admin()
    await admin.send("/start")
    [catalogue] = await admin.press("Каталог")
    assert "Каталог</b>: 6 поз." in catalogue.text
    await admin.send("/menu")
    [templates] = await admin.press("Шаблоны")
    assert "offer.html" in templates.text


async def test_open_invitations_are_listed_and_can_be_withdrawn_from_the_list(
    world: World,
) -> None:
    admin = world.admin()
    await world.add_manager(7001, "Олег")
    [link] = await admin.send("/invite")
    [used] = await admin.send("/invite")
    await world.prospect(user_id=7002, first_name="Ира").send(
        f"/start inv_{invite_token(used.text)}"
    )

    [listing] = await admin.send("/managers")
    assert "Приглашений, по которым ещё никто не вошёл: 1." in listing.text
    withdraw = [b for b in listing.buttons() if "Отозвать приглашение" in b]
    assert withdraw == ["🚫 Отозвать приглашение №1 (до 25.11 12:00)"]  # the used one is gone

    await admin.press("Отозвать приглашение")
    assert str(admin.answer_callback_texts()[-1]).startswith("Приглашение отозвано")
    # the list is told again, without it, and keeps its other buttons
    assert "Приглашений" not in listing.text and "Олег" in listing.text
    assert any("Олег" in b for b in listing.buttons())
    assert not any("Отозвать" in b for b in listing.buttons())
    [refused] = await world.prospect(user_id=7003, first_name="Оля").send(
        f"/start inv_{invite_token(link.text)}"
    )
    assert "истёк" in refused.text


async def test_an_invitation_used_meanwhile_leaves_the_list_when_pressed(world: World) -> None:
    admin = world.admin()
    [link] = await admin.send("/invite")
    [listing] = await admin.send("/managers")
    await world.prospect(user_id=7002, first_name="Ира").send(
        f"/start inv_{invite_token(link.text)}"
    )
    await admin.callback(button_data(listing, "Отозвать"), listing.message_id)
    assert "уже использовано" in str(admin.answer_callback_texts()[-1])
    assert "Ира" in listing.text and not any("Отозвать" in b for b in listing.buttons())


async def test_many_invitations_are_counted_and_the_first_ten_listed(world: World) -> None:
    admin = world.admin()
    for _ in range(12):
        await admin.send("/invite")
        world.clock.advance(minutes=1)
    [listing] = await admin.send("/managers")
    assert "Менеджеров пока нет" in listing.text
    assert "никто не вошёл: 12 (ниже первые 10, которые истекают раньше)" in listing.text
    withdraw = [b for b in listing.buttons() if "Отозвать" in b]
    assert len(withdraw) == 10 and "№10 (до 25.11 12:09)" in withdraw[-1]


async def test_help_explains_the_desk_and_a_lone_owner_is_told_leads_come_to_them(
    world: World,
) -> None:
    admin = world.admin()
    [menu] = await admin.send("/start")
    assert "Менеджеров пока нет — новые заявки приходят вам" in menu.text and "/invite" in menu.text
    [guide] = await admin.send("/help")
    assert "Как работать с ботом" in guide.text and "Такой команды нет" not in guide.text
    assert "/deals — Все сделки" in guide.text and "/invite — Пригласить менеджера" in guide.text
    assert "Менеджеров пока нет" in guide.text
    oleg = await world.add_manager(7001, "Олег")
    [menu] = await admin.send("/menu")
    assert "Менеджеров пока нет" not in menu.text  # someone is at work now
    [guide] = await oleg.send("/help")
    assert "/deals — Мои сделки" in guide.text and "/invite" not in guide.text
    english = await world.add_manager(7002, "Kate", language="en")
    [guide] = await english.send("/help")
    assert "How to work with the bot" in guide.text and "/today — " in guide.text
