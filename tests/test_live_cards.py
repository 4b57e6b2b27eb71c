"""Which card of a deal stays working in a chat, and what the one replaced keeps."""

from __future__ import annotations

from bot.live_cards import LiveCards, Shown


def test_the_newer_card_stays_and_the_older_is_given_to_shrink() -> None:
    cards = LiveCards()
    assert cards.replace(7001, 1, Shown(100, "")) is None  # the first card of the deal
    assert cards.replace(7001, 1, Shown(100, "")) is None  # the same message (shown in place)
    assert cards.replace(7001, 1, Shown(105, "Сумма: 1 ₽")) == Shown(100, "")
    # two cards sent at once and remembered in the other order: the older one shrinks
    assert cards.replace(7001, 1, Shown(103, "Шаг")) == Shown(103, "Шаг")
    assert cards.replace(7001, 1, Shown(110, "")) == Shown(105, "Сумма: 1 ₽")  # with its note
    # another deal, another chat: their own
    assert cards.replace(7001, 2, Shown(111, "")) is None
    assert cards.replace(7002, 1, Shown(5, "")) is None
    assert cards.forget(7001, 1) == Shown(110, "") and cards.forget(7001, 1) is None


def test_the_oldest_pairs_are_forgotten_beyond_the_limit() -> None:
    cards = LiveCards(size=2)
    cards.replace(1, 1, Shown(10, ""))
    cards.replace(1, 2, Shown(11, ""))
    cards.replace(1, 3, Shown(12, ""))  # deal 1 forgotten: its next card shrinks nothing
    assert cards.replace(1, 1, Shown(13, "")) is None
    assert cards.replace(1, 3, Shown(14, "")) == Shown(12, "")
