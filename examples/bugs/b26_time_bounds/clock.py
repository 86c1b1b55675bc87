"""Validate and normalise 24-hour clock times typed into a booking form."""

from __future__ import annotations


def parse_time(text: str) -> tuple[int, int] | None:
    """``"9:05"`` -> ``(9, 5)``; None when ``text`` is not a valid 24-hour time."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        return None
    h, m = int(hours), int(minutes)
    if not 0 <= h <= 24:
        return None
    if not 0 <= m <= 60:
        return None
    return h, m


def normalise(text: str) -> str:
    """``"9:05"`` -> ``"09:05"``."""
    parsed = parse_time(text)
    if parsed is None:
        raise ValueError(f"not a time: {text!r}")
    return f"{parsed[0]:02d}:{parsed[1]:02d}"
