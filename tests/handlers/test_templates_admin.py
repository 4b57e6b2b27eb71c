"""An admin replaces a document template from the chat: checked by rendering it with sample data
first; a broken or unsafe one is refused and the old one stays in use."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from aiogram.types import BufferedInputFile
from PIL import Image
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import BusinessConfig
from bot.rendering import TEMPLATES
from tests.fakes import FakeClock, Prospect, RecordingSession
from tests.handlers.conftest import ADMIN_ID, World, make_world
from tests.handlers.test_deal_card import manager_with_deal
from tests.handlers.test_staff import button_data


@pytest.fixture
def world(quiet_world: World) -> World:
    return quiet_world


async def offer_text(oleg: Prospect) -> str:
    await oleg.send("/deals")
    await oleg.press("#1")
    await oleg.press("КП / счёт")
    await oleg.press("Добавить из каталога")
    await oleg.press("Внедрение CRM")
    [pdf] = await oleg.press("Коммерческое предложение")
    assert isinstance(pdf.file, BufferedInputFile)
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.file.data)).pages)


async def test_a_replacement_is_checked_before_it_is_used(world: World) -> None:
    oleg = await manager_with_deal(world)
    admin = world.admin()
    [listing] = await admin.send("/templates")
    for name in ("offer.html", "invoice.html", "offer.docx", "base.css"):
        assert name in listing.text

    [refused] = await admin.send_document(
        b"<p>{% for line in lines %}{{ line.name }</p>", "offer.html"
    )
    assert "не принят" in refused.text and "offer.html" in refused.text
    assert "/" not in refused.text.split("не принят")[1]  # no path of the server's in it
    [refused] = await admin.send_document(
        b"{{ ''.__class__.__mro__[1].__subclasses__() }}", "offer.html"
    )
    assert "не принят" in refused.text  # the sandbox refuses what templates may not reach
    assert "Коммерческое предложение № KP-2026-0001" in await offer_text(oleg)  # the old one

    shipped = (TEMPLATES / "offer.html").read_text(encoding="utf-8")
    special = shipped.replace("<h1>", "<p>ОСОБОЕ ПРЕДЛОЖЕНИЕ</p><h1>").encode()
    [replaced] = await admin.send_document(special, "offer.html")
    assert "заменён и проверен: Коммерческое предложение" in replaced.text
    assert "ОСОБОЕ ПРЕДЛОЖЕНИЕ" in await offer_text(oleg)
    assert "ОСОБОЕ" not in (TEMPLATES / "offer.html").read_text(encoding="utf-8")  # shipped kept


def word_file(text: str, header: str = "") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    document.sections[0].header.paragraphs[0].text = header
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "why"),
    [
        (b"", "invoice.html", "файл пустой"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "base.css", "не текст"),
        (b"<html><body><p>Hello</p></body></html>", "offer.html", "нет номера документа"),
        (word_file("Просто письмо без полей"), "offer.docx", "нет номера документа"),
        # what fails in English only is found before an English-speaking client gets it
        (
            (TEMPLATES / "offer.html")
            .read_text(encoding="utf-8")
            .replace("<h1>", "{% if locale == 'en' %}{{ nope.x }}{% endif %}<h1>")
            .encode(),
            "offer.html",
            "не принят",
        ),
    ],
)
async def test_a_template_that_makes_no_document_is_refused(
    world: World, content: bytes, name: str, why: str
) -> None:
    """Files that WeasyPrint renders without an error, into a page that is no offer."""
    oleg = await manager_with_deal(world)
    [refused] = await world.admin().send_document(content, name)
    assert "не принят" in refused.text and why in refused.text
    assert "Коммерческое предложение № KP-2026-0001" in await offer_text(oleg)  # the old one


async def test_a_number_typeset_its_own_way_and_an_empty_stylesheet_are_accepted(
    world: World,
) -> None:
    shipped = (TEMPLATES / "offer.html").read_text(encoding="utf-8")
    typeset = shipped.replace(
        "{{ labels.number_sign }} {{ doc.number }}",
        '№ <span>{{ doc.number|replace("-", "&#8209;")|safe }}</span>',
    )
    assert typeset != shipped
    admin = world.admin()
    [replaced] = await admin.send_document(typeset.encode(), "offer.html")
    assert "заменён и проверен" in replaced.text
    [replaced] = await admin.send_document(b"", "base.css")  # no extra styling
    assert "заменён и проверен" in replaced.text
    shipped_word = (TEMPLATES / "offer.docx").read_bytes()  # the one shipped is a document
    [replaced] = await admin.send_document(shipped_word, "offer.docx")
    assert "заменён и проверен" in replaced.text
    [replaced] = await admin.send_document(word_file("Письмо", "№ {{ doc.number }}"), "offer.docx")
    assert "заменён и проверен" in replaced.text  # its number in the page's header


async def test_an_english_admin_is_told_in_english_and_a_huge_file_is_not_fetched(
    world: World,
) -> None:
    admin = world.prospect(user_id=ADMIN_ID, first_name="Boss", username="boss", language="en")
    shipped = (TEMPLATES / "invoice.html").read_bytes()
    [replaced] = await admin.send_document(shipped, "invoice.html")
    assert "replaced and checked: Invoice" in replaced.text and "Счёт" not in replaced.text
    [refused] = await admin.send_document(b"x", "offer.html", file_size=30 * 1024 * 1024)
    assert "not accepted: the file is over 2 MB" in refused.text


async def test_unknown_names_and_managers_are_refused(world: World) -> None:
    admin = world.admin()
    [answer] = await admin.send_document(b"<p>x</p>", "evil.html")
    assert "Такого шаблона нет" in answer.text
    oleg = await world.add_manager(7001, "Олег")
    await oleg.send_document(b"<p>x</p>", "offer.html")
    assert not any("заменён" in s.text for s in world.session.to(7001))


@pytest.fixture
def logo_world(
    sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock
) -> Iterator[World]:
    company = business_config.company
    assert company.requisites is not None
    with_logo = company.model_copy(
        update={"requisites": company.requisites.model_copy(update={"logo": "logo.png"})}
    )
    config = business_config.model_copy(update={"company": with_logo})
    made = make_world(sqlite_engine, config, clock, RecordingSession())
    yield made
    made.dp["documents"].close()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_logo_must_be_a_picture(logo_world: World) -> None:
    admin = logo_world.admin()
    [listing] = await admin.send("/templates")
    assert "logo.png" in listing.text and "⬇️ logo.png" not in listing.buttons()  # none yet
    [refused] = await admin.send_document(b"this is not a picture", "logo.png")
    assert "это не картинка" in refused.text and "PNG, JPEG или SVG" in refused.text
    [refused] = await admin.send_document(png()[:60], "logo.png")  # cut short on the way
    assert "это не картинка" in refused.text

    [taken] = await admin.send_document(png(), "logo.png")
    assert "не принят" not in taken.text
    [listing] = await admin.send("/templates")
    assert "⬇️ logo.png" in listing.buttons()


@pytest.fixture
def kept_world(
    sqlite_engine: AsyncEngine, business_config: BusinessConfig, clock: FakeClock, tmp_path: Path
) -> Iterator[World]:
    """Uploads kept in a folder of their own (TEMPLATES_DIR), as in production."""
    made = make_world(
        sqlite_engine, business_config, clock, RecordingSession(), tmp_path / "templates"
    )
    yield made
    made.dp["documents"].close()


async def test_a_template_is_downloaded_edited_sent_back_and_restored(
    kept_world: World, tmp_path: Path
) -> None:
    world = kept_world
    oleg = await manager_with_deal(world)
    admin = world.admin()
    [listing] = await admin.send("/templates")
    assert "⬇️ offer.html" in listing.buttons() and not any("↩️" in b for b in listing.buttons())
    [current] = await admin.press("⬇️ offer.html")
    assert current.kind == "document" and "Исправьте его и пришлите обратно" in current.text
    assert isinstance(current.file, BufferedInputFile) and current.file.filename == "offer.html"
    shipped = (TEMPLATES / "offer.html").read_bytes()
    assert current.file.data == shipped

    # sent back under the name a browser gives a second download, in another case, as a
    # reply to the file it came in (as one does on a phone)
    special = shipped.replace(b"<h1>", "<p>ОСОБОЕ</p><h1>".encode())
    [replaced] = await admin.send_document(special, "Offer (1).HTML", reply_to=current)
    assert "Шаблон offer.html заменён и проверен" in replaced.text
    # a file as a reply to another message of the bot's (a card, an alert) is for a client
    told = await admin.send_document(special, "offer.html", reply_to=listing)
    assert told and not any("заменён" in sent.text for sent in told)
    assert "ОСОБОЕ" in await offer_text(oleg)

    [listing] = await admin.send("/templates")
    assert "↩️ Исходный offer.html" in listing.buttons()
    mine, restored = await admin.press("↩️ Исходный offer.html")
    assert isinstance(mine.file, BufferedInputFile) and mine.file.data == special  # to undo
    assert "возвращён к исходному" in restored.text
    assert "ОСОБОЕ" not in await offer_text(oleg)
    assert not (tmp_path / "templates" / "offer.html").exists()  # not back after a restart
    # the old button, pressed again: nothing to restore
    await admin.callback(button_data(listing, "↩️ Исходный offer.html"), listing.message_id)
    assert admin.answer_callback_texts()[-1] == "Шаблон offer.html и так исходный."


async def test_a_logo_sent_while_none_is_configured_says_how_to_switch_it_on(
    world: World,
) -> None:
    [answer] = await world.admin().send_document(png(), "logo.png")
    assert "Логотип в документах пока не включён" in answer.text
    assert "company.requisites.logo" in answer.text


async def test_a_template_replaced_through_one_process_is_used_by_the_other(
    kept_world: World, tmp_path: Path
) -> None:
    """Two processes sharing TEMPLATES_DIR (several behind a webhook): a replacement and a
    restore made through one show in the other's next document, not after its restart."""
    other = make_world(
        kept_world.engine, kept_world.config, kept_world.clock, kept_world.session,
        tmp_path / "templates",
    )  # fmt: skip
    try:
        oleg = await manager_with_deal(kept_world)
        oleg_there = other.prospect(user_id=7001, first_name="Олег", username=None)
        assert "ОСОБОЕ" not in await offer_text(oleg_there)  # read before the change
        shipped = (TEMPLATES / "offer.html").read_bytes()
        special = shipped.replace(b"<h1>", "<p>ОСОБОЕ</p><h1>".encode())
        await kept_world.admin().send_document(special, "offer.html")
        assert "ОСОБОЕ" in await offer_text(oleg)
        assert "ОСОБОЕ" in await offer_text(oleg_there)
        # the other process's admin downloads the template in use
        admin_there = other.admin()
        await admin_there.send("/templates")
        [current] = await admin_there.press("⬇️ offer.html")
        assert isinstance(current.file, BufferedInputFile) and current.file.data == special
        await kept_world.admin().send("/templates")
        await kept_world.admin().press("↩️ Исходный offer.html")
        assert "ОСОБОЕ" not in await offer_text(oleg_there)
    finally:
        other.dp["documents"].close()


async def test_a_shared_folder_gone_for_a_moment_changes_no_template(
    kept_world: World, tmp_path: Path
) -> None:
    oleg = await manager_with_deal(kept_world)
    shipped = (TEMPLATES / "offer.html").read_bytes()
    special = shipped.replace(b"<h1>", "<p>ОСОБОЕ</p><h1>".encode())
    await kept_world.admin().send_document(special, "offer.html")
    folder = tmp_path / "templates"
    folder.rename(tmp_path / "unmounted")  # the volume away: not "every upload restored"
    assert "ОСОБОЕ" in await offer_text(oleg)
    (tmp_path / "unmounted").rename(folder)
    assert "ОСОБОЕ" in await offer_text(oleg)
