"""Parcel postage by weight band."""

from __future__ import annotations

from shipping.units import to_grams

BANDS = [(500, 3.20), (2000, 5.90), (10000, 12.50)]  # (up to this many grams, price)


def parcel_grams(items: list[tuple[float, str]]) -> float:
    return sum(to_grams(quantity, unit) for quantity, unit in items)


def postage(items: list[tuple[float, str]]) -> float:
    """Price to post a parcel holding ``items``, given as (quantity, unit) pairs."""
    grams = parcel_grams(items)
    for limit, price in BANDS:
        if grams <= limit:
            return price
    raise ValueError(f"a parcel of {grams:.0f} g is too heavy to post")
