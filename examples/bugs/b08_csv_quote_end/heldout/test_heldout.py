from csvline import parse_record, split_fields


def test_empty_quoted_field():
    assert split_fields('""') == [""]


def test_doubled_quotes_at_end_of_line():
    assert split_fields('x,"He said ""no"""') == ["x", 'He said "no"']


def test_parse_record():
    assert parse_record('1,"Doe, John",42', ["id", "name", "age"]) == {"id": "1", "name": "Doe, John", "age": "42"}


def test_semicolon_separator():
    assert split_fields('a;"b;c"', sep=";") == ["a", "b;c"]
