import pytest
from inventory.stats import busiest_period, mean, median, moving_average, percentile

WEEK = [12, 15, 9, 20, 31, 18, 14]


def test_mean():
    assert mean([3, 5, 10]) == 6.0
    with pytest.raises(ValueError):
        mean([])


def test_median_odd_and_even_lengths():
    assert median([7, 1, 5]) == 5
    assert median([4, 1, 3, 2]) == 2.5


def test_percentile_interpolates_between_ranks():
    assert percentile([50, 10, 40, 20, 30], 50) == 30
    assert percentile([10, 20, 30, 40], 25) == 17.5
    assert percentile(WEEK, 0) == 9


def test_percentile_100_is_the_maximum():
    assert percentile(WEEK, 100) == 31


def test_moving_average():
    assert moving_average([1, 2, 3, 4, 5], 3) == [2.0, 3.0, 4.0]
    assert moving_average([1, 2], 3) == []


def test_busiest_period_in_the_middle():
    assert busiest_period(WEEK, 2) == (3, 51)


def test_busiest_period_at_the_end():
    assert busiest_period([1, 2, 3, 10, 12], 2) == (3, 22)
