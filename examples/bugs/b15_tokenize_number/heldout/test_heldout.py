from calc.tokens import tokenize


def test_parenthesised_sum():
    assert tokenize("(1+2)") == [("op", "("), ("num", 1.0), ("op", "+"), ("num", 2.0), ("op", ")")]


def test_division():
    assert tokenize("10/4") == [("num", 10.0), ("op", "/"), ("num", 4.0)]


def test_lone_number_and_names_with_digits():
    assert tokenize("3.25") == [("num", 3.25)]
    assert tokenize("x1-y_2") == [("name", "x1"), ("op", "-"), ("name", "y_2")]
