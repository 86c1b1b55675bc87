from report.table import render
from report.text import pad, truncate


def test_truncate_at_the_width():
    assert truncate("abc", 3) == "abc"
    assert truncate("abcd", 3) == "ab~"


def test_numbers_filling_the_column():
    assert render(["Qty"], [[1234]], [4]) == ["Qty ", "----", "1234"]


def test_pad_exact_width():
    assert pad("total", 5, ">") == "total"
    assert pad("totals", 5, ">") == "tota~"
