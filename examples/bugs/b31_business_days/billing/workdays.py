"""Business-day arithmetic: Monday to Friday, minus listed holidays."""

from __future__ import annotations

from datetime import date, timedelta
from typing import AbstractSet

NO_HOLIDAYS: frozenset[date] = frozenset()


def is_business_day(day: date, holidays: AbstractSet[date] = NO_HOLIDAYS) -> bool:
    return day.weekday() < 6 and day not in holidays


def add_business_days(start: date, days: int, holidays: AbstractSet[date] = NO_HOLIDAYS) -> date:
    """The date ``days`` business days after ``start``."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current, holidays):
            remaining -= 1
    return current
