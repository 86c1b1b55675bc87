import pytest
from settings import get_int, parse_settings


def test_parse_compact_lines_and_comments():
    assert parse_settings("port=8080\n# comment\n\nname=demo") == {"port": "8080", "name": "demo"}


def test_get_int():
    assert get_int(parse_settings("port = 8080"), "port") == 8080
    assert get_int({}, "port", 80) == 80


def test_missing_equals_sign():
    with pytest.raises(ValueError):
        parse_settings("just text")


def test_spaces_around_equals_sign():
    assert parse_settings("name = demo\n") == {"name": "demo"}
