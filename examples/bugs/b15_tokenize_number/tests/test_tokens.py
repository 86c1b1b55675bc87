import pytest
from calc.tokens import tokenize


def test_number_at_the_end():
    assert tokenize("x + 3.5") == [("name", "x"), ("op", "+"), ("num", 3.5)]


def test_numbers_followed_by_spaces():
    assert tokenize("rate * 12 + 4") == [("name", "rate"), ("op", "*"), ("num", 12.0), ("op", "+"), ("num", 4.0)]


def test_unknown_character():
    with pytest.raises(ValueError, match="unexpected"):
        tokenize("a $ b")


def test_number_followed_by_an_operator():
    assert tokenize("2*(x+1)") == [
        ("num", 2.0),
        ("op", "*"),
        ("op", "("),
        ("name", "x"),
        ("op", "+"),
        ("num", 1.0),
        ("op", ")"),
    ]
