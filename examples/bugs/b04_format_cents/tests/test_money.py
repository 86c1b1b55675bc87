import pytest
from money import format_cents, to_cents, total


def test_to_cents():
    assert to_cents("12.34") == 1234
    assert to_cents("-0.5") == -50
    assert to_cents("7") == 700


def test_to_cents_rejects_fractions_of_a_cent():
    with pytest.raises(ValueError):
        to_cents("1.005")


def test_format_cents_with_thousands():
    assert format_cents(123456) == "$1,234.56"
    assert format_cents(-250) == "-$2.50"


def test_total():
    assert total(["1.25", "2.50"]) == "$3.75"


def test_format_cents_below_ten():
    assert format_cents(305) == "$3.05"
