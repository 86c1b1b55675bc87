from datetime import date

from billing.invoices import Invoice, due_date
from billing.workdays import add_business_days, is_business_day


def test_friday_plus_one():
    assert add_business_days(date(2024, 3, 8), 1) == date(2024, 3, 11)


def test_weekend_days():
    assert is_business_day(date(2024, 3, 9)) is False
    assert is_business_day(date(2024, 3, 10)) is False
    assert is_business_day(date(2024, 3, 11)) is True


def test_standard_terms():
    assert due_date(Invoice("INV-9", date(2024, 3, 4))) == date(2024, 3, 18)
