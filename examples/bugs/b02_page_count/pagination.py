"""Pagination helpers for list endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

DEFAULT_PER_PAGE = 20


@dataclass(frozen=True)
class Page:
    number: int
    items: list
    total_pages: int

    @property
    def has_next(self) -> bool:
        return self.number < self.total_pages


def page_count(total: int, per_page: int = DEFAULT_PER_PAGE) -> int:
    """Number of pages needed to show ``total`` items, ``per_page`` at a time."""
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return (total + per_page) // per_page


def paginate(items: Sequence, number: int, per_page: int = DEFAULT_PER_PAGE) -> Page:
    """Page ``number`` (1-based) of ``items``."""
    pages = page_count(len(items), per_page)
    if number < 1 or (pages and number > pages):
        raise ValueError(f"page {number} out of range 1..{pages}")
    start = (number - 1) * per_page
    return Page(number, list(items[start : start + per_page]), pages)
