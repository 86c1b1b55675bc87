import pytest
from shop.basket import Line, basket_total
from shop.rates import convert


def test_convert_euros_to_dollars():
    assert convert(90.0, "EUR", "USD") == pytest.approx(100.0)


def test_yen_basket_in_dollars():
    assert basket_total([Line("tea", 1500.0, "JPY")], "USD") == 10.0


def test_mixed_basket_in_pounds():
    assert basket_total([Line("a", 10.0, "USD"), Line("b", 9.0, "EUR", 2)], "GBP") == 24.0
