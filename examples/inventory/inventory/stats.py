"""Sales statistics over sequences of daily unit sales."""

from __future__ import annotations

from typing import Sequence


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean of ``values``."""
    if not values:
        raise ValueError("mean of an empty sequence")
    total = 0.0
    for value in values:
        total += value
    return total / len(values)


def median(values: Sequence[float]) -> float:
    """Middle value of ``values``; the mean of the two middle values for even lengths."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median of an empty sequence")
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile of ``values``, interpolating linearly between ranks."""
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {pct}")
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of an empty sequence")
    position = (len(ordered) - 1) * pct / 100
    lower = int(position)
    upper = min(lower + 1, len(ordered))
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """Trailing averages over every full ``window`` of consecutive values."""
    if window <= 0:
        raise ValueError(f"window must be positive, got {window}")
    averages: list[float] = []
    running = 0.0
    for i, value in enumerate(values):
        running += value
        if i >= window:
            running -= values[i - window]
        if i >= window - 1:
            averages.append(running / window)
    return averages


def busiest_period(daily_sales: Sequence[int], days: int) -> tuple[int, int]:
    """Return ``(start_index, total)`` of the ``days`` consecutive days that sold the most.

    Ties go to the earliest period.
    """
    if not 0 < days <= len(daily_sales):
        raise ValueError(f"period of {days} days does not fit in {len(daily_sales)} days of sales")
    best_start = 0
    best_total = sum(daily_sales[:days])
    for start in range(1, len(daily_sales) - days + 1):
        total = sum(daily_sales[start : start + days])
        if total > best_total:
            best_start, best_total = start, total
    return best_start, best_total
