from positions import describe, position


def test_third_line():
    assert position("a\nb\nc", 4) == (3, 1)


def test_describe_second_line():
    assert describe("f.py", "ab\ncd", 4) == "f.py:2:2"


def test_blank_lines():
    assert position("\n\nx", 2) == (3, 1)
    assert position("ab\n", 3) == (2, 1)
