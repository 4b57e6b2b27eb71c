"""A manager corrects the client's name, phone, e-mail and company from the deal card."""

from __future__ import annotations

import sqlalchemy as sa

from bot.callbacks import DealAction, DealCb
from storage.schema import deals, events, people
from tests.handlers.conftest import World
from tests.handlers.test_deal_card import english_manager_with_deal, manager_with_deal
from tests.handlers.test_staff import submit_lead


async def client_of(world: World, telegram_id: int = 1001) -> sa.Row[object]:
    async with world.engine.connect() as connection:
        query = sa.select(people).where(people.c.telegram_id == telegram_id)
        return (await connection.execute(query)).one()


async def test_a_manager_corrects_the_clients_details_from_the_card(world: World) -> None:
    oleg = await manager_with_deal(world)
    [details] = await oleg.press("Клиент")
    assert "Имя: Анна" in details.text and "+7 916 000-10-01" in details.text
    assert "Компания: ООО Вектор" in details.text and "E-mail: —" in details.text

    await oleg.press("Имя")
    [card] = await oleg.send("Анна Сергеевна Петрова")  # what was done, over the card
    assert card.text.startswith("✔ Имя: Анна Сергеевна Петрова\n\n🔥 <b>Сделка #1</b>")
    assert "👤 Анна Сергеевна Петрова" in card.text

    await oleg.press("Клиент")
    await oleg.press("Телефон")
    [wrong] = await oleg.send("позвонить вечером")
    assert "Не получается распознать номер" in wrong.text
    assert "Отправить мой номер" not in wrong.text  # the client's hint, not the manager's
    [card] = await oleg.send("8 (903) 555-12-34")
    assert card.text.startswith("✔ Телефон: +7 903 555-12-34\n")
    assert "· +7 903 555-12-34" in card.text

    await oleg.press("Клиент")
    await oleg.press("E-mail")
    [wrong] = await oleg.send("anna at vector")
    assert "name@example.com" in wrong.text and "Пропустить" not in wrong.text
    await oleg.send("Anna@Vector.ru")
    await oleg.press("Клиент")
    await oleg.press("Компания")
    await oleg.send("АО Вектор Плюс")

    client = await client_of(world)
    assert (client.name, client.phone, client.email, client.company) == (
        "Анна Сергеевна Петрова",
        "+79035551234",
        "anna@vector.ru",
        "АО Вектор Плюс",
    )
    # what was there before is in the history, with who changed it
    await oleg.press("История")
    history = oleg.last().text
    assert "✏️ Телефон: +7 916 000-10-01 → +7 903 555-12-34" in history
    assert "✏️ Компания: ООО Вектор → АО Вектор Плюс" in history
    # search finds the client by the new number
    await oleg.send("/search")
    [found] = await oleg.send("903 555-12-34")
    assert "Анна Сергеевна Петрова" in str(found.buttons())


async def test_an_email_or_company_can_be_erased_and_the_same_value_changes_nothing(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Клиент")
    [ask] = await oleg.press("E-mail")
    assert "Стереть" not in str(ask.buttons())  # nothing to erase yet
    await oleg.send("anna@vector.ru")
    await oleg.press("Клиент")
    await oleg.press("E-mail")
    [done] = await oleg.press("Стереть")
    assert done.text.startswith("✔ E-mail: —\n")
    assert (await client_of(world)).email is None

    await oleg.press("Клиент")
    [ask] = await oleg.press("Имя")
    assert "Стереть" not in str(ask.buttons())  # a client has a name
    [same] = await oleg.send("Анна")
    assert same.text.startswith("Так и записано — ничего не изменилось.\n")
    # nor can a forged button erase it
    await oleg.callback(DealCb(action=DealAction.CLIENT, deal=1, arg="clear.name").pack())
    assert "Эта кнопка уже не действует" in oleg.last().text
    await oleg.callback(DealCb(action=DealAction.CLIENT, deal=1, arg="telegram_id").pack())
    assert "Эта кнопка уже не действует" in oleg.last().text
    assert (await client_of(world)).name == "Анна"


async def test_another_clients_phone_or_email_stays_theirs(world: World) -> None:
    oleg = await manager_with_deal(world)
    await submit_lead(world, 1002, name="Борис")  # deal 2, Олег's too
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("Клиент")
    await oleg.press("Телефон")
    [held] = await oleg.send("+7 916 000-10-02")
    assert "уже записан у другого клиента (сделка #2)" in held.text
    assert (await client_of(world)).phone == "+79160001001"
    assert (await client_of(world, 1002)).phone == "+79160001002"
    # still asked: another number is taken
    [done] = await oleg.send("+7 916 000-10-99")
    assert done.text.startswith("✔ Телефон: +7 916 000-10-99\n")


async def test_a_contact_shared_from_the_phone_book_sets_the_phone(world: World) -> None:
    oleg = await manager_with_deal(world)
    await oleg.press("Клиент")
    await oleg.press("Телефон")
    [hint] = await oleg.send_sticker()
    assert "ответьте текстом" in hint.text
    [done] = await oleg.share_contact("89035551234", first_name="Анна")
    assert done.text.startswith("✔ Телефон: +7 903 555-12-34\n")
    await oleg.press("Клиент")
    await oleg.press("Компания")
    [refused] = await oleg.share_contact("89035550000", first_name="Анна")
    assert "ответьте текстом" in refused.text
    assert (await client_of(world)).phone == "+79035551234"


async def test_another_managers_client_cannot_be_edited(world: World) -> None:
    await manager_with_deal(world)
    ira = await world.add_manager(7002, "Ира")
    for arg in ("", "name", "clear.email"):
        sent = await ira.callback(DealCb(action=DealAction.CLIENT, deal=1, arg=arg).pack())
        assert sent == []
        assert ira.answer_callback_texts()[-1] == "Эта сделка вам недоступна."
    # nor by typing, once the deal has been given to somebody else mid-way
    oleg = world.prospect(user_id=7001)
    await oleg.callback(DealCb(action=DealAction.CLIENT, deal=1, arg="name").pack())
    admin = world.admin()
    await admin.send("/deals")
    await admin.press("#1")
    await admin.press("Передать")
    await admin.press("Ира")
    [refused] = await oleg.send("Кто-то другой")
    assert refused.text == "Эта сделка вам недоступна."
    assert (await client_of(world)).name == "Анна"


async def test_an_english_speaking_manager_edits_in_english(world: World) -> None:
    oleg = await english_manager_with_deal(world)
    [details] = await oleg.press("Client")
    assert "Client details · deal #1" in details.text and "Company: ООО Вектор" in details.text
    await oleg.press("Company")
    [wrong] = await oleg.send("how much is it?")
    assert wrong.text.startswith("That does not look like a company name")
    [done] = await oleg.send("Vector Ltd")
    assert done.text.startswith("✔ Company: Vector Ltd\n")


async def test_a_client_with_another_managers_deal_is_corrected_by_an_admin(world: World) -> None:
    """The client is one on all their deals: Ира, with an old lost deal of Анна's, may not
    rewrite the phone Олег calls on the open one, and is told so before typing anything; Олег
    may (a closed deal is nobody's to guard); so may an admin, and every history says so."""
    await manager_with_deal(world)  # deal 1, Олег's
    await world.add_manager(7002, "Ира")
    async with world.engine.begin() as connection:
        query = sa.select(deals).where(deals.c.id == 1)
        row = dict((await connection.execute(query)).one()._mapping)
        await connection.execute(deals.insert().values({**row, "id": 2}))  # the repeat sale
        await connection.execute(
            deals.update().where(deals.c.id == 1).values(status="lost", manager_telegram_id=7002)
        )
    ira = world.prospect(user_id=7002)
    [refused] = await ira.callback(DealCb(action=DealAction.CLIENT, deal=1, arg="").pack())
    assert "исправить их может администратор" in refused.text
    [refused] = await ira.callback(DealCb(action=DealAction.CLIENT, deal=1, arg="phone").pack())
    assert "исправить их может администратор" in refused.text
    oleg = world.prospect(user_id=7001)
    await oleg.callback(DealCb(action=DealAction.CLIENT, deal=2, arg="phone").pack())
    [done] = await oleg.send("+7 903 111-22-33")
    assert done.text.startswith("✔ Телефон: +7 903 111-22-33")
    admin = world.admin()
    await admin.callback(DealCb(action=DealAction.CLIENT, deal=1, arg="email").pack())
    await admin.send("anna@vector.ru")
    client = await client_of(world)
    assert (client.phone, client.email) == ("+79031112233", "anna@vector.ru")
    async with world.engine.connect() as connection:
        query = sa.select(events.c.deal_id).where(events.c.kind == "field_changed")
        changed = sorted((await connection.execute(query)).scalars().all())
    assert changed == [1, 1, 2, 2]


async def test_a_number_held_by_another_managers_client_does_not_name_their_deal(
    world: World,
) -> None:
    oleg = await manager_with_deal(world)
    await world.add_manager(7002, "Ира")
    await submit_lead(world, 1002, name="Борис")  # deal 2, Ира's (round robin)
    await oleg.callback(DealCb(action=DealAction.CLIENT, deal=1, arg="phone").pack())
    [held] = await oleg.send("+7 916 000-10-02")
    assert "уже записан у другого клиента." in held.text and "#2" not in held.text
