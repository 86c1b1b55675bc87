from datetime import date

from habits import longest_streak


def test_two_then_one():
    assert longest_streak([date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 5)]) == 2


def test_duplicates_count_once():
    assert longest_streak([date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 9)]) == 2


def test_across_a_month_boundary():
    log = [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1), date(2024, 3, 1)]
    assert longest_streak(log) == 3
