"""Document templates: the shipped ones in templates/documents/, with those admins uploaded
through the bot on top (kept in TEMPLATES_DIR, so they outlive updates of the shipped ones).
A replacement is checked by rendering it with sample data first; a broken one never replaces
the template in use."""

from __future__ import annotations

import atexit
import contextlib
import html
import io
import itertools
import logging
import re
import shutil
import tempfile
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from stat import S_ISREG
from xml.etree import ElementTree

from PIL import Image

from bot.config import BusinessConfig, DocumentType
from bot.documents import Party, context, number
from bot.domain.offers import OfferLine
from bot.rendering import TEMPLATES, Renderer, RenderFailed
from bot.texts import LOCALES

log = logging.getLogger(__name__)

MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
STYLESHEET = "base.css"


class TemplateRejected(ValueError):
    """Not a template this bot uses, or it does not render. `reason`: too_big, empty, not_text,
    no_number, picture (a logo that is not one) or render (then `detail` says what failed)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


class NotAPicture(TemplateRejected):
    """The logo sent is not a picture (WeasyPrint would only log it and leave the place empty)."""

    def __init__(self, detail: str) -> None:
        super().__init__("picture", detail)


def check_picture(name: str, content: bytes) -> None:
    """A PNG/JPEG that Pillow can read, or an SVG document; NotAPicture if not."""
    if name.lower().endswith(".svg"):
        try:
            root = ElementTree.fromstring(content)  # expat refuses entity bombs
        except ElementTree.ParseError as error:
            raise NotAPicture(str(error)) from error
        if not root.tag.endswith("svg"):
            raise NotAPicture(f"<{root.tag}> is not <svg>")
        return
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except Exception as error:  # Pillow has several kinds of "cannot read this"
        raise NotAPicture(str(error)) from error


def replaceable(config: BusinessConfig) -> dict[str, list[DocumentType]]:
    """File name -> the document types that render with it."""
    names: dict[str, list[DocumentType]] = {STYLESHEET: []}
    for kind in config.documents.types if config.documents else ():
        names.setdefault(kind.pdf, []).append(kind)
        names[STYLESHEET].append(kind)
        if kind.docx:
            names.setdefault(kind.docx, []).append(kind)
    requisites = config.company.requisites
    if requisites is not None and requisites.logo:  # the logo the PDFs show
        names[requisites.logo] = list(names[STYLESHEET])
    return names


def effective_directory(overrides: Path | None) -> Path:
    """A working copy: the shipped templates with the uploaded ones over them."""
    working = Path(tempfile.mkdtemp(prefix="salesbot-templates-"))
    atexit.register(shutil.rmtree, working, True)  # also if the renderer is never closed
    shutil.copytree(TEMPLATES, working, dirs_exist_ok=True)
    if overrides is not None and overrides.is_dir():
        for path in overrides.iterdir():
            if path.is_file():
                shutil.copy2(path, working / path.name)
    return working


def missing_templates(config: BusinessConfig, overrides: Path | None) -> list[str]:
    """The document types' template files that neither the shipped templates nor the uploaded
    ones hold ("documents.types.offer.pdf: ofer.html"): a typo would otherwise show only when a
    manager asks for the document."""

    def found(name: str) -> bool:
        return (TEMPLATES / name).is_file() or (
            overrides is not None and (overrides / name).is_file()
        )

    missing = []
    for kind in config.documents.types if config.documents else ():
        for field, name in (("pdf", kind.pdf), ("docx", kind.docx)):
            if name and not found(name):
                missing.append(f"documents.types.{kind.id}.{field}: {name}")
    return missing


def sample(config: BusinessConfig, kind: DocumentType, locale: str = "ru") -> dict[str, object]:
    """What a template is checked with: the first catalogue items, a discount, hostile names."""
    items = list(config.catalogue)[:3]
    lines = [
        OfferLine(item.sku, item.name.get(locale), item.unit.get(locale), Decimal(n + 1),
                  int(item.price * 100), item.vat)
        for n, item in enumerate(items)
    ] or [OfferLine("sample", "Образец", "шт.", Decimal(1), 100_000, 22)]  # fmt: skip
    data, _ = context(
        config, kind, number(kind, date.today().year, 1), date.today(), lines, Decimal(5),
        Party("Иван Образцов", "ООО «Образец» <b>&</b> {{ 7*7 }}", "+7 900 000-00-00"),
        Party("Менеджер", contact="@manager"), locale,
    )  # fmt: skip
    return data


class TemplateStore:
    def __init__(self, renderer: Renderer, overrides: Path | None, config: BusinessConfig) -> None:
        self._renderer, self._overrides, self._config = renderer, overrides, config
        self._seen = self._uploads() or {}
        renderer.before_render = self.sync

    def _uploads(self) -> dict[str, tuple[int, int]] | None:
        """The uploaded templates as they are on disk: name -> (modified, size); None while
        there is no folder (none uploaded yet, or a shared volume away for a moment)."""
        if self._overrides is None:
            return {}
        if not self._overrides.is_dir():
            return None
        found = {}
        for path in self._overrides.iterdir():
            if path.name.startswith("."):
                continue
            with contextlib.suppress(OSError):  # restored by another process meanwhile
                stat = path.stat()
                if S_ISREG(stat.st_mode):
                    found[path.name] = (stat.st_mtime_ns, stat.st_size)
        return found

    def sync(self) -> None:
        """Bring the working copy up to what TEMPLATES_DIR holds: several processes of the bot
        share it, and a template replaced or restored through one of them is used by all from
        their next document on. A few stat calls: done before every render. A file that
        cannot be read now is tried again at the next render; the documents go on with what
        the working copy has."""
        try:
            uploads = self._uploads()
        except OSError:  # the shared folder gone for a moment
            log.warning("TEMPLATES_DIR could not be read; templates as they were", exc_info=True)
            return
        if uploads is None or uploads == self._seen:  # no folder: nothing restored by it
            return
        assert self._overrides is not None
        working = self._renderer.directory
        seen = dict(uploads)
        for name, mark in uploads.items():
            if self._seen.get(name) != mark:
                try:
                    _write_atomically(working / name, (self._overrides / name).read_bytes())
                except OSError:
                    log.warning("template %s not taken from TEMPLATES_DIR yet", name)
                    seen.pop(name)  # tried again at the next sync
        for name in self._seen.keys() - uploads.keys():  # restored: the shipped one again
            if (TEMPLATES / name).is_file():
                _write_atomically(working / name, (TEMPLATES / name).read_bytes())
        self._seen = seen

    def names(self) -> dict[str, list[DocumentType]]:
        return replaceable(self._config)

    def logo(self) -> str:
        """The logo's file name ("" while the configuration names none)."""
        requisites = self._config.company.requisites
        return requisites.logo if requisites is not None else ""

    def known(self, file_name: str) -> str | None:
        """The template a file sent is meant for: its name in any case, and "offer (1).html"
        as a browser names a second download of offer.html."""
        cleaned = _COPY_NUMBER.sub("", file_name.strip()).lower()
        return next((name for name in self.names() if name.lower() == cleaned), None)

    def exists(self, name: str) -> bool:
        return name in self.names() and (self._renderer.directory / name).is_file()

    def current(self, name: str) -> bytes | None:
        """The template in use (uploaded, or the shipped one), to be edited and sent back."""
        self.sync()
        return (self._renderer.directory / name).read_bytes() if self.exists(name) else None

    def restorable(self, name: str) -> bool:
        """Replaced by an upload, with a shipped template to go back to."""
        return (
            self._overrides is not None
            and (self._overrides / name).is_file()
            and (TEMPLATES / name).is_file()
        )

    def restore(self, name: str) -> bool:
        """Back to the shipped template (it renders: it is tested); False if there is none."""
        if name not in self.names() or not self.restorable(name):
            return False
        assert self._overrides is not None
        _write_atomically(self._renderer.directory / name, (TEMPLATES / name).read_bytes())
        (self._overrides / name).unlink(missing_ok=True)
        self._seen = self._uploads() or {}
        return True

    async def replace(self, name: str, content: bytes) -> list[DocumentType]:
        """Check `content` as template `name` by rendering every document that uses it with
        sample data; then keep it. Returns the documents checked; TemplateRejected if not."""
        kinds = self.names().get(name)
        if kinds is None:
            raise TemplateRejected("unknown")
        if len(content) > MAX_TEMPLATE_BYTES:
            raise TemplateRejected("too_big")
        if not content.strip() and name != STYLESHEET:  # no extra styling is a choice
            raise TemplateRejected("empty")
        if name.endswith((".html", ".css")) and not _is_text(content):
            raise TemplateRejected("not_text")  # WeasyPrint would skip it and print unstyled
        if name == self.logo():
            check_picture(name, content)
        self.sync()  # checked with what other processes changed meanwhile, not taken for this
        trial = Path(tempfile.mkdtemp(prefix="salesbot-trial-"))
        try:
            shutil.copytree(self._renderer.directory, trial, dirs_exist_ok=True)
            (trial / name).write_bytes(content)
            checker = Renderer(trial, workers=1, timeout=20)
            try:
                # in every language: "{% if locale == 'en' %}" is how an admin translates one
                for kind, locale in itertools.product(kinds, LOCALES):
                    data = sample(self._config, kind, locale)
                    if name == kind.docx:
                        made = await checker.docx(name, data)
                        if not _prints_number(_docx_text(made), data):
                            raise TemplateRejected("no_number")
                        continue
                    await checker.pdf(kind.pdf, data)
                    if name == kind.pdf and not _prints_number(
                        await checker.html(name, data), data
                    ):
                        raise TemplateRejected("no_number")
            except RenderFailed as error:
                raise TemplateRejected("render", str(error)) from error
            finally:
                checker.close()
        finally:
            shutil.rmtree(trial, ignore_errors=True)
        if self._overrides is not None:  # kept across restarts and updates
            self._overrides.mkdir(parents=True, exist_ok=True)
            _write_atomically(self._overrides / name, content)
        _write_atomically(self._renderer.directory / name, content)
        self._seen = self._uploads() or {}
        return kinds


def _is_text(content: bytes) -> bool:
    try:
        return "\x00" not in content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False


_COPY_NUMBER = re.compile(r"\s*\(\d+\)(?=\.[^.]*$)")  # "offer (1).html"
_TITLE = re.compile(r"<title>.*?</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_NOT_COMPARED = re.compile(r"[\s\-\u2010-\u2015\u2212]")  # spaces and hyphens of any kind


def _prints_number(page: str, data: dict[str, object]) -> bool:
    """An offer or invoice without its number on the page is no document (an empty file, a
    page of something else): the number must be in the text of the body, not only in the title,
    however it is typeset (a non-breaking hyphen, an entity, a span around a part)."""
    doc = data.get("doc")
    number = doc.get("number") if isinstance(doc, dict) else None
    if not number:
        return False
    text = html.unescape(_TAG.sub("", _TITLE.sub("", page)))
    return _NOT_COMPARED.sub("", str(number)) in _NOT_COMPARED.sub("", text)


_WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_WORD_PARTS = re.compile(r"word/(?:document|header\d*|footer\d*)\.xml")


def _docx_text(content: bytes) -> str:
    """A Word file's words as a page's text to look the number up in: its body, headers and
    footers, with what tables, text boxes and content controls hold (a paragraph a line)."""
    lines = []
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        for part in package.namelist():
            if _WORD_PARTS.fullmatch(part):
                root = ElementTree.fromstring(package.read(part))
                for paragraph in root.iter(f"{_WORD}p"):
                    lines.append("".join(t.text or "" for t in paragraph.iter(f"{_WORD}t")))
    return "\n".join(lines)


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_bytes(content)
    temporary.replace(path)
