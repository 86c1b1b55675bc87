from datetime import date

from members import age_group, age_on, membership_fee


def test_junior_until_eighteenth_birthday():
    assert age_group(date(2006, 12, 31), date(2024, 12, 30)) == "junior"
    assert membership_fee(date(2006, 12, 31), date(2024, 12, 30)) == 40.0


def test_leap_day_birthday():
    assert age_on(date(2000, 2, 29), date(2023, 2, 28)) == 22
    assert age_on(date(2000, 2, 29), date(2023, 3, 1)) == 23


def test_newborn():
    assert age_on(date(2024, 3, 1), date(2024, 3, 1)) == 0
    assert age_on(date(2023, 3, 2), date(2024, 3, 1)) == 0
