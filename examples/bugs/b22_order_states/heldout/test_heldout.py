from orders.lifecycle import next_state, replay


def test_pay():
    assert next_state("pending", "pay") == "paid"


def test_full_journey():
    assert replay(["checkout", "pay", "ship", "deliver"]) == "delivered"


def test_refund():
    assert replay(["checkout", "pay", "refund"]) == "refunded"
