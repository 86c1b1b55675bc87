"""Star ratings for products in a shop."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Review:
    author: str
    stars: int


def average_stars(reviews: list[Review]) -> float:
    """Mean rating rounded to one decimal; 0.0 while a product has no reviews."""
    return round(sum(review.stars for review in reviews) / len(reviews), 1)


def star_bar(reviews: list[Review]) -> str:
    """``"****- 4.3 (3)"``: the average as five stars, then the average and the number of reviews."""
    average = average_stars(reviews)
    full = int(average + 0.5)
    return "*" * full + "-" * (5 - full) + f" {average:.1f} ({len(reviews)})"


def top_reviewers(reviews: list[Review], count: int = 3) -> list[str]:
    return [review.author for review in sorted(reviews, key=lambda r: -r.stars)[:count]]
