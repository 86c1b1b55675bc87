from datetime import date

import pytest
from eudates import days_between, format_eu_date, parse_eu_date


def test_parse_same_day_and_month():
    assert parse_eu_date("05/05/2024") == date(2024, 5, 5)


def test_format_pads_with_zeros():
    assert format_eu_date(date(2024, 1, 9)) == "09/01/2024"


def test_rejects_iso_dates():
    with pytest.raises(ValueError):
        parse_eu_date("2024-01-09")


def test_days_in_a_leap_year():
    assert days_between("01/01/2024", "01/01/2025") == 366


def test_parse_last_day_of_january():
    assert parse_eu_date("31/01/2024") == date(2024, 1, 31)
