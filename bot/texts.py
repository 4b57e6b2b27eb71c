"""Message catalogues: templates/messages/<locale>.yaml, each entry a Jinja2 template.

Messages are rendered with HTML autoescaping (they are sent with parse_mode HTML), so user data
never becomes markup; button labels are plain text and are rendered without escaping.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template, meta
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LOCALES = ("ru", "en")


def score_reason(t: Translator, factor: object, points: object) -> str:
    """ "сроки +55", "сроки −45": why a lead scored as it did (a weight may be negative)."""
    number = int(str(points))
    return f"{t.label(f'reason_{factor}')} {'+' if number >= 0 else '−'}{abs(number)}"


def plural(count: object, one: str, few: str, many: str | None = None) -> str:
    """ "85 баллов", "1 балл", "2 балла" ({{ n | plural("балл", "балла", "баллов") }}); in
    English two forms: "1 point", "85 points"."""
    number = abs(int(str(count)))
    shown = f"−{number}" if int(str(count)) < 0 else str(count)  # a typographic minus
    if many is None:
        return f"{shown} {one if number == 1 else few}"
    tens, units = number % 100, number % 10
    if units == 1 and tens != 11:
        return f"{shown} {one}"
    if 2 <= units <= 4 and not 12 <= tens <= 14:
        return f"{shown} {few}"
    return f"{shown} {many}"


class Catalogue:
    def __init__(self, directory: Path = TEMPLATES / "messages") -> None:
        html = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)
        plain = Environment(autoescape=False, undefined=StrictUndefined, trim_blocks=True)
        for environment in (html, plain):
            environment.filters["plural"] = plural
        self._html: dict[str, dict[str, Template]] = {}
        self._plain: dict[str, dict[str, Template]] = {}
        # Entries without variables (most buttons and questions) are rendered once, here.
        self._static_html: dict[str, dict[str, Markup]] = {}
        self._static_plain: dict[str, dict[str, str]] = {}
        for locale in LOCALES:
            entries = yaml.safe_load((directory / f"{locale}.yaml").read_text(encoding="utf-8"))
            self._html[locale] = {k: html.from_string(v) for k, v in entries.items()}
            self._plain[locale] = {k: plain.from_string(v) for k, v in entries.items()}
            static = [
                k for k, v in entries.items() if not meta.find_undeclared_variables(html.parse(v))
            ]
            self._static_html[locale] = {
                k: Markup(self._html[locale][k].render().strip()) for k in static
            }
            self._static_plain[locale] = {
                k: self._plain[locale][k].render().strip() for k in static
            }
        missing = set(self._html["ru"]) ^ set(self._html["en"])
        if missing:
            raise ValueError(f"message keys not in both languages: {sorted(missing)}")

    def keys(self) -> set[str]:
        return set(self._html["ru"])

    def has(self, key: str) -> bool:
        return key in self._html["ru"]

    def text(self, locale: str, key: str, **values: Any) -> Markup:
        # Markup, so that a rendered message placed into another one is not escaped twice.
        static = self._static_html[locale].get(key)
        if static is not None:
            return static
        return Markup(self._html[locale][key].render(**values).strip())

    def label(self, locale: str, key: str, **values: Any) -> str:
        static = self._static_plain[locale].get(key)
        if static is not None:
            return static
        return self._plain[locale][key].render(**values).strip()

    def labels(self, key: str) -> frozenset[str]:
        """The label in every language: to recognise a reply-keyboard button the user pressed."""
        return frozenset(self.label(locale, key) for locale in LOCALES)


class Translator:
    """The catalogue bound to one user's language; handlers receive it as `t`."""

    def __init__(self, catalogue: Catalogue, locale: str) -> None:
        self.catalogue = catalogue
        self.locale = locale
        # Things built once per language and reused, such as keyboards (see bot.keyboards).
        self.memo: dict[tuple[object, ...], Any] = {}

    def __call__(self, key: str, **values: Any) -> Markup:
        return self.catalogue.text(self.locale, key, **values)

    def label(self, key: str, **values: Any) -> str:
        return self.catalogue.label(self.locale, key, **values)


def locale_for(language_code: str | None, default: str) -> str:
    """English for users whose Telegram language is English; the default for everybody else."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return default


@cache
def translator(catalogue: Catalogue, locale: str) -> Translator:
    """One Translator per catalogue and language, shared: what it memoises is worth keeping."""
    return Translator(catalogue, locale)


@cache
def default_catalogue() -> Catalogue:
    return Catalogue()
