import pytest
from clock import normalise, parse_time


def test_minute_60_is_not_valid():
    assert parse_time("12:60") is None


def test_midnight():
    assert parse_time("00:00") == (0, 0)


def test_normalise_rejects_out_of_range():
    with pytest.raises(ValueError):
        normalise("24:30")
    with pytest.raises(ValueError):
        normalise("8:60")
