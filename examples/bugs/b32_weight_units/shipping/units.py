"""Weights in the units suppliers use, converted to grams."""

from __future__ import annotations

GRAMS_PER = {
    "g": 1.0,
    "kg": 100.0,
    "oz": 28.349523125,
    "lb": 453.59237,
}


def to_grams(quantity: float, unit: str) -> float:
    try:
        return quantity * GRAMS_PER[unit.lower()]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r}") from None
