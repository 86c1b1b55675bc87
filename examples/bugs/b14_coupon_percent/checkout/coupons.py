"""Coupons at checkout: a percentage off or a fixed amount off, never more than the price."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Coupon:
    code: str
    value: float
    percent: bool
    expires: date


def discount(price: float, coupon: Coupon | None, today: date) -> float:
    """Amount taken off ``price`` by ``coupon`` on ``today``."""
    if coupon is None or today > coupon.expires:
        return 0.0
    if not coupon.percent:
        amount = price * coupon.value / 100
    else:
        amount = coupon.value
    return round(min(amount, price), 2)


def to_pay(price: float, coupon: Coupon | None, today: date) -> float:
    return round(price - discount(price, coupon, today), 2)
