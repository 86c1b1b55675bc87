from roman import from_roman, to_roman


def test_to_roman():
    assert to_roman(1994) == "MCMXCIV"
    assert to_roman(8) == "VIII"


def test_from_roman_with_subtraction():
    assert from_roman("XIV") == 14
    assert from_roman("MCMXCIV") == 1994


def test_from_roman_lower_case():
    assert from_roman("iv") == 4


def test_from_roman_repeated_numerals():
    assert from_roman("XXI") == 21
