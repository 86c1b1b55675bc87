from datetime import date

from eudates import days_between, format_eu_date, parse_eu_date


def test_day_before_month():
    assert parse_eu_date("03/04/2024") == date(2024, 4, 3)
    assert parse_eu_date("12/11/2023") == date(2023, 11, 12)


def test_across_february():
    assert days_between("28/02/2024", "01/03/2024") == 2


def test_round_trip():
    for text in ("01/02/2023", "29/02/2024", "31/12/1999", "15/08/2021"):
        assert format_eu_date(parse_eu_date(text)) == text
