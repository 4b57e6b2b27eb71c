"""A prospect's message that asks for a price or an offer makes the deal hot (routing.price_words)."""

from pathlib import Path

import pytest

from bot.config import load_business_config
from bot.domain.desk import asks_for_price

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "salesbot.yaml"
WORDS = load_business_config(SHIPPED).routing.price_words


@pytest.mark.parametrize(
    "message",
    [
        "Сколько стоит внедрение?",
        "Сколько стоят лицензии на 5 человек?",  # the plural had not counted
        "Почем лицензия?",  # written without ё
        "Какие у вас цены?",
        "Выставьте счет, пожалуйста",  # what the seeds call a buyer's signal; ё or е
        "Пришлите договор, подпишем",
        "Пришлите, пожалуйста, счёт",  # a manager's walk-through found it missed
        "Пришлите нам счёт",
        "Could you send an invoice?",
        "What is your pricing?",
        "Could you send me a quotation?",
        "Please send me a proposal for 10 users",
        "What are your rates?",
        "Invoice please",
    ],
)
def test_a_question_about_money_counts(message: str) -> None:
    assert asks_for_price(message, WORDS)


@pytest.mark.parametrize(
    "message",
    [
        "Спасибо, договорились на завтра",
        "За счёт чего это работает?",  # a review found these taken for price questions
        "У нас договор с другим подрядчиком",
        "Do you offer training?",
        "I work on contract basis",
        "Can we talk tomorrow?",
        "I have a proposal for a partnership",
        "Нам не нужен счёт, платим картой",  # a review found "нужен счёт" taken for a request
    ],
)
def test_other_messages_do_not(message: str) -> None:
    assert not asks_for_price(message, WORDS)
