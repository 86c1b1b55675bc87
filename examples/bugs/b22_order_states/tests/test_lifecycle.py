import pytest
from orders.lifecycle import InvalidTransition, next_state, replay


def test_cancel_before_paying():
    assert replay(["checkout", "cancel"]) == "cancelled"


def test_delivery():
    assert next_state("shipped", "deliver") == "delivered"


def test_cannot_ship_a_cart():
    with pytest.raises(InvalidTransition):
        next_state("cart", "ship")


def test_nothing_after_a_final_state():
    with pytest.raises(InvalidTransition):
        replay(["checkout", "cancel", "pay"])


def test_ship_after_paying():
    assert replay(["checkout", "pay", "ship"]) == "shipped"
