from datetime import date

from library.loans import Loan, is_overdue, late_fee

DUNE = Loan("Dune", date(2024, 3, 1))


def test_due_date_is_three_weeks_later():
    assert DUNE.due == date(2024, 3, 22)


def test_not_overdue_before_due_date():
    assert is_overdue(DUNE, date(2024, 3, 10)) is False


def test_overdue_after_due_date():
    assert is_overdue(DUNE, date(2024, 3, 25)) is True


def test_late_fee_per_day_and_capped():
    assert late_fee(DUNE, date(2024, 3, 26)) == 1.0
    assert late_fee(DUNE, date(2024, 6, 1)) == 10.0


def test_not_overdue_on_due_date():
    assert is_overdue(DUNE, date(2024, 3, 22)) is False
