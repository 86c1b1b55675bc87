import pytest
from clock import normalise, parse_time


def test_parse_time():
    assert parse_time("9:05") == (9, 5)
    assert parse_time(" 23:59 ") == (23, 59)


def test_not_times():
    assert parse_time("noon") is None
    assert parse_time("7:5") is None


def test_normalise():
    assert normalise("9:05") == "09:05"
    with pytest.raises(ValueError):
        normalise("25:00")


def test_hour_24_is_not_valid():
    assert parse_time("24:00") is None
