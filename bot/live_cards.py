"""Which message holds each deal's newest card in a chat. When a card is shown again, the one
before keeps its text but gives up its buttons for one that opens the deal: a manager's chat has
one working card per deal, and an old card's buttons cannot act on a deal that has moved on.

Kept in memory: after a restart (or on another instance) an old card keeps its buttons, which
still work, as every button is checked against the deal when pressed."""

from __future__ import annotations

from collections import OrderedDict

LIVE_CARDS_MAX = 10_000  # (chat, deal) pairs remembered; the oldest are forgotten first


class LiveCards:
    def __init__(self, size: int = LIVE_CARDS_MAX) -> None:
        self._size = size
        self._messages: OrderedDict[tuple[int, int], int] = OrderedDict()

    def replace(self, chat_id: int, deal_id: int, message_id: int) -> int | None:
        """Remember `message_id` as the deal's card in the chat; the card it replaces, if any."""
        key = (chat_id, deal_id)
        previous = self._messages.pop(key, None)
        self._messages[key] = message_id
        if len(self._messages) > self._size:
            self._messages.popitem(last=False)
        return previous if previous != message_id else None
