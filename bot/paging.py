"""Long lists on pages of buttons: Telegram refuses a keyboard of more than about 100 buttons,
and a long one is unreadable on a phone anyway."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from aiogram.types import InlineKeyboardButton

T = TypeVar("T")

PAGE_SIZE = 8


def page_of(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> tuple[Sequence[T], int, int]:
    """The items of `page` (kept within the pages there are), the page, and how many pages."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def pager(page: int, pages: int, data: Callable[[int], str]) -> list[InlineKeyboardButton]:
    """◀️ n/N ▶️ under a paged list (nothing for a single page); `data` gives the callback data
    of a page, and the middle button shows the same page again."""
    if pages <= 1:
        return []
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(text="◀️", callback_data=data(page - 1)))
    row.append(InlineKeyboardButton(text=f"{page + 1}/{pages}", callback_data=data(page)))
    if page + 1 < pages:
        row.append(InlineKeyboardButton(text="▶️", callback_data=data(page + 1)))
    return row
