"""Plain-text reports built from stock, pricing and sales data."""

from __future__ import annotations

from typing import Iterable, Sequence

from .pricing import order_total
from .stats import busiest_period, mean, median, moving_average, percentile
from .stock import Stock


def format_money(amount: float) -> str:
    """Format ``amount`` as dollars, e.g. ``$1,234.50`` or ``-$3.00``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def reorder_report(stock: Stock) -> list[str]:
    """One line per item that needs reordering, with the cost of the order."""
    lines: list[str] = []
    for sku, units in stock.reorder_plan().items():
        item = stock.get(sku)
        cost = units * item.unit_cost
        lines.append(f"{sku:<8} {item.name:<16} order {units:>5}  {format_money(cost):>10}")
    if not lines:
        lines.append("nothing to reorder")
    return lines


def sales_summary(daily_sales: Sequence[int], window: int = 7) -> dict[str, float]:
    """Headline numbers for a run of daily unit sales."""
    window = min(window, len(daily_sales))
    trend = moving_average(daily_sales, window)
    start, total = busiest_period(daily_sales, window)
    return {
        "mean": round(mean(daily_sales), 2),
        "median": median(daily_sales),
        "p90": round(percentile(daily_sales, 90), 2),
        "latest_trend": round(trend[-1], 2),
        "busiest_start": start,
        "busiest_total": total,
    }


def format_receipt(lines: Iterable[tuple[float, int]]) -> str:
    """Render the receipt for an order as right-aligned text."""
    receipt = order_total(lines)
    rows = [("Subtotal", receipt.subtotal)]
    if receipt.discount:
        rows.append(("Discount", -receipt.discount))
    rows.append(("Tax", receipt.tax))
    rows.append(("Shipping", receipt.shipping))
    rows.append(("Total", receipt.total))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {format_money(amount):>10}" for label, amount in rows)
