from datetime import date

from library.loans import Loan, is_overdue, late_fee, overdue_titles

LOANS = [Loan("Dune", date(2024, 3, 1)), Loan("Emma", date(2024, 3, 2)), Loan("Ulysses", date(2024, 2, 1))]


def test_overdue_exactly_one_day_after_due():
    assert is_overdue(Loan("Emma", date(2024, 2, 8)), date(2024, 3, 1)) is True
    assert is_overdue(Loan("Emma", date(2024, 2, 8)), date(2024, 2, 29)) is False


def test_overdue_titles_skips_loans_due_today():
    assert overdue_titles(LOANS, date(2024, 3, 22)) == ["Ulysses"]


def test_no_fee_on_due_date():
    assert late_fee(LOANS[0], date(2024, 3, 22)) == 0.0
    assert late_fee(LOANS[0], date(2024, 3, 23)) == 0.25
