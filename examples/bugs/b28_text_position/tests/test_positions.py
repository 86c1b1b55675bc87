import pytest
from positions import describe, find_all, position


def test_position_on_the_first_line():
    assert position("hello", 2) == (1, 3)


def test_find_all_on_one_line():
    assert find_all("a = a + 1", "a") == [(1, 1), (1, 5)]


def test_describe_first_line():
    assert describe("f.py", "x = 1", 4) == "f.py:1:5"


def test_offset_outside():
    with pytest.raises(IndexError):
        position("abc", 9)


def test_find_all_on_two_lines():
    assert find_all("x = 1\ny = x\n", "x") == [(1, 1), (2, 5)]
