from inventory.report import format_money, format_receipt, reorder_report, sales_summary
from inventory.stock import Item, Stock


def test_format_money():
    assert format_money(1234.5) == "$1,234.50"
    assert format_money(-3) == "-$3.00"


def test_reorder_report_lists_items_to_order():
    stock = Stock()
    stock.add(Item("NUT-M6", "M6 nut", 0.05, quantity=90, reorder_point=200, reorder_qty=300, case_size=100))
    stock.add(Item("WASH-M6", "M6 washer", 0.02, quantity=1000, reorder_point=300, reorder_qty=1000))
    assert reorder_report(stock) == ["NUT-M6   M6 nut           order   500      $25.00"]


def test_reorder_report_when_nothing_is_low():
    stock = Stock()
    stock.add(Item("WASH-M6", "M6 washer", 0.02, quantity=1000, reorder_point=300, reorder_qty=1000))
    assert reorder_report(stock) == ["nothing to reorder"]


def test_sales_summary():
    summary = sales_summary([12, 15, 9, 20, 31, 18, 14, 25, 11, 16], window=3)
    assert summary == {
        "mean": 17.1,
        "median": 15.5,
        "p90": 25.6,
        "latest_trend": 17.33,
        "busiest_start": 3,
        "busiest_total": 69,
    }


def test_format_receipt():
    text = format_receipt([(12.50, 2), (4.25, 4)])
    assert text.splitlines() == [
        "Subtotal      $42.00",
        "Tax            $3.36",
        "Shipping       $6.95",
        "Total         $52.31",
    ]
