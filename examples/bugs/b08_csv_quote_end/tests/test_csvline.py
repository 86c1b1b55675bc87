import pytest
from csvline import split_fields


def test_plain_fields():
    assert split_fields("a,b,,c") == ["a", "b", "", "c"]


def test_quoted_field_with_separator():
    assert split_fields('"a,b",c') == ["a,b", "c"]


def test_doubled_quotes():
    assert split_fields('"say ""hi""",x') == ['say "hi"', "x"]


def test_unterminated_quote():
    with pytest.raises(ValueError):
        split_fields('"abc')


def test_quoted_field_at_end_of_line():
    assert split_fields('7,"Smith, Jane"') == ["7", "Smith, Jane"]
