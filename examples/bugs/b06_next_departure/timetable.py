"""Departure boards: the next train from a sorted list of "HH:MM" departure times."""

from __future__ import annotations


def to_minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def first_at_or_after(times: list[str], now: str) -> int:
    """Index of the first of the sorted ``times`` not earlier than ``now``; ``len(times)`` if there is none."""
    target = to_minutes(now)
    lo, hi = 0, len(times) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if to_minutes(times[mid]) < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def next_departure(times: list[str], now: str) -> str | None:
    """The next departure at or after ``now``, or None once the last train has left."""
    index = first_at_or_after(times, now)
    return times[index] if index < len(times) else None


def departures_after(times: list[str], now: str, count: int = 3) -> list[str]:
    start = first_at_or_after(times, now)
    return times[start : start + count]
