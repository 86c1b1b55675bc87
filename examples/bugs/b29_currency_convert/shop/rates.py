"""Exchange rates, as units of each currency per one US dollar."""

from __future__ import annotations

PER_USD = {"USD": 1.0, "EUR": 0.9, "GBP": 0.8, "JPY": 150.0}


def rate(currency: str) -> float:
    try:
        return PER_USD[currency]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def convert(amount: float, source: str, target: str) -> float:
    """``amount`` of the ``source`` currency expressed in the ``target`` currency (not rounded)."""
    return amount * rate(source) / rate(target)
