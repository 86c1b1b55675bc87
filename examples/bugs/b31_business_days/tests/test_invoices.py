from datetime import date

from billing.invoices import Invoice, due_date, is_late


def test_due_date_within_the_week():
    assert due_date(Invoice("INV-1", date(2024, 3, 4), 3)) == date(2024, 3, 7)


def test_due_date_skips_holidays():
    assert due_date(Invoice("INV-2", date(2024, 3, 4), 2), {date(2024, 3, 5)}) == date(2024, 3, 7)


def test_is_late():
    assert is_late(Invoice("INV-3", date(2024, 3, 4), 1), date(2024, 3, 6)) is True
    assert is_late(Invoice("INV-3", date(2024, 3, 4), 1), date(2024, 3, 5)) is False


def test_due_date_over_a_weekend():
    assert due_date(Invoice("INV-7", date(2024, 3, 7), 3)) == date(2024, 3, 12)
