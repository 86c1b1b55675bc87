"""Streaks of consecutive active days in a habit tracker."""

from __future__ import annotations

from datetime import date, timedelta


def active_days(log: list[date]) -> list[date]:
    return sorted(set(log))


def longest_streak(log: list[date]) -> int:
    """Length of the longest run of consecutive days in ``log`` (a day logged twice counts once)."""
    best = current = 0
    previous = None
    for day in active_days(log):
        if previous is not None and day - previous == timedelta(days=1):
            current += 1
        else:
            current = 1
        best = max(best, current)
        previous = day
    return current


def active_today(log: list[date], today: date) -> bool:
    return today in set(log)
