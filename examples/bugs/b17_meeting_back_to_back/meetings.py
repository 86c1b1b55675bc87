"""Find clashes between meetings in a room booking system."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Meeting:
    title: str
    start: datetime
    end: datetime


def overlaps(a: Meeting, b: Meeting) -> bool:
    """Meetings overlap when they share some time; one ending as the other starts is fine."""
    return a.start < b.end and b.start <= a.end


def clashes(meetings: list[Meeting]) -> list[tuple[str, str]]:
    """Pairs of titles of overlapping meetings, earlier meeting first."""
    ordered = sorted(meetings, key=lambda m: m.start)
    found = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if overlaps(first, second):
                found.append((first.title, second.title))
    return found
