"""Ages and age groups for a sports club's membership register."""

from __future__ import annotations

from datetime import date


def age_on(birth: date, today: date) -> int:
    """Completed years between ``birth`` and ``today``."""
    before_birthday = (today.month, today.day) < (birth.month, birth.day)
    return today.year - birth.year + before_birthday


def age_group(birth: date, today: date) -> str:
    age = age_on(birth, today)
    if age < 18:
        return "junior"
    if age < 65:
        return "adult"
    return "senior"


def membership_fee(birth: date, today: date) -> float:
    return {"junior": 40.0, "adult": 120.0, "senior": 60.0}[age_group(birth, today)]
