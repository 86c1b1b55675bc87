"""A tiny warehouse inventory toolkit: stock levels, pricing, sales statistics and reports."""

from .pricing import Receipt, discount_rate, line_total, order_total
from .report import format_money, format_receipt, reorder_report, sales_summary
from .stats import busiest_period, mean, median, moving_average, percentile
from .stock import Item, Stock

__all__ = [
    "Item",
    "Receipt",
    "Stock",
    "busiest_period",
    "discount_rate",
    "format_money",
    "format_receipt",
    "line_total",
    "mean",
    "median",
    "moving_average",
    "order_total",
    "percentile",
    "reorder_report",
    "sales_summary",
]
