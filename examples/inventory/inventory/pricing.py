"""Discounts, sales tax and order totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

# (minimum subtotal, discount rate), checked from the largest tier down.
DISCOUNT_TIERS = ((500.0, 0.15), (200.0, 0.10), (100.0, 0.05))
FREE_SHIPPING_OVER = 75.0
SHIPPING_FEE = 6.95
DEFAULT_TAX_RATE = 0.08


@dataclass(frozen=True)
class Receipt:
    """The money breakdown of one order."""

    subtotal: float
    discount: float
    tax: float
    shipping: float
    total: float


def discount_rate(subtotal: float) -> float:
    """Volume discount rate for an order of ``subtotal``."""
    for threshold, rate in DISCOUNT_TIERS:
        if subtotal >= threshold:
            return rate
    return 0.0


def line_total(unit_price: float, quantity: int) -> float:
    """Price of one order line, rounded to cents."""
    if quantity < 0:
        raise ValueError(f"quantity must not be negative, got {quantity}")
    return round(unit_price * quantity, 2)


def order_total(lines: Iterable[tuple[float, int]], tax_rate: float = DEFAULT_TAX_RATE) -> Receipt:
    """Total an order given as ``(unit_price, quantity)`` lines.

    The volume discount comes off first; tax is charged on the discounted amount,
    and shipping is free once the discounted amount reaches ``FREE_SHIPPING_OVER``.
    """
    subtotal = 0.0
    for unit_price, quantity in lines:
        subtotal += line_total(unit_price, quantity)
    subtotal = round(subtotal, 2)

    discount = round(subtotal * discount_rate(subtotal), 2)
    taxable = subtotal - discount
    tax = round(subtotal * tax_rate, 2)
    if subtotal == 0 or taxable >= FREE_SHIPPING_OVER:
        shipping = 0.0
    else:
        shipping = SHIPPING_FEE
    total = round(taxable + tax + shipping, 2)
    return Receipt(subtotal=subtotal, discount=discount, tax=tax, shipping=shipping, total=total)
