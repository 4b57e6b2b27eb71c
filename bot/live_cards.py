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
        """Remember the deal's card `message_id` in the chat; the card to shrink, if any. The
        newer card (a chat's message ids grow) stays, whichever of two cards sent at once is
        remembered first."""
        key = (chat_id, deal_id)
        previous = self._messages.pop(key, None)
        self._messages[key] = max(message_id, previous or 0)
        if len(self._messages) > self._size:
            self._messages.popitem(last=False)
        if previous is None or previous == message_id:
            return None
        return min(previous, message_id)

    def forget(self, chat_id: int, deal_id: int) -> int | None:
        """The deal's card in the chat, no longer to be kept (the deal has left the chat's
        member of staff)."""
        return self._messages.pop((chat_id, deal_id), None)
