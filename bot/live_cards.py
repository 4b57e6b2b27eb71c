"""Which message holds each deal's newest card in a chat. When a card is shown again, the one
before shrinks to a line (what was done there, and that the current card is below) with one
button that opens the deal: a manager's chat has one working card per deal, and an old card's
figures are not read for the current ones.

Kept in memory: after a restart (or on another instance) an old card keeps its buttons, which
still work, as every button is checked against the deal when pressed."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from aiogram.types import InlineKeyboardButton

LIVE_CARDS_MAX = 10_000  # (chat, deal) pairs remembered; the oldest are forgotten first


@dataclass(frozen=True, slots=True)
class Shown:
    message_id: int
    done: str  # what was done, above the card ("" for none): kept when the card shrinks
    # what the done-line offers (its buttons above the card's): kept too, until used
    offers: tuple[tuple[InlineKeyboardButton, ...], ...] = ()


class LiveCards:
    def __init__(self, size: int = LIVE_CARDS_MAX) -> None:
        self._size = size
        self._cards: OrderedDict[tuple[int, int], Shown] = OrderedDict()

    def replace(self, chat_id: int, deal_id: int, shown: Shown) -> Shown | None:
        """Remember the deal's card `shown` in the chat; the card to shrink, if any. The newer
        card (a chat's message ids grow) stays, whichever of two cards sent at once is
        remembered first."""
        key = (chat_id, deal_id)
        previous = self._cards.pop(key, None)
        newer = shown if previous is None or shown.message_id > previous.message_id else previous
        self._cards[key] = newer
        if len(self._cards) > self._size:
            self._cards.popitem(last=False)
        if previous is None or previous.message_id == shown.message_id:
            return None
        return previous if newer is shown else shown

    def drop_offers(
        self,
        chat_id: int,
        deal_id: int,
        message_id: int,
        gone: Callable[[InlineKeyboardButton], bool],
    ) -> None:
        """The card's offers without those used (`gone`), so that its shrunk form does not
        offer them again."""
        key = (chat_id, deal_id)
        shown = self._cards.get(key)
        if shown is None or shown.message_id != message_id:
            return
        rows = tuple(tuple(b for b in row if not gone(b)) for row in shown.offers)
        self._cards[key] = replace(shown, offers=tuple(row for row in rows if row))

    def shown(self, chat_id: int, deal_id: int) -> Shown | None:
        """The deal's newest card (or screen) in the chat, if remembered."""
        return self._cards.get((chat_id, deal_id))

    def recent(self, chat_id: int, limit: int) -> list[int]:
        """The deals whose cards the chat was shown last, the newest first."""
        deals: list[int] = []
        for chat, deal in reversed(self._cards):
            if chat == chat_id:
                deals.append(deal)
                if len(deals) == limit:
                    break
        return deals

    def forget(self, chat_id: int, deal_id: int) -> Shown | None:
        """The deal's card in the chat, no longer to be kept (the deal has left the chat's
        member of staff)."""
        return self._cards.pop((chat_id, deal_id), None)
