import pytest
from shop.basket import Line, basket_total, format_total


def test_total_in_the_same_currency():
    assert basket_total([Line("pen", 10.0, "USD", 2), Line("pad", 5.5, "USD")], "USD") == 25.5


def test_format_total_in_euros():
    assert format_total([Line("mug", 7.25, "EUR", 2)], "EUR") == "14.50 EUR"


def test_unknown_currency():
    with pytest.raises(ValueError):
        basket_total([Line("pen", 1.0, "XYZ")], "USD")


def test_dollars_shown_in_euros():
    assert basket_total([Line("book", 20.0, "USD")], "EUR") == 18.0
