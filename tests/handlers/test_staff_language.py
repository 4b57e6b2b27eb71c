"""What the bot sends staff unasked (alerts, relayed messages, reminders, notes from other staff)
is in each one's Telegram language, as its replies to them are."""

from __future__ import annotations

import io

import pytest
from aiogram.methods import SetMyCommands
from aiogram.types import BotCommandScopeChat, BufferedInputFile
from pypdf import PdfReader
from sqlalchemy.exc import OperationalError

from bot.services.staff import StaffService
from tests.handlers.conftest import ADMIN_ID, World
from tests.handlers.test_followups import tick
from tests.handlers.test_staff import invite_token, submit_lead


async def test_an_english_speaking_manager_gets_alerts_relays_and_reminders_in_english(
    world: World,
) -> None:
    oleg = await world.add_manager(7001, "Oleg", language="en")
    [menu] = await oleg.send("/start")
    assert "Manager's desk" in menu.text

    anna = await submit_lead(world, 1001)  # hot: the speed-to-lead ladder starts
    [alert] = [s for s in world.session.to(7001) if "New lead" in s.text]
    assert "📋 Open the deal" in alert.buttons()
    assert any("Новый лид" in s.text for s in world.session.to(ADMIN_ID))  # the admin's Russian
    assert not any("Новый лид" in s.text for s in world.session.to(7001))

    await anna.send("Добрый день, жду звонка")
    relayed = world.session.to(7001)[-1]
    assert "Добрый день, жду звонка" in relayed.text and "· deal #1 ·" in relayed.text

    world.clock.advance(minutes=16)
    assert await tick(world) == 1
    assert "A lead is waiting" in world.session.to(7001)[-1].text


async def test_staff_read_a_campaign_in_their_own_language(world: World) -> None:
    oleg = await world.add_manager(7001, "Oleg", language="en")
    await oleg.send("/start")
    await submit_lead(world, 1001, payload="vk_ads")
    [alert] = [s for s in world.session.to(7001) if "New lead" in s.text]
    assert "VK ads" in alert.text and "ВКонтакте" not in alert.text
    [admins] = [s for s in world.session.to(ADMIN_ID) if "Новый лид" in s.text]
    assert "Реклама ВКонтакте" in admins.text
    await oleg.send("/deals")
    [card] = await oleg.press("#1")
    assert "VK ads" in card.text and "ВКонтакте" not in card.text


async def test_an_english_speaking_manager_reads_dates_the_english_way(world: World) -> None:
    oleg = await world.add_manager(7001, "Oleg", language="en")
    await oleg.send("/start")
    await submit_lead(world, 1001)
    await oleg.send("/deals")
    [card] = await oleg.press("#1")
    assert "Last activity: Nov 23, " in card.text and "23.11" not in card.text
    await oleg.press("Remind me")
    [answer] = await oleg.send("tomorrow at 3pm!")
    assert "I'll remind you on Nov 24, 15:00." in answer.text
    await oleg.press("Back to the deal")
    await oleg.press("Quote / invoice")
    await oleg.press("Add from the catalogue")
    await oleg.press("Expert consultation")
    await oleg.press("Make it in English")  # the client is Russian: their documents are too
    [pdf] = await oleg.press("Quote")
    assert isinstance(pdf.file, BufferedInputFile)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.file.data)).pages)
    assert "November 23, 2026" in text and "23.11.2026" not in text
    assert "No. KP-2026-0001" in text and "№" not in text


async def test_a_manager_who_joins_gets_the_first_alert_in_their_language(world: World) -> None:
    admin = world.prospect(user_id=ADMIN_ID, first_name="Boss", username="boss", language="en")
    [link] = await admin.send("/invite")
    joiner = world.prospect(user_id=7004, first_name="Oleg", language="en-GB")
    await joiner.send(f"/start inv_{invite_token(link.text)}")
    assert "New manager: Oleg" in world.session.to(ADMIN_ID)[-1].text  # the admin's English

    await submit_lead(world, 1001)  # before Oleg writes again
    [alert] = [s for s in world.session.to(7004) if "🆕" in s.text]
    assert "New lead" in alert.text


async def test_a_manager_whose_language_cannot_be_recorded_still_joins(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    admin = world.prospect(user_id=ADMIN_ID, first_name="Boss", username="boss", language="en")
    [link] = await admin.send("/invite")
    staff: StaffService = world.dp["staff"]

    async def locked(*args: object) -> None:
        raise OperationalError("UPDATE staff_settings", {}, Exception("database is locked"))

    monkeypatch.setattr(staff._repository, "save_settings", locked)
    joiner = world.prospect(user_id=7004, first_name="Oleg", language="en")
    answers = await joiner.send(f"/start inv_{invite_token(link.text)}")
    assert any("Manager's desk" in answer.text for answer in answers)
    assert "New manager: Oleg" in world.session.to(ADMIN_ID)[-1].text
    assert "could not record the language of 7004" in caplog.text


async def test_an_update_without_a_language_keeps_the_known_one(world: World) -> None:
    await world.add_manager(7001, "Oleg", language="en")
    await world.prospect(user_id=7001, first_name="Oleg", language="en").send("/start")
    [menu] = await world.prospect(user_id=7001, first_name="Oleg", language=None).send("/start")
    assert "Рабочее место менеджера" in menu.text  # the reply: the default, as Telegram said none
    await submit_lead(world, 1001)
    assert any("New lead" in s.text for s in world.session.to(7001))


async def test_the_language_is_written_only_when_it_changes_and_the_menu_follows_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff: StaffService = world.dp["staff"]
    writes: list[dict[str, str]] = []
    save = staff._repository.save_settings

    async def counted(telegram_id: int, values: dict[str, str], now: object) -> None:
        writes.append(values)
        await save(telegram_id, values, now)  # type: ignore[arg-type]

    monkeypatch.setattr(staff._repository, "save_settings", counted)
    oleg = await world.add_manager(7001, "Oleg", language="en")
    for _ in range(3):
        await oleg.send("/start")
    assert writes == [{"language": "en"}]
    assert staff_menu_of(world, 7001)[0] == "My desk"
    await world.prospect(user_id=7001, first_name="Oleg", language="ru").send("/start")
    await world.prospect(user_id=7001, first_name="Oleg", language="uk").send("/start")
    assert writes == [{"language": "en"}, {"language": "ru"}]  # "uk" is spoken to in Russian
    assert staff_menu_of(world, 7001)[0] == "Рабочее место"
    await submit_lead(world, 1001)
    assert any("Новый лид" in s.text for s in world.session.to(7001))


async def test_the_answer_does_not_wait_for_the_new_command_menu(world: World) -> None:
    await world.add_manager(7001, "Олег")
    await world.prospect(user_id=7001, first_name="Олег", language="ru").send("/start")
    world.session.calls.clear()
    [menu] = await world.prospect(user_id=7001, first_name="Олег", language="en").send("/start")
    assert "Manager's desk" in menu.text
    calls = [type(call).__name__ for call in world.session.calls]
    assert calls == ["SendMessage", "SetMyCommands"]  # the menu first, then the new commands
    assert staff_menu_of(world, 7001)[0] == "My desk"


def staff_menu_of(world: World, chat_id: int) -> list[str]:
    """The descriptions of the command menu last set for one chat."""
    menus = [
        call
        for call in world.session.calls
        if isinstance(call, SetMyCommands)
        and isinstance(call.scope, BotCommandScopeChat)
        and call.scope.chat_id == chat_id
    ]
    return [command.description for command in menus[-1].commands]


async def test_a_failure_to_record_the_language_costs_nothing_but_a_warning(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    staff: StaffService = world.dp["staff"]

    async def locked(*args: object) -> None:
        raise OperationalError("UPDATE staff_settings", {}, Exception("database is locked"))

    monkeypatch.setattr(staff._repository, "save_settings", locked)
    oleg = await world.add_manager(7001, "Oleg", language="en")
    [menu] = await oleg.send("/start")
    assert "Manager's desk" in menu.text
    assert "could not record the language of 7001" in caplog.text


async def test_deals_handed_over_are_announced_in_the_receivers_language(world: World) -> None:
    await world.add_manager(7001, "Олег", language="en")
    await world.prospect(user_id=7001, first_name="Олег", language="en").send("/start")
    await world.add_manager(7002, "Ира")
    await submit_lead(world, 1001)  # -> Олег
    await submit_lead(world, 1002)  # -> Ира
    admin = world.admin()
    await admin.send("/managers")
    await admin.press("Передать сделки")  # the first row: Ира (sorted by name)
    await admin.press("Олег")
    assert "Deals handed over to you: 1" in world.session.to(7001)[-1].text


async def test_a_deal_given_to_an_english_speaking_manager_is_announced_in_english(
    world: World,
) -> None:
    await world.add_manager(7001, "Олег")
    await world.add_manager(7002, "Ира", language="en")
    await world.prospect(user_id=7002, first_name="Ира", language="en").send("/start")
    await submit_lead(world, 1001)  # -> Олег
    admin = world.admin()
    await admin.send("/deals")
    await admin.press("#1")
    await admin.press("Передать")
    await admin.press("Ира")
    assert "Deal #1 (Анна) is now yours" in world.session.to(7002)[-1].text
