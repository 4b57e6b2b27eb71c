"""The real `salesbot run` process, long-polling a fake Bot API server over HTTP."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

from tests.e2e.conftest import ADMIN_ID, ROOT, START_TIMEOUT, BotLauncher, Prospect
from tests.e2e.fake_api import FakeBotAPI, SentMessage, TgUser


def stored_people(db_path: Path) -> list[tuple[int, str, str | None, str | None]]:
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute("select telegram_id, phone, email, company from people")
        return list(rows)


def stored_deals(db_path: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(db_path) as connection:
        return list(connection.execute("select temperature, source_payload from deals"))


async def first_half(prospect: Prospect) -> None:
    """From /start with a campaign link up to the e-mail question."""
    greeting = await prospect.send("/start vk_ads", expect="Оставьте заявку")
    assert "Ромашка" in greeting.text
    await prospect.press("Оставить заявку", expect="Вы согласны?")
    name_ask = await prospect.press("Согласен", expect="Как к вам обращаться?")
    assert "Анна" in name_ask.text  # the Telegram first name is offered as a one-tap answer
    await prospect.send("Анна", expect="Ваш телефон")
    await prospect.share_contact("+79161234567", expect="Ваш e-mail?")


async def to_the_summary(prospect: Prospect) -> SentMessage:
    """From the e-mail question to the summary, not confirmed yet."""
    await prospect.send("anna@example.com", expect="Из какой вы компании?")
    await prospect.send("ООО Вектор", expect="Что вам нужно?")
    await prospect.press("Автоматизация продаж", expect="Когда планируете начать?")
    await prospect.press("Как можно скорее", expect="На какой бюджет")
    await prospect.press("Больше 300", expect="Как с вами лучше связаться?")
    await prospect.press("Звонок", expect="В какое время удобно?")
    return await prospect.press("Утром", expect="Проверьте заявку")


async def second_half(prospect: Prospect) -> None:
    """From the e-mail question to the accepted request."""
    summary = await to_the_summary(prospect)
    assert "+7 916 123-45-67" in summary.text and "ООО Вектор" in summary.text
    await prospect.press("Всё верно", expect="Заявка принята")


async def test_prospect_completes_the_form_over_http(
    fake_api: FakeBotAPI, launcher: BotLauncher
) -> None:
    # left by an earlier deployment on a webhook: Telegram would refuse every getUpdates
    fake_api.webhook = {"url": "https://old.example.com/telegram", "secret": "x"}
    bot = await launcher.start()
    assert fake_api.method_calls("deleteWebhook") and fake_api.webhook is None
    prospect = Prospect(fake_api, TgUser(id=1001, first_name="Анна", username="anna"))

    await first_half(prospect)
    await second_half(prospect)

    alert = await fake_api.wait_for_message(ADMIN_ID, contains="Новый лид")
    assert "+7 916 123-45-67" in alert.text and "Реклама ВКонтакте" in alert.text
    assert stored_people(launcher.db_path) == [
        (1001, "+79161234567", "anna@example.com", "ООО Вектор")
    ]
    assert stored_deals(launcher.db_path) == [("hot", "vk_ads")]
    # The command menu is registered at start-up: Russian by default, English for English users.
    calls = fake_api.method_calls("setMyCommands")
    menus = {
        call.params.get("language_code"): [c["description"] for c in call.params["commands"]]
        for call in calls
        if call.params["scope"]["type"] == "all_private_chats"
    }
    assert menus[None][0] == "Главное меню" and menus["en"][0] != "Главное меню"
    # ... and the admin has the desk's commands in their own chat.
    [admin_menu] = [call for call in calls if call.params["scope"]["type"] == "chat"]
    assert admin_menu.params["scope"]["chat_id"] == ADMIN_ID
    assert {"deals", "invite"} <= {c["command"] for c in admin_menu.params["commands"]}

    assert await bot.stop() == 0  # SIGTERM stops it cleanly


async def test_form_survives_a_restart_of_the_process(
    fake_api: FakeBotAPI, launcher: BotLauncher
) -> None:
    first = await launcher.start()
    prospect = Prospect(fake_api, TgUser(id=1002, first_name="Анна"))
    await first_half(prospect)
    await fake_api.wait_until_confirmed()  # nothing is redelivered to the next process
    assert await first.stop() == 0
    assert stored_people(launcher.db_path) == []  # nothing stored before the form is confirmed

    await launcher.start()
    await prospect.send("/start", expect="незаконченная заявка")
    await prospect.press("Продолжить", expect="Ваш e-mail?")
    await second_half(prospect)

    assert stored_people(launcher.db_path) == [
        (1002, "+79161234567", "anna@example.com", "ООО Вектор")
    ]
    await fake_api.wait_for_message(ADMIN_ID, contains="Новый лид")
    # Every update was handled exactly once across the two processes.
    assert set(fake_api.deliveries.values()) == {1}


async def test_a_stop_mid_update_finishes_it_first(
    fake_api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """A deploy's SIGTERM while a lead is being confirmed: the lead is stored and its alert
    still goes out before the process exits, not after the session and database closed."""
    bot = await launcher.start()
    prospect = Prospect(fake_api, TgUser(id=1003, first_name="Анна"))
    await first_half(prospect)
    await to_the_summary(prospect)
    fake_api.slow["Заявка принята"] = 2.0  # Telegram slow to take the answer
    await fake_api.push_callback(prospect.user, *fake_api.button_data(1003, "Всё верно"))
    await asyncio.wait_for(fake_api.holding.wait(), 10)
    assert await bot.stop() == 0  # SIGTERM while the confirmation is under way
    assert [m for m in fake_api.messages_to(1003) if "Заявка принята" in m.text]
    assert [m for m in fake_api.messages_to(ADMIN_ID) if "Новый лид" in m.text]
    assert stored_deals(launcher.db_path) == [("hot", "vk_ads")]
    with sqlite3.connect(launcher.db_path) as connection:  # the alert's rescue, called off
        rescues = connection.execute("select status from reminders where kind = 'lead_alert'")
        assert [status for (status,) in rescues] == ["cancelled"]


async def test_a_prospect_gets_a_standard_offer_as_a_pdf_over_http(
    fake_api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """Issue 5: the real process renders the offer in its worker pool and uploads the file."""
    import io

    from pypdf import PdfReader

    await launcher.start()
    prospect = Prospect(fake_api, TgUser(id=1001, first_name="Анна", username="anna"))
    await first_half(prospect)
    await second_half(prospect)
    await prospect.send("/start", expect="С возвращением, Анна")
    await prospect.press("Получить КП", expect="По какому продукту")
    offer = await prospect.press("Консультация эксперта", expect="коммерческое предложение №")
    assert offer.document is not None and (offer.filename or "").startswith("KP-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(offer.document)).pages)
    assert "Консультация эксперта" in text and "ООО Вектор" in text
    alert = await fake_api.wait_for_message(ADMIN_ID, contains="Клиент сам запросил КП")
    assert "Консультация эксперта" in alert.text
    assert stored_deals(launcher.db_path)[0][0] == "hot"


async def run_until_it_stops(env: dict[str, str]) -> str:
    """`salesbot run` expected to stop at start-up with exit code 2: what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
    text = output.decode()
    assert process.returncode == 2, text
    return text


async def test_an_address_that_is_no_bot_api_stops_start_up_with_a_message(
    launcher: BotLauncher,
) -> None:
    """An operator who gives the URL with /bot in it (or any other web server) was shown
    aiogram's ClientDecodeError traceback."""
    text = await run_until_it_stops(
        {**launcher.env(), "TELEGRAM_API_URL": f"{launcher.api.url}/bot"}
    )
    assert "does not answer as a Bot API server" in text and "without /bot" in text
    assert "Traceback" not in text


async def test_a_token_the_bot_api_refuses_stops_start_up_with_a_message(
    launcher: BotLauncher,
) -> None:
    text = await run_until_it_stops({**launcher.env(), "BOT_TOKEN": "123456:WRONG-token"})
    assert "BOT_TOKEN: the Bot API at" in text and "@BotFather" in text
    assert "Traceback" not in text and "WRONG-token" not in text
