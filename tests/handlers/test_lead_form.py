"""The prospect's conversation, fed through the real Dispatcher."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from aiogram.methods import EditMessageReplyMarkup
from aiogram.types import Location

from storage.schema import deals, events, people, touch_points
from tests.fakes import Prospect
from tests.handlers.conftest import ADMIN_ID, World, choose_quickly, skip_to_summary
from tests.handlers.test_staff import button_data, submit_lead


async def fill_form(prospect: Prospect, payload: str | None = None) -> None:
    await prospect.send(f"/start {payload}" if payload else "/start")
    await prospect.press("Оставить заявку")
    await prospect.press("Согласен")
    await prospect.press("Анна")  # the Telegram first name, offered as a one-tap answer
    await prospect.press("Отправить мой номер")
    await prospect.send("Anna@Example.com")
    await prospect.send("ООО Вектор")
    await prospect.press("Автоматизация продаж")
    await prospect.press("Как можно скорее")
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
    assert any("Менеджер свяжется с вами утром (9–12)." in sent.text for sent in answer)

    [person] = await rows(world, people)
    assert (person.telegram_id, person.phone, person.email) == (
        1001,
        "+79161234567",
        "anna@example.com",
    )
    assert person.company == "ООО Вектор" and person.consent_at is not None
    [deal] = await rows(world, deals)
    assert deal.temperature == "hot"  # crm 10 + now 55 + large 15 + e-mail 5 + company 5 = 90
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
    assert alert.text.endswith("👔 Менеджер не назначен")  # no managers yet: the admins' own
    assert "Сделка #1" in alert.text  # numbered as the cards and lists number it

    # The form is over: the FSM record is gone.
    await world.saved()
    async with world.engine.connect() as connection:
        assert (await connection.execute(sa.text("select count(*) from fsm_states"))).scalar() == 0


async def fsm_state(world: World, prospect: Prospect) -> str | None:
    await world.saved()
    async with world.engine.connect() as connection:
        result = await connection.execute(sa.text("select state from fsm_states"))
        row = result.first()
    return None if row is None or row[0] is None else str(row[0])


async def draft_of(world: World) -> dict[str, object]:
    await world.saved()
    async with world.engine.connect() as connection:
        result = await connection.execute(sa.text("select data from fsm_states"))
        row = result.first()
    assert row is not None
    import json

    data = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return dict(data["draft"])


async def start_form(prospect: Prospect) -> None:
    await prospect.send("/start")
    await prospect.press("Оставить заявку")
    await prospect.press("Согласен")


async def test_english_speaker_is_answered_in_english(world: World) -> None:
    prospect = world.prospect(language="en-GB", first_name="John")
    [greeting] = await prospect.send("/start")
    assert "Romashka LLC" in greeting.text and greeting.buttons() == [
        "📝 Send a request",
        "📄 Get a quote",
    ]
    await prospect.press("Send a request")
    assert "Do you agree?" in prospect.last().text
    [ask] = await prospect.press("I agree")
    assert "How should we address you?" in ask.text and "John" in ask.buttons()


async def test_summary_edit_changes_one_answer_and_returns(world: World) -> None:
    prospect = world.prospect()
    await fill_form(prospect)
    [ask] = await prospect.press("✏️ Телефон")
    assert "телефон" in ask.text.lower()
    answer = await prospect.send("+7 903 765-43-21")
    assert "Проверьте заявку" in answer[-1].text and "+7 903 765-43-21" in answer[-1].text
    await prospect.press("Всё верно")
    [person] = await rows(world, people)
    assert person.phone == "+79037654321"


async def test_back_goes_to_the_previous_question(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    going, consent = await prospect.press("Назад")  # from the name to the consent
    assert going.text == "⬅️ Возвращаемся" and "Вы согласны?" in consent.text  # not "Принято"
    await prospect.press("Согласен")
    await prospect.send("Анна")
    await prospect.send("+79161234567")
    [ask] = await prospect.press("Назад")  # reply-keyboard button at the e-mail step
    assert "телефон" in ask.text.lower() and await fsm_state(world, prospect) == "LeadForm:phone"
    await prospect.send("+79161234567")
    await prospect.press("Пропустить")
    await prospect.press("Пропустить")
    await prospect.press("Нужна консультация")
    [ask] = await prospect.press("Назад")  # inline button at the timeline step
    assert "Что вам нужно" in ask.text and await fsm_state(world, prospect) == "LeadForm:need"


async def test_cancel_works_at_every_kind_of_step(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    [answer] = await prospect.send("/cancel")
    assert "отменена" in answer.text and await fsm_state(world, prospect) is None

    await start_form(prospect)
    [answer] = await prospect.press("Отмена")  # reply keyboard at the name step
    assert "отменена" in answer.text and await fsm_state(world, prospect) is None

    await start_form(prospect)
    await prospect.send("Анна")
    await prospect.send("+79161234567")
    await prospect.press("Пропустить")
    await prospect.press("Пропустить")
    [answer] = await prospect.press("Отмена")  # inline at a choice step
    assert "отменена" in answer.text and await fsm_state(world, prospect) is None
    assert await rows(world, people) == []

    [answer] = await prospect.send("/cancel")
    assert "нечего" in answer.text


async def test_cancel_during_an_edit_keeps_the_request_and_the_summarys_asks_first(
    world: World,
) -> None:
    prospect = world.prospect()
    await fill_form(prospect)
    await prospect.press("✏️ Телефон")
    *_, summary = await prospect.press("Отмена")  # "never mind this change"
    assert "Проверьте заявку" in summary.text and "+7 916 123-45-67" in summary.text
    await prospect.press("✏️ Бюджет")
    [summary] = await prospect.press("Отмена")  # inline, at a choice being changed
    assert "Проверьте заявку" in summary.text
    [sure] = await prospect.press("Отмена")  # the summary's own: the whole request
    assert (
        "Отменить заявку?" in sure.text and await fsm_state(world, prospect) == "LeadForm:confirm"
    )
    [summary] = await prospect.press("Нет, вернуться к заявке")
    assert "Проверьте заявку" in summary.text and (await draft_of(world))["name"] == "Анна"
    [sure] = await prospect.send("отмена")  # typed: made sure of as well
    assert "Отменить заявку?" in sure.text
    [answer] = await prospect.press("Да, отменить")
    assert "отменена" in answer.text and await fsm_state(world, prospect) is None
    assert await rows(world, people) == []


async def test_e_mail_is_a_way_of_contact_only_with_an_address(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    await prospect.send("+79161234567")
    await prospect.press("Пропустить")  # no e-mail
    await prospect.press("Пропустить")
    for label in ("Нужна консультация", "Пока просто", "Пока не знаю"):
        await prospect.press(label)
    ask = prospect.last_with_buttons()
    assert "Как с вами лучше связаться?" in ask.text and "E-mail" not in ask.buttons()
    [again] = await prospect.send("e-mail")  # typed: the way is asked again, and why
    assert again.text.startswith("Ответить по e-mail не получится")
    assert "E-mail" not in again.buttons() and await fsm_state(world, prospect) == (
        "LeadForm:contact_method"
    )
    await prospect.press("Звонок")
    await prospect.press("В любое время")

    # an address given, e-mail chosen, then the address removed at the summary
    await prospect.press("✏️ E-mail")
    await prospect.send("anna@example.com")
    await prospect.press("✏️ Способ связи")
    await prospect.press("E-mail")
    await prospect.press("✏️ E-mail")
    *_, ask = await prospect.press("Пропустить")  # "got it" takes the reply keyboard away
    assert ask.text.startswith("Ответить по e-mail не получится") and "E-mail" not in ask.buttons()
    [summary] = await prospect.press("Telegram")
    assert "Проверьте заявку" in summary.text and "Способ связи: Telegram" in summary.text


async def test_a_client_s_phone_typed_from_another_account_takes_nothing_of_theirs(
    world: World,
) -> None:
    anna = await submit_lead(world, 1001)
    boris = world.prospect(user_id=2002, first_name="Борис")
    await start_form(boris)
    await boris.press("Борис")
    await boris.send("+7 916 000-10-01")  # Anna's phone
    await skip_to_summary(boris)
    [thanks] = await boris.press("Всё верно")
    # he is thanked for his request, not told that somebody's request is "added to"
    assert "Заявка принята" in thanks.text and "дополнили" not in thanks.text
    alert = world.session.to(ADMIN_ID)[-1]
    assert "Повторное обращение" in alert.text and "другого аккаунта Telegram" in alert.text
    assert "«Анна»" in alert.text and "Борис" in alert.text
    [welcome] = await anna.send("/start")
    assert "Анна" in welcome.text and "Борис" not in welcome.text


async def test_half_filled_form_resumes_after_a_restart(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна Петрова")

    restarted = await world.restart()  # a new process: fresh Dispatcher and Bot, same database
    again = restarted.prospect()
    [offer] = await again.send("/start")
    assert "незаконченная заявка" in offer.text
    [ask] = await again.press("Продолжить")
    assert "телефон" in ask.text.lower()
    await again.press("Отправить мой номер")
    await skip_to_summary(again)
    await again.press("Всё верно")
    [person] = await rows(restarted, people)
    assert person.name == "Анна Петрова"


async def test_start_over_keeps_consent_and_asks_from_the_name(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    await prospect.send("/start")
    [ask] = await prospect.press("Начать заново")
    assert "Как к вам обращаться" in ask.text
    assert "name" not in await draft_of(world) and "consent_at" in await draft_of(world)


async def test_returning_prospect_gets_no_second_deal_and_a_returning_alert(world: World) -> None:
    prospect = world.prospect()
    await fill_form(prospect)
    await prospect.press("Всё верно")
    await prospect.send("/start expo")
    known, need = await prospect.press("Оставить заявку")
    # Consent and contacts were given before: the form starts at what they need.
    assert "Контакты возьмём из прошлой заявки: Анна (ООО Вектор), +7 916 123-45-67" in known.text
    assert "Что вам нужно?" in need.text
    await choose_quickly(prospect)
    [summary] = [s for s in world.session.to(prospect.chat.id) if "Всё верно?" in s.text][-1:]
    assert "+7 916 123-45-67" in summary.text  # and changeable there, as any answer
    answer = await prospect.press("Всё верно")
    assert "дополнили вашу заявку" in answer[-1].text
    assert len(await rows(world, deals)) == 1
    assert [t.kind for t in await rows(world, touch_points)] == ["request", "visit", "request"]
    alerts = world.session.to(ADMIN_ID)
    assert "Новый лид" in alerts[0].text and "Повторное обращение" in alerts[1].text


async def test_a_prospect_just_looking_is_a_cold_lead_and_the_alert_says_why(
    world: World,
) -> None:
    prospect = world.prospect()
    await prospect.send("/start")
    await prospect.press("Оставить заявку")
    await prospect.press("Согласен")
    await prospect.press("Анна")
    await prospect.press("Отправить мой номер")
    await prospect.send("anna@example.com")
    await prospect.send("ООО Вектор")
    await prospect.press("Автоматизация продаж")
    await prospect.press("Пока просто интересуюсь")
    await prospect.press("Больше 300")  # a large budget does not make "just looking" warm
    await prospect.press("Звонок")
    await prospect.press("Утром")
    await prospect.press("Всё верно")
    [deal] = await rows(world, deals)
    assert deal.temperature == "cold"
    [alert] = world.session.to(ADMIN_ID)
    assert "Холодный · −10 баллов" in alert.text and "сроки −45" in alert.text


async def test_consent_refused_stores_nothing(world: World) -> None:
    prospect = world.prospect()
    await prospect.send("/start vk_ads")
    await prospect.press("Оставить заявку")
    [answer] = await prospect.press("Не согласен")
    assert "ничего о вас не сохраняем" in answer.text and "+7 495 123-45-67" in answer.text
    assert await rows(world, people) == [] and await rows(world, touch_points) == []
    assert world.session.to(ADMIN_ID) == []
    await world.saved()
    async with world.engine.connect() as connection:  # not even how they came
        assert (await connection.execute(sa.text("select count(*) from fsm_states"))).scalar() == 0


async def test_a_client_who_consented_before_is_not_told_nothing_is_kept(world: World) -> None:
    prospect = world.prospect()
    await fill_form(prospect)
    await prospect.press("Всё верно")
    await prospect.send("/start")
    await prospect.press("Оставить заявку")
    for _ in range(5):  # from what they need back through their contacts to the consent
        await prospect.press("Назад")
    [answer] = await prospect.press("Не согласен")
    assert "ничего о вас не сохраняем" not in answer.text
    assert "прежних обращений у нас остаются" in answer.text and "+7 495 123-45-67" in answer.text
    assert len(await rows(world, people)) == 1


async def test_stickers_and_photos_in_text_steps_get_a_hint(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    [hint] = await prospect.send_sticker()
    assert "ответьте текстом" in hint.text and await fsm_state(world, prospect) == "LeadForm:name"
    await prospect.send("Анна")
    [hint] = await prospect.send_photo()
    assert "ответьте текстом" in hint.text and await fsm_state(world, prospect) == "LeadForm:phone"


@pytest.mark.parametrize("command", ["/help", "/menu", "/deals"])
async def test_a_command_in_a_text_step_is_not_an_answer(world: World, command: str) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    [hint] = await prospect.send(command)
    assert "Это команда" in hint.text and "/cancel" in hint.text
    assert await fsm_state(world, prospect) == "LeadForm:name" and "name" not in await draft_of(
        world
    )


async def test_a_5000_character_name_is_reasked(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    [answer] = await prospect.send("Я" * 5000)
    assert "не больше 100 символов" in answer.text
    assert await fsm_state(world, prospect) == "LeadForm:name" and "name" not in await draft_of(
        world
    )


async def test_a_number_is_not_a_name(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    [answer] = await prospect.send("12345")
    assert "не похоже на имя" in answer.text


@pytest.mark.parametrize("first_name", ["🌸", "007", "\u3164"])  # the last: a "blank" name
async def test_a_telegram_name_that_is_no_name_is_not_offered_as_one(
    world: World, first_name: str
) -> None:
    prospect = world.prospect(first_name=first_name)
    await prospect.send("/start")
    await prospect.press("Оставить заявку")
    [ask] = await prospect.press("Согласен")
    assert ask.text == "Как к вам обращаться? Напишите имя."
    assert first_name not in ask.buttons()


async def test_invalid_phone_is_reasked_and_not_stored(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    [answer] = await prospect.send("12-34")
    assert "Не получается распознать номер" in answer.text
    assert (
        "phone" not in await draft_of(world)
        and await fsm_state(world, prospect) == "LeadForm:phone"
    )


async def test_an_office_number_with_an_extension_is_asked_for_a_direct_one(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    [answer] = await prospect.send("+7 495 123-45-67 доб. 12")
    # not the country-code hint: the number was readable, its extension cannot be kept
    assert "с добавочным сохранить не получится" in answer.text
    assert "Отправить мой номер" in answer.text and "кодом страны" not in answer.text
    assert (
        "phone" not in await draft_of(world)
        and await fsm_state(world, prospect) == "LeadForm:phone"
    )
    await prospect.send("+7 916 123-45-67")
    assert (await draft_of(world))["phone"] == "+79161234567"


async def test_emoji_alone_are_no_company_and_no_need(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    await prospect.send("+79161234567")
    await prospect.press("Пропустить")
    [answer] = await prospect.send("🙂🎉👍")
    assert answer.text.startswith("Напишите, пожалуйста, словами")
    await prospect.press("Пропустить")
    [answer] = await prospect.send("🙏🙏")  # at "what do you need", in words
    assert answer.text.startswith("Напишите, пожалуйста, словами")
    draft = await draft_of(world)
    assert "company" not in draft and not draft.get("need_text")
    assert await fsm_state(world, prospect) == "LeadForm:need"


async def test_someone_elses_contact_is_refused(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    [answer] = await prospect.share_contact("+79037654321", owner_id=999)
    assert "чужой контакт" in answer.text and "phone" not in await draft_of(world)


async def test_an_own_contact_sent_without_a_plus_is_taken(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    answers = await prospect.share_contact(
        "375294911911"
    )  # a Belarusian number, as some apps send it
    assert "e-mail" in answers[-1].text.lower()
    assert (await draft_of(world))["phone"] == "+375294911911"


async def test_invalid_email_is_reasked(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    await prospect.send("+79161234567")
    [answer] = await prospect.send("anna@")
    assert "Похоже, в адресе ошибка" in answer.text and "email" not in await draft_of(world)


async def test_typing_in_a_choice_step_asks_for_a_button(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    await prospect.send("+79161234567")
    await prospect.press("Пропустить")
    await prospect.press("Пропустить")
    await prospect.press("Нужна консультация")
    [answer] = await prospect.send("завтра")
    assert "выберите вариант кнопкой" in answer.text
    assert await fsm_state(world, prospect) == "LeadForm:timeline"
    # the buttons' words typed without their emoji do what the buttons do
    [ask] = await prospect.send("назад")
    assert "Что вам нужно" in ask.text and await fsm_state(world, prospect) == "LeadForm:need"
    [answer] = await prospect.send("Отмена!")
    assert "отменена" in answer.text and await fsm_state(world, prospect) is None


async def test_a_question_or_a_greeting_is_not_taken_for_a_name_or_a_company(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    for typed in ("Здравствуйте, сколько стоит внедрение?", "Добрый день!", "http://spam.example"):
        [answer] = await prospect.send(typed)
        assert "не похоже на имя" in answer.text and "«Что вам нужно?»" in answer.text
    assert await fsm_state(world, prospect) == "LeadForm:name" and "name" not in await draft_of(
        world
    )
    await prospect.send("Анна Сергеевна Петрова")
    await prospect.send("+79161234567")
    await prospect.press("Пропустить")
    [answer] = await prospect.send("а сколько стоит?")
    assert "не похоже на название компании" in answer.text
    assert "company" not in await draft_of(world)
    await prospect.send("Стоп")  # a company's name, not a button's word
    assert (await draft_of(world))["company"] == "Стоп"


async def test_skip_typed_without_its_arrow_skips(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    await prospect.send("+79161234567")
    [ask] = await prospect.send("пропустить")
    assert "компании" in ask.text and (await draft_of(world)).get("email") is None


async def test_a_name_given_as_an_introduction_and_a_no_in_words(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Меня зовут Анна")
    assert (await draft_of(world))["name"] == "Анна"
    await prospect.send("+79161234567")
    [ask] = await prospect.send("нет")  # no e-mail: as "skip", not "an error in the address"
    assert "компании" in ask.text
    *_, ask = await prospect.send("-")  # no company
    assert "Что вам нужно" in ask.text
    draft = await draft_of(world)
    assert draft.get("email") is None and draft.get("company") is None


async def test_an_anonymous_telegram_number_is_asked_for_one_to_call(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    [answer] = await prospect.share_contact("88804123456")  # a +888 account's own number
    # not "tap Share my number", which is what brought this number
    assert "анонимный номер Telegram" in answer.text and "Отправить мой номер" not in answer.text
    assert await fsm_state(world, prospect) == "LeadForm:phone"
    assert "phone" not in await draft_of(world)


async def test_back_from_an_edit_says_it_goes_back(world: World) -> None:
    prospect = world.prospect()
    await fill_form(prospect)
    await prospect.press("✏️ Компания")
    going, summary = await prospect.press("Назад")
    assert going.text == "⬅️ Возвращаемся" and "Проверьте заявку" in summary.text


async def test_need_can_be_typed_in_own_words(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    await prospect.send("+79161234567")
    await prospect.press("Пропустить")
    await prospect.press("Пропустить")
    question = prospect.last_with_buttons()
    [ask] = await prospect.send("Нужен учёт заявок с сайта")
    assert "Когда планируете начать" in ask.text
    assert (await draft_of(world))["need_text"] == "Нужен учёт заявок с сайта"
    # the question's buttons go, as they do when one is pressed; and so do any choice's typed
    timeline = ask
    [ask] = await prospect.send("как можно скорее")
    assert "бюджет" in ask.text.lower() and (await draft_of(world))["timeline"] == "now"
    for asked in (question, timeline):
        assert any(
            isinstance(call, EditMessageReplyMarkup)
            and call.message_id == asked.message_id
            and call.reply_markup is None
            for call in world.session.calls
        )


async def test_forged_and_stale_callbacks_are_refused_and_change_nothing(world: World) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.send("Анна")
    await prospect.send("+79161234567")
    await prospect.press("Пропустить")
    await prospect.press("Пропустить")
    before = await draft_of(world)
    await prospect.callback("pick:need:no_such_choice")  # forged value
    await prospect.callback("pick:budget:large")  # a real choice, but of another step
    await prospect.callback("form:confirm")  # confirm before the summary
    await prospect.callback("edit:phone")  # edit outside the summary
    await prospect.callback("garbage-data")  # not ours at all
    assert prospect.answer_callback_texts()[-5:] == ["Эта кнопка уже не действует."] * 5
    assert await draft_of(world) == before and await fsm_state(world, prospect) == "LeadForm:need"
    assert await rows(world, deals) == []


async def test_html_in_answers_is_shown_literally(world: World) -> None:
    prospect = world.prospect(first_name="<b>Bold</b>")
    await start_form(prospect)
    await prospect.send("<b>x</b> & {{ 7*7 }}")
    await prospect.send("+79161234567")
    await prospect.press("Пропустить")
    await prospect.send("<i>Evil</i> Corp")
    await choose_quickly(prospect)
    summary = prospect.last().text
    assert (
        "&lt;b&gt;x&lt;/b&gt; &amp; {{ 7*7 }}" in summary and "&lt;i&gt;Evil&lt;/i&gt;" in summary
    )
    await prospect.press("Всё верно")
    [alert] = world.session.to(ADMIN_ID)
    assert "&lt;b&gt;x&lt;/b&gt;" in alert.text and "<b>x</b>" not in alert.text


async def test_messages_in_groups_do_not_start_the_flow(world: World) -> None:
    from aiogram.types import Chat

    prospect = world.prospect()
    group = Chat(id=-100123, type="supergroup", title="Chat")
    await prospect.send("/start", chat=group)
    await prospect.send("hello", chat=group)
    assert world.session.sent == []


async def test_an_unreachable_admin_does_not_break_the_prospects_request(world: World) -> None:
    world.session.fail_for.add(ADMIN_ID)
    prospect = world.prospect()
    await fill_form(prospect)
    answer = await prospect.press("Всё верно")
    assert any("Заявка принята" in sent.text for sent in answer)
    assert len(await rows(world, deals)) == 1


async def test_message_outside_the_form_shows_the_menu(world: World) -> None:
    prospect = world.prospect()
    [answer] = await prospect.send("Здравствуйте, можно вопрос?")
    assert answer.buttons() == ["📝 Оставить заявку", "📄 Получить КП"]
    assert "Чтобы менеджер ответил, оставьте заявку" in answer.text  # not a bare menu
    [answer] = await prospect.send("Здравствуйте, сколько стоит CRM на 3 человек?")
    assert "Цену можно узнать сразу: нажмите «📄 Получить КП»" in answer.text
    assert answer.buttons() == ["📝 Оставить заявку", "📄 Получить КП"]
    [help_text] = await prospect.send("/help")
    assert "Здесь можно оставить заявку" in help_text.text and "/cancel" in help_text.text
    english = world.prospect(user_id=1002, language="en")
    [answer] = await english.send("hello, a question")
    assert "To get a reply from a manager, please send a short request" in answer.text
    [answer] = await english.send("how much is it?")
    assert "You can see the price right away: press “📄 Get a quote”" in answer.text


async def test_going_back_over_an_answer_offers_it_to_keep(world: World) -> None:
    anna = await submit_lead(world, 1001)
    await anna.send("/start")
    await anna.press("Оставить заявку")  # contacts from last time, then the need
    [ask] = await anna.press("Назад")
    assert "Или оставьте прежнюю — «ООО Вектор»" in ask.text and "ООО Вектор" in ask.buttons()
    *_, need = await anna.press("ООО Вектор")
    assert "Что вам нужно?" in need.text and (await draft_of(world))["company"] == "ООО Вектор"


async def test_a_name_stored_before_names_were_checked_is_asked_again(world: World) -> None:
    anna = await submit_lead(world, 1001)
    async with world.engine.begin() as connection:
        await connection.execute(people.update().values(name="Здравствуйте"))
    [greeting] = await anna.send("/start")
    assert greeting.text.startswith("С возвращением! ")
    known, ask = await anna.press("Оставить заявку")
    assert "Здравствуйте" not in known.text and "+7 916 000-10-01" in known.text
    assert "Как к вам обращаться" in ask.text


async def test_a_client_coming_back_is_welcomed_back_and_told_where_their_request_is(
    world: World,
) -> None:
    anna = await submit_lead(world, 1001)
    [greeting] = await anna.send("/start")
    assert "С возвращением, Анна!" in greeting.text
    assert "Ваша заявка в работе" in greeting.text and "просто напишите сюда" in greeting.text
    assert "Оставьте заявку — менеджер свяжется" not in greeting.text  # not the first greeting
    async with world.engine.begin() as connection:
        await connection.execute(deals.update().values(status="won"))
    [greeting] = await anna.send("/start")  # a client of a closed deal may still just write
    assert "Оставьте новую заявку" in greeting.text
    assert "вопрос можно просто написать сюда" in greeting.text
    await anna.send("Вопрос по закрывающим документам")
    assert "Вопрос по закрывающим документам" in world.session.to(ADMIN_ID)[-1].text


async def test_a_company_removed_at_the_summary_is_removed_from_the_clients_record(
    world: World,
) -> None:
    anna = await submit_lead(world, 1001)  # with "ООО Вектор"
    await anna.send("/start")
    [*_, shown] = await anna.press("Оставить заявку")
    assert "ООО Вектор" in " ".join(s.text for s in world.session.to(1001)[-2:])
    assert "Что вам нужно" in shown.text
    await choose_quickly(anna)
    await anna.press("✏️ Компания")
    *_, summary = await anna.press("Пропустить")
    assert "Компания: —" in summary.text
    await anna.press("Всё верно")
    [person] = await rows(world, people)
    assert person.company is None  # as the summary showed it, not back next time


async def test_sales_reps_link_assigns_the_deal_and_alerts_the_rep(world: World) -> None:
    from bot.config import SalesRep
    from tests.handlers.conftest import make_world

    sources = world.config.sources.model_copy(
        update={"reps": (SalesRep(code="ivanov", telegram_id=7007, name="Иван"),)}
    )
    config = world.config.model_copy(update={"sources": sources})
    world = make_world(world.engine, config, world.clock, world.session)
    prospect = world.prospect()
    await fill_form(prospect, payload="rep_ivanov")
    await prospect.press("Всё верно")
    [deal] = await rows(world, deals)
    assert (deal.channel, deal.initiative, deal.manager_telegram_id) == ("spears", "outbound", 7007)
    [rep_alert] = world.session.to(7007)
    assert "Новый лид" in rep_alert.text and "личный контакт" in rep_alert.text
    [admin_alert] = world.session.to(ADMIN_ID)
    assert admin_alert.text.endswith("👔 Менеджер: Иван")  # a rep from the file: by their name


async def test_an_edited_answer_is_said_not_to_count(world: World) -> None:
    prospect = world.prospect()
    await prospect.send("Привет")
    [told] = await prospect.edit("Здравствуйте")
    assert "Правки в уже отправленных сообщениях я не вижу" in told.text
    assert "шаге проверки" not in told.text  # no request being filled in: no such step
    await start_form(prospect)
    await prospect.send("Анна")
    [told] = await prospect.edit("Анна Петровна")
    assert "данные заявки можно поправить на шаге проверки" in told.text
    english = world.prospect(user_id=1002, language="en")
    await english.send("hi")
    [told] = await english.edit("hello")
    assert "I do not see edits" in told.text
    assert await english.edit("hello!", after=2 * 3600) == []  # long after: nothing waits
    moving = Location(latitude=55.75, longitude=37.61, live_period=900)
    assert await english.edit(location=moving) == []  # a live location: edits every few seconds
    oleg = await world.add_manager(7001, "Олег")
    await oleg.send("/deals")
    [told] = await oleg.edit("/deals please")
    assert "клиент видит первый вариант" in told.text


async def agree_and_send(prospect: Prospect) -> None:
    """From the consent to a sent request, with the Telegram name and the shared contact."""
    await prospect.press("Согласен")
    await prospect.press("Анна")
    await prospect.press("Отправить мой номер")
    await skip_to_summary(prospect)
    await prospect.press("Всё верно")


async def deal_source(world: World) -> tuple[str, str, str, int | None, int | None]:
    [deal] = await rows(world, deals)
    return (
        deal.channel,
        deal.campaign,
        deal.source_payload,
        deal.referrer_id,
        deal.manager_telegram_id,
    )


async def test_a_bare_start_after_a_campaigns_link_keeps_the_lead_the_campaigns(
    world: World,
) -> None:
    prospect = world.prospect()
    await prospect.send("/start expo")
    world.clock.advance(hours=3)
    await fill_form(prospect)  # a bare /start, as the bot's messages ask
    await prospect.press("Всё верно")
    assert (await deal_source(world))[:3] == ("spears", "Выставка", "expo")
    touches = sorted((row.kind, row.payload) for row in await rows(world, touch_points))
    assert touches == [("request", "expo"), ("visit", "")]  # the bare /start: a visit
    [alert] = world.session.to(ADMIN_ID)
    assert "Выставка" in alert.text


async def test_a_referral_survives_a_bare_start_and_a_cancelled_form(world: World) -> None:
    await submit_lead(world, 2001)  # the referrer, a client already
    prospect = world.prospect(user_id=1002, first_name="Гена")
    await prospect.send("/start ref_2001")
    await prospect.press("Оставить заявку")
    await prospect.press("Согласен")
    await prospect.send("/cancel")  # consented, then cancelled: the link stays, not the answers
    await prospect.send("/start")
    await prospect.press("Оставить заявку")
    await prospect.press("Согласен")
    await prospect.press("Гена")
    await prospect.send("+7 916 000-10-02")
    await skip_to_summary(prospect)
    await prospect.press("Всё верно")
    async with world.engine.connect() as connection:
        deal = (await connection.execute(sa.select(deals).where(deals.c.id == 2))).one()
        referrer_person = (
            await connection.execute(sa.select(people.c.id).where(people.c.telegram_id == 2001))
        ).scalar_one()
    assert (deal.channel, deal.source_payload) == ("seeds", "ref_2001")
    assert deal.referrer_id == referrer_person


async def test_a_link_followed_before_a_refused_consent_still_brings_the_lead(
    world: World,
) -> None:
    ira = await world.add_manager(7002, "Ира")
    await world.add_manager(7001, "Олег")
    prospect = world.prospect()
    await prospect.send("/start rep_7002")  # Ира's own link
    await prospect.press("Оставить заявку")
    [refused] = await prospect.press("Не согласен")
    assert "ничего о вас не сохраняем" in refused.text
    assert await fsm_state(world, prospect) is None  # nothing of theirs is kept on our side
    async with world.engine.connect() as connection:
        assert (await connection.execute(sa.text("select count(*) from fsm_states"))).scalar() == 0
    await prospect.press("Оставить заявку")  # under the refusal: the button carries the link
    await agree_and_send(prospect)
    channel, _, payload, _, manager = await deal_source(world)
    assert (channel, payload, manager) == ("spears", "rep_7002", 7002)  # Ира's, not round robin
    assert any("Новый лид" in sent.text for sent in world.session.to(ira.chat.id))


async def test_a_forged_menu_source_is_refused_and_old_menus_still_work(world: World) -> None:
    prospect = world.prospect()
    await prospect.send("/start")
    await prospect.callback("menus:request:bad source!")
    assert prospect.answer_callback_texts()[-1] == "Эта кнопка уже не действует."
    # a menu sent by an earlier version, still in people's chats
    [asked] = await prospect.callback("menu:request")
    assert "✅ Согласен(на)" in asked.buttons()


async def test_a_clients_words_typed_into_a_new_request_reach_their_manager(
    world: World,
) -> None:
    await world.add_manager(7001, "Олег")
    vera = await submit_lead(world, 1001, name="Вера")
    await vera.send("/start")
    await vera.press("Оставить заявку")  # a second request: her contacts are known
    await vera.press("Автоматизация продаж")
    await vera.send("Да")  # at the timeline's buttons "да" answers nothing: it is for Олег
    assert "Да" in world.session.to(7001)[-1].text
    sent = await vera.send("срочно! позвоните мне сегодня")  # at the timeline's buttons
    assert sent[-1].text.startswith("Передал ваше сообщение менеджеру")
    relayed = world.session.to(7001)[-1]
    assert "срочно! позвоните мне сегодня" in relayed.text and "сделка #1" in relayed.text
    assert await fsm_state(world, vera) == "LeadForm:timeline"  # the form waits for its button
    relayed_before = len(world.session.to(7001))
    await vera.send("как можно скорее")  # a choice's words typed: that choice, not a message
    assert await fsm_state(world, vera) == "LeadForm:budget"
    for label in ("Больше 300", "Звонок"):
        await vera.press(label)
    await vera.send("утром")  # "Утром (9–12)" without its hours
    assert await fsm_state(world, vera) == "LeadForm:confirm"
    [answer] = await vera.send("Всё верно")  # the summary's button in words: not for Олег
    assert answer.text == "Пожалуйста, выберите вариант кнопкой под вопросом."
    assert len(world.session.to(7001)) == relayed_before
    [cancelled] = await vera.send("/cancel")  # not "nothing is kept": her deal is at work
    assert cancelled.text.startswith("Новая заявка отменена. Прежняя — в работе")
    # a stranger's words at a button step are only asked to use the buttons
    stranger = world.prospect(user_id=1002)
    await start_form(stranger)
    await stranger.press("Анна")
    await stranger.send("+7 916 000-10-02")
    await stranger.press("Пропустить")
    await stranger.press("Пропустить")
    await stranger.press("Автоматизация продаж")
    relayed_before = len(world.session.to(7001))
    [answer] = await stranger.send("не знаю")
    assert answer.text == "Пожалуйста, выберите вариант кнопкой под вопросом."
    assert len(world.session.to(7001)) == relayed_before


async def test_an_email_with_a_likely_typo_is_offered_corrected_and_can_be_kept(
    world: World,
) -> None:
    prospect = world.prospect()
    await start_form(prospect)
    await prospect.press("Анна")
    await prospect.press("Отправить мой номер")
    [check] = await prospect.send("Marina@gmial.com")
    assert "может быть, <b>marina@gmail.com</b>?" in check.text
    assert check.buttons()[:3] == ["marina@gmail.com", "marina@gmial.com", "Пропустить ➡️"]
    assert await fsm_state(world, prospect) == "LeadForm:email"  # not stored yet
    [ask] = await prospect.press("marina@gmail.com")
    assert "компани" in ask.text.lower()
    assert (await draft_of(world))["email"] == "marina@gmail.com"
    # an address that only looks like a typo stands when given again
    other = world.prospect(user_id=1002)
    await start_form(other)
    await other.press("Анна")
    await other.send("+7 916 000-10-02")
    await other.send("boss@lists.ru")
    await other.press("boss@lists.ru")
    assert await fsm_state(world, other) == "LeadForm:company"


async def test_a_refused_consents_link_brings_no_lead_months_later(world: World) -> None:
    prospect = world.prospect()
    await prospect.send("/start expo")
    await prospect.press("Оставить заявку")
    [refused] = await prospect.press("Не согласен")
    world.clock.advance(days=200)  # the old menu, pressed next summer
    await prospect.callback(button_data(refused, "Оставить заявку"), refused.message_id)
    await agree_and_send(prospect)
    channel, _, payload, _, _ = await deal_source(world)
    assert (channel, payload) == ("nets", "")  # a direct request: the exhibition is long past
