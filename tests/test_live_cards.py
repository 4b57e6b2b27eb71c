"""Which card of a deal stays working in a chat."""

from __future__ import annotations

from bot.live_cards import LiveCards


def test_the_newer_card_stays_and_the_older_is_given_to_shrink() -> None:
    cards = LiveCards()
    assert cards.replace(7001, 1, 100) is None  # the first card of the deal
    assert cards.replace(7001, 1, 100) is None  # the same message again (shown in place)
    assert cards.replace(7001, 1, 105) == 100
    # two cards sent at once and remembered in the other order: the older one shrinks
    assert cards.replace(7001, 1, 103) == 103
    assert cards.replace(7001, 1, 110) == 105
    # another deal, another chat: their own
    assert cards.replace(7001, 2, 111) is None
    assert cards.replace(7002, 1, 5) is None


def test_the_oldest_pairs_are_forgotten_beyond_the_limit() -> None:
    cards = LiveCards(size=2)
    cards.replace(1, 1, 10)
    cards.replace(1, 2, 11)
    cards.replace(1, 3, 12)  # deal 1 forgotten: its next card shrinks nothing
    assert cards.replace(1, 1, 13) is None
    assert cards.replace(1, 3, 14) == 12
