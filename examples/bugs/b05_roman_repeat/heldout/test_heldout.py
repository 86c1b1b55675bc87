from roman import from_roman, to_roman


def test_three():
    assert from_roman("III") == 3


def test_current_year():
    assert from_roman("MMXXIV") == 2024


def test_round_trip():
    for number in range(1, 1200):
        assert from_roman(to_roman(number)) == number
