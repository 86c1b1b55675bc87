"""Basket totals shown in the shopper's currency."""

from __future__ import annotations

from dataclasses import dataclass

from shop.rates import convert


@dataclass(frozen=True)
class Line:
    sku: str
    price: float
    currency: str
    quantity: int = 1


def basket_total(lines: list[Line], currency: str) -> float:
    """Sum of the lines converted to ``currency``, rounded to cents."""
    total = 0.0
    for line in lines:
        total += convert(line.price * line.quantity, line.currency, currency)
    return round(total, 2)


def format_total(lines: list[Line], currency: str) -> str:
    return f"{basket_total(lines, currency):.2f} {currency}"
