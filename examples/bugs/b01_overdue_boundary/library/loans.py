"""Library loans: due dates, overdue checks and late fees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

LOAN_DAYS = 21
FEE_PER_DAY = 0.25
MAX_FEE = 10.0


@dataclass(frozen=True)
class Loan:
    title: str
    borrowed: date

    @property
    def due(self) -> date:
        return self.borrowed + timedelta(days=LOAN_DAYS)


def is_overdue(loan: Loan, today: date) -> bool:
    """A loan becomes overdue the day after its due date."""
    return today >= loan.due


def days_late(loan: Loan, today: date) -> int:
    return max(0, (today - loan.due).days)


def late_fee(loan: Loan, today: date) -> float:
    """Fee owed on ``today``: a fixed amount per day late, capped at ``MAX_FEE``."""
    if not is_overdue(loan, today):
        return 0.0
    return min(MAX_FEE, round(days_late(loan, today) * FEE_PER_DAY, 2))


def overdue_titles(loans: list[Loan], today: date) -> list[str]:
    return sorted(loan.title for loan in loans if is_overdue(loan, today))
