"""Parse and format dates written the European way, DD/MM/YYYY."""

from __future__ import annotations

from datetime import date


def parse_eu_date(text: str) -> date:
    parts = text.strip().split("/")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"expected DD/MM/YYYY, got {text!r}")
    day, month, year = (int(part) for part in parts)
    return date(year, day, month)


def format_eu_date(value: date) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def days_between(start: str, end: str) -> int:
    """Days from ``start`` to ``end``, both DD/MM/YYYY."""
    return (parse_eu_date(end) - parse_eu_date(start)).days
