import pytest
from inventory.stock import Item, Stock


def make_stock():
    stock = Stock()
    stock.add(Item("BOLT-M6", "M6 hex bolt", 0.12, quantity=400, reorder_point=250, reorder_qty=500, case_size=100))
    stock.add(Item("NUT-M6", "M6 nut", 0.05, quantity=90, reorder_point=200, reorder_qty=300, case_size=100))
    stock.add(Item("WASH-M6", "M6 washer", 0.02, quantity=1000, reorder_point=300, reorder_qty=1000, case_size=250))
    return stock


def test_receive_adds_to_quantity():
    stock = make_stock()
    assert stock.receive("NUT-M6", 110) == 200
    assert stock.get("NUT-M6").quantity == 200


def test_remove_reduces_quantity():
    stock = make_stock()
    assert stock.remove("BOLT-M6", 150) == 250


def test_remove_more_than_on_hand_raises():
    stock = make_stock()
    with pytest.raises(ValueError, match="only 90 on hand"):
        stock.remove("NUT-M6", 91)
    assert stock.get("NUT-M6").quantity == 90


def test_total_value_at_cost():
    assert make_stock().total_value() == 72.5


def test_reorder_plan_rounds_up_to_whole_cases():
    # NUT-M6: 90 on hand, target 200 + 300 = 500, short by 410 -> 5 cases of 100.
    assert make_stock().reorder_plan() == {"NUT-M6": 500}


def test_reorder_plan_skips_items_above_reorder_point():
    stock = make_stock()
    stock.remove("BOLT-M6", 149)  # 251 left, one above the reorder point
    assert "BOLT-M6" not in stock.reorder_plan()


def test_reorder_plan_includes_item_at_reorder_point():
    stock = make_stock()
    stock.remove("BOLT-M6", 150)  # exactly at the reorder point of 250
    assert stock.reorder_plan() == {"BOLT-M6": 500, "NUT-M6": 500}
