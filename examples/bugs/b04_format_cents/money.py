"""Money amounts kept as integer cents, formatted for receipts."""

from __future__ import annotations


def to_cents(amount: str) -> int:
    """Parse ``"12.34"``, ``"-0.5"`` or ``"7"`` into cents."""
    sign = -1 if amount.startswith("-") else 1
    whole, _, frac = amount.lstrip("+-").partition(".")
    if len(frac) > 2:
        raise ValueError(f"more than two decimals: {amount!r}")
    return sign * (int(whole or "0") * 100 + int(frac.ljust(2, "0")))


def format_cents(cents: int, symbol: str = "$") -> str:
    """``123456`` -> ``"$1,234.56"``; negative amounts get a leading minus sign."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{symbol}{whole:,}.{frac}"


def total(amounts: list[str], symbol: str = "$") -> str:
    """Sum of the decimal ``amounts``, formatted."""
    return format_cents(sum(to_cents(amount) for amount in amounts), symbol)
