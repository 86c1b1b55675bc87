from datetime import date

from members import age_group, age_on

BORN = date(1990, 5, 17)


def test_age_after_birthday():
    assert age_on(BORN, date(2024, 6, 1)) == 34


def test_age_on_birthday():
    assert age_on(BORN, date(2024, 5, 17)) == 34


def test_senior():
    assert age_group(date(1950, 1, 1), date(2024, 3, 1)) == "senior"


def test_age_the_day_before_birthday():
    assert age_on(BORN, date(2024, 5, 16)) == 33
