"""The prospect's conversation, fed through the real Dispatcher."""

from __future__ import annotations

import sqlalchemy as sa

from storage.schema import deals, events, people, touch_points
from tests.fakes import Prospect
from tests.handlers.conftest import ADMIN_ID, World


async def fill_form(prospect: Prospect, payload: str | None = None) -> None:
    await prospect.send(f"/start {payload}" if payload else "/start")
    await prospect.press("Оставить заявку")
    await prospect.press("Согласен")
    await prospect.press("Анна")  # the Telegram first name, offered as a one-tap answer
    await prospect.press("Отправить мой номер")
    await prospect.send("Anna@Example.com")
    await prospect.send("ООО Вектор")
    await prospect.press("Автоматизация продаж")
    await prospect.press("Срочно")
    await prospect.press("Больше 300")
    await prospect.press("Звонок")
    await prospect.press("Утром")


async def rows(world: World, table: sa.Table) -> list[sa.Row[object]]:
    async with world.engine.connect() as connection:
        return list(await connection.execute(sa.select(table)))


async def test_complete_form_stores_the_lead_and_alerts_the_admin(world: World) -> None:
    prospect = world.prospect()
    await fill_form(prospect, payload="vk_ads")

    summary = prospect.last()
    assert "Проверьте заявку" in summary.text
    assert "+7 916 123-45-67" in summary.text
    assert "anna@example.com" in summary.text
    assert "Автоматизация продаж (CRM)" in summary.text

    answer = await prospect.press("Всё верно")
    assert any("Заявка принята" in sent.text for sent in answer)

    [person] = await rows(world, people)
    assert (person.telegram_id, person.phone, person.email) == (
        1001,
        "+79161234567",
        "anna@example.com",
    )
    assert person.company == "ООО Вектор" and person.consent_at is not None
    [deal] = await rows(world, deals)
    assert deal.temperature == "hot"  # crm 15 + now 40 + large 25 + e-mail 5 + company 5 = 90
    assert deal.score == 90
    assert {reason["factor"] for reason in deal.score_reasons} >= {"timeline", "budget", "need"}
    assert (deal.channel, deal.initiative, deal.campaign) == (
        "nets",
        "inbound",
        "Реклама ВКонтакте",
    )
    assert deal.source_payload == "vk_ads"
    [touch] = await rows(world, touch_points)
    assert (touch.kind, touch.payload, touch.deal_id) == ("request", "vk_ads", deal.id)
    kinds = [event.kind for event in await rows(world, events)]
    assert kinds == ["person_created", "deal_created", "lead_submitted"]

    [alert] = world.session.to(ADMIN_ID)
    assert "Новый лид" in alert.text and "Горячий" in alert.text
    assert "+7 916 123-45-67" in alert.text and "Реклама ВКонтакте" in alert.text
    assert "@anna" in alert.text

    # The form is over: the FSM record is gone.
    async with world.engine.connect() as connection:
        assert (await connection.execute(sa.text("select count(*) from fsm_states"))).scalar() == 0
