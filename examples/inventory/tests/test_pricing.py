import pytest
from inventory.pricing import Receipt, discount_rate, line_total, order_total


def test_discount_rate_tiers():
    assert discount_rate(99.99) == 0.0
    assert discount_rate(100.0) == 0.05
    assert discount_rate(250.0) == 0.10
    assert discount_rate(500.0) == 0.15


def test_line_total_rounds_to_cents():
    assert line_total(0.1, 3) == 0.3
    assert line_total(19.99, 3) == 59.97


def test_line_total_rejects_negative_quantity():
    with pytest.raises(ValueError):
        line_total(4.99, -1)


def test_order_total_small_order_pays_shipping():
    receipt = order_total([(12.50, 2), (4.25, 4)])
    assert receipt == Receipt(subtotal=42.0, discount=0.0, tax=3.36, shipping=6.95, total=52.31)


def test_order_total_free_shipping_at_threshold():
    receipt = order_total([(25.0, 3)])
    assert receipt.shipping == 0.0
    assert receipt.total == 81.0


def test_order_total_taxes_the_discounted_amount():
    # 250.00 earns a 10% discount; tax is 8% of the remaining 225.00.
    receipt = order_total([(40.0, 4), (15.0, 6)])
    assert receipt == Receipt(subtotal=250.0, discount=25.0, tax=18.0, shipping=0.0, total=243.0)
