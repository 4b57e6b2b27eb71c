"""The managers' workspace end to end: the real process, the fake Bot API over HTTP."""

from __future__ import annotations

import re
import sqlite3

from tests.e2e.conftest import ADMIN_ID, BotLauncher, Prospect
from tests.e2e.fake_api import FakeBotAPI, TgUser
from tests.e2e.test_polling import first_half, second_half

MANAGER = TgUser(7001, "Олег", username="oleg")


def stage_of(launcher: BotLauncher, deal_id: int) -> str:
    with sqlite3.connect(launcher.db_path) as connection:
        row = connection.execute("select stage from deals where id = ?", (deal_id,)).fetchone()
    return str(row[0])


async def test_a_lead_walks_the_pipeline_and_the_chat_crosses_the_bot(
    fake_api: FakeBotAPI, launcher: BotLauncher
) -> None:
    await launcher.start()
    admin = Prospect(fake_api, TgUser(ADMIN_ID, "Админ"))
    manager = Prospect(fake_api, MANAGER)
    prospect = Prospect(fake_api, TgUser(1001, "Анна", username="anna"))

    # An admin invites the manager with a one-time link.
    invitation = await admin.send("/invite", expect="Ссылка-приглашение")
    token = re.search(r"start=(inv_[A-Za-z0-9_-]+)", invitation.text)
    assert token is not None
    await manager.send(f"/start {token.group(1)}", expect="Добро пожаловать в команду")

    # The prospect's request is routed to the only manager, who is alerted.
    await first_half(prospect)
    await second_half(prospect)
    alert = await fake_api.wait_for_message(MANAGER.id, contains="Новый лид")
    assert "Открыть сделку" in " ".join(alert.buttons())

    card = await manager.press("Открыть сделку", expect="Сделка #1")
    assert "+7 916 123-45-67" in card.text
    refusal = await manager.press("Следующий этап", expect="нельзя")
    assert "Удалось связаться с клиентом?" in refusal.text
    await manager.press("Ответить и перейти", expect="Удалось связаться")
    await manager.press("Да", expect="Выявление потребностей (2/6)")  # the card

    # A skip to closing is refused; the walk asks exactly the missing questions, then moves.
    await manager.press("Этап…", expect="на какой этап")
    refusal = await manager.press("Закрытие сделки", expect="нельзя")
    assert "Какие проблемы клиента мы можем решить?" in refusal.text
    assert stage_of(launcher, 1) == "needs"
    await manager.press("Ответить и перейти", expect="Какие проблемы")
    await manager.send("Теряют заявки", expect="Что для клиента важнее?")
    await manager.press("Сэкономить", expect="Был ли у клиента опыт")
    await manager.send("Таблицы", expect="лицом, принимающим решение")
    await manager.press("Да", expect="Бюджет клиента")
    await manager.send("300 000", expect="К какой дате")
    await manager.send("25.12.2026", expect="Дата презентации")
    await manager.send("01.12.2026", expect="Как клиент отреагировал")
    await manager.send("Понравилось", expect="Возражения сняты")
    await manager.press("Да", expect="Закрытие сделки (5/6)")
    assert stage_of(launcher, 1) == "closing"

    # The prospect writes; the manager replies to the relayed message; it reaches the prospect.
    mark = len(fake_api.sent)
    await fake_api.push_message(prospect.user, "Когда пришлёте договор?")
    relayed = await fake_api.wait_for_message(
        MANAGER.id, contains="Когда пришлёте договор?", since=mark
    )
    assert "сделка #1" in relayed.text
    await manager.send("Сегодня до 18:00", expect="Отправлено клиенту", reply_to=relayed)
    await fake_api.wait_for_message(prospect.user.id, contains="Сегодня до 18:00", since=mark)
    with sqlite3.connect(launcher.db_path) as connection:
        kinds = [row[0] for row in connection.execute("select kind from events order by id")]
    assert kinds[-2:] == ["message_in", "message_out"]
