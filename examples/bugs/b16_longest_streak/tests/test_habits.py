from datetime import date

from habits import longest_streak


def days(*numbers):
    return [date(2024, 1, n) for n in numbers]


def test_no_activity():
    assert longest_streak([]) == 0


def test_streak_ending_on_the_last_day():
    assert longest_streak(days(1, 2, 3)) == 3
    assert longest_streak(days(1, 5, 6)) == 2


def test_unsorted_log():
    assert longest_streak(days(3, 1, 2)) == 3


def test_longest_streak_earlier_in_the_month():
    assert longest_streak(days(1, 2, 3, 4, 10)) == 4
