"""An admin replaces a document template from the chat: checked by rendering it with sample data
first; a broken or unsafe one is refused and the old one stays in use."""

from __future__ import annotations

import io

import pytest
from aiogram.types import BufferedInputFile
from pypdf import PdfReader

from bot.rendering import TEMPLATES
from tests.fakes import Prospect
from tests.handlers.conftest import World
from tests.handlers.test_deal_card import manager_with_deal


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
    assert "не принят" in refused.text
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


async def test_unknown_names_and_managers_are_refused(world: World) -> None:
    admin = world.admin()
    [answer] = await admin.send_document(b"<p>x</p>", "evil.html")
    assert "Такого шаблона нет" in answer.text
    oleg = await world.add_manager(7001, "Олег")
    await oleg.send_document(b"<p>x</p>", "offer.html")
    assert not any("заменён" in s.text for s in world.session.to(7001))
