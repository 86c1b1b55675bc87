"""Roman numerals for chapter and clause numbers."""

from __future__ import annotations

VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
NUMERALS = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
]


def to_roman(number: int) -> str:
    if not 0 < number < 4000:
        raise ValueError(f"cannot write {number} in Roman numerals")
    parts = []
    for value, numeral in NUMERALS:
        count, number = divmod(number, value)
        parts.append(numeral * count)
    return "".join(parts)


def from_roman(text: str) -> int:
    """Value of a Roman numeral: a numeral written before a larger one is subtracted."""
    digits = [VALUES[ch] for ch in text.upper()]
    total = 0
    for i, value in enumerate(digits):
        if i + 1 < len(digits) and value <= digits[i + 1]:
            total -= value
        else:
            total += value
    return total
