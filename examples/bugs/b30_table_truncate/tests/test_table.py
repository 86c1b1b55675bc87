from report.table import render


def test_short_values():
    assert render(["Item", "Qty"], [["nut", 40]], [5, 4]) == ["Item  | Qty ", "------+-----", "nut   |   40"]


def test_long_values_are_cut():
    assert render(["Name"], [["Bartholomew"]], [6]) == ["Name  ", "------", "Barth~"]


def test_no_rows():
    assert render(["A", "B"], [], [2, 3]) == ["A  | B  ", "---+----"]


def test_value_of_exactly_the_column_width():
    assert render(["Item"], [["Widget"]], [6]) == ["Item  ", "------", "Widget"]
